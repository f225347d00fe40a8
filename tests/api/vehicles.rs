//! Vehicles of each city's transfer team.

use serde_json::json;

use crate::helpers::*;

fn vehicle(plate: &str, seats: i64, unit: &str) -> serde_json::Value {
    json!({"plate": plate, "kind": "minibus", "seats": seats, "unit_id": unit})
}

#[actix_web::test]
async fn a_dispatcher_registers_and_edits_the_vehicles_of_its_city() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let created = app
        .post(
            "/api/v1/vehicles",
            &tokens.dispatcher,
            vehicle(" 苏d·  z0099 ", 12, &app.unit("CZ")),
        )
        .await
        .expect(201);
    assert_eq!(created.body["plate"], "苏D· Z0099");
    assert_eq!(created.body["status"], "available");
    assert_eq!(created.body["out_of_service"], false);
    let id = created.id();
    let path = format!("/api/v1/vehicles/{id}");

    let edited = app
        .patch(&path, &tokens.dispatcher, json!({"seats": 16}))
        .await
        .expect(200);
    assert_eq!(edited.body["seats"], 16);
    let parked = app
        .patch(&path, &tokens.dispatcher, json!({"out_of_service": true}))
        .await
        .expect(200);
    assert_eq!(parked.body["out_of_service"], true);
    let listed = app
        .get("/api/v1/vehicles?status=available", &tokens.dispatcher)
        .await
        .expect(200);
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(
        app.collect_ids("/api/v1/vehicles", &tokens.dispatcher, 2)
            .await
            .len(),
        5
    );
    let none = app
        .get("/api/v1/vehicles?status=in_transit", &tokens.dispatcher)
        .await
        .expect(200);
    assert!(none.body["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/vehicles?status=flying", &tokens.dispatcher)
        .await
        .expect_problem(400, "validation_failed");

    let events = app.events_of(&tokens.admin, "vehicle", &id).await;
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        vec!["vehicle.registered", "vehicle.updated", "vehicle.updated"]
    );
    let dispatcher_view = app
        .get(&format!("/api/v1/events?entity_id={id}"), &tokens.dispatcher)
        .await
        .expect(200);
    assert_eq!(dispatcher_view.body["items"].as_array().unwrap().len(), 3);
    app.get("/api/v1/events", &tokens.viewer)
        .await
        .expect_problem(403, "forbidden");
}

#[actix_web::test]
async fn vehicle_input_is_checked() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let before = app.count_rows("vehicles");
    for (body, field) in [
        (vehicle("苏D·A1", 0, &app.unit("CZ")), "seats"),
        (vehicle("苏D·A2", 101, &app.unit("CZ")), "seats"),
        (vehicle(" ", 10, &app.unit("CZ")), "plate"),
        (vehicle("苏D·A3", 10, &app.unit("CZ-TN")), "unit_id"),
    ] {
        let res = app
            .post("/api/v1/vehicles", &tokens.dispatcher, body)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field);
    }
    app.post(
        "/api/v1/vehicles",
        &tokens.dispatcher,
        vehicle("苏d·z0001", 10, &app.unit("CZ")),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(
        "/api/v1/vehicles",
        &tokens.dispatcher,
        json!({"plate": "X1", "kind": "tank", "seats": 4, "unit_id": app.unit("CZ")}),
    )
    .await
    .expect_problem(400, "validation_failed");
    app.post(
        "/api/v1/vehicles",
        &tokens.dispatcher,
        json!({"plate": "X1", "kind": "car", "seats": "four", "unit_id": app.unit("CZ")}),
    )
    .await
    .expect_problem(400, "validation_failed");
    let listed = app.get("/api/v1/vehicles", &tokens.dispatcher).await.expect(200);
    let id = listed.body["items"][0]["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/vehicles/{id}"),
        &tokens.dispatcher,
        json!({"seats": -1}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/vehicles/{id}"),
        &tokens.dispatcher,
        json!({"status": "available"}),
    )
    .await
    .expect_problem(400, "validation_failed");
    assert_eq!(app.count_rows("vehicles"), before);
}

#[actix_web::test]
async fn vehicles_are_seen_and_managed_only_by_their_city() {
    let mut app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let other = app.other_city(&tokens.admin).await;
    let cz_vehicle = app
        .get("/api/v1/vehicles", &tokens.dispatcher)
        .await
        .expect(200)
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let wx_vehicle = app
        .post(
            "/api/v1/vehicles",
            &other.dispatcher,
            vehicle("苏B·W0001", 20, &app.unit("WX")),
        )
        .await
        .expect(201)
        .id();

    // The other city's dispatcher sees only its own vehicle, and the CZ one does not exist for it.
    let wx_list = app.get("/api/v1/vehicles", &other.dispatcher).await.expect(200);
    assert_eq!(wx_list.body["items"].as_array().unwrap().len(), 1);
    app.get(&format!("/api/v1/vehicles/{cz_vehicle}"), &other.dispatcher)
        .await
        .expect_problem(404, "not_found");
    app.patch(
        &format!("/api/v1/vehicles/{cz_vehicle}"),
        &other.dispatcher,
        json!({"out_of_service": true}),
    )
    .await
    .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/vehicles/{wx_vehicle}"), &tokens.dispatcher)
        .await
        .expect_problem(404, "not_found");
    app.post(
        "/api/v1/vehicles",
        &tokens.dispatcher,
        vehicle("苏D·X0001", 20, &app.unit("WX")),
    )
    .await
    .expect_problem(422, "validation_failed");

    // Officers and viewers have no business with vehicles.
    for token in [
        &tokens.district_officer,
        &tokens.community_officer,
        &tokens.viewer,
        &other.district_officer,
        &other.community_officer,
        &other.viewer,
    ] {
        app.get("/api/v1/vehicles", token)
            .await
            .expect_problem(403, "forbidden");
        app.get(&format!("/api/v1/vehicles/{cz_vehicle}"), token)
            .await
            .expect_problem(403, "forbidden");
        app.post(
            "/api/v1/vehicles",
            token,
            vehicle("苏D·Y0001", 20, &app.unit("CZ")),
        )
        .await
        .expect_problem(403, "forbidden");
        app.patch(
            &format!("/api/v1/vehicles/{cz_vehicle}"),
            token,
            json!({"seats": 3}),
        )
        .await
        .expect_problem(403, "forbidden");
    }
    // The admin sees both cities' vehicles.
    assert_eq!(
        app.collect_ids("/api/v1/vehicles", &tokens.admin, 500)
            .await
            .len(),
        5
    );
    let unchanged = app
        .get(&format!("/api/v1/vehicles/{cz_vehicle}"), &tokens.admin)
        .await
        .expect(200);
    assert_eq!(unchanged.body["out_of_service"], false);
}
