//! The closed loop from the port to the community, and every way it must refuse to break.

use serde_json::json;

use crate::world::*;

#[actix_web::test]
async fn travellers_go_from_the_port_to_their_community_and_the_batch_closes() {
    let w = World::new().await;
    let a = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let b = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let c = w.register("PVG", "CZ-ZL-NY", "MU5001").await;
    let registered = w.traveller(&a).await;
    assert_eq!(registered["status"], "awaiting_transfer");
    assert_eq!(registered["custodian_unit_id"], w.app.unit("CZ"));
    let bus = w.vehicle("苏D·Z0003").await;

    let batch = w
        .create_batch("PVG", &[a.clone(), b.clone(), c.clone()], &bus)
        .await
        .expect(201);
    assert_eq!(batch.body["status"], "planned");
    let code = batch.body["code"].as_str().unwrap();
    assert!(
        code.starts_with("PVG-") && code.ends_with("-001") && code.len() == "PVG-20200307-001".len(),
        "{code}"
    );
    assert_eq!(batch.body["crew"].as_array().unwrap().len(), 2);
    assert_eq!(w.traveller(&a).await["status"], "assigned");
    let vehicle = w
        .app
        .get(&format!("/api/v1/vehicles/{bus}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(vehicle.body["status"], "assigned");

    let id = batch.id();
    let boarded = w
        .app
        .post(
            &format!("/api/v1/batches/{id}/boarding"),
            &w.dispatcher,
            json!({"boarded": [a, b, c]}),
        )
        .await
        .expect(200);
    assert_eq!(boarded.body["status"], "boarding");
    let departed = w
        .app
        .post(&format!("/api/v1/batches/{id}/depart"), &w.dispatcher, json!({}))
        .await
        .expect(200);
    assert_eq!(departed.body["status"], "in_transit");
    assert_eq!(w.traveller(&c).await["status"], "in_transit");
    let arrived = w
        .app
        .post(&format!("/api/v1/batches/{id}/arrive"), &w.dispatcher, json!({}))
        .await
        .expect(200);
    assert_eq!(arrived.body["status"], "arrived");
    let handoffs = arrived.body["handoffs"].as_array().unwrap();
    assert_eq!(handoffs.len(), 2, "one handoff per destination district");
    assert!(handoffs
        .iter()
        .all(|h| h["status"] == "pending" && h["code"].as_str().unwrap().len() == 6));
    let vehicle = w
        .app
        .get(&format!("/api/v1/vehicles/{bus}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(vehicle.body["status"], "needs_disinfection");
    assert_eq!(w.traveller(&a).await["status"], "arrived");

    // The district sees its handoff but never its code, and confirms with the code the sender reads out.
    let to_tn = w.pending_to("CZ-TN").await;
    assert_eq!(to_tn.len(), 1);
    assert!(to_tn[0].get("code").is_none(), "the receiver never sees the code");
    assert_eq!(to_tn[0]["traveller_ids"].as_array().unwrap().len(), 2);
    let confirmed = w.confirm(&to_tn[0], "CZ-TN", &[&a, &b]).await.expect(200);
    assert_eq!(confirmed.body["status"], "confirmed");
    assert_eq!(
        confirmed.body["received_traveller_ids"].as_array().unwrap().len(),
        2
    );
    assert_eq!(confirmed.body["missing_traveller_ids"], json!([]));
    let at_district = w.traveller(&a).await;
    assert_eq!(at_district["status"], "at_district");
    assert_eq!(at_district["custodian_unit_id"], w.app.unit("CZ-TN"));
    w.confirm_all_to("CZ-ZL").await;

    // District confirmations opened the community handoffs; the communities close the loop.
    assert_eq!(w.confirm_all_to("CZ-TN-HM").await, 1);
    let batch_now = w
        .app
        .get(&format!("/api/v1/batches/{id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(
        batch_now.body["status"], "arrived",
        "one traveller is still on the way"
    );
    assert_eq!(w.confirm_all_to("CZ-ZL-NY").await, 1);
    let received = w.traveller(&c).await;
    assert_eq!(received["status"], "received");
    assert_eq!(received["custodian_unit_id"], w.app.unit("CZ-ZL-NY"));
    let closed = w
        .app
        .get(&format!("/api/v1/batches/{id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
    assert!(closed.body["closed_at"].is_string());

    // The vehicle is disinfected before its next trip; the note may run over lines, but holds no
    // other control character.
    w.app
        .post(
            &format!("/api/v1/vehicles/{bus}/disinfections"),
            &w.dispatcher,
            json!({"note": "sprayed\u{7}"}),
        )
        .await
        .expect(400);
    let cleaned = w
        .app
        .post(
            &format!("/api/v1/vehicles/{bus}/disinfections"),
            &w.dispatcher,
            json!({"note": "sprayed\r\n\tseats and rails"}),
        )
        .await
        .expect(201);
    assert_eq!(cleaned.body["vehicle"]["status"], "available");
    assert_eq!(cleaned.body["note"], "sprayed\r\n\tseats and rails");
    // The log (and so the live feed) says which vehicle was disinfected.
    let events = w.app.events_of(&w.admin, "vehicle", &bus).await;
    let disinfected = events
        .iter()
        .find(|e| e["action"] == "vehicle.disinfected")
        .expect("the event");
    assert_eq!(disinfected["data"]["plate"], "苏D·Z0003");
    w.app
        .post(
            &format!("/api/v1/vehicles/{bus}/disinfections"),
            &w.dispatcher,
            json!({}),
        )
        .await
        .expect_problem(409, "invalid_state");

    // The whole chain can be traced back.
    let trace = w
        .app
        .get(&format!("/api/v1/travellers/{a}/trace"), w.officer("CZ-TN-HM"))
        .await
        .expect(200);
    let kinds: Vec<&str> = trace.body["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "registered",
            "assigned",
            "boarded",
            "departed",
            "arrived",
            "handed",
            "received",
            "handed",
            "received"
        ]
    );
    let chain = trace.body["chain"].as_array().unwrap();
    assert_eq!(chain[6]["actor"]["username"], "tn.officer");
    assert_eq!(chain[6]["unit_id"], w.app.unit("CZ-TN"));
    assert_eq!(chain[2]["vehicle_id"], bus);
    assert_eq!(trace.body["batches"][0]["vehicle"]["plate"], "苏D·Z0003");
    assert_eq!(trace.body["batches"][0]["crew"][0]["role"], "driver");
    let trace_handoffs = trace.body["handoffs"].as_array().unwrap();
    assert_eq!(trace_handoffs.len(), 2);
    assert!(trace_handoffs
        .iter()
        .all(|h| h["outcome"] == "received" && h["confirmed_by"]["username"].is_string()));
    w.assert_invariants();
}

#[actix_web::test]
async fn boarding_needs_a_vehicle_and_every_traveller_in_exactly_one_list() {
    let w = World::new().await;
    let ids = [
        w.register("SHA", "CZ-WJ-HL", "FM9001").await,
        w.register("SHA", "CZ-WJ-HL", "FM9001").await,
    ];
    let batch = w
        .app
        .post(
            "/api/v1/batches",
            &w.dispatcher,
            json!({"port_id": w.port("SHA"), "traveller_ids": ids, "crew": World::crew()}),
        )
        .await
        .expect(201);
    let id = batch.id();
    let path = format!("/api/v1/batches/{id}/boarding");
    w.app
        .post(&path, &w.dispatcher, json!({"boarded": ids}))
        .await
        .expect_problem(409, "invalid_state");
    let bus = w.vehicle("苏D·Z0001").await;
    w.app
        .post(
            &format!("/api/v1/batches/{id}/vehicle"),
            &w.dispatcher,
            json!({"vehicle_id": bus}),
        )
        .await
        .expect(200);
    w.app
        .post(&format!("/api/v1/batches/{id}/depart"), &w.dispatcher, json!({}))
        .await
        .expect_problem(409, "invalid_state");
    let both = w
        .app
        .post(&path, &w.dispatcher, json!({"boarded": ids, "no_show": [ids[0]]}))
        .await;
    both.expect_problem(422, "validation_failed");
    let neither = w
        .app
        .post(&path, &w.dispatcher, json!({"boarded": [ids[0]]}))
        .await
        .expect_problem(422, "validation_failed");
    assert!(neither.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("neither"));
    let stranger = w.register("SHA", "CZ-WJ-HL", "FM9001").await;
    w.app
        .post(
            &path,
            &w.dispatcher,
            json!({"boarded": ids, "no_show": [stranger]}),
        )
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .post(&path, &w.dispatcher, json!({"boarded": [], "no_show": []}))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        w.traveller(&ids[0]).await["status"],
        "assigned",
        "refused boarding changed nothing"
    );

    // Everyone a no-show: they leave the loop as exceptions, the batch closes, the vehicle is free.
    let done = w
        .app
        .post(&path, &w.dispatcher, json!({"boarded": [], "no_show": ids}))
        .await
        .expect(200);
    assert_eq!(done.body["status"], "closed");
    let t = w.traveller(&ids[1]).await;
    assert_eq!(t["status"], "exception");
    assert_eq!(t["exception"]["kind"], "no_show");
    let vehicle = w
        .app
        .get(&format!("/api/v1/vehicles/{bus}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(vehicle.body["status"], "available");
    w.assert_invariants();
}

#[actix_web::test]
async fn vehicles_must_be_available_and_big_enough() {
    let w = World::new().await;
    let ids: Vec<String> =
        futures::future::join_all((0..3).map(|_| w.register("NKG", "CZ-TN-QL", "CZ3801"))).await;
    let ambulance = w.vehicle("苏D·Z0004").await;
    let too_small = w
        .create_batch("NKG", &ids, &ambulance)
        .await
        .expect_problem(409, "capacity_exceeded");
    assert!(too_small.body["detail"].as_str().unwrap().contains("4 seats"));
    assert_eq!(
        w.traveller(&ids[0]).await["status"],
        "awaiting_transfer",
        "the refused batch wrote nothing"
    );

    let minibus = w.vehicle("苏D·Z0003").await;
    w.app
        .patch(
            &format!("/api/v1/vehicles/{minibus}"),
            &w.dispatcher,
            json!({"out_of_service": true}),
        )
        .await
        .expect(200);
    w.create_batch("NKG", &ids, &minibus)
        .await
        .expect_problem(409, "vehicle_unavailable");
    w.app
        .patch(
            &format!("/api/v1/vehicles/{minibus}"),
            &w.dispatcher,
            json!({"out_of_service": false}),
        )
        .await
        .expect(200);

    let batch = w.create_batch("NKG", &ids[..2], &minibus).await.expect(201);
    let other = w
        .app
        .post(
            "/api/v1/batches",
            &w.dispatcher,
            json!({"port_id": w.port("NKG"), "traveller_ids": [ids[2]], "crew": World::crew()}),
        )
        .await
        .expect(201);
    w.app
        .post(
            &format!("/api/v1/batches/{}/vehicle", other.id()),
            &w.dispatcher,
            json!({"vehicle_id": minibus}),
        )
        .await
        .expect_problem(409, "vehicle_unavailable");
    // Seats cannot shrink under a vehicle on a trip.
    w.app
        .patch(
            &format!("/api/v1/vehicles/{minibus}"),
            &w.dispatcher,
            json!({"seats": 2}),
        )
        .await
        .expect_problem(409, "invalid_state");
    // Adding the third traveller to the 14-seat minibus fits; a 4-seat ambulance swap would not.
    w.app
        .post(
            &format!("/api/v1/batches/{}/cancel", other.id()),
            &w.dispatcher,
            json!({"reason": "merged"}),
        )
        .await
        .expect(200);
    w.app
        .post(
            &format!("/api/v1/batches/{}/travellers", batch.id()),
            &w.dispatcher,
            json!({"add": [ids[2]]}),
        )
        .await
        .expect(200);
    w.app
        .post(
            &format!("/api/v1/batches/{}/vehicle", batch.id()),
            &w.dispatcher,
            json!({"vehicle_id": ambulance}),
        )
        .await
        .expect_problem(409, "capacity_exceeded");
    let detail = w
        .app
        .get(&format!("/api/v1/batches/{}", batch.id()), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(detail.body["vehicle_id"], minibus);
    assert_eq!(detail.body["traveller_ids"].as_array().unwrap().len(), 3);
    w.assert_invariants();
}

#[actix_web::test]
async fn a_traveller_is_never_in_two_open_batches() {
    let w = World::new().await;
    let t = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let u = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let body = json!({"port_id": w.port("PVG"), "traveller_ids": [t], "crew": World::crew()});
    w.app
        .post("/api/v1/batches", &w.dispatcher, body.clone())
        .await
        .expect(201);
    w.app
        .post("/api/v1/batches", &w.dispatcher, body)
        .await
        .expect_problem(409, "conflict");

    // However the requests interleave, exactly one batch gets the traveller.
    let race_body = json!({"port_id": w.port("PVG"), "traveller_ids": [u], "crew": World::crew()});
    let racers = (0..6).map(|_| {
        w.app.send(
            "POST",
            "/api/v1/batches",
            Some(&w.dispatcher),
            Some(&race_body),
            &[],
        )
    });
    let results = futures::future::join_all(racers).await;
    let won = results.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(
        won,
        1,
        "{:?}",
        results.iter().map(|r| r.status.as_u16()).collect::<Vec<_>>()
    );
    assert!(results
        .iter()
        .all(|r| matches!(r.status.as_u16(), 201 | 409 | 503)));
    w.assert_invariants();

    // The wrong port, a foreign traveller, an empty list, or one named twice: precise errors, nothing written.
    let at_sha = w.register("SHA", "CZ-TN-HM", "FM1").await;
    let wrong_port = json!({"port_id": w.port("PVG"), "traveller_ids": [at_sha], "crew": []});
    w.app
        .post("/api/v1/batches", &w.dispatcher, wrong_port)
        .await
        .expect_problem(422, "validation_failed");
    let twice = json!({"port_id": w.port("SHA"), "traveller_ids": [at_sha, at_sha], "crew": []});
    w.app
        .post("/api/v1/batches", &w.dispatcher, twice)
        .await
        .expect_problem(422, "validation_failed");
    let empty = json!({"port_id": w.port("SHA"), "traveller_ids": [], "crew": []});
    w.app
        .post("/api/v1/batches", &w.dispatcher, empty)
        .await
        .expect_problem(422, "validation_failed");
    let unknown = json!({"port_id": w.port("SHA"), "traveller_ids": ["01900000-0000-7000-8000-000000000000"], "crew": []});
    w.app
        .post("/api/v1/batches", &w.dispatcher, unknown)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(w.traveller(&at_sha).await["status"], "awaiting_transfer");
}

#[actix_web::test]
async fn a_vehicle_is_never_on_two_trips() {
    let w = World::new().await;
    let bus = w.new_vehicle("苏D·R0001", 40).await;
    let mut bodies = Vec::new();
    for _ in 0..6 {
        let t = w.register("PVG", "CZ-WJ-NX", "MU1").await;
        bodies.push(
            json!({"port_id": w.port("PVG"), "traveller_ids": [t], "vehicle_id": bus, "crew": World::crew()}),
        );
    }
    let racers = bodies.iter().map(|b| {
        w.app
            .send("POST", "/api/v1/batches", Some(&w.dispatcher), Some(b), &[])
    });
    let results = futures::future::join_all(racers).await;
    let codes: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    let with_bus = w
        .app
        .get("/api/v1/batches?status=planned&limit=500", &w.dispatcher)
        .await
        .expect(200);
    let holding: Vec<_> = with_bus.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["vehicle_id"] == bus)
        .collect();
    assert_eq!(holding.len(), 1);
    w.assert_invariants();
}

#[actix_web::test]
async fn five_wrong_codes_lock_a_handoff_until_the_sender_hands_again() {
    let w = World::new().await;
    let (t, id, real) = w.one_arrival("PVG", "CZ-ZL-XC", "MU2", "苏D·Z0002").await;
    let id = id.as_str();
    let wrong = World::wrong_code(&real);
    let path = format!("/api/v1/handoffs/{id}/confirm");
    let body = json!({"code": wrong, "received_traveller_ids": [t]});
    for left in (1..=4).rev() {
        let res = w
            .app
            .post(&path, w.officer("CZ-ZL"), body.clone())
            .await
            .expect_problem(422, "invalid_handoff_code");
        assert!(res.body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{left} attempts left")));
    }
    // The fifth wrong code is answered as one, and locks the handoff.
    let fifth = w
        .app
        .post(&path, w.officer("CZ-ZL"), body.clone())
        .await
        .expect_problem(422, "invalid_handoff_code");
    assert!(fifth.body["detail"].as_str().unwrap().contains("now locked"));
    w.app
        .post(&path, w.officer("CZ-ZL"), body)
        .await
        .expect_problem(409, "invalid_state");
    let locked = w
        .app
        .get(&format!("/api/v1/handoffs/{id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(locked.body["locked"], true);
    assert_eq!(locked.body["failed_attempts"], 5);
    w.app
        .post(
            &path,
            w.officer("CZ-ZL"),
            json!({"code": real, "received_traveller_ids": [t]}),
        )
        .await
        .expect_problem(409, "invalid_state");
    let events = w.app.events_of(&w.admin, "handoff", id).await;
    assert!(
        events.iter().any(|e| e["action"] == "handoff.locked"),
        "the lock is an event"
    );
    assert_eq!(w.traveller(&t).await["status"], "arrived", "custody did not move");

    // The sender withdraws it and hands again, with a new code.
    w.app
        .post(
            &format!("/api/v1/handoffs/{id}/cancel"),
            w.officer("CZ-ZL"),
            json!({"reason": "x"}),
        )
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(
            &format!("/api/v1/handoffs/{id}/cancel"),
            &w.dispatcher,
            json!({"reason": "locked"}),
        )
        .await
        .expect(200);
    let again = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-ZL"), "traveller_ids": [t]}),
        )
        .await
        .expect(201);
    w.confirm(&again.body, "CZ-ZL", &[&t]).await.expect(200);
    assert_eq!(w.traveller(&t).await["status"], "at_district");
    w.assert_invariants();
}

#[actix_web::test]
async fn of_simultaneous_confirmations_exactly_one_wins() {
    let w = World::new().await;
    let t = w.register("PVG", "CZ-TN-QL", "MU3").await;
    let bus = w.vehicle("苏D·Z0001").await;
    w.run_batch("PVG", std::slice::from_ref(&t), &bus, &[]).await;
    let handoff = w.pending_to("CZ-TN").await.remove(0);
    let id = handoff["id"].as_str().unwrap().to_owned();
    let code = w.code_of(&w.dispatcher, &id).await;
    let second = w.app.second_instance().await;
    let body = json!({"code": code, "received_traveller_ids": [t]});
    let path = format!("/api/v1/handoffs/{id}/confirm");
    let racers = (0..8).map(|i| {
        let target = if i % 2 == 0 { &w.app } else { &second };
        target.send("POST", &path, Some(w.officer("CZ-TN")), Some(&body), &[])
    });
    let results = futures::future::join_all(racers).await;
    let codes: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| matches!(c, 200 | 409)), "{codes:?}");
    let community = w.pending_to("CZ-TN-QL").await;
    assert_eq!(community.len(), 1, "the onward handoff was opened once");
    let events = w.app.events_of(&w.admin, "traveller", &t).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["action"] == "traveller.received")
            .count(),
        1
    );
    w.assert_invariants();
}

#[actix_web::test]
async fn people_missing_at_a_handoff_stay_with_the_sender_until_handed_again() {
    let w = World::new().await;
    let ids: Vec<String> =
        futures::future::join_all((0..3).map(|_| w.register("SHA", "CZ-WJ-HL", "FM7"))).await;
    let bus = w.vehicle("苏D·Z0001").await;
    w.run_batch("SHA", &ids, &bus, &[]).await;
    let handoff = w.pending_to("CZ-WJ").await.remove(0);
    let confirmed = w
        .confirm(&handoff, "CZ-WJ", &[&ids[0], &ids[1]])
        .await
        .expect(200);
    assert_eq!(confirmed.body["missing_traveller_ids"], json!([ids[2]]));
    let missing = w.traveller(&ids[2]).await;
    assert_eq!(missing["missing"], true);
    assert_eq!(missing["status"], "arrived");
    assert_eq!(
        missing["custodian_unit_id"],
        w.app.unit("CZ"),
        "custody stays with the sender"
    );
    w.assert_invariants();

    // The district cannot hand on someone it never received; the city hands the person again.
    w.app
        .post(
            "/api/v1/handoffs",
            w.officer("CZ-WJ"),
            json!({"to_unit_id": w.app.unit("CZ-WJ-HL"), "traveller_ids": [ids[2]]}),
        )
        .await
        .expect_problem(409, "invalid_state");
    let again = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-WJ"), "traveller_ids": [ids[2]]}),
        )
        .await
        .expect(201);
    assert_eq!(w.traveller(&ids[2]).await["missing"], false);
    w.app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-WJ"), "traveller_ids": [ids[2]]}),
        )
        .await
        .expect_problem(409, "conflict");
    w.confirm(&again.body, "CZ-WJ", &[&ids[2]]).await.expect(200);
    assert_eq!(w.confirm_all_to("CZ-WJ-HL").await, 2);
    for id in &ids {
        assert_eq!(w.traveller(id).await["status"], "received");
    }
    let batch = w.traveller(&ids[0]).await["batch_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let closed = w
        .app
        .get(&format!("/api/v1/batches/{batch}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
    w.assert_invariants();
}

#[actix_web::test]
async fn a_rejected_handoff_is_resent_to_the_right_district() {
    let w = World::new().await;
    // Registered for Zhonglou by mistake: the traveller lives in Tianning.
    let t = w.register("NKG", "CZ-ZL-XC", "CZ3802").await;
    let bus = w.vehicle("苏D·Z0002").await;
    w.run_batch("NKG", std::slice::from_ref(&t), &bus, &[]).await;
    let wrong = w.pending_to("CZ-ZL").await.remove(0);
    let id = wrong["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/handoffs/{id}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": ""}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let rejected = w
        .app
        .post(
            &format!("/api/v1/handoffs/{id}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "lives in Tianning"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected.body["status"], "rejected");
    w.app
        .post(
            &format!("/api/v1/handoffs/{id}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "again"}),
        )
        .await
        .expect_problem(409, "invalid_state");
    let back = w.traveller(&t).await;
    assert_eq!(back["custodian_unit_id"], w.app.unit("CZ"));
    assert!(back["handoff_id"].is_null());

    let corrected = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [t]}),
        )
        .await
        .expect(201);
    w.confirm(&corrected.body, "CZ-TN", &[&t]).await.expect(200);
    let now = w.traveller(&t).await;
    assert_eq!(now["destination_district_id"], w.app.unit("CZ-TN"));
    assert!(
        now["destination_community_id"].is_null(),
        "the district decides the community"
    );
    assert!(w.pending_to("CZ-TN-HM").await.is_empty());
    let onward = w
        .app
        .post(
            "/api/v1/handoffs",
            w.officer("CZ-TN"),
            json!({"to_unit_id": w.app.unit("CZ-TN-HM"), "traveller_ids": [t]}),
        )
        .await
        .expect(201);
    assert!(
        onward.body["code"].is_string(),
        "the sending district sees its code"
    );
    w.confirm(&onward.body, "CZ-TN-HM", &[&t]).await.expect(200);
    let done = w.traveller(&t).await;
    assert_eq!(done["status"], "received");
    assert_eq!(done["destination_community_id"], w.app.unit("CZ-TN-HM"));
    // Zhonglou, which rejected, no longer sees the traveller.
    w.app
        .get(&format!("/api/v1/travellers/{t}"), w.officer("CZ-ZL"))
        .await
        .expect_problem(404, "not_found");
    w.assert_invariants();
}

#[actix_web::test]
async fn exceptions_are_recorded_by_the_unit_holding_the_traveller() {
    let w = World::new().await;
    let ids: Vec<String> =
        futures::future::join_all((0..2).map(|_| w.register("PVG", "CZ-TN-HM", "MU9"))).await;
    let bus = w.vehicle("苏D·Z0001").await;
    let batch = w.create_batch("PVG", &ids, &bus).await.expect(201);
    let id = batch.id();
    w.app
        .post(
            &format!("/api/v1/batches/{id}/boarding"),
            &w.dispatcher,
            json!({"boarded": ids}),
        )
        .await
        .expect(200);
    w.app
        .post(&format!("/api/v1/batches/{id}/depart"), &w.dispatcher, json!({}))
        .await
        .expect(200);
    let path = format!("/api/v1/travellers/{}/exception", ids[0]);
    let body =
        json!({"kind": "hospitalised", "reason": "fever on the way", "facility": "Changzhou No. 3 Hospital"});
    w.app
        .post(&path, w.officer("CZ-TN"), body.clone())
        .await
        .expect_problem(409, "invalid_state");
    w.app
        .post(&path, w.officer("CZ-TN-HM"), body.clone())
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(&path, &w.viewer, body.clone())
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(&path, &w.dispatcher, json!({"kind": "abducted", "reason": "x"}))
        .await
        .expect_problem(400, "validation_failed");
    w.app
        .post(&path, &w.dispatcher, json!({"kind": "refused", "reason": " "}))
        .await
        .expect_problem(422, "validation_failed");
    let done = w.app.post(&path, &w.dispatcher, body.clone()).await.expect(200);
    assert_eq!(done.body["status"], "exception");
    assert_eq!(done.body["exception"]["kind"], "hospitalised");
    assert_eq!(done.body["exception"]["facility"], "Changzhou No. 3 Hospital");
    w.app
        .post(&path, &w.dispatcher, body)
        .await
        .expect_problem(409, "invalid_state");

    let arrived = w
        .app
        .post(&format!("/api/v1/batches/{id}/arrive"), &w.dispatcher, json!({}))
        .await
        .expect(200);
    let handoffs = arrived.body["handoffs"].as_array().unwrap();
    assert_eq!(
        handoffs[0]["traveller_ids"],
        json!([ids[1]]),
        "the hospitalised traveller is not handed on"
    );
    w.confirm_all_to("CZ-TN").await;
    // Now at the district: its officer records the exception.
    let pending = w.pending_to("CZ-TN-HM").await.remove(0);
    w.app
        .post(
            &format!("/api/v1/handoffs/{}/reject", pending["id"].as_str().unwrap()),
            w.officer("CZ-TN-HM"),
            json!({"reason": "not home"}),
        )
        .await
        .expect(200);
    w.app
        .post(
            &format!("/api/v1/travellers/{}/exception", ids[1]),
            w.officer("CZ-TN"),
            json!({"kind": "transferred_out", "reason": "moved to Nanjing"}),
        )
        .await
        .expect(200);
    let closed = w
        .app
        .get(&format!("/api/v1/batches/{id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(
        closed.body["status"], "closed",
        "received or exception for everyone closes the batch"
    );
    w.assert_invariants();
}

#[actix_web::test]
async fn nobody_sees_or_acts_across_jurisdictions() {
    let mut w = World::new().await;
    let other = w.app.other_city(&w.admin.clone()).await;
    let t = w.register("PVG", "CZ-TN-HM", "MU10").await;
    let bus = w.vehicle("苏D·Z0001").await;
    let batch = w.run_batch("PVG", std::slice::from_ref(&t), &bus, &[]).await;
    let batch_id = batch["id"].as_str().unwrap();
    let handoff = w.pending_to("CZ-TN").await.remove(0);
    let hid = handoff["id"].as_str().unwrap();
    let code = w.code_of(&w.dispatcher, hid).await;
    let confirm = json!({"code": code, "received_traveller_ids": [t]});

    // Another district, another community, another city: the handoff and traveller do not exist for them.
    for token in [
        w.officer("CZ-ZL"),
        w.officer("CZ-TN-QL"),
        w.officer("CZ-WJ-NX"),
        &other.district_officer,
        &other.community_officer,
        &other.dispatcher,
    ] {
        w.app
            .get(&format!("/api/v1/handoffs/{hid}"), token)
            .await
            .expect_problem(404, "not_found");
        w.app
            .get(&format!("/api/v1/travellers/{t}"), token)
            .await
            .expect_problem(404, "not_found");
        w.app
            .get(&format!("/api/v1/travellers/{t}/trace"), token)
            .await
            .expect_problem(404, "not_found");
    }
    for token in [w.officer("CZ-ZL"), &other.district_officer] {
        w.app
            .post(&format!("/api/v1/handoffs/{hid}/confirm"), token, confirm.clone())
            .await
            .expect_problem(404, "not_found");
        w.app
            .post(
                &format!("/api/v1/handoffs/{hid}/reject"),
                token,
                json!({"reason": "x"}),
            )
            .await
            .expect_problem(404, "not_found");
    }
    // Only the receiving district confirms: not the sender, an admin or a viewer.
    for token in [&w.dispatcher, &w.admin, &w.viewer] {
        w.app
            .post(&format!("/api/v1/handoffs/{hid}/confirm"), token, confirm.clone())
            .await
            .expect_problem(403, "forbidden");
    }
    w.app
        .get(&format!("/api/v1/batches/{batch_id}"), &other.dispatcher)
        .await
        .expect_problem(404, "not_found");
    w.app
        .post(
            &format!("/api/v1/batches/{batch_id}/cancel"),
            &other.dispatcher,
            json!({"reason": "x"}),
        )
        .await
        .expect_problem(404, "not_found");
    for token in [w.officer("CZ-TN"), w.officer("CZ-TN-HM"), &w.viewer] {
        w.app
            .get("/api/v1/batches", token)
            .await
            .expect_problem(403, "forbidden");
        w.app
            .post(
                "/api/v1/batches",
                token,
                json!({"port_id": w.port("PVG"), "traveller_ids": [t], "crew": []}),
            )
            .await
            .expect_problem(403, "forbidden");
        w.app
            .post(
                "/api/v1/travellers",
                token,
                w.traveller_body("PVG", "CZ-TN-HM", "X1"),
            )
            .await
            .expect_problem(403, "forbidden");
    }
    w.app
        .get("/api/v1/travellers", &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .get("/api/v1/handoffs", &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(
            "/api/v1/handoffs",
            w.officer("CZ-TN-HM"),
            json!({"to_unit_id": w.app.unit("CZ-TN-HM"), "traveller_ids": [t]}),
        )
        .await
        .expect_problem(403, "forbidden");
    // Registering a traveller for another city's community is refused.
    let foreign = w.traveller_body("PVG", "WX-LX-01", "X2");
    w.app
        .post("/api/v1/travellers", &w.dispatcher, foreign)
        .await
        .expect_problem(422, "validation_failed");
    // The receiving district confirms; the other city's lists stay empty.
    w.app
        .post(
            &format!("/api/v1/handoffs/{hid}/confirm"),
            w.officer("CZ-TN"),
            confirm,
        )
        .await
        .expect(200);
    for token in [
        &other.dispatcher,
        &other.district_officer,
        &other.community_officer,
    ] {
        let list = w.app.get("/api/v1/travellers", token).await.expect(200);
        assert!(list.body["items"].as_array().unwrap().is_empty());
        let handoffs = w.app.get("/api/v1/handoffs", token).await.expect(200);
        assert!(handoffs.body["items"].as_array().unwrap().is_empty());
    }
    let tn_list = w
        .app
        .get("/api/v1/travellers", w.officer("CZ-TN"))
        .await
        .expect(200);
    assert_eq!(tn_list.body["items"].as_array().unwrap().len(), 1);
    let ql_list = w
        .app
        .get("/api/v1/travellers", w.officer("CZ-TN-QL"))
        .await
        .expect(200);
    assert!(ql_list.body["items"].as_array().unwrap().is_empty());
    w.assert_invariants();
}

#[actix_web::test]
async fn someone_who_leaves_before_boarding_may_be_named_a_no_show_but_not_boarded() {
    let w = World::new().await;
    let ids: Vec<String> =
        futures::future::join_all((0..3).map(|_| w.register("PVG", "CZ-ZL-NY", "MU4"))).await;
    let bus = w.vehicle("苏D·Z0002").await;
    let id = w.create_batch("PVG", &ids, &bus).await.expect(201).id();
    w.app
        .post(
            &format!("/api/v1/travellers/{}/exception", ids[0]),
            &w.dispatcher,
            json!({"kind": "refused", "reason": "declined the transfer"}),
        )
        .await
        .expect(200);
    let path = format!("/api/v1/batches/{id}/boarding");
    w.app
        .post(&path, &w.dispatcher, json!({"boarded": [ids[0], ids[1], ids[2]]}))
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .post(
            &path,
            &w.dispatcher,
            json!({"boarded": [ids[1]], "no_show": [ids[0], ids[2]]}),
        )
        .await
        .expect(200);
    let refused = w.traveller(&ids[0]).await;
    assert_eq!(
        refused["exception"]["kind"], "refused",
        "the first exception stands"
    );
    assert_eq!(w.traveller(&ids[2]).await["exception"]["kind"], "no_show");
    w.assert_invariants();
}

#[actix_web::test]
async fn a_retried_wrong_code_counts_once() {
    let w = World::new().await;
    let (t, id, real) = w.one_arrival("SHA", "CZ-WJ-NX", "FM5", "苏D·Z0001").await;
    let id = id.as_str();
    let wrong = World::wrong_code(&real);
    let body = json!({"code": wrong, "received_traveller_ids": [t]});
    let path = format!("/api/v1/handoffs/{id}/confirm");
    let key = [("idempotency-key", "confirm-wj-1")];
    let first = w
        .app
        .send("POST", &path, Some(w.officer("CZ-WJ")), Some(&body), &key)
        .await;
    let first = first.expect_problem(422, "invalid_handoff_code");
    assert!(first.header("idempotency-replayed").is_none());
    let retry = w
        .app
        .send("POST", &path, Some(w.officer("CZ-WJ")), Some(&body), &key)
        .await;
    let retry = retry.expect_problem(422, "invalid_handoff_code");
    assert_eq!(retry.header("idempotency-replayed").as_deref(), Some("true"));
    assert_eq!(retry.body, first.body);
    let now = w
        .app
        .get(&format!("/api/v1/handoffs/{id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(now.body["failed_attempts"], 1, "the retry did not count again");
    let right = json!({"code": real, "received_traveller_ids": [t]});
    w.app
        .send(
            "POST",
            &path,
            Some(w.officer("CZ-WJ")),
            Some(&right),
            &[("idempotency-key", "confirm-wj-2")],
        )
        .await
        .expect(200);
    w.assert_invariants();
}

#[actix_web::test]
async fn a_list_of_batches_shows_each_batch_as_its_own_page_does() {
    let w = World::new().await;
    let a = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let b = w.register("PVG", "CZ-ZL-NY", "MU5001").await;
    let c = w.register("PVG", "CZ-TN-HM", "MU5002").await;
    let d = w.register("PVG", "CZ-TN-HM", "MU5003").await;
    let bus = w.vehicle("苏D·Z0003").await;
    // One vehicle carries two batches in turn; a third batch waits with another vehicle.
    let first = w.run_batch("PVG", &[a.clone(), b.clone()], &bus, &[]).await;
    w.disinfect(&bus).await;
    let second = w.run_batch("PVG", std::slice::from_ref(&c), &bus, &[]).await;
    let other = w.vehicle("苏D·Z0001").await;
    let third = w
        .create_batch("PVG", std::slice::from_ref(&d), &other)
        .await
        .expect(201)
        .body;

    let list = w
        .app
        .get("/api/v1/batches?limit=50", &w.dispatcher)
        .await
        .expect(200);
    let items = list.body["items"].as_array().unwrap();
    for (batch, travellers, handoffs) in [
        (&first, vec![&a, &b], 2),
        (&second, vec![&c], 1),
        (&third, vec![&d], 0),
    ] {
        let id = batch["id"].as_str().unwrap();
        let listed = items.iter().find(|i| i["id"] == id).expect("the batch is listed");
        let alone = w
            .app
            .get(&format!("/api/v1/batches/{id}"), &w.dispatcher)
            .await
            .expect(200)
            .body;
        assert_eq!(listed, &alone, "the list shows the batch as its page does");
        let mut ids: Vec<&str> = listed["traveller_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        ids.sort();
        let mut want: Vec<&str> = travellers.iter().map(|t| t.as_str()).collect();
        want.sort();
        assert_eq!(ids, want, "each batch lists its own travellers");
        let listed_handoffs = listed["handoffs"].as_array().unwrap();
        assert_eq!(listed_handoffs.len(), handoffs);
        assert!(listed_handoffs.iter().all(|h| h["batch_id"] == id));
    }
    let plate = |b: &serde_json::Value| b["vehicle"]["plate"].as_str().unwrap().to_owned();
    let listed = |b: &serde_json::Value| items.iter().find(|i| i["id"] == b["id"]).unwrap().clone();
    assert_eq!(
        plate(&listed(&first)),
        "苏D·Z0003",
        "a vehicle shared by two batches shows on both"
    );
    assert_eq!(plate(&listed(&second)), "苏D·Z0003");
    assert_eq!(plate(&listed(&third)), "苏D·Z0001");
}
