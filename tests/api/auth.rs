//! Logging in, refreshing, logging out, and every way a token can be wrong.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::*;

#[actix_web::test]
async fn every_demo_user_logs_in_and_sees_itself() {
    let app = spawn_app().await;
    for ((username, password), role, unit) in [
        (ADMIN, "admin", None),
        (DISPATCHER, "dispatcher", Some("CZ")),
        (DISTRICT_OFFICER, "district_officer", Some("CZ-TN")),
        (COMMUNITY_OFFICER, "community_officer", Some("CZ-TN-HM")),
        (VIEWER, "viewer", Some("CZ")),
    ] {
        let login = app.login_response(username, password).await.expect(200);
        assert_eq!(login.body["token_type"], "Bearer");
        assert!(login.body["expires_in"].as_u64().unwrap() > 0);
        assert!(login.body["refresh_token"].as_str().unwrap().len() >= 32);
        assert_eq!(login.body["user"]["username"], username);
        let token = login.body["access_token"].as_str().unwrap();
        let me = app.get("/api/v1/me", token).await.expect(200);
        assert_eq!(me.body["username"], username);
        assert_eq!(me.body["role"], role);
        assert_eq!(me.body["unit_id"], json!(unit.map(|c| app.unit(c))));
        assert!(me.body.get("password_hash").is_none());
    }
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_answer_the_same() {
    let app = spawn_app().await;
    let wrong = app
        .login_response("cz.dispatcher", "not-the-password")
        .await
        .expect_problem(401, "unauthorized");
    let unknown = app
        .login_response("nobody.here", "not-the-password")
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(wrong.body, unknown.body);
    app.send(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&json!({"username": "admin"})),
        &[],
    )
    .await
    .expect_problem(400, "validation_failed");
}

#[actix_web::test]
async fn ten_failed_logins_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    for _ in 0..10 {
        app.login_response("cz.dispatcher", "wrong-password!")
            .await
            .expect(401);
    }
    // Even the right password is refused now, with a hint when to come back.
    let locked = app
        .login_response("cz.dispatcher", "dispatch-demo-pass")
        .await
        .expect_problem(429, "rate_limited");
    let retry: u64 = locked
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "retry after {retry}");
    // Unknown usernames are limited the same way, so the limit does not reveal who exists.
    for _ in 0..10 {
        app.login_response("ghost", "wrong-password!").await.expect(401);
    }
    app.login_response("ghost", "wrong-password!")
        .await
        .expect_problem(429, "rate_limited");
    // Other accounts are not affected.
    app.login(ADMIN).await;
    assert_eq!(app.count_rows("login_failures"), 20);
}

#[actix_web::test]
async fn a_refresh_token_works_once_and_its_reuse_ends_every_session() {
    let app = spawn_app().await;
    let first = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let refresh1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let rotated = app
        .send(
            "POST",
            "/api/v1/auth/refresh",
            None,
            Some(&json!({"refresh_token": refresh1})),
            &[],
        )
        .await
        .expect(200);
    let refresh2 = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    let access2 = rotated.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", &access2).await.expect(200);

    // The used token is refused, and presenting it revokes the token that replaced it.
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": refresh1})),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": refresh2})),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": "made-up"})),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
    // The reuse may be a thief's: the access tokens of the account stop working too.
    app.get("/api/v1/me", &access2)
        .await
        .expect_problem(401, "unauthorized");
    let admin = app.login(ADMIN).await;
    let events = app
        .events_of(&admin, "user", first.body["user"]["id"].as_str().unwrap())
        .await;
    assert!(events.iter().any(|e| e["action"] == "auth.refresh_token_reused"));
}

/// A phone that lost the answer to its refresh sends the same request again, with the same
/// `Idempotency-Key`: it gets the same new pair and stays signed in. The same token with any
/// other key is still a second use.
#[actix_web::test]
async fn a_refresh_whose_answer_was_lost_is_answered_again_and_the_session_goes_on() {
    let app = spawn_app().await;
    let first = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let user_id = first.body["user"]["id"].as_str().unwrap().to_owned();
    let refresh1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String, key: &'static str| {
        let app = &app;
        async move {
            app.send(
                "POST",
                "/api/v1/auth/refresh",
                None,
                Some(&json!({ "refresh_token": token })),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let answered = refresh(refresh1.clone(), "lost-answer-1").await.expect(200);
    let again = refresh(refresh1.clone(), "lost-answer-1").await.expect(200);
    assert_eq!(again.body, answered.body, "the same pair again");
    assert_eq!(again.header("idempotency-replayed").as_deref(), Some("true"));
    // What is kept for the retry issues nothing by itself: the pair is sealed under the old token.
    let kept = app.count_where(
        "idempotency_keys",
        &format!(
            "CAST(response_body AS TEXT) LIKE '%{}%' OR CAST(response_body AS TEXT) LIKE '%{}%'",
            answered.body["refresh_token"].as_str().unwrap(),
            &answered.body["access_token"].as_str().unwrap()[..40],
        ),
    );
    assert_eq!(kept, 0, "no token in the stored answer");
    assert_eq!(app.count_where("idempotency_keys", "key = 'lost-answer-1'"), 1);

    // The session goes on with the pair the retry got.
    let access2 = again.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", &access2).await.expect(200);
    let refresh2 = again.body["refresh_token"].as_str().unwrap().to_owned();
    let third = refresh(refresh2, "next-refresh").await.expect(200);
    // A key sent with another request is refused, and the token it came with stays unused.
    let refresh3 = third.body["refresh_token"].as_str().unwrap().to_owned();
    refresh(refresh3.clone(), "lost-answer-1")
        .await
        .expect_problem(422, "idempotency_key_reused");
    let fourth = refresh(refresh3, "fourth-refresh").await.expect(200);

    // The first token with another key is a second use: every session of the account ends.
    refresh(refresh1, "someone-else")
        .await
        .expect_problem(401, "unauthorized");
    refresh(
        fourth.body["refresh_token"].as_str().unwrap().to_owned(),
        "after-the-theft",
    )
    .await
    .expect_problem(401, "unauthorized");
    let admin = app.login(ADMIN).await;
    let events = app.events_of(&admin, "user", &user_id).await;
    let reused = events
        .iter()
        .filter(|e| e["action"] == "auth.refresh_token_reused")
        .count();
    assert_eq!(reused, 1, "only the second use counted as one");
}

#[actix_web::test]
async fn logout_ends_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let login = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    app.send("POST", "/api/v1/auth/logout", Some(access), None, &[])
        .await
        .expect(204);
    app.get("/api/v1/me", access)
        .await
        .expect_problem(401, "unauthorized");
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": refresh})),
        &[],
    )
    .await
    .expect_problem(401, "unauthorized");
    // A new login works.
    let again = app.login(DISPATCHER).await;
    app.get("/api/v1/me", &again).await.expect(200);
}

#[actix_web::test]
async fn a_deactivated_user_is_locked_out_at_once() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let login = app.login_response(DISPATCHER.0, DISPATCHER.1).await.expect(200);
    let access = login.body["access_token"].as_str().unwrap();
    let refresh = login.body["refresh_token"].as_str().unwrap();
    let user_id = login.body["user"]["id"].as_str().unwrap();
    app.get("/api/v1/vehicles", access).await.expect(200);

    let patched = app
        .patch(
            &format!("/api/v1/users/{user_id}"),
            &admin,
            json!({"active": false}),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["active"], false);
    app.get("/api/v1/vehicles", access)
        .await
        .expect_problem(401, "unauthorized");
    app.send(
        "POST",
        "/api/v1/auth/refresh",
        None,
        Some(&json!({"refresh_token": refresh})),
        &[],
    )
    .await
    .expect(401);
    let relogin = app
        .login_response(DISPATCHER.0, DISPATCHER.1)
        .await
        .expect_problem(401, "unauthorized");
    let unknown = app.login_response("nobody", "whatever-password").await;
    assert_eq!(
        relogin.body, unknown.body,
        "a deactivated account looks like a wrong password"
    );

    app.patch(
        &format!("/api/v1/users/{user_id}"),
        &admin,
        json!({"active": true}),
    )
    .await
    .expect(200);
    app.login(DISPATCHER).await;
}

#[actix_web::test]
async fn a_change_of_role_or_unit_ends_the_old_tokens() {
    let app = spawn_app().await;
    let admin = app.login(ADMIN).await;
    let login = app
        .login_response(DISTRICT_OFFICER.0, DISTRICT_OFFICER.1)
        .await
        .expect(200);
    let access = login.body["access_token"].as_str().unwrap();
    let user_id = login.body["user"]["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/users/{user_id}"),
        &admin,
        json!({"unit_id": app.unit("CZ-ZL")}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", access)
        .await
        .expect_problem(401, "unauthorized");
    let fresh = app.login(DISTRICT_OFFICER).await;
    let me = app.get("/api/v1/me", &fresh).await.expect(200);
    assert_eq!(me.body["unit_id"], app.unit("CZ-ZL"));
}

#[derive(serde::Serialize)]
struct ForgedClaims<'a> {
    sub: &'a str,
    role: &'a str,
    unit: Option<String>,
    ver: i32,
    typ: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

#[actix_web::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let app = spawn_app().await;
    let login = app.login_response(ADMIN.0, ADMIN.1).await.expect(200);
    let admin_id = login.body["user"]["id"].as_str().unwrap().to_owned();
    let refresh = login.body["refresh_token"].as_str().unwrap().to_owned();
    let auth = &app.settings.auth;
    let now = chrono::Utc::now().timestamp();
    let claims = |typ: &'static str, iss: &'static str, aud: &'static str, exp: i64| ForgedClaims {
        sub: &admin_id,
        role: "admin",
        unit: None,
        ver: 1,
        typ,
        iss,
        aud,
        iat: now,
        exp,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let sign = |c: &ForgedClaims, secret: &str, kid: Option<&str>, alg: Algorithm| {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        encode(&header, c, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
    };
    let (iss, aud) = (auth.issuer.as_str(), auth.audience.as_str());
    assert_eq!((iss, aud), ("inbound-transfer", "inbound-transfer-api"));
    let secret = auth.jwt_secret.as_str();
    let kid = Some(auth.jwt_kid.as_str());

    // A well-formed token signed with our key is accepted: the cases below differ in one thing each.
    let good = sign(
        &claims("access", "inbound-transfer", "inbound-transfer-api", now + 300),
        secret,
        kid,
        Algorithm::HS256,
    );
    app.get("/api/v1/users", &good).await.expect(200);

    let mut bad = vec![
        (
            "wrong key",
            sign(
                &claims("access", "inbound-transfer", "inbound-transfer-api", now + 300),
                "another-secret-of-enough-length-000000",
                kid,
                Algorithm::HS256,
            ),
        ),
        (
            "expired",
            sign(
                &claims("access", "inbound-transfer", "inbound-transfer-api", now - 120),
                secret,
                kid,
                Algorithm::HS256,
            ),
        ),
        (
            "wrong audience",
            sign(
                &claims("access", "inbound-transfer", "someone-else", now + 300),
                secret,
                kid,
                Algorithm::HS256,
            ),
        ),
        (
            "wrong issuer",
            sign(
                &claims("access", "evil-issuer", "inbound-transfer-api", now + 300),
                secret,
                kid,
                Algorithm::HS256,
            ),
        ),
        (
            "refresh type",
            sign(
                &claims("refresh", "inbound-transfer", "inbound-transfer-api", now + 300),
                secret,
                kid,
                Algorithm::HS256,
            ),
        ),
        (
            "unknown kid",
            sign(
                &claims("access", "inbound-transfer", "inbound-transfer-api", now + 300),
                secret,
                Some("other"),
                Algorithm::HS256,
            ),
        ),
        (
            "no kid",
            sign(
                &claims("access", "inbound-transfer", "inbound-transfer-api", now + 300),
                secret,
                None,
                Algorithm::HS256,
            ),
        ),
        (
            "HS512",
            sign(
                &claims("access", "inbound-transfer", "inbound-transfer-api", now + 300),
                secret,
                kid,
                Algorithm::HS512,
            ),
        ),
        ("refresh token as bearer", refresh.clone()),
        ("garbage", "not.a.token".to_owned()),
    ];
    // `alg: none`: a header and claims with an empty signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none_header = b64.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        auth.jwt_kid
    ));
    let none_claims = b64.encode(
        serde_json::to_vec(&claims(
            "access",
            "inbound-transfer",
            "inbound-transfer-api",
            now + 300,
        ))
        .unwrap(),
    );
    bad.push(("alg none", format!("{none_header}.{none_claims}.")));
    for (what, token) in bad {
        let res = app.get("/api/v1/users", &token).await;
        assert_eq!(
            res.status.as_u16(),
            401,
            "{what} must be refused; body {}",
            res.body
        );
        assert_eq!(res.body["code"], "unauthorized", "{what}");
    }
    app.send("GET", "/api/v1/users", None, None, &[])
        .await
        .expect_problem(401, "unauthorized");
    app.send(
        "GET",
        "/api/v1/users",
        None,
        None,
        &[("authorization", "Basic YWRtaW46eA==")],
    )
    .await
    .expect_problem(401, "unauthorized");
}
