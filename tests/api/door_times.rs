//! Honest times: a confirmation or rejection made at the door without a network and sent later
//! carries `at`, the time at the door. The handoff records it as `confirmed_at` or `rejected_at`
//! and the time it arrived as `recorded_at`; the trace and the roster show the door's time, and
//! the event log keeps both. A time before the handoff or in the future is refused and changes
//! nothing.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::rosters::roster_rows;
use crate::world::World;

/// Moves a handoff's offer back in time, as if it had been made `minutes` ago.
fn offered_minutes_ago(w: &World, handoff: &str, minutes: i64) -> DateTime<Utc> {
    use inbound_transfer::db::types::{HandoffId, Timestamp};
    use inbound_transfer::schema::handoffs;
    let at = Utc::now() - Duration::minutes(minutes);
    let id: HandoffId = serde_json::from_value(json!(handoff)).unwrap();
    diesel::update(handoffs::table.find(id))
        .set((
            handoffs::created_at.eq(Timestamp(at)),
            handoffs::due_at.eq(Timestamp(at + Duration::hours(2))),
        ))
        .execute(&mut w.app.connection())
        .unwrap();
    at
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[actix_web::test]
async fn a_confirmation_sent_late_is_recorded_at_the_door_and_received_when_it_arrived() {
    let w = World::new().await;
    w.new_vehicle("苏D·DT001", 20).await;
    let (person, handoff, code) = w.one_arrival("PVG", "CZ-TN-HM", "DT001", "苏D·DT001").await;
    let offered = offered_minutes_ago(&w, &handoff, 40);
    let path = format!("/api/v1/handoffs/{handoff}/confirm");
    let body = |at: &str| json!({"code": code, "received_traveller_ids": [person], "at": at});
    let officer = w.officer("CZ-TN");

    // Refused, and nothing changes: before the offer, in the future, without an offset, not a time.
    for (at, code) in [
        (rfc3339(offered - Duration::minutes(1)), "before_handoff"),
        (rfc3339(Utc::now() + Duration::minutes(10)), "in_future"),
        ("2026-03-07T08:30:00".to_owned(), "time_needs_offset"),
        ("at the door".to_owned(), "time_format"),
    ] {
        let res = w
            .app
            .post(&path, officer, body(&at))
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(res.body["errors"][0]["field"], "at", "{at}");
        assert_eq!(res.body["errors"][0]["code"], code, "{at}");
    }
    let still = w
        .app
        .get(&format!("/api/v1/handoffs/{handoff}"), officer)
        .await
        .expect(200)
        .body;
    assert_eq!(still["status"], "pending");
    assert_eq!(still["failed_attempts"], 0, "a refused time counts no wrong code");

    // Confirmed at the door 35 minutes ago, sent now.
    let door = (offered + Duration::minutes(5)).trunc_subsecs(0);
    let done = w
        .app
        .post(&path, officer, body(&rfc3339(door)))
        .await
        .expect(200)
        .body;
    assert_eq!(time(&done["confirmed_at"]), door);
    let recorded = time(&done["recorded_at"]);
    assert!(recorded > door + Duration::minutes(30), "{done}");
    assert!(recorded <= Utc::now());

    // The trace shows the door's time, and when the service recorded it.
    let trace = w
        .app
        .get(&format!("/api/v1/travellers/{person}/trace"), officer)
        .await
        .expect(200)
        .body;
    let received = trace["chain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "received")
        .expect("the received step")
        .clone();
    assert_eq!(time(&received["at"]), door);
    let logged = time(&received["recorded_at"]);
    assert!((logged - recorded).num_seconds().abs() < 5, "{logged} {recorded}");

    // The event log keeps both.
    let admin = w.app.login(ADMIN).await;
    let events = w.app.events_of(&admin, "handoff", &handoff).await;
    let confirmed = events
        .iter()
        .find(|e| e["action"] == "handoff.confirmed")
        .unwrap();
    assert_eq!(time(&confirmed["data"]["at"]), door, "{confirmed}");
    assert_eq!(time(&confirmed["data"]["recorded_at"]), recorded);

    // The roster's district receipt is the door's time, to the minute, in local time.
    let roster = w
        .app
        .get("/api/v1/reports/roster?format=xlsx&lang=en", officer)
        .await
        .expect(200);
    let rows = roster_rows(&roster.bytes);
    let local = (door + Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string();
    let cell = match &rows[0]["district_handoff_confirmed_at"] {
        calamine::Data::DateTime(at) => at.as_datetime().unwrap().format("%Y-%m-%d %H:%M").to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(cell, local);
    w.assert_invariants();
}

#[actix_web::test]
async fn a_rejection_sent_late_is_recorded_at_the_door_and_a_clock_a_little_ahead_is_accepted() {
    let w = World::new().await;
    w.new_vehicle("苏D·DT002", 20).await;
    let (_, handoff, _) = w.one_arrival("PVG", "CZ-ZL-XC", "DT002", "苏D·DT002").await;
    let offered = offered_minutes_ago(&w, &handoff, 20);
    let door = (offered + Duration::minutes(3)).trunc_subsecs(0);
    let done = w
        .app
        .post(
            &format!("/api/v1/handoffs/{handoff}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "the compound is closed", "at": rfc3339(door)}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(time(&done["rejected_at"]), door);
    assert!(time(&done["recorded_at"]) > door + Duration::minutes(15));
    let admin = w.app.login(ADMIN).await;
    let events = w.app.events_of(&admin, "handoff", &handoff).await;
    let rejected = events.iter().find(|e| e["action"] == "handoff.rejected").unwrap();
    assert_eq!(time(&rejected["data"]["at"]), door);

    // A device whose clock runs a minute ahead is within the skew allowed.
    w.new_vehicle("苏D·DT003", 20).await;
    let (person, second, code) = w.one_arrival("PVG", "CZ-WJ-HL", "DT003", "苏D·DT003").await;
    let ahead = (Utc::now() + Duration::minutes(1)).trunc_subsecs(0);
    let done = w
        .app
        .post(
            &format!("/api/v1/handoffs/{second}/confirm"),
            w.officer("CZ-WJ"),
            json!({"code": code, "received_traveller_ids": [person], "at": rfc3339(ahead)}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(time(&done["confirmed_at"]), ahead);
    // Without `at`, the door's time is the service's.
    w.new_vehicle("苏D·DT004", 20).await;
    let (person, third, code) = w.one_arrival("PVG", "CZ-WJ-HL", "DT004", "苏D·DT004").await;
    let done = w
        .app
        .post(
            &format!("/api/v1/handoffs/{third}/confirm"),
            w.officer("CZ-WJ"),
            json!({"code": code, "received_traveller_ids": [person]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(done["confirmed_at"], done["recorded_at"]);
    w.assert_invariants();
}
