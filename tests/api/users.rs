//! Accounts: only admins manage them, and a role must fit its unit.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn an_admin_creates_users_of_every_role_who_can_then_log_in() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    for (username, role, unit) in [
        ("second.admin", "admin", None),
        ("zl.dispatcher", "dispatcher", Some("CZ")),
        ("zl.officer", "district_officer", Some("CZ-ZL")),
        ("zl.nanyuan", "community_officer", Some("CZ-ZL-NY")),
        ("zl.viewer", "viewer", Some("CZ-ZL")),
    ] {
        let body = json!({"username": username, "password": "a-long-enough-password", "display_name": format!("User {username}"), "role": role, "unit_id": unit.map(|c| app.unit(c))});
        let created = app.post("/api/v1/users", &admin, body).await.expect(201);
        assert_eq!(created.body["role"], role);
        assert_eq!(created.body["active"], true);
        assert!(created.body.get("password").is_none() && created.body.get("password_hash").is_none());
        let token = app.login((username, "a-long-enough-password")).await;
        let me = app.get("/api/v1/me", &token).await.expect(200);
        assert_eq!(me.body["id"], created.body["id"]);
        let fetched = app
            .get(&format!("/api/v1/users/{}", created.id()), &admin)
            .await
            .expect(200);
        assert_eq!(fetched.body["username"], username);
    }
    let dispatchers = app.get("/api/v1/users?role=dispatcher", &admin).await.expect(200);
    assert_eq!(dispatchers.body["items"].as_array().unwrap().len(), 2);
    let all = app.collect_ids("/api/v1/users", &admin, 2).await;
    assert_eq!(all.len(), 10);
}

#[actix_web::test]
async fn a_role_must_fit_its_unit_and_passwords_must_be_long() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let before = app.count_rows("users");
    let user = |username: &str, password: &str, role: &str, unit: Option<String>| json!({"username": username, "password": password, "display_name": "X", "role": role, "unit_id": unit});
    for (body, field) in [
        (
            user(
                "d.one",
                "a-long-enough-password",
                "dispatcher",
                Some(app.unit("CZ-TN")),
            ),
            "unit_id",
        ),
        (
            user(
                "d.two",
                "a-long-enough-password",
                "district_officer",
                Some(app.unit("CZ")),
            ),
            "unit_id",
        ),
        (
            user(
                "d.three",
                "a-long-enough-password",
                "community_officer",
                Some(app.unit("CZ-TN")),
            ),
            "unit_id",
        ),
        (
            user("d.four", "a-long-enough-password", "admin", Some(app.unit("CZ"))),
            "unit_id",
        ),
        (
            user("d.five", "a-long-enough-password", "viewer", None),
            "unit_id",
        ),
        (
            user(
                "d.six",
                "a-long-enough-password",
                "dispatcher",
                Some("01900000-0000-7000-8000-000000000000".into()),
            ),
            "unit_id",
        ),
        (
            user("d.seven", "too-short", "viewer", Some(app.unit("CZ"))),
            "password",
        ),
        (
            user("UPPER", "a-long-enough-password", "viewer", Some(app.unit("CZ"))),
            "username",
        ),
    ] {
        let res = app
            .post("/api/v1/users", &admin, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field, "{body}");
    }
    app.post(
        "/api/v1/users",
        &admin,
        user(
            "cz.dispatcher",
            "a-long-enough-password",
            "dispatcher",
            Some(app.unit("CZ")),
        ),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(
        "/api/v1/users",
        &admin,
        user("x.root", "a-long-enough-password", "root", None),
    )
    .await
    .expect_problem(400, "validation_failed");
    assert_eq!(app.count_rows("users"), before);
}

#[actix_web::test]
async fn only_admins_see_or_manage_users() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let me = app.get("/api/v1/me", &tokens.viewer).await.expect(200);
    let viewer_id = me.body["id"].as_str().unwrap();
    for (role, token) in tokens.all() {
        if role == "admin" {
            continue;
        }
        app.get("/api/v1/users", token)
            .await
            .expect_problem(403, "forbidden");
        app.get(&format!("/api/v1/users/{viewer_id}"), token)
            .await
            .expect_problem(403, "forbidden");
        app.post("/api/v1/users", token, json!({"username": "sneaky", "password": "a-long-enough-password", "display_name": "X", "role": "admin"}))
            .await
            .expect_problem(403, "forbidden");
        app.patch(
            &format!("/api/v1/users/{viewer_id}"),
            token,
            json!({"role": "admin", "unit_id": null}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    let still = app
        .get(&format!("/api/v1/users/{viewer_id}"), &tokens.admin)
        .await
        .expect(200);
    assert_eq!(still.body["role"], "viewer");
}

#[actix_web::test]
async fn admins_edit_users_within_the_rules() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let me = app.get("/api/v1/me", &admin).await.expect(200);
    let admin_id = me.body["id"].as_str().unwrap().to_owned();
    let viewer = app.login(VIEWER).await;
    let viewer_id = app.get("/api/v1/me", &viewer).await.expect(200).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/{viewer_id}");

    let renamed = app
        .patch(&path, &admin, json!({"display_name": "Wall screen"}))
        .await
        .expect(200);
    assert_eq!(renamed.body["display_name"], "Wall screen");
    app.get("/api/v1/me", &viewer).await.expect(200);

    let promoted = app
        .patch(
            &path,
            &admin,
            json!({"role": "district_officer", "unit_id": app.unit("CZ-WJ")}),
        )
        .await
        .expect(200);
    assert_eq!(promoted.body["role"], "district_officer");
    app.patch(&path, &admin, json!({"role": "community_officer"}))
        .await
        .expect_problem(422, "validation_failed");
    app.patch(&path, &admin, json!({"role": "admin", "unit_id": null}))
        .await
        .expect(200);
    app.patch(&path, &admin, json!({"nickname": "x"}))
        .await
        .expect_problem(400, "validation_failed");
    app.patch(
        "/api/v1/users/01900000-0000-7000-8000-000000000000",
        &admin,
        json!({"active": false}),
    )
    .await
    .expect_problem(404, "not_found");

    // An admin cannot lock itself out.
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        &admin,
        json!({"active": false}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/users/{admin_id}"),
        &admin,
        json!({"role": "viewer", "unit_id": app.unit("CZ")}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.get("/api/v1/me", &admin).await.expect(200);
    let events = app.events_of(&admin, "user", &viewer_id).await;
    assert_eq!(events.iter().filter(|e| e["action"] == "user.updated").count(), 3);
}
