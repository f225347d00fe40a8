//! Ports of entry.

use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn an_admin_registers_ports_and_everyone_reads_them() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let created = app
        .post("/api/v1/ports", &tokens.admin, json!({"code": "CZX", "name": "Changzhou Benniu Airport", "kind": "airport", "city_name": "Changzhou"}))
        .await
        .expect(201);
    assert_eq!(created.body["code"], "CZX");
    assert_eq!(created.body["kind"], "airport");
    let id = created.id();
    for (role, token) in tokens.all() {
        let list = app.get("/api/v1/ports", token).await.expect(200);
        let codes: Vec<&str> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec!["PVG", "SHA", "NKG", "CZX"], "{role}");
        app.get(&format!("/api/v1/ports/{id}"), token).await.expect(200);
    }
    app.get(
        "/api/v1/ports/01900000-0000-7000-8000-000000000000",
        &tokens.admin,
    )
    .await
    .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn port_codes_are_checked_and_unique() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let before = app.count_rows("ports");
    for (body, field) in [
        (
            json!({"code": "PVGX", "name": "X", "kind": "airport", "city_name": "X"}),
            "code",
        ),
        (
            json!({"code": "pv1", "name": "X", "kind": "airport", "city_name": "X"}),
            "code",
        ),
        (
            json!({"code": "X", "name": "X", "kind": "rail", "city_name": "X"}),
            "code",
        ),
        (
            json!({"code": "ABC", "name": "", "kind": "airport", "city_name": "X"}),
            "name",
        ),
        (
            json!({"code": "ABC", "name": "X", "kind": "airport", "city_name": " "}),
            "city_name",
        ),
    ] {
        let res = app
            .post("/api/v1/ports", &tokens.admin, body)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field);
    }
    app.post(
        "/api/v1/ports",
        &tokens.admin,
        json!({"code": "ABC", "name": "X", "kind": "spaceport", "city_name": "X"}),
    )
    .await
    .expect_problem(400, "validation_failed");
    app.post(
        "/api/v1/ports",
        &tokens.admin,
        json!({"code": "PVG", "name": "Again", "kind": "airport", "city_name": "Shanghai"}),
    )
    .await
    .expect_problem(409, "conflict");
    app.post(
        "/api/v1/ports",
        &tokens.admin,
        json!({"code": "SHHQ", "name": "Hongqiao Railway Station", "kind": "rail", "city_name": "Shanghai"}),
    )
    .await
    .expect(201);
    for (role, token) in tokens.all() {
        if role != "admin" {
            app.post(
                "/api/v1/ports",
                token,
                json!({"code": "WUX", "name": "Wuxi", "kind": "airport", "city_name": "Wuxi"}),
            )
            .await
            .expect_problem(403, "forbidden");
        }
    }
    assert_eq!(app.count_rows("ports"), before + 1);
}
