//! Dashboards: numbers scoped to the caller, cheap to poll (ETag and 304), equal to a recount.

use serde_json::json;

use crate::world::*;

fn today() -> String {
    // The dashboards' days are China Standard Time by default.
    (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string()
}

#[actix_web::test]
async fn dashboards_see_the_numbers_of_their_own_subtree() {
    // Handoffs are due at once, so the pending ones are overdue.
    let w = World::with(|s| s.handoff.sla_minutes = 0).await;
    let tn: Vec<String> =
        futures::future::join_all((0..3).map(|_| w.register("PVG", "CZ-TN-HM", "MU1"))).await;
    let zl = w.register("PVG", "CZ-ZL-NY", "MU1").await;
    let bus = w.vehicle("苏D·Z0001").await;
    let mut riders = tn.clone();
    riders.push(zl.clone());
    w.run_batch("PVG", &riders, &bus, std::slice::from_ref(&tn[2]))
        .await;
    w.confirm_all_to("CZ-TN").await;
    w.confirm_all_to("CZ-TN-HM").await;

    let city = w
        .app
        .get("/api/v1/stats/overview", &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(city.body["travellers"]["total"], 4);
    assert_eq!(city.body["travellers"]["by_status"]["received"], 2);
    assert_eq!(city.body["travellers"]["by_status"]["exception"], 1);
    assert_eq!(city.body["travellers"]["by_status"]["arrived"], 1);
    assert_eq!(
        city.body["loop"],
        json!({"open": 1, "closed": 2, "exceptions": 1, "missing": 0})
    );
    assert_eq!(city.body["batches"]["by_status"]["arrived"], 1);
    assert_eq!(city.body["handoffs"]["pending"], 1, "the Zhonglou handoff waits");
    assert_eq!(city.body["handoffs"]["overdue"], 1);
    assert_eq!(city.body["handoffs"]["confirmed"], 2);
    assert_eq!(city.body["vehicles"]["by_status"]["needs_disinfection"], 1);
    assert_eq!(city.body["handoff_minutes_24h"]["count"], 2);
    assert!(city.body["handoff_minutes_24h"]["p90"].as_f64().unwrap() >= 0.0);
    let viewer = w.app.get("/api/v1/stats/overview", &w.viewer).await.expect(200);
    assert_eq!(
        viewer.body["travellers"], city.body["travellers"],
        "a city viewer sees the city's numbers"
    );

    let district = w
        .app
        .get("/api/v1/stats/overview", w.officer("CZ-TN"))
        .await
        .expect(200);
    assert_eq!(district.body["travellers"]["total"], 3);
    assert_eq!(district.body["handoffs"]["pending"], 0);
    assert_eq!(district.body["handoffs"]["overdue"], 0);
    let zhonglou = w
        .app
        .get("/api/v1/stats/overview", w.officer("CZ-ZL"))
        .await
        .expect(200);
    assert_eq!(zhonglou.body["travellers"]["total"], 1);
    assert_eq!(zhonglou.body["handoffs"]["overdue"], 1);
    let community = w
        .app
        .get("/api/v1/stats/overview", w.officer("CZ-TN-QL"))
        .await
        .expect(200);
    assert_eq!(community.body["travellers"]["total"], 0);

    let rows = w
        .app
        .get("/api/v1/stats/districts", &w.dispatcher)
        .await
        .expect(200);
    let items = rows.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let row = |id: &str| items.iter().find(|r| r["unit_id"] == id).unwrap().clone();
    let tn_row = row(&w.app.unit("CZ-TN"));
    assert_eq!(
        (tn_row["expected"].as_i64(), tn_row["received"].as_i64()),
        (Some(3), Some(2))
    );
    let zl_row = row(&w.app.unit("CZ-ZL"));
    assert_eq!(
        (
            zl_row["pending_handoffs"].as_i64(),
            zl_row["overdue_handoffs"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let own = w
        .app
        .get("/api/v1/stats/districts", w.officer("CZ-ZL"))
        .await
        .expect(200);
    assert_eq!(own.body["items"].as_array().unwrap().len(), 1);

    let ports = w.app.get("/api/v1/stats/ports", &w.dispatcher).await.expect(200);
    let pvg = ports.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "PVG")
        .unwrap()
        .clone();
    assert_eq!(
        (pvg["batches"].as_i64(), pvg["travellers"].as_i64()),
        (Some(1), Some(3))
    );
    let tn_ports = w
        .app
        .get("/api/v1/stats/ports", w.officer("CZ-TN"))
        .await
        .expect(200);
    let tn_pvg = tn_ports.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "PVG")
        .unwrap()
        .clone();
    assert_eq!(
        tn_pvg["travellers"], 2,
        "Tianning's two travellers rode; the no-show did not"
    );
    let before = w
        .app
        .get("/api/v1/stats/ports?from=2020-01-01&to=2020-12-31", &w.dispatcher)
        .await
        .expect(200);
    assert!(before.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["batches"] == 0));

    let day = today();
    let daily = w
        .app
        .get(&format!("/api/v1/stats/daily?from={day}&to={day}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(
        daily.body["items"],
        json!([{"date": day, "registered": 4, "departed_batches": 1, "received": 2, "exceptions": 1}])
    );
    // Daily flows are the caller's subtree's too.
    for (code, registered) in [("CZ-TN", 3), ("CZ-ZL", 1)] {
        let own = w
            .app
            .get(
                &format!("/api/v1/stats/daily?from={day}&to={day}"),
                w.officer(code),
            )
            .await
            .expect(200);
        assert_eq!(own.body["items"][0]["registered"], registered, "{code}");
    }
    // Today by hour: every hour listed, and together they are the day's flows, for each scope.
    let daily_path = format!("/api/v1/stats/daily?from={day}&to={day}");
    for token in [w.dispatcher.as_str(), w.officer("CZ-TN")] {
        let day_row = w.app.get(&daily_path, token).await.expect(200).body["items"][0].clone();
        let hourly = w.app.get("/api/v1/stats/hourly", token).await.expect(200).body;
        assert_eq!(hourly["date"], day);
        let hours = hourly["items"].as_array().unwrap();
        let listed: Vec<i64> = hours.iter().map(|h| h["hour"].as_i64().unwrap()).collect();
        assert_eq!(listed, (0..24).collect::<Vec<i64>>());
        // Everything happened in this hour of China Standard Time (or the one before, where
        // the test ran across the hour).
        let hour_now = chrono::Timelike::hour(&(chrono::Utc::now() + chrono::Duration::hours(8))) as i64;
        for h in hours.iter().filter(|h| h["registered"] != 0) {
            let hour = h["hour"].as_i64().unwrap();
            assert!(
                hour == hour_now || hour == hour_now - 1,
                "registered at {hour}, now {hour_now}"
            );
        }
        for flow in ["registered", "departed_batches", "received", "exceptions"] {
            let sum: i64 = hours.iter().map(|h| h[flow].as_i64().unwrap()).sum();
            assert_eq!(
                sum,
                day_row[flow].as_i64().unwrap(),
                "{flow} by hour adds up to the day"
            );
        }
        let explicit = w
            .app
            .get(&format!("/api/v1/stats/hourly?date={day}"), token)
            .await
            .expect(200);
        assert_eq!(explicit.body, hourly);
    }
    let past = w
        .app
        .get("/api/v1/stats/hourly?date=2020-01-01", &w.dispatcher)
        .await
        .expect(200);
    assert!(past.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["registered"] == 0));
    w.app
        .get("/api/v1/stats/hourly?date=today", &w.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
    let month = w.app.get("/api/v1/stats/daily", &w.dispatcher).await.expect(200);
    assert_eq!(month.body["items"].as_array().unwrap().len(), 30);
    w.app
        .get("/api/v1/stats/daily?from=2020-04-02&to=2020-03-07", &w.dispatcher)
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .get("/api/v1/stats/daily?from=yesterday", &w.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
    w.app
        .send("GET", "/api/v1/stats/overview", None, None, &[])
        .await
        .expect_problem(401, "unauthorized");
    w.assert_invariants();
}

#[actix_web::test]
async fn a_poll_answers_304_until_something_in_scope_changes() {
    let w = World::new().await;
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    for path in [
        "/api/v1/stats/overview",
        "/api/v1/stats/districts",
        "/api/v1/stats/ports",
        "/api/v1/stats/daily",
        "/api/v1/stats/hourly",
    ] {
        let first = w.app.get(path, w.officer("CZ-TN")).await.expect(200);
        let tag = first.header("etag").expect("an ETag");
        let again = w
            .app
            .send(
                "GET",
                path,
                Some(w.officer("CZ-TN")),
                None,
                &[("if-none-match", &tag)],
            )
            .await;
        assert_eq!(again.status.as_u16(), 304, "{path}");
        assert_eq!(again.header("etag").as_deref(), Some(tag.as_str()));
        assert!(again.body.is_null(), "304 has no body");
    }
    let overview = w
        .app
        .get("/api/v1/stats/overview", w.officer("CZ-TN"))
        .await
        .expect(200);
    let tag = overview.header("etag").unwrap();
    // A change in another district leaves Tianning's numbers, and its ETag, alone.
    w.register("SHA", "CZ-ZL-XC", "FM1").await;
    w.app
        .send(
            "GET",
            "/api/v1/stats/overview",
            Some(w.officer("CZ-TN")),
            None,
            &[("if-none-match", &tag)],
        )
        .await
        .expect(304);
    // A change in Tianning does not.
    w.register("SHA", "CZ-TN-QL", "FM1").await;
    let changed = w
        .app
        .send(
            "GET",
            "/api/v1/stats/overview",
            Some(w.officer("CZ-TN")),
            None,
            &[("if-none-match", &tag)],
        )
        .await
        .expect(200);
    assert_ne!(changed.header("etag").unwrap(), tag);
    assert_eq!(changed.body["travellers"]["total"], 2);
}

#[actix_web::test]
async fn numbers_equal_a_recount_after_concurrent_load() {
    let world = World::new().await;
    let w = &world;
    let mut vehicles = Vec::new();
    for i in 0..4 {
        vehicles.push(w.new_vehicle(&format!("苏D·L{i:04}"), 30).await);
    }
    let groups: Vec<Vec<String>> = futures::future::join_all((0..4).map(|g| async move {
        let mut ids = Vec::new();
        for k in 0..4 {
            ids.push(
                w.register(["PVG", "SHA", "NKG"][g % 3], COMMUNITIES[(g + k) % 6], "MU8")
                    .await,
            );
        }
        ids
    }))
    .await;
    // Four batches run at once, confirmations race each other, and a duplicate batch is refused.
    futures::future::join_all(
        groups
            .iter()
            .zip(&vehicles)
            .enumerate()
            .map(|(g, (ids, v))| async move {
                let port = ["PVG", "SHA", "NKG"][g % 3];
                w.run_batch(port, ids, v, &ids[..1]).await;
            }),
    )
    .await;
    // A traveller who already travelled cannot be put in another batch.
    let duplicate = json!({"port_id": w.port("PVG"), "traveller_ids": [groups[0][1]], "crew": World::crew()});
    w.app
        .post("/api/v1/batches", &w.dispatcher, duplicate)
        .await
        .expect_problem(409, "conflict");
    futures::future::join_all(DISTRICTS.iter().map(|d| w.confirm_all_to(d))).await;
    futures::future::join_all(COMMUNITIES.iter().map(|c| w.confirm_all_to(c))).await;
    w.assert_invariants();
    let overview = w.app.get("/api/v1/stats/overview", &w.admin).await.expect(200);
    assert_eq!(overview.body["travellers"]["total"], 16);
    assert_eq!(overview.body["loop"]["closed"], 12);
    assert_eq!(overview.body["loop"]["exceptions"], 4);
    assert_eq!(overview.body["batches"]["by_status"]["closed"], 4);
}

/// Migration 19 clears the numbers so that the next start counts them again, hours included:
/// what a dashboard reads afterwards is what it read before, and its ETag moves on.
#[actix_web::test]
async fn numbers_cleared_by_a_migration_are_counted_again_at_the_next_start() {
    use diesel::RunQueryDsl;
    let w = World::new().await;
    let people = [
        w.register("PVG", "CZ-TN-HM", "RC001").await,
        w.register("PVG", "CZ-ZL-XC", "RC001").await,
    ];
    let bus = w.new_vehicle("苏D·RC001", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    w.confirm_all_to("CZ-TN").await;
    let paths = [
        "/api/v1/stats/overview",
        "/api/v1/stats/hourly",
        "/api/v1/stats/daily",
        "/api/v1/stats/districts",
    ];
    let mut before = Vec::new();
    for path in paths {
        before.push(w.app.get(path, &w.dispatcher).await.expect(200));
    }

    let backend = if w.app.settings.database.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/2026-12-07-000019_hourly_flows/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut conn = w.app.connection();
    for statement in up
        .lines()
        .filter(|l| !l.starts_with("--") && !l.trim().is_empty())
    {
        diesel::sql_query(statement).execute(&mut conn).unwrap();
    }
    assert_eq!(w.app.count_where("stat_totals", "metric <> 'changes'"), 0);

    let restarted = w.app.second_instance().await;
    for (path, earlier) in paths.into_iter().zip(before) {
        let now = restarted.get(path, &w.dispatcher).await.expect(200);
        let (mut a, mut b) = (earlier.body.clone(), now.body.clone());
        for body in [&mut a, &mut b] {
            body.as_object_mut().unwrap().remove("as_of");
        }
        assert_eq!(a, b, "{path} as before");
        assert_ne!(earlier.header("etag"), now.header("etag"), "{path}: a new ETag");
    }
    w.assert_invariants();
}
