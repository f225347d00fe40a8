//! The demo data set's day in motion: what a newcomer's first `cargo run` shows.

use crate::helpers::*;

#[actix_web::test]
async fn the_demo_day_in_motion_has_every_state_the_screens_show_and_loads_once() {
    let app = spawn_app_with(|s| s.demo.motion = true).await;
    let tokens = app.demo_tokens().await;
    let o = app
        .get("/api/v1/stats/overview", &tokens.dispatcher)
        .await
        .expect(200)
        .body;
    let s = &o["travellers"]["by_status"];
    assert!(s["awaiting_transfer"].as_i64().unwrap() >= 2, "people wait: {s}");
    assert!(
        s["in_transit"].as_i64().unwrap() >= 1,
        "a batch is on the road: {s}"
    );
    assert!(s["received"].as_i64().unwrap() >= 1, "people were received: {s}");
    assert!(s["exception"].as_i64().unwrap() >= 1, "an exception: {s}");
    assert!(o["handoffs"]["pending"].as_i64().unwrap() >= 2, "{o}");
    assert_eq!(o["handoffs"]["overdue"], 1, "one handoff is overdue: {o}");
    assert_eq!(
        o["loop"]["missing"], 1,
        "a partial receipt left one person missing: {o}"
    );

    // Waiting at two ports.
    let waiting = app
        .get(
            "/api/v1/travellers?status=awaiting_transfer&limit=500",
            &tokens.dispatcher,
        )
        .await
        .expect(200)
        .body;
    let ports: std::collections::BTreeSet<&str> = waiting["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["port_id"].as_str().unwrap())
        .collect();
    assert_eq!(ports.len(), 2, "people wait at two ports");

    // The district officer's desk has an overdue handoff coming and a code to read out.
    let tn = app.unit("CZ-TN");
    let incoming = app
        .get(
            &format!("/api/v1/handoffs?status=pending&to_unit_id={tn}"),
            &tokens.district_officer,
        )
        .await
        .expect(200)
        .body;
    assert!(incoming["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["overdue"] == true));
    let outgoing = app
        .get(
            &format!("/api/v1/handoffs?status=pending&from_unit_id={tn}"),
            &tokens.district_officer,
        )
        .await
        .expect(200)
        .body;
    assert!(outgoing["items"][0]["code"]
        .as_str()
        .is_some_and(|c| c.len() == 6));

    // Made through the rules: the audit log holds and the counters equal a recount.
    let verified = app
        .get("/api/v1/events/verify", &tokens.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(verified["ok"], true, "{verified}");
    let travellers = app.count_rows("travellers");
    let mut conn = app.connection();
    let stored = inbound_transfer::store::counts::stored(&mut conn).unwrap();
    let recounted = inbound_transfer::store::counts::recount(&mut conn).unwrap();
    assert_eq!(stored.0, recounted.0, "stored totals equal a recount");
    assert_eq!(stored.1, recounted.1, "stored daily numbers equal a recount");

    // A second start over the same database adds nothing.
    let again = app.second_instance().await;
    let token = again.login(ADMIN).await;
    again.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(app.count_rows("travellers"), travellers);
}
