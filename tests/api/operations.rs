//! Health, readiness, request hygiene, idempotency, the audit trail's guarantees, configuration
//! safety, and what happens when the database goes away.

use diesel::{Connection, RunQueryDsl};
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn health_and_readiness_answer_without_a_token() {
    let app = spawn_app().await;
    let health = app.send("GET", "/healthz", None, None, &[]).await.expect(200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.send("GET", "/readyz", None, None, &[]).await.expect(200);
    assert_eq!(ready.body["status"], "ready");
    assert!(
        ready.header("x-request-id").is_some(),
        "every response carries its request id"
    );
    app.send("GET", "/api/v1/nowhere", None, None, &[])
        .await
        .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn malformed_oversized_and_mistyped_bodies_are_refused_cleanly() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let before = app.count_rows("units");
    let res = app
        .send_raw(
            "POST",
            "/api/v1/units",
            Some(&admin),
            "application/json",
            b"{\"name\": ".to_vec(),
        )
        .await;
    let res = res.expect_problem(400, "validation_failed");
    assert!(
        !res.body["detail"].as_str().unwrap().contains("src/"),
        "no internals in errors"
    );
    app.send_raw(
        "POST",
        "/api/v1/units",
        Some(&admin),
        "text/plain",
        b"{}".to_vec(),
    )
    .await
    .expect_problem(415, "unsupported_media_type");
    let huge = format!(
        r#"{{"name": "{}", "code": "BIG", "level": "city"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    app.send_raw(
        "POST",
        "/api/v1/units",
        Some(&admin),
        "application/json",
        huge.into_bytes(),
    )
    .await
    .expect_problem(413, "payload_too_large");
    app.send_raw(
        "POST",
        "/api/v1/units",
        Some(&admin),
        "application/json",
        b"[1, 2]".to_vec(),
    )
    .await
    .expect_problem(400, "validation_failed");
    assert_eq!(app.count_rows("units"), before);
}

#[actix_web::test]
async fn a_retried_post_with_the_same_idempotency_key_acts_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let body = json!({"name": "Wuxi", "code": "WX", "level": "city"});
    let first = app
        .send(
            "POST",
            "/api/v1/units",
            Some(&admin),
            Some(&body),
            &[("idempotency-key", "unit-wx-1")],
        )
        .await
        .expect(201);
    let again = app
        .send(
            "POST",
            "/api/v1/units",
            Some(&admin),
            Some(&body),
            &[("idempotency-key", "unit-wx-1")],
        )
        .await
        .expect(201);
    assert_eq!(first.body, again.body);
    assert_eq!(again.header("idempotency-replayed").as_deref(), Some("true"));
    assert_eq!(app.events_of(&admin, "unit", &first.id()).await.len(), 1);

    let other_body = json!({"name": "Suzhou", "code": "SZ", "level": "city"});
    app.send(
        "POST",
        "/api/v1/units",
        Some(&admin),
        Some(&other_body),
        &[("idempotency-key", "unit-wx-1")],
    )
    .await
    .expect_problem(422, "idempotency_key_reused");
    app.send(
        "POST",
        "/api/v1/units",
        Some(&admin),
        Some(&other_body),
        &[("idempotency-key", "")],
    )
    .await
    .expect_problem(400, "validation_failed");
    // Without a key, a repeat is a new request and meets the unique code.
    app.post("/api/v1/units", &admin, body)
        .await
        .expect_problem(409, "conflict");
}

#[actix_web::test]
async fn concurrent_retries_on_two_instances_create_one_unit() {
    let app = spawn_app().await;
    let second = app.second_instance().await;
    let admin = app.login(ADMIN).await;
    let before = app.count_rows("units");
    let body = json!({"name": "Nantong", "code": "NT", "level": "city"});
    let requests = (0..8).map(|i| {
        let target = if i % 2 == 0 { &app } else { &second };
        target.send(
            "POST",
            "/api/v1/units",
            Some(&admin),
            Some(&body),
            &[("idempotency-key", "nt-once")],
        )
    });
    let responses = futures::future::join_all(requests).await;
    let ids: std::collections::HashSet<String> = responses.into_iter().map(|r| r.expect(201).id()).collect();
    assert_eq!(ids.len(), 1, "every retry answers with the one unit");
    assert_eq!(app.count_rows("units"), before + 1);
}

#[actix_web::test]
async fn the_event_log_refuses_updates_and_deletes() {
    let app = spawn_app().await;
    assert!(app.count_rows("events") > 0, "the demo data left events");
    let mut conn = app.connection();
    let update = diesel::sql_query("UPDATE events SET action = 'tampered'").execute(&mut conn);
    assert!(update.is_err(), "UPDATE on events must fail");
    let delete = diesel::sql_query("DELETE FROM events").execute(&mut conn);
    assert!(delete.is_err(), "DELETE on events must fail");
    drop(conn);
    let admin = app.login(ADMIN).await;
    let log = app.get("/api/v1/events?limit=500", &admin).await.expect(200);
    assert!(log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] != "tampered"));
    let seqs: Vec<i64> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "the log is in sequence order"
    );
    let after = app
        .get(&format!("/api/v1/events?after={}", seqs[2]), &admin)
        .await
        .expect(200);
    assert_eq!(after.body["items"][0]["seq"], seqs[3]);
}

#[actix_web::test]
async fn production_refuses_unsafe_settings() {
    let mut settings = test_settings("sqlite://unused.db");
    settings.environment = "production".into();
    settings.demo.seed = false;
    let refused = settings.validate().unwrap_err();
    assert!(refused.contains("JWT secret"), "{refused}");
    settings.auth.jwt_secret = "a-real-secret-from-the-environment-0123456789".into();
    settings.validate().expect("a real secret is accepted");
    settings.demo.seed = true;
    assert!(settings.validate().unwrap_err().contains("demo"));
    settings.environment = "local".into();
    settings.auth.jwt_secret = "short".into();
    assert!(
        settings.validate().is_err(),
        "a short secret is refused everywhere"
    );
    settings.auth.jwt_secret = "a-real-secret-from-the-environment-0123456789".into();
    settings.database.url = "mysql://nope".into();
    assert!(settings.validate().unwrap_err().contains("sqlite://"));
}

#[actix_web::test]
async fn when_the_database_goes_away_requests_get_503_quickly_and_service_recovers() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let body = json!({"name": "Yangzhou", "code": "YZ", "level": "city"});
    match &app.db {
        TestDb::Postgres { admin_url, name } => {
            let mut pg = diesel::PgConnection::establish(admin_url).unwrap();
            diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
                .execute(&mut pg)
                .unwrap();
            diesel::sql_query(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .execute(&mut pg)
            .unwrap();
            let started = std::time::Instant::now();
            let down = app
                .get("/api/v1/units", &admin)
                .await
                .expect_problem(503, "unavailable");
            assert!(down.header("retry-after").is_some());
            app.post("/api/v1/units", &admin, body.clone())
                .await
                .expect_problem(503, "unavailable");
            app.send("GET", "/readyz", None, None, &[])
                .await
                .expect_problem(503, "unavailable");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "answers come without hanging"
            );
            diesel::sql_query(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                .execute(&mut pg)
                .unwrap();
        }
        TestDb::Sqlite { .. } | TestDb::Shared => {
            // Another process holds the write lock for longer than the busy timeout.
            let path = app
                .settings
                .database
                .url
                .trim_start_matches("sqlite://")
                .to_owned();
            let mut other = diesel::SqliteConnection::establish(&path).unwrap();
            diesel::sql_query("BEGIN EXCLUSIVE").execute(&mut other).unwrap();
            let down = app
                .post("/api/v1/units", &admin, body.clone())
                .await
                .expect_problem(503, "unavailable");
            assert!(down.header("retry-after").is_some());
            diesel::sql_query("ROLLBACK").execute(&mut other).unwrap();
        }
    }
    app.send("GET", "/readyz", None, None, &[]).await.expect(200);
    app.get("/api/v1/units", &admin).await.expect(200);
    app.post("/api/v1/units", &admin, body).await.expect(201);
}

#[actix_web::test]
async fn a_status_the_rules_do_not_know_is_an_error_never_another_state() {
    let w = crate::world::World::new().await;
    let t = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let bus = w.vehicle("苏D·Z0003").await;
    // A status from a newer release, say, that this one does not know: the check constraint of
    // this release's schema is lifted to write it.
    let mut conn = w.app.connection();
    let lift = match conn {
        inbound_transfer::db::DbConnection::Postgres(_) => {
            "ALTER TABLE travellers DROP CONSTRAINT travellers_status_check"
        }
        inbound_transfer::db::DbConnection::Sqlite(_) => "PRAGMA ignore_check_constraints = ON",
    };
    diesel::sql_query(lift).execute(&mut conn).unwrap();
    diesel::sql_query(format!(
        "UPDATE travellers SET status = 'teleported' WHERE id = '{t}'"
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);
    let batches = w.app.count_rows("batches");
    // Reading the row fails loudly instead of showing or acting on a guessed status.
    w.app
        .get(&format!("/api/v1/travellers/{t}"), &w.dispatcher)
        .await
        .expect_problem(500, "internal");
    w.create_batch("PVG", std::slice::from_ref(&t), &bus)
        .await
        .expect_problem(500, "internal");
    assert_eq!(w.app.count_rows("batches"), batches, "nothing was written");
}

/// On SQLite, what a request commits reaches the database file itself within seconds, copied
/// back from the write-ahead log by the server's housekeeping, however small the change: no
/// request's commit waits for the copy, and the log does not keep growing between large ones.
#[actix_web::test]
async fn sqlite_copies_its_log_back_into_the_database_file_apart_from_requests() {
    let mut app = spawn_app().await;
    let TestDb::Sqlite { dir } = &app.db else {
        eprintln!("not applicable: PostgreSQL checkpoints by itself");
        return;
    };
    let file = dir.join("test.db");
    let admin = app.login(ADMIN).await;
    let code = format!("CP-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]).to_uppercase();
    let in_file = |text: &str| {
        std::fs::read(&file)
            .expect("the database file")
            .windows(text.len())
            .any(|w| w == text.as_bytes())
    };
    assert!(!in_file(&code));
    app.create_unit(&admin, &code, "city", None).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !in_file(&code) {
        assert!(
            std::time::Instant::now() < deadline,
            "the new unit never reached the database file: the log was not copied back"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // It was a copy, not a loss: the unit is still there to read.
    let units = app.get("/api/v1/units?limit=500", &admin).await.expect(200);
    assert!(units.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["code"] == code.as_str()));
}
