//! Dashboard polls answered from memory: a 304 without the database while nothing changed, and
//! never once something did, whichever instance, process or operator made the change.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use inbound_transfer::db::types::{Id, Timestamp};
use inbound_transfer::schema::{handoffs, users};
use serde_json::json;

use crate::helpers::{Response, TestApp, TestDb};
use crate::world::*;

const OVERVIEW: &str = "/api/v1/stats/overview";

async fn poll(app: &TestApp, token: &str, tag: &str) -> Response {
    app.send("GET", OVERVIEW, Some(token), None, &[("if-none-match", tag)])
        .await
}

/// How many polls this instance has answered 304 from memory.
async fn from_memory(app: &TestApp) -> i64 {
    answered_from_memory(app, 304).await
}

async fn answered_from_memory(app: &TestApp, status: u16) -> i64 {
    let text = app
        .send("GET", "/metrics", None, None, &[])
        .await
        .expect(200)
        .body;
    let series = format!("inbound_stats_answered_from_memory_total{{status=\"{status}\"}} ");
    text.as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(series.as_str()))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Polls with `tag` until the answer is no longer 304, for at most `within`.
async fn poll_until_changed(app: &TestApp, token: &str, tag: &str, within: Duration) -> Response {
    let started = Instant::now();
    loop {
        let res = poll(app, token, tag).await;
        if res.status.as_u16() != 304 {
            return res;
        }
        assert!(
            started.elapsed() < within,
            "still 304 after {within:?}: the change did not reach this instance"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The current tag of the overview, once polls holding it are answered from memory (an instance
/// just started answers from the database until its listener is connected).
async fn warm(app: &TestApp, token: &str) -> String {
    let tag = app.get(OVERVIEW, token).await.expect(200).header("etag").unwrap();
    let started = Instant::now();
    loop {
        let before = from_memory(app).await;
        poll(app, token, &tag).await.expect(304);
        if from_memory(app).await == before + 1 {
            return tag;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "polls are answered from memory"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn a_change_on_one_instance_reaches_the_polls_of_another() {
    let w = World::new().await;
    let other = w.app.second_instance().await;
    let officer = w.officer("CZ-TN");
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    let tag = warm(&other, officer).await;

    // A change elsewhere leaves Tianning's numbers alone: still 304.
    w.register("SHA", "CZ-ZL-XC", "FM1").await;
    poll(&other, officer, &tag).await.expect(304);

    // A change in Tianning through the first instance.
    w.register("SHA", "CZ-TN-QL", "FM1").await;
    let changed = poll_until_changed(&other, officer, &tag, Duration::from_secs(1))
        .await
        .expect(200);
    assert_eq!(changed.body["travellers"]["total"], 2);
    let tag = changed.header("etag").unwrap();
    assert_eq!(warm(&other, officer).await, tag);

    // The officer is deactivated through the first instance: the other refuses the token even
    // where it would have answered 304 from memory.
    let me = w.app.get("/api/v1/me", officer).await.expect(200);
    w.app
        .patch(
            &format!("/api/v1/users/{}", me.body["id"].as_str().unwrap()),
            &w.admin,
            json!({"active": false}),
        )
        .await
        .expect(200);
    poll_until_changed(&other, officer, &tag, Duration::from_secs(1))
        .await
        .expect_problem(401, "unauthorized");
    w.assert_invariants();
}

#[actix_web::test]
async fn a_move_to_another_district_reaches_the_polls_of_another_instance() {
    let w = World::new().await;
    let other = w.app.second_instance().await;
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    let officer = w.officer("CZ-ZL");
    let tag = warm(&other, officer).await;
    let me = w.app.get("/api/v1/me", officer).await.expect(200);
    // Moved to Tianning through the first instance: the token carrying Zhonglou is refused by
    // the other, memory or not, and a new one sees Tianning's numbers there.
    w.app
        .patch(
            &format!("/api/v1/users/{}", me.body["id"].as_str().unwrap()),
            &w.admin,
            json!({"unit_id": w.app.unit("CZ-TN")}),
        )
        .await
        .expect(200);
    poll_until_changed(&other, officer, &tag, Duration::from_secs(1))
        .await
        .expect_problem(401, "unauthorized");
    let moved = other
        .login((me.body["username"].as_str().unwrap(), "a-long-enough-password"))
        .await;
    let seen = other.get(OVERVIEW, &moved).await.expect(200);
    assert_eq!(seen.body["travellers"]["total"], 1);
    assert_ne!(seen.header("etag").unwrap(), tag);
}

#[actix_web::test]
async fn the_instance_that_makes_a_change_never_answers_from_before_it() {
    // The instance hears of changes only every second here: what it answers right after its own
    // writes rests on its forgetting them itself.
    let w = World::with(|s| s.stats.hear_every_ms = 1000).await;
    let officer = w.officer("CZ-TN");
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    for n in 2..=4 {
        let tag = warm(&w.app, officer).await;
        w.register("SHA", "CZ-TN-QL", "FM1").await;
        let changed = poll(&w.app, officer, &tag).await.expect(200);
        assert_eq!(changed.body["travellers"]["total"], n);
    }
    let tag = warm(&w.app, officer).await;
    // Logging out ends the token at once on this instance, 304 or not.
    w.app
        .send("POST", "/api/v1/auth/logout", Some(officer), None, &[])
        .await
        .expect(204);
    poll(&w.app, officer, &tag)
        .await
        .expect_problem(401, "unauthorized");
}

#[actix_web::test]
async fn numbers_answered_from_memory_are_the_current_ones() {
    let w = World::new().await;
    let officer = w.officer("CZ-TN");
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    for path in [
        OVERVIEW,
        "/api/v1/stats/districts",
        "/api/v1/stats/ports",
        "/api/v1/stats/daily",
    ] {
        let first = w.app.get(path, officer).await.expect(200);
        // The instance hears of its own writes once more through the listener, which may void
        // what it remembered in between: ask until the answer comes from memory.
        let started = Instant::now();
        let (asked_at, mut second) = loop {
            let before = answered_from_memory(&w.app, 200).await;
            let asked_at = chrono::Utc::now();
            let second = w.app.get(path, officer).await.expect(200);
            if answered_from_memory(&w.app, 200).await == before + 1 {
                break (asked_at, second);
            }
            assert!(started.elapsed() < Duration::from_secs(5), "{path} from memory");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(second.header("etag"), first.header("etag"));
        if let Some(as_of) = second.body.get_mut("as_of") {
            // The numbers are current as of the request, not as of their first reading.
            let at: chrono::DateTime<chrono::Utc> = as_of.as_str().unwrap().parse().unwrap();
            assert!(
                at >= asked_at,
                "{path}: as_of {at} is before the request at {asked_at}"
            );
            *as_of = first.body["as_of"].clone();
        }
        assert_eq!(second.body, first.body, "{path}");
    }
    // A change in scope: the next answer is the new numbers, read from the database.
    w.register("SHA", "CZ-TN-QL", "FM1").await;
    let before = answered_from_memory(&w.app, 200).await;
    let changed = w.app.get(OVERVIEW, officer).await.expect(200);
    assert_eq!(changed.body["travellers"]["total"], 2);
    assert_eq!(answered_from_memory(&w.app, 200).await, before);
    let districts = w.app.get("/api/v1/stats/districts", officer).await.expect(200);
    assert_eq!(districts.body["items"][0]["expected"], 2);
    // Another scope is another entry: the city's dispatcher sees the city.
    let city = w.app.get(OVERVIEW, &w.dispatcher).await.expect(200);
    assert_eq!(city.body["travellers"]["total"], 2);
    w.register("SHA", "CZ-ZL-XC", "FM1").await;
    let city = w.app.get(OVERVIEW, &w.dispatcher).await.expect(200);
    assert_eq!(city.body["travellers"]["total"], 3);
    let tianning = w.app.get(OVERVIEW, officer).await.expect(200);
    assert_eq!(tianning.body["travellers"]["total"], 2);
}

#[actix_web::test]
async fn an_operators_sql_reaches_every_instance() {
    let w = World::new().await;
    let other = w.app.second_instance().await;
    let tag = warm(&other, &w.viewer).await;
    // Not through the service at all: an operator deactivates the viewer in the database.
    let mut conn = w.app.connection();
    diesel::update(users::table.filter(users::username.eq("cz.viewer")))
        .set(users::active.eq(false))
        .execute(&mut conn)
        .unwrap();
    for app in [&w.app, &other] {
        poll_until_changed(app, &w.viewer, &tag, Duration::from_secs(1))
            .await
            .expect_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn numbers_that_change_with_time_alone_are_not_answered_from_memory() {
    let w = World::new().await;
    let (_, handoff, _) = w.one_arrival("PVG", "CZ-TN-HM", "MU5", "苏D·Z0001").await;
    // The handoff to the district falls due in a moment; one confirmed earlier (the city's
    // handoff is not involved) leaves the 24-hour window in a moment. Set in the database, before
    // any dashboard has polled.
    let soon = Timestamp::now() + chrono::Duration::seconds(3);
    let mut conn = w.app.connection();
    diesel::update(handoffs::table.filter(handoffs::id.eq(handoff.parse::<Id>().unwrap())))
        .set(handoffs::due_at.eq(soon))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let first = w.app.get(OVERVIEW, &w.dispatcher).await.expect(200);
    assert_eq!(first.body["handoffs"]["pending"], 1);
    assert_eq!(first.body["handoffs"]["overdue"], 0);
    let tag = warm(&w.app, &w.dispatcher).await;
    assert_eq!(tag, first.header("etag").unwrap());
    let later = poll_until_changed(&w.app, &w.dispatcher, &tag, Duration::from_secs(8))
        .await
        .expect(200);
    assert_eq!(later.body["handoffs"]["overdue"], 1);

    // A confirmation 24 hours old, less a moment, leaves the window when the moment has passed.
    w.confirm_all_to("CZ-TN").await;
    let almost_a_day = Timestamp::now() - chrono::Duration::hours(24) + chrono::Duration::seconds(3);
    let mut conn = w.app.connection();
    diesel::update(handoffs::table.filter(handoffs::confirmed_at.is_not_null()))
        .set(handoffs::confirmed_at.eq(almost_a_day))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    // That direct write reaches memory too (a trigger on PostgreSQL, the data version on SQLite).
    let before = w.app.get(OVERVIEW, &w.dispatcher).await.expect(200);
    assert_eq!(before.body["handoff_minutes_24h"]["count"], 1);
    let tag = warm(&w.app, &w.dispatcher).await;
    let after = poll_until_changed(&w.app, &w.dispatcher, &tag, Duration::from_secs(8))
        .await
        .expect(200);
    assert_eq!(after.body["handoff_minutes_24h"]["count"], 0);
    w.assert_invariants();
}

#[actix_web::test]
async fn polls_stay_right_while_the_listener_is_down_and_after_it_comes_back() {
    let w = World::new().await;
    let other = w.app.second_instance().await;
    let officer = w.officer("CZ-TN");
    w.register("SHA", "CZ-TN-HM", "FM1").await;
    let tag = warm(&other, officer).await;
    match &w.app.db {
        TestDb::Postgres { admin_url, name } => {
            // Cut every instance's listening connection and keep it from coming back.
            let mut pg = PgConnection::establish(admin_url).unwrap();
            let sql = |pg: &mut PgConnection, q: String| {
                diesel::sql_query(q).execute(pg).unwrap();
            };
            sql(&mut pg, format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
            sql(
                &mut pg,
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}' AND application_name = '{}'",
                    inbound_transfer::freshness::LISTENER_NAME
                ),
            );
            // Once the instance has noticed, nothing is answered from memory...
            let started = Instant::now();
            loop {
                let before = from_memory(&other).await;
                poll(&other, officer, &tag).await.expect(304);
                if from_memory(&other).await == before {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(2), "the loss is noticed");
                actix_web::rt::time::sleep(Duration::from_millis(10)).await;
            }
            let before = from_memory(&other).await;
            for _ in 0..5 {
                poll(&other, officer, &tag).await.expect(304);
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            assert_eq!(
                from_memory(&other).await,
                before,
                "memory is off while nobody listens"
            );
            // ...and a change made while nobody listens is seen at once.
            w.register("SHA", "CZ-TN-QL", "FM1").await;
            let changed = poll(&other, officer, &tag).await.expect(200);
            assert_eq!(changed.body["travellers"]["total"], 2);
            sql(&mut pg, format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
            // The listener comes back, and memory answers again.
            let tag = changed.header("etag").unwrap();
            let started = Instant::now();
            loop {
                let before = from_memory(&other).await;
                poll(&other, officer, &tag).await.expect(304);
                if from_memory(&other).await > before {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(15),
                    "the listener came back"
                );
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
            // And hears changes again.
            w.register("SHA", "CZ-TN-HM", "FM2").await;
            let again = poll_until_changed(&other, officer, &tag, Duration::from_secs(1))
                .await
                .expect(200);
            assert_eq!(again.body["travellers"]["total"], 3);
        }
        TestDb::Sqlite { .. } | TestDb::Shared => {
            // On SQLite a watcher reads the file's data version, which any commit moves: here, one
            // by a connection the service does not own.
            let path = w
                .app
                .settings
                .database
                .url
                .trim_start_matches("sqlite://")
                .to_owned();
            let mut outside = SqliteConnection::establish(&path).unwrap();
            diesel::update(users::table.filter(users::username.eq("tn.officer")))
                .set(users::active.eq(false))
                .execute(&mut outside)
                .unwrap();
            for app in [&w.app, &other] {
                poll_until_changed(app, officer, &tag, Duration::from_secs(1))
                    .await
                    .expect_problem(401, "unauthorized");
            }
        }
    }
}
