//! Stored answers to `Idempotency-Key` requests: replayed only under the caller's authority of
//! now, and forgotten after `idempotency.retain_hours`.

use serde_json::json;

use crate::helpers::*;
use crate::world::World;

#[actix_web::test]
async fn a_replay_after_the_user_moved_city_is_authorized_afresh() {
    let mut world = World::new().await;
    let admin = world.admin.clone();
    world.app.other_city(&admin).await;
    let app = &world.app;
    let body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    let key = [("idempotency-key", "register-1")];
    let first = app
        .send(
            "POST",
            "/api/v1/travellers",
            Some(&world.dispatcher),
            Some(&body),
            &key,
        )
        .await
        .expect(201);
    let replay = app
        .send(
            "POST",
            "/api/v1/travellers",
            Some(&world.dispatcher),
            Some(&body),
            &key,
        )
        .await
        .expect(201);
    assert_eq!(replay.header("idempotency-replayed").as_deref(), Some("true"));
    assert_eq!(replay.body["id"], first.body["id"]);

    // The dispatcher moves to another city and signs in again.
    let me = app.get("/api/v1/me", &world.dispatcher).await.expect(200);
    let wx = app.unit("WX");
    app.patch(
        &format!("/api/v1/users/{}", me.body["id"].as_str().unwrap()),
        &admin,
        json!({"unit_id": wx}),
    )
    .await
    .expect(200);
    let moved = app.login(DISPATCHER).await;
    app.get(&format!("/api/v1/travellers/{}", first.id()), &moved)
        .await
        .expect_problem(404, "not_found");
    let again = app
        .send("POST", "/api/v1/travellers", Some(&moved), Some(&body), &key)
        .await;
    assert!(again.header("idempotency-replayed").is_none());
    assert!(again.status.is_client_error(), "{}", again.body);
    assert!(
        !again
            .body
            .to_string()
            .contains(body["full_name"].as_str().unwrap()),
        "no personal data of the other city: {}",
        again.body
    );
}

#[actix_web::test]
async fn stored_answers_expire_and_are_swept() {
    let world = World::with(|s| {
        s.idempotency.retain_hours = 0;
        s.housekeeping.every_secs = 1;
    })
    .await;
    let app = &world.app;
    let body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    let key = [("idempotency-key", "register-2")];
    app.send(
        "POST",
        "/api/v1/travellers",
        Some(&world.dispatcher),
        Some(&body),
        &key,
    )
    .await
    .expect(201);
    // The answer is no longer kept, so the request runs again, and meets the open transfer.
    let again = app
        .send(
            "POST",
            "/api/v1/travellers",
            Some(&world.dispatcher),
            Some(&body),
            &key,
        )
        .await
        .expect_problem(409, "conflict");
    assert!(again.header("idempotency-replayed").is_none());
    assert_eq!(app.count_rows("travellers"), 1);
    let mut swept = false;
    for _ in 0..50 {
        if app.count_rows("idempotency_keys") == 0 {
            swept = true;
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(swept, "the sweep removed the expired answers");
}
