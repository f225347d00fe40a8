//! The live feed of events (server-sent events) and the Prometheus metrics.

use std::time::Duration;

use futures::StreamExt;

use crate::helpers::spawn_app_with;
use crate::world::*;

/// Reads a server-sent event stream until `wanted` appears in it, or fails after a while.
async fn read_until<S>(stream: &mut S, wanted: &str, seen: &mut String) -> bool
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(wanted) {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            _ => return false,
        }
    }
    true
}

#[actix_web::test]
async fn each_subscriber_sees_the_changes_of_its_scope_from_any_instance() {
    let w = World::new().await;
    let second = w.app.second_instance().await;
    let open = |base: &str, token: &str, last: Option<String>| {
        let mut req = w
            .app
            .client
            .get(format!("{base}/api/v1/events/stream"))
            .bearer_auth(token);
        if let Some(id) = last {
            req = req.insert_header(("last-event-id", id));
        }
        req.send()
    };
    let mut tn = open(&second.base, w.officer("CZ-TN"), None)
        .await
        .expect("stream opens");
    assert_eq!(tn.status().as_u16(), 200);
    assert_eq!(tn.headers().get("content-type").unwrap(), "text/event-stream");
    let mut city = open(&w.app.base, &w.dispatcher, None).await.unwrap();

    // Written through the first instance, delivered by the second.
    let zl = w.register("PVG", "CZ-ZL-NY", "MU1").await;
    let tn_traveller = w.register("PVG", "CZ-TN-HM", "MU1").await;
    let mut tn_seen = String::new();
    assert!(
        read_until(&mut tn, &tn_traveller, &mut tn_seen).await,
        "Tianning sees its traveller: {tn_seen}"
    );
    assert!(tn_seen.contains("event: traveller.registered"));
    assert!(!tn_seen.contains(&zl), "Tianning never sees Zhonglou's traveller");
    let mut city_seen = String::new();
    assert!(read_until(&mut city, &tn_traveller, &mut city_seen).await);
    assert!(city_seen.contains(&zl), "the city sees both");

    // Resuming after the first event delivers what came after it, and not it again.
    let first_id = city_seen
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("events carry ids")
        .to_owned();
    let mut resumed = open(&w.app.base, &w.dispatcher, Some(first_id.clone()))
        .await
        .unwrap();
    let mut resumed_seen = String::new();
    assert!(read_until(&mut resumed, &tn_traveller, &mut resumed_seen).await);
    assert!(!resumed_seen.contains(&format!("id: {first_id}\n")));
    assert!(
        !resumed_seen.contains(&zl) || city_seen.find(&zl) > city_seen.find(&format!("id: {first_id}\n"))
    );

    let viewer = open(&w.app.base, &w.viewer, None).await.unwrap();
    assert_eq!(viewer.status().as_u16(), 403, "viewers see numbers, not the log");
    let anonymous = w
        .app
        .client
        .get(format!("{}/api/v1/events/stream", w.app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_show_the_loop() {
    let w = World::with(|s| s.metrics.refresh_secs = 1).await;
    let scrape = || async {
        w.app
            .send("GET", "/metrics", None, None, &[])
            .await
            .expect(200)
            .body
            .as_str()
            .unwrap()
            .to_owned()
    };
    let units = "inbound_http_requests_total{endpoint=\"/api/v1/units\",method=\"GET\",status=\"200\"}";
    let one_unit =
        "inbound_http_requests_total{endpoint=\"/api/v1/units/{id}\",method=\"GET\",status=\"200\"}";
    let before = scrape().await;
    w.register("PVG", "CZ-TN-HM", "MU1").await;
    w.app.get("/api/v1/units", &w.admin).await.expect(200);
    w.app
        .get(&format!("/api/v1/units/{}", w.app.unit("CZ")), &w.admin)
        .await
        .expect(200);
    w.app
        .get("/api/v1/units/01900000-0000-7000-8000-000000000000", &w.admin)
        .await
        .expect(404);
    // The loop's gauges follow within a refresh.
    let mut text = scrape().await;
    for _ in 0..30 {
        if text.contains("inbound_travellers{status=\"awaiting_transfer\"} 1") {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        text = scrape().await;
    }
    assert_eq!(sample(&text, units) - sample(&before, units), 1.0);
    assert_eq!(
        sample(&text, one_unit) - sample(&before, one_unit),
        1.0,
        "ids are folded into the route"
    );
    for needle in [
        "inbound_http_requests_total{endpoint=\"/api/v1/units/{id}\",method=\"GET\",status=\"404\"} 1",
        "inbound_http_requests_duration_seconds_bucket{endpoint=\"/api/v1/travellers\",method=\"POST\",status=\"201\"",
        "inbound_travellers{status=\"awaiting_transfer\"} 1",
        "inbound_vehicles{status=\"available\"} 4",
        "inbound_handoffs{status=\"overdue\"} 0",
        "inbound_database_up 1",
        "inbound_db_pool_max_connections 8",
        "inbound_db_pool_connections{state=\"idle\"}",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
}

#[actix_web::test]
async fn a_deactivated_users_stream_ends() {
    let w = World::new().await;
    let token = w
        .app
        .user_with(&w.admin, "night.watch", "district_officer", Some("CZ-WJ"))
        .await;
    let me = w.app.get("/api/v1/me", &token).await.expect(200);
    let mut stream = w
        .app
        .client
        .get(format!("{}/api/v1/events/stream", w.app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    w.app
        .patch(
            &format!("/api/v1/users/{}", me.body["id"].as_str().unwrap()),
            &w.admin,
            serde_json::json!({"active": false}),
        )
        .await
        .expect(200);
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream of a deactivated user ends");
}

#[actix_web::test]
async fn the_event_log_is_scoped_to_the_callers_subtree() {
    let w = World::new().await;
    let zhonglou = w.register("PVG", "CZ-ZL-XC", "MU1").await;
    let path = format!("/api/v1/events?entity_type=traveller&entity_id={zhonglou}");
    let own = w.app.get(&path, w.officer("CZ-ZL")).await.expect(200);
    assert!(!own.body["items"].as_array().unwrap().is_empty());
    for code in ["CZ-TN", "CZ-TN-HM", "CZ-WJ"] {
        let other = w.app.get(&path, w.officer(code)).await.expect(200);
        assert_eq!(other.body["items"], serde_json::json!([]), "{code}");
    }
}

#[actix_web::test]
async fn the_event_log_pages_with_its_cursor() {
    let w = World::new().await;
    let first = w.app.get("/api/v1/events?limit=3", &w.admin).await.expect(200);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("more events")
        .to_owned();
    let next = w
        .app
        .get(&format!("/api/v1/events?limit=3&cursor={cursor}"), &w.admin)
        .await
        .expect(200);
    assert!(next.body["items"][0]["seq"].as_i64().unwrap() > first.body["items"][2]["seq"].as_i64().unwrap());
    w.app
        .get("/api/v1/events?cursor=abc", &w.admin)
        .await
        .expect_problem(400, "validation_failed");
    // A new district changes the districts table, so its ETag moves on.
    let before = w
        .app
        .get("/api/v1/stats/districts", &w.dispatcher)
        .await
        .expect(200);
    let tag = before.header("etag").unwrap();
    let body = serde_json::json!({"name": "Xinbei", "code": "CZ-XB", "level": "district", "parent_id": w.app.unit("CZ")});
    w.app.post("/api/v1/units", &w.admin, body).await.expect(201);
    let after = w
        .app
        .send(
            "GET",
            "/api/v1/stats/districts",
            Some(&w.dispatcher),
            None,
            &[("if-none-match", &tag)],
        )
        .await
        .expect(200);
    assert_eq!(after.body["items"].as_array().unwrap().len(), 4);
}

#[actix_web::test]
async fn open_event_streams_are_bounded_per_user_and_in_all() {
    let w = World::with(|s| {
        s.stream.max_per_user = 2;
        s.stream.max_total = 3;
    })
    .await;
    let open = |token: &str| {
        w.app
            .client
            .get(format!("{}/api/v1/events/stream", w.app.base))
            .bearer_auth(token)
            .send()
    };
    let first = open(&w.dispatcher).await.unwrap();
    let second = open(&w.dispatcher).await.unwrap();
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    let third = open(&w.dispatcher).await.unwrap();
    assert_eq!(third.status().as_u16(), 429);
    assert!(third.headers().get("retry-after").is_some());
    // Another user still gets one, up to the total.
    let officer = open(w.officer("CZ-TN")).await.unwrap();
    assert_eq!(officer.status().as_u16(), 200);
    assert_eq!(open(&w.admin).await.unwrap().status().as_u16(), 429);
    // A stream whose client went away gives its place back, once the server finds it gone when
    // it next writes to it.
    drop(first);
    let mut reopened = None;
    for _ in 0..50 {
        w.register("PVG", "CZ-TN-HM", "MU5001").await;
        let res = open(&w.dispatcher).await.unwrap();
        if res.status().as_u16() == 200 {
            reopened = Some(res);
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(reopened.is_some(), "the place came back");
    drop((second, officer));
}

#[actix_web::test]
async fn with_a_metrics_token_only_scrapes_that_send_it_are_answered() {
    let app = spawn_app_with(|s| s.metrics.token = Some("scrape-secret-0123456789".into())).await;
    app.send("GET", "/metrics", None, None, &[])
        .await
        .expect_problem(401, "unauthorized");
    app.send("GET", "/metrics", Some("another-secret-0123456789"), None, &[])
        .await
        .expect_problem(401, "unauthorized");
    let res = app
        .send("GET", "/metrics", Some("scrape-secret-0123456789"), None, &[])
        .await
        .expect(200);
    assert!(res
        .body
        .as_str()
        .unwrap()
        .contains("inbound_db_pool_max_connections"));
}

#[actix_web::test]
async fn a_stream_ends_after_its_lifetime_and_resumes_where_it_ended() {
    let w = World::with(|s| s.stream.max_seconds = 1).await;
    let mut stream = w
        .app
        .client
        .get(format!("{}/api/v1/events/stream?after=0", w.app.base))
        .bearer_auth(&w.dispatcher)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    // The whole body arrives: the stream ended by itself.
    let body = stream.body().limit(16 << 20).await.expect("the stream ends");
    let text = String::from_utf8_lossy(&body);
    let last: i64 = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .next_back()
        .expect("events were replayed")
        .parse()
        .unwrap();
    w.register("PVG", "CZ-TN-HM", "MU1").await;
    let mut again = w
        .app
        .client
        .get(format!("{}/api/v1/events/stream", w.app.base))
        .bearer_auth(&w.dispatcher)
        .insert_header(("last-event-id", last.to_string()))
        .send()
        .await
        .unwrap();
    let body = again.body().limit(16 << 20).await.expect("the stream ends");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("event: traveller.registered"), "{text}");
    assert!(!text.contains(&format!("id: {last}\n")), "nothing is sent twice");
}

#[actix_web::test]
async fn a_last_event_id_that_is_no_sequence_number_is_refused() {
    let w = World::new().await;
    for bad in ["-1", "abc", "1.5"] {
        let res = w
            .app
            .send(
                "GET",
                "/api/v1/events/stream",
                Some(&w.dispatcher),
                None,
                &[("last-event-id", bad)],
            )
            .await;
        assert_eq!(res.status.as_u16(), 400, "{bad}: {}", res.body);
    }
}
