//! Login limits that hold under parallel attempts, count per address, and refuse a flood fast;
//! changing passwords; expired refresh tokens.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::helpers::*;

impl TestApp {
    /// A login as if relayed by a proxy for `client`.
    async fn login_from(&self, client: &str, username: &str, password: &str) -> Response {
        self.send(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": username, "password": password})),
            &[("x-forwarded-for", client)],
        )
        .await
    }
}

fn statuses(responses: &[Response]) -> (usize, usize) {
    let refused = responses.iter().filter(|r| r.status.as_u16() == 429).count();
    let evaluated = responses.iter().filter(|r| r.status.as_u16() == 401).count();
    (evaluated, refused)
}

#[actix_web::test]
async fn wrong_passwords_sent_at_once_are_evaluated_no_more_than_the_limit() {
    let app = spawn_app_with(|s| s.auth.hash_queue = 200).await;
    let attempts = (0..40).map(|_| app.login_response(DISPATCHER.0, "wrong-password!"));
    let responses = join_all(attempts).await;
    let (evaluated, refused) = statuses(&responses);
    assert_eq!(evaluated, 10, "exactly the limit is evaluated");
    assert_eq!(refused, 30);
    for r in responses.iter().filter(|r| r.status.as_u16() == 429) {
        assert_eq!(r.body["code"], "rate_limited");
        assert!(r.header("retry-after").is_some());
    }
    assert_eq!(app.count_rows("login_failures"), 10);
}

#[actix_web::test]
async fn an_attackers_address_is_refused_without_locking_out_the_owner() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        s.auth.login_max_failures_per_address = 15;
        s.auth.login_max_failures_per_username = 25;
    })
    .await;
    let attacker = "203.0.113.9";
    for _ in 0..10 {
        app.login_from(attacker, DISPATCHER.0, "wrong-password!")
            .await
            .expect(401);
    }
    // The attacker's address is locked, even with the right password...
    app.login_from(attacker, DISPATCHER.0, DISPATCHER.1)
        .await
        .expect_problem(429, "rate_limited");
    // ...while the owner, elsewhere, logs in.
    app.login_from("198.51.100.7", DISPATCHER.0, DISPATCHER.1)
        .await
        .expect(200);
    // A proxy's forwarded address is read right to left: a forged first hop does not help.
    app.login_from(&format!("198.51.100.7, {attacker}"), DISPATCHER.0, DISPATCHER.1)
        .await
        .expect_problem(429, "rate_limited");

    // A flood of usernames from one address meets the per-address limit.
    for i in 0..5 {
        app.login_from(attacker, &format!("nobody{i}"), "wrong-password!")
            .await
            .expect(401);
    }
    app.login_from(attacker, "admin", ADMIN.1)
        .await
        .expect_problem(429, "rate_limited");
    app.login_from("192.0.2.1", "admin", ADMIN.1).await.expect(200);

    // Many addresses against one username meet the per-username ceiling.
    for i in 0..25 {
        let res = app
            .login_from(&format!("192.0.2.{}", 10 + i), VIEWER.0, "wrong-password!")
            .await;
        assert_eq!(res.status.as_u16(), 401, "{}", res.body);
    }
    app.login_from("192.0.2.200", VIEWER.0, VIEWER.1)
        .await
        .expect_problem(429, "rate_limited");
}

#[actix_web::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    for i in 0..10 {
        app.login_from(&format!("203.0.113.{i}"), DISPATCHER.0, "wrong-password!")
            .await
            .expect(401);
    }
    // Every attempt came from this socket's address, whatever the header said.
    app.login_from("198.51.100.7", DISPATCHER.0, DISPATCHER.1)
        .await
        .expect_problem(429, "rate_limited");
}

#[actix_web::test]
async fn a_login_flood_beyond_the_hashing_queue_is_refused_at_once() {
    let app = spawn_app_with(|s| {
        s.auth.hash_concurrency = 1;
        s.auth.hash_queue = 1;
    })
    .await;
    // Different usernames, so only the queue limits them.
    let names: Vec<String> = (0..24).map(|i| format!("flood{i}")).collect();
    let attempts = names.iter().map(|n| app.login_response(n, "wrong-password!"));
    let responses = join_all(attempts).await;
    let (evaluated, refused) = statuses(&responses);
    assert_eq!(evaluated + refused, 24);
    assert!(evaluated >= 1, "the queue still serves");
    assert!(refused >= 1, "work beyond the queue is refused");
    for r in responses.iter().filter(|r| r.status.as_u16() == 429) {
        assert_eq!(r.body["code"], "rate_limited");
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
    }
    // A refused attempt was not counted as a failure.
    assert_eq!(app.count_rows("login_failures") as usize, evaluated);
    app.login(DISPATCHER).await;
}

#[actix_web::test]
async fn failures_are_removed_once_they_leave_the_window() {
    let app = spawn_app_with(|s| s.auth.login_window_secs = 1).await;
    for i in 0..5 {
        app.login_response(&format!("someone{i}"), "wrong-password!")
            .await
            .expect(401);
    }
    assert_eq!(app.count_rows("login_failures"), 5);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.login_response("someone.else", "wrong-password!")
        .await
        .expect(401);
    assert_eq!(app.count_rows("login_failures"), 1);
}

async fn refresh(app: &TestApp, token: &str) -> Response {
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": token})),
        &[],
    )
    .await
}

#[actix_web::test]
async fn a_user_changes_their_password_and_every_session_ends() {
    let app = spawn_app().await;
    let first = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let other = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let access = first.body["access_token"].as_str().unwrap().to_owned();
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    app.post(
        "/api/v1/me/password",
        &access,
        change("not-my-password", "a-brand-new-password"),
    )
    .await
    .expect_problem(422, "wrong_password");
    app.post("/api/v1/me/password", &access, change(DISPATCHER.1, "short"))
        .await
        .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/me/password",
        &access,
        json!({"new_password": "a-brand-new-password"}),
    )
    .await
    .expect_problem(400, "validation_failed");
    // Nothing changed so far.
    app.get("/api/v1/me", &access).await.expect(200);

    app.post(
        "/api/v1/me/password",
        &access,
        change(DISPATCHER.1, "a-brand-new-password"),
    )
    .await
    .expect(204);
    for session in [&first, &other] {
        let access = session.body["access_token"].as_str().unwrap();
        app.get("/api/v1/me", access)
            .await
            .expect_problem(401, "unauthorized");
        refresh(&app, session.body["refresh_token"].as_str().unwrap())
            .await
            .expect_problem(401, "unauthorized");
    }
    app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(401);
    app.login((DISPATCHER.0, "a-brand-new-password")).await;
    let admin = app.login(ADMIN).await;
    let events = app
        .events_of(&admin, "user", first.body["user"]["id"].as_str().unwrap())
        .await;
    assert!(events.iter().any(|e| e["action"] == "user.password_changed"));
}

#[actix_web::test]
async fn only_an_admin_sets_another_users_password() {
    let app = spawn_app().await;
    let tokens = app.demo_tokens().await;
    let officer = app
        .login_response(DISTRICT_OFFICER.0, DISTRICT_OFFICER.1)
        .await
        .expect(200);
    let officer_id = officer.body["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/users/{officer_id}/password");
    let body = json!({"new_password": "set-by-the-admin"});
    for (role, token) in tokens.all() {
        if role != "admin" {
            app.post(&path, token, body.clone())
                .await
                .expect_problem(403, "forbidden");
        }
    }
    app.post(
        &format!("/api/v1/users/{}/password", uuid::Uuid::new_v4()),
        &tokens.admin,
        body.clone(),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(&path, &tokens.admin, json!({"new_password": "short"}))
        .await
        .expect_problem(422, "validation_failed");
    app.post(&path, &tokens.admin, Value::Null)
        .await
        .expect_problem(400, "validation_failed");
    app.post(&path, &tokens.admin, body).await.expect(204);
    app.get("/api/v1/me", officer.body["access_token"].as_str().unwrap())
        .await
        .expect_problem(401, "unauthorized");
    app.login_response(DISTRICT_OFFICER.0, DISTRICT_OFFICER.1)
        .await
        .expect(401);
    app.login((DISTRICT_OFFICER.0, "set-by-the-admin")).await;
}

#[actix_web::test]
async fn an_expired_refresh_token_presented_twice_is_only_refused() {
    let app = spawn_app_with(|s| s.auth.refresh_ttl_secs = 2).await;
    let old = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2500)).await;
    let current = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let expired = old.body["refresh_token"].as_str().unwrap();
    refresh(&app, expired).await.expect_problem(401, "unauthorized");
    refresh(&app, expired).await.expect_problem(401, "unauthorized");
    // The session that is still alive was not ended.
    app.get("/api/v1/me", current.body["access_token"].as_str().unwrap())
        .await
        .expect(200);
    refresh(&app, current.body["refresh_token"].as_str().unwrap())
        .await
        .expect(200);
}
