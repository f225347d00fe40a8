//! Writers of different cities commit side by side; a reader following the log by `after` must
//! still see every event, however their commits interleave.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::world::*;

/// The seqs of the log after `after`, as an admin following it page by page sees them.
async fn follow(w: &World, after: &mut i64, seen: &mut Vec<i64>) {
    loop {
        let page = w
            .app
            .get(&format!("/api/v1/events?after={after}&limit=500"), &w.admin)
            .await
            .expect(200);
        let items = page.body["items"].as_array().unwrap();
        for item in items {
            let seq = item["seq"].as_i64().unwrap();
            assert!(seq > *after, "the log went back: {seq} after {after}");
            *after = seq;
            seen.push(seq);
        }
        if items.len() < 500 {
            return;
        }
    }
}

#[actix_web::test]
async fn a_reader_following_the_log_never_skips_a_commit_of_either_city() {
    let mut w = World::new().await;
    let admin = w.admin.clone();
    let other = w.app.other_city(&admin).await;
    let (mut start, mut ignored) = (0, Vec::new());
    follow(&w, &mut start, &mut ignored).await;

    const WRITERS: usize = 4;
    const EACH: usize = 25;
    let done = AtomicBool::new(false);
    let writer = |token: String, community: &'static str, n: usize| {
        let w = &w;
        async move {
            for i in 0..EACH {
                let body: Value = w.traveller_body("PVG", community, &format!("X{n}{i}"));
                // As a client does: a busy database (SQLite's one writer, on a loaded machine)
                // answers 503, and the request is sent again under the same key.
                let key = format!("{community}-{n}-{i}");
                loop {
                    let res = w
                        .app
                        .send(
                            "POST",
                            "/api/v1/travellers",
                            Some(&token),
                            Some(&body),
                            &[("Idempotency-Key", &key)],
                        )
                        .await;
                    if res.status != 503 {
                        res.expect(201);
                        break;
                    }
                    actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    };
    let writers = futures::future::join_all((0..WRITERS).flat_map(|n| {
        [
            writer(w.dispatcher.clone(), "CZ-TN-HM", n),
            writer(other.dispatcher.clone(), "WX-LX-01", n),
        ]
    }));
    let reader = async {
        let (mut after, mut seen) = (start, Vec::new());
        while !done.load(Ordering::Acquire) {
            follow(&w, &mut after, &mut seen).await;
        }
        follow(&w, &mut after, &mut seen).await;
        seen
    };
    let ((), seen) = futures::join!(
        async {
            writers.await;
            done.store(true, Ordering::Release);
        },
        reader
    );

    let (mut after, mut all) = (start, Vec::new());
    follow(&w, &mut after, &mut all).await;
    assert_eq!(all.len(), 2 * WRITERS * EACH, "one event per registration");
    assert_eq!(
        seen, all,
        "the reader that followed the log while both cities wrote missed events"
    );
}

#[actix_web::test]
async fn parallel_registrations_of_one_document_make_one_traveller() {
    // Registrations wait for no other writer of their city: the unique index decides.
    let w = World::new().await;
    let body = w.traveller_body("PVG", "CZ-TN-HM", "MU1");
    let answers = futures::future::join_all(
        (0..8).map(|_| w.app.post("/api/v1/travellers", &w.dispatcher, body.clone())),
    )
    .await;
    let created = answers.iter().filter(|r| r.status == 201).count();
    let refused = answers.iter().filter(|r| r.status == 409).count();
    assert_eq!((created, refused), (1, 7), "one is registered, the rest refused");
    let document = body["document_no"].as_str().unwrap();
    let found = w
        .app
        .get(&format!("/api/v1/travellers?q={document}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    w.assert_invariants();
}

/// Three rounds of a city's loop: arrivals for each community, a batch with one no-show,
/// the district and community handoffs confirmed, the vehicle disinfected.
async fn three_rounds(world: &World, bus: &str, communities: &[&str], districts: &[&str]) {
    for round in 0..3 {
        let mut riders = Vec::new();
        for community in communities {
            for _ in 0..2 {
                riders.push(world.register("PVG", community, &format!("MU{round}")).await);
            }
        }
        world
            .run_batch("PVG", &riders, bus, std::slice::from_ref(&riders[0]))
            .await;
        for district in districts {
            world.confirm_all_to(district).await;
        }
        for community in communities {
            world.confirm_all_to(community).await;
        }
        world.disinfect(bus).await;
    }
}

#[actix_web::test]
async fn two_cities_run_their_loops_side_by_side_on_two_instances_and_every_invariant_holds() {
    let mut w = World::new().await;
    let admin = w.admin.clone();
    let other = w.app.other_city(&admin).await;
    let wx = w.of_other_city(w.app.second_instance().await, &other);
    let cz_bus = w.vehicle("苏D·Z0001").await;
    let wx_bus = wx.new_vehicle("苏B·W0001", 30).await;
    futures::join!(
        three_rounds(&w, &cz_bus, &["CZ-TN-HM", "CZ-ZL-NY"], &["CZ-TN", "CZ-ZL"]),
        three_rounds(&wx, &wx_bus, &["WX-LX-01"], &["WX-LX"]),
    );
    w.assert_invariants();
    let total = |body: &Value| body["travellers"]["total"].as_i64().unwrap();
    let cz = w
        .app
        .get("/api/v1/stats/overview", &w.dispatcher)
        .await
        .expect(200);
    let wx_numbers = wx
        .app
        .get("/api/v1/stats/overview", &wx.dispatcher)
        .await
        .expect(200);
    let all = w.app.get("/api/v1/stats/overview", &admin).await.expect(200);
    assert_eq!((total(&cz.body), total(&wx_numbers.body)), (12, 6));
    assert_eq!(total(&all.body), 18, "the whole system is the sum of its cities");
    assert_eq!(cz.body["travellers"]["by_status"]["received"], 9);
    assert_eq!(wx_numbers.body["travellers"]["by_status"]["received"], 3);
    assert_eq!(all.body["travellers"]["by_status"]["exception"], 6);
}
