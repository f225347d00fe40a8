//! The tamper-evident audit log: every event is chained to the one before it in its city's
//! chain, and `GET /events/verify` and `verify-log` find any event changed or removed behind the
//! service's back.

use diesel::RunQueryDsl;
use serde_json::Value;

use crate::helpers::*;
use crate::world::World;

/// Runs SQL as a database superuser would, with the append-only triggers lifted.
pub fn tamper(app: &TestApp, statement: &str) {
    let mut conn = app.connection();
    let postgres = app.settings.database.url.starts_with("postgres");
    let statements: Vec<String> = if postgres {
        vec![
            "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete".into(),
            statement.into(),
            "ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete".into(),
        ]
    } else {
        vec![
            "DROP TRIGGER events_no_update".into(),
            "DROP TRIGGER events_no_delete".into(),
            statement.into(),
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
             BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                .into(),
            "CREATE TRIGGER events_no_delete BEFORE DELETE ON events \
             BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                .into(),
        ]
    };
    for part in statements {
        diesel::sql_query(&part)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{part}: {e}"));
    }
}

pub async fn verification(app: &TestApp, admin: &str) -> Value {
    app.get("/api/v1/events/verify", admin).await.expect(200).body
}

/// Where each broken chain of a verification breaks first.
fn first_broken(report: &Value) -> Vec<i64> {
    report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["first_broken_seq"].as_i64())
        .collect()
}

/// A few events in the demo city: registrations and a batch.
pub async fn some_history(world: &World) -> Vec<String> {
    let mut travellers = Vec::new();
    for flight in ["MU5001", "MU5002", "MU5003"] {
        travellers.push(world.register("PVG", "CZ-TN-HM", flight).await);
    }
    let vehicle = world.vehicle("苏D·Z0003").await;
    world.create_batch("PVG", &travellers, &vehicle).await.expect(201);
    travellers
}

#[actix_web::test]
async fn every_event_is_chained_and_the_log_verifies() {
    let world = World::new().await;
    some_history(&world).await;
    let app = &world.app;
    let report = verification(app, &world.admin).await;
    assert_eq!(report["ok"], true, "{report}");
    let chains = report["chains"].as_array().unwrap();
    let cz = app.unit("CZ");
    let city = chains
        .iter()
        .find(|c| c["city_id"] == cz.as_str())
        .expect("the city's chain");
    assert!(city["first_broken_seq"].is_null());
    assert!(
        chains.iter().any(|c| c["city_id"].is_null()),
        "a chain of no city"
    );
    let total: i64 = chains.iter().map(|c| c["events"].as_i64().unwrap()).sum();
    assert_eq!(total, app.count_rows("events"));

    // The city's events link one to the next.
    let events = app
        .get("/api/v1/events?limit=500", &world.dispatcher)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap();
    assert!(items.len() > 5);
    assert_eq!(items[0]["prev_hash"], "0".repeat(64));
    for pair in items.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"]);
        assert_eq!(pair[1]["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(city["head_hash"], items.last().unwrap()["hash"]);

    let tokens = app.demo_tokens().await;
    for (role, token) in tokens.all() {
        if role != "admin" {
            app.get("/api/v1/events/verify", token)
                .await
                .expect_problem(403, "forbidden");
        }
    }
}

#[actix_web::test]
async fn an_event_changed_behind_the_services_back_breaks_its_chain_there() {
    let world = World::new().await;
    some_history(&world).await;
    let app = &world.app;
    let events = app
        .get("/api/v1/events?limit=500", &world.dispatcher)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap().clone();
    let edited = items[items.len() / 2]["seq"].as_i64().unwrap();
    tamper(
        app,
        &format!("UPDATE events SET action = 'traveller.received' WHERE seq = {edited}"),
    );
    let report = verification(app, &world.admin).await;
    assert_eq!(report["ok"], false);
    let cz = app.unit("CZ");
    let city = report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["city_id"] == cz.as_str())
        .unwrap()
        .clone();
    assert_eq!(city["first_broken_seq"], edited);
    // Other chains are unaffected.
    assert!(report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["city_id"] != cz.as_str())
        .all(|c| c["first_broken_seq"].is_null()));
}

#[actix_web::test]
async fn an_event_removed_behind_the_services_back_is_found_at_the_next() {
    let world = World::new().await;
    some_history(&world).await;
    let app = &world.app;
    let events = app
        .get("/api/v1/events?limit=500", &world.dispatcher)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap().clone();
    let removed = items[2]["seq"].as_i64().unwrap();
    let next = items[3]["seq"].as_i64().unwrap();
    tamper(app, &format!("DELETE FROM events WHERE seq = {removed}"));
    let report = verification(app, &world.admin).await;
    assert_eq!(report["ok"], false);
    let broken = first_broken(&report);
    assert_eq!(broken, vec![next]);
}

/// Two events never hold the same place in one chain, whoever writes them: the database refuses
/// a fork even from a writer that skips the service's lock, and takes the event at the next
/// place.
#[actix_web::test]
async fn the_database_refuses_a_second_event_at_one_place_in_a_chain() {
    let world = World::new().await;
    some_history(&world).await;
    let app = &world.app;
    let mut conn = app.connection();
    let copy_of_head = |id: &str, prev_hash: &str, place: &str| {
        format!(
            "INSERT INTO events (id, at, action, entity_type, entity_id, city_id, data, prev_hash, hash, chain_seq) \
             SELECT '{id}', at, 'traveller.noted', entity_type, entity_id, city_id, data, {prev_hash}, '{hash}', {place} \
             FROM events WHERE seq = (SELECT MAX(seq) FROM events WHERE hash <> '' AND city_id IS NOT NULL)",
            hash = "f".repeat(64)
        )
    };
    // At the head's place, whether after the same event as the head or after the head itself.
    for (n, prev_hash) in ["prev_hash", "hash"].into_iter().enumerate() {
        let fork = diesel::sql_query(copy_of_head(
            &format!("01890a5d-0000-7000-8000-0000000000e{n}"),
            prev_hash,
            "chain_seq",
        ))
        .execute(&mut conn);
        let refusal = fork.expect_err("a fork is refused").to_string();
        assert!(refusal.contains("events_chain_link_idx"), "{refusal}");
    }
    // After the head, at the next place: a link.
    let link = diesel::sql_query(copy_of_head(
        "01890a5d-0000-7000-8000-0000000000f2",
        "hash",
        "chain_seq + 1",
    ))
    .execute(&mut conn);
    assert_eq!(link.ok(), Some(1));
}

/// An event moved to another place in its chain, its hash and content untouched, is found where
/// it was moved from: the places are part of what the log vouches for.
#[actix_web::test]
async fn an_event_moved_to_another_place_behind_the_services_back_breaks_its_chain_there() {
    let world = World::new().await;
    some_history(&world).await;
    let app = &world.app;
    let events = app
        .get("/api/v1/events?limit=500", &world.dispatcher)
        .await
        .expect(200);
    let items = events.body["items"].as_array().unwrap().clone();
    let moved = items[items.len() / 2]["seq"].as_i64().unwrap();
    tamper(
        app,
        &format!("UPDATE events SET chain_seq = chain_seq + 1000 WHERE seq = {moved}"),
    );
    let report = verification(app, &world.admin).await;
    assert_eq!(report["ok"], false, "{report}");
    let broken = first_broken(&report);
    assert_eq!(broken, vec![moved]);
}
