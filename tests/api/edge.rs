//! What every request meets before its handler: methods, HEAD, the token before the path and the
//! query, control characters, request bodies read only after the caller is checked, and the
//! security headers of every answer.

use serde_json::json;

use crate::helpers::*;
use crate::world::World;

#[actix_web::test]
async fn a_known_path_with_another_method_answers_405_with_allow() {
    let app = spawn_app().await;
    let token = app.login(ADMIN).await;
    for (method, path, allowed) in [
        ("DELETE", "/api/v1/travellers", "GET, HEAD, POST"),
        ("PUT", "/api/v1/auth/login", "POST"),
        ("GET", "/api/v1/travellers/import", "POST"),
        ("POST", "/healthz", "GET, HEAD"),
        (
            "DELETE",
            &format!("/api/v1/users/{}", uuid::Uuid::new_v4()),
            "GET, HEAD, PATCH",
        ),
    ] {
        let res = app
            .send(method, path, Some(&token), None, &[])
            .await
            .expect_problem(405, "method_not_allowed");
        assert_eq!(res.header("allow").as_deref(), Some(allowed), "{method} {path}");
    }
    // Unknown paths stay 404.
    app.send("DELETE", "/api/v1/nothing", Some(&token), None, &[])
        .await
        .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn head_is_answered_like_get_without_a_body() {
    let app = spawn_app().await;
    let token = app.login(ADMIN).await;
    let res = app.send("HEAD", "/healthz", None, None, &[]).await.expect(200);
    assert!(res.body.is_null());
    let res = app
        .send("HEAD", "/api/v1/me", Some(&token), None, &[])
        .await
        .expect(200);
    assert!(res.body.is_null());
    assert_eq!(res.header("content-type").as_deref(), Some("application/json"));
    app.send("HEAD", "/api/v1/me", None, None, &[]).await.expect(401);
}

#[actix_web::test]
async fn a_caller_without_a_token_learns_nothing_from_the_path_or_the_query() {
    let app = spawn_app().await;
    let token = app.login(DISPATCHER).await;
    for path in [
        "/api/v1/travellers/not-a-uuid",
        "/api/v1/travellers?limit=abc",
        "/api/v1/travellers?status=nonsense",
        "/api/v1/handoffs/%00",
    ] {
        app.send("GET", path, None, None, &[])
            .await
            .expect_problem(401, "unauthorized");
        app.send("GET", path, Some("forged.token.value"), None, &[])
            .await
            .expect_problem(401, "unauthorized");
    }
    app.get("/api/v1/travellers/not-a-uuid", &token)
        .await
        .expect_problem(404, "not_found");
    app.get("/api/v1/travellers?limit=abc", &token)
        .await
        .expect_problem(400, "validation_failed");
}

#[actix_web::test]
async fn control_characters_are_refused_in_every_text_field_and_query() {
    let world = World::new().await;
    let app = &world.app;
    // Before any token: a login name with a NUL byte.
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": "admin\u{0}", "password": "admin-demo-pass"})),
        &[],
    )
    .await
    .expect_problem(400, "validation_failed");
    let travellers = app.count_rows("travellers");
    for (field, value) in [
        ("full_name", "Li\u{0}Wei"),
        ("full_name", "Li\tWei"),
        ("document_no", "E1234\u{7f}"),
        ("address", "Room 1\u{0}"),
        ("notes", "bell\u{7}"),
        ("flight_no", "MU\u{1b}5001"),
    ] {
        let mut body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
        body[field] = json!(value);
        let res = app
            .post("/api/v1/travellers", &world.dispatcher, body)
            .await
            .expect_problem(400, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], field);
    }
    assert_eq!(app.count_rows("travellers"), travellers, "nothing was written");
    // Multi-line fields keep their tabs and line breaks.
    let mut body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    body["address"] = json!("Building 3\r\nRoom 201");
    body["notes"] = json!("arrived with\tfamily\nneeds a wheelchair");
    let created = app
        .post("/api/v1/travellers", &world.dispatcher, body)
        .await
        .expect(201);
    assert_eq!(created.body["address"], "Building 3\r\nRoom 201");
    // A query parameter with a NUL byte is refused, not matched against every row.
    app.get("/api/v1/travellers?q=%00", &world.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
    app.get("/api/v1/travellers?q=Li%0AWei", &world.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
    // A manifest row with a control character is reported with its row.
    let csv = "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code,notes\n\
               Wang\u{0}Fang,passport,E55555555,CHN,PVG,2020-03-07T08:30:00Z,CZ-TN-HM,ok\n";
    let res = app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&world.dispatcher),
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["row"], 2);
    assert_eq!(res.body["errors"][0]["field"], "full_name");
    assert_eq!(app.count_rows("travellers"), travellers + 1);
}

#[actix_web::test]
async fn a_caller_without_the_right_is_refused_before_its_body_is_read() {
    let app = spawn_app().await;
    let viewer = app.login(VIEWER).await;
    // One byte more than a manifest may have (`import.max_body_bytes`).
    let big = vec![b'a'; app.settings.import.max_body_bytes + 1];
    app.send_raw(
        "POST",
        "/api/v1/travellers/import",
        Some(&viewer),
        "text/csv",
        big.clone(),
    )
    .await
    .expect_problem(403, "forbidden");
    let dispatcher = app.login(DISPATCHER).await;
    app.send_raw(
        "POST",
        "/api/v1/travellers/import",
        Some(&dispatcher),
        "text/csv",
        big,
    )
    .await
    .expect_problem(413, "payload_too_large");
}

#[actix_web::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let token = app.login(DISPATCHER).await;
    let answers = [
        app.send("GET", "/healthz", None, None, &[]).await,
        app.send("GET", "/api/v1/me", None, None, &[]).await,
        app.get("/api/v1/me", &token).await,
        app.get("/api/v1/nothing", &token).await,
        app.get("/api/v1/stats/overview", &token).await,
        app.send("GET", "/docs", None, None, &[]).await,
    ];
    for res in &answers {
        assert_eq!(res.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(res.header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(res.header("x-frame-options").as_deref(), Some("DENY"));
    }
    // Personal data is never kept by a cache; statistics revalidate with their ETags.
    assert_eq!(answers[2].header("cache-control").as_deref(), Some("no-store"));
    assert_ne!(answers[4].header("cache-control").as_deref(), Some("no-store"));
    let csp = answers[5]
        .header("content-security-policy")
        .expect("a CSP on HTML");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("http"), "no other host: {csp}");
}

#[actix_web::test]
async fn the_docs_page_loads_nothing_from_another_host() {
    let app = spawn_app().await;
    let page = app.send("GET", "/docs", None, None, &[]).await.expect(200);
    let html = page.body.as_str().unwrap().to_owned();
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
    let mut sources = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for part in html.split(attribute).skip(1) {
            sources.push(part.split('"').next().unwrap().to_owned());
        }
    }
    assert!(sources.len() >= 3, "{sources:?}");
    for source in sources {
        let res = app.send("GET", &source, None, None, &[]).await.expect(200);
        let text = res.body.as_str().unwrap_or_default().to_owned();
        assert!(text.len() > 100, "{source} has content");
        assert!(res.header("content-type").is_some_and(|t| t.starts_with("text/")));
    }
    app.send("GET", "/docs/assets/LICENSE", None, None, &[])
        .await
        .expect(200);
    app.send("GET", "/docs/assets/other.js", None, None, &[])
        .await
        .expect_problem(404, "not_found");
}
