//! The organisation tree: who may create units, and who sees which.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn an_admin_builds_the_tree_level_by_level() {
    let mut app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let city = app.create_unit(&admin, "WX", "city", None).await;
    let district = app.create_unit(&admin, "WX-LX", "district", Some("WX")).await;
    let community = app
        .create_unit(&admin, "WX-LX-01", "community", Some("WX-LX"))
        .await;
    let got = app
        .get(&format!("/api/v1/units/{community}"), &admin)
        .await
        .expect(200);
    assert_eq!(got.body["level"], "community");
    assert_eq!(got.body["parent_id"], district);
    assert_eq!(got.body["code"], "WX-LX-01");
    let children = app
        .get(&format!("/api/v1/units?parent_id={city}"), &admin)
        .await
        .expect(200);
    assert_eq!(children.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(children.body["items"][0]["id"], district);
    let cities = app.get("/api/v1/units?level=city", &admin).await.expect(200);
    assert_eq!(cities.body["items"].as_array().unwrap().len(), 2);
    let events = app.events_of(&admin, "unit", &community).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["action"], "unit.created");
}

#[actix_web::test]
async fn units_must_hang_under_the_right_level() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let before = app.count_rows("units");
    let cases = [
        (
            json!({"name": "X", "code": "X1", "level": "district", "parent_id": app.unit("CZ-TN")}),
            "parent_id",
        ),
        (
            json!({"name": "X", "code": "X2", "level": "community", "parent_id": app.unit("CZ")}),
            "parent_id",
        ),
        (
            json!({"name": "X", "code": "X3", "level": "city", "parent_id": app.unit("CZ")}),
            "parent_id",
        ),
        (
            json!({"name": "X", "code": "X4", "level": "district"}),
            "parent_id",
        ),
        (
            json!({"name": "X", "code": "X5", "level": "district", "parent_id": "01900000-0000-7000-8000-000000000000"}),
            "parent_id",
        ),
        (json!({"name": "  ", "code": "X6", "level": "city"}), "name"),
        (json!({"name": "X", "code": "lower", "level": "city"}), "code"),
    ];
    for (body, field) in cases {
        let res = app
            .post("/api/v1/units", &admin, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field, "{body}");
    }
    app.post(
        "/api/v1/units",
        &admin,
        json!({"name": "X", "code": "X7", "level": "town"}),
    )
    .await
    .expect_problem(400, "validation_failed");
    app.post(
        "/api/v1/units",
        &admin,
        json!({"name": "X", "code": "X8", "level": "city", "colour": "red"}),
    )
    .await
    .expect_problem(400, "validation_failed");
    app.post(
        "/api/v1/units",
        &admin,
        json!({"name": "Again", "code": "CZ", "level": "city"}),
    )
    .await
    .expect_problem(409, "conflict");
    assert_eq!(
        app.count_rows("units"),
        before,
        "no refused request wrote anything"
    );
}

#[actix_web::test]
async fn only_admins_create_units() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    for (role, token) in tokens.all() {
        if role == "admin" {
            continue;
        }
        app.post(
            "/api/v1/units",
            token,
            json!({"name": "X", "code": "NEW", "level": "city"}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    app.send(
        "POST",
        "/api/v1/units",
        None,
        Some(&json!({"name": "X", "code": "NEW", "level": "city"})),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn everyone_sees_only_their_own_subtree() {
    let mut app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let other = app.other_city(&tokens.admin).await;
    let codes = |res: &Response| -> Vec<String> {
        let mut c: Vec<String> = res.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap().to_owned())
            .collect();
        c.sort();
        c
    };
    let all = app
        .get("/api/v1/units?limit=500", &tokens.admin)
        .await
        .expect(200);
    assert_eq!(codes(&all).len(), 13);

    let city = app
        .get("/api/v1/units?limit=500", &tokens.dispatcher)
        .await
        .expect(200);
    assert_eq!(codes(&city).len(), 10);
    assert!(codes(&city).iter().all(|c| c.starts_with("CZ")));
    let viewer = app
        .get("/api/v1/units?limit=500", &tokens.viewer)
        .await
        .expect(200);
    assert_eq!(codes(&viewer), codes(&city));

    let district = app
        .get("/api/v1/units", &tokens.district_officer)
        .await
        .expect(200);
    assert_eq!(codes(&district), vec!["CZ-TN", "CZ-TN-HM", "CZ-TN-QL"]);
    let community = app
        .get("/api/v1/units", &tokens.community_officer)
        .await
        .expect(200);
    assert_eq!(codes(&community), vec!["CZ-TN-HM"]);

    let wx = app.get("/api/v1/units", &other.dispatcher).await.expect(200);
    assert_eq!(codes(&wx), vec!["WX", "WX-LX", "WX-LX-01"]);
    for token in [&other.district_officer, &other.community_officer, &other.viewer] {
        assert!(codes(&app.get("/api/v1/units", token).await.expect(200))
            .iter()
            .all(|c| c.starts_with("WX")));
    }

    // Out of scope is not found, not forbidden: existence does not leak.
    for (token, code) in [
        (&tokens.dispatcher, "WX"),
        (&tokens.district_officer, "CZ-ZL"),
        (&tokens.district_officer, "CZ"),
        (&tokens.community_officer, "CZ-TN-QL"),
        (&tokens.community_officer, "CZ-TN"),
        (&other.dispatcher, "CZ-TN-HM"),
        (&other.viewer, "CZ"),
    ] {
        app.get(&format!("/api/v1/units/{}", app.unit(code)), token)
            .await
            .expect_problem(404, "not_found");
    }
    app.get(
        &format!("/api/v1/units/{}", app.unit("CZ-TN-HM")),
        &tokens.district_officer,
    )
    .await
    .expect(200);
    app.get("/api/v1/units/not-a-uuid", &tokens.admin)
        .await
        .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn lists_page_with_opaque_cursors() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let all = app.get("/api/v1/units?limit=500", &admin).await.expect(200);
    assert!(all.body["next_cursor"].is_null());
    let expected: Vec<String> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(expected.len(), 10);
    assert_eq!(app.collect_ids("/api/v1/units", &admin, 3).await, expected);
    assert_eq!(
        app.collect_ids("/api/v1/units?level=community", &admin, 4)
            .await
            .len(),
        6
    );
    let default = app.get("/api/v1/units", &admin).await.expect(200);
    assert_eq!(default.body["items"].as_array().unwrap().len(), 10);
    for bad in [
        "limit=0",
        "limit=501",
        "limit=x",
        "cursor=%%%",
        "cursor=AAAA",
        "level=town",
    ] {
        app.get(&format!("/api/v1/units?{bad}"), &admin)
            .await
            .expect_problem(400, "validation_failed");
    }
}

#[actix_web::test]
async fn an_admin_sets_a_units_hotline_and_address_and_nobody_else_may() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let cz = app.unit("CZ");
    let path = format!("/api/v1/units/{cz}");
    let city = app.get(&path, &tokens.admin).await.expect(200);
    assert_eq!(
        city.body["hotline"], "0519-12345",
        "the demo city has its hotline"
    );
    for (role, token) in tokens.all() {
        if role != "admin" {
            app.patch(&path, token, json!({"hotline": "+86 519 8888 0000"}))
                .await
                .expect_problem(403, "forbidden");
        }
    }
    let updated = app
        .patch(
            &path,
            &tokens.admin,
            json!({"hotline": "+86 519 8888 0000", "address": "Health Bureau\n1 Longcheng Ave"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["hotline"], "+86 519 8888 0000");
    assert_eq!(updated.body["address"], "Health Bureau\n1 Longcheng Ave");
    assert_eq!(updated.body["name"], city.body["name"], "absent fields stay");
    app.patch(&path, &tokens.admin, json!({"hotline": "call us"}))
        .await
        .expect_problem(422, "validation_failed");
    app.patch(&path, &tokens.admin, json!({"name": "  "}))
        .await
        .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/units/{}", uuid::Uuid::new_v4()),
        &tokens.admin,
        json!({"name": "Nowhere"}),
    )
    .await
    .expect_problem(404, "not_found");
    let cleared = app
        .patch(&path, &tokens.admin, json!({"address": null}))
        .await
        .expect(200);
    assert!(cleared.body["address"].is_null());
    assert_eq!(cleared.body["hotline"], "+86 519 8888 0000");
    let events = app.events_of(&tokens.admin, "unit", &cz).await;
    assert!(events.iter().any(|e| e["action"] == "unit.updated"));
}

#[actix_web::test]
async fn a_handoff_names_both_sides_and_their_hotlines() {
    let w = crate::world::World::new().await;
    let (_, handoff, _) = w.one_arrival("PVG", "CZ-TN-HM", "MU5001", "苏D·Z0003").await;
    // The district officer sees who sent it, though the city lies outside the district.
    let seen = w
        .app
        .get(&format!("/api/v1/handoffs/{handoff}"), w.officer("CZ-TN"))
        .await
        .expect(200);
    assert_eq!(seen.body["from_unit"]["id"], w.app.unit("CZ").as_str());
    assert_eq!(seen.body["from_unit"]["hotline"], "0519-12345");
    assert!(seen.body["from_unit"]["name"]
        .as_str()
        .is_some_and(|n| !n.is_empty()));
    assert_eq!(seen.body["to_unit"]["id"], w.app.unit("CZ-TN").as_str());
    assert!(seen.body["to_unit"]["hotline"].is_null());
}

/// A city's hotline and address can be given when it is created, checked as a change of them
/// is; a bad one creates nothing.
#[actix_web::test]
async fn a_unit_is_created_with_its_hotline_and_address() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let units = app.count_rows("units");
    let bad = app
        .post(
            "/api/v1/units",
            &admin,
            json!({"name": "Wuxi", "code": "WX", "level": "city", "hotline": "call us", "address": "x".repeat(501)}),
        )
        .await
        .expect(422);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["hotline", "address"]);
    assert_eq!(app.count_rows("units"), units, "nothing was created");

    let city = app
        .post(
            "/api/v1/units",
            &admin,
            json!({"name": "Wuxi", "code": "WX", "level": "city",
                   "hotline": " +86 510 12345 ", "address": "  1 Renmin Road\nWuxi  "}),
        )
        .await
        .expect(201);
    assert_eq!(city.body["hotline"], "+86 510 12345");
    assert_eq!(city.body["address"], "1 Renmin Road\nWuxi");
    let id = city.body["id"].as_str().unwrap();
    let read = app.get(&format!("/api/v1/units/{id}"), &admin).await.expect(200);
    assert_eq!(read.body["hotline"], "+86 510 12345");
    let events = app.events_of(&admin, "unit", id).await;
    assert_eq!(events[0]["data"]["hotline"], "+86 510 12345");
}
