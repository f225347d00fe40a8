//! A realistic day: three ports, more than thirty batches and a hundred and fifty travellers bound
//! for every district and community, with no-shows, a hospitalisation on the way, a rejected
//! handoff re-sent to the right district and a partial confirmation resolved later. At the end
//! every traveller is received or an exception, and every batch is closed.

use serde_json::json;

use crate::world::*;

#[actix_web::test]
async fn a_whole_day_of_transfers_closes_every_loop() {
    let w = World::new().await;
    let ports = ["PVG", "SHA", "NKG"];
    let mut vehicles = Vec::new();
    for i in 0..6 {
        vehicles.push(w.new_vehicle(&format!("苏D·F{i:04}"), 20).await);
    }
    // 32 batches of 5: 160 travellers, spread over the ports and all six communities.
    let mut batches = Vec::new();
    let mut all = Vec::new();
    for b in 0..32 {
        let port = ports[b % 3];
        let flight = format!("MU{}", 5000 + b / 4);
        let mut group = Vec::new();
        for k in 0..5 {
            let community = COMMUNITIES[(b + k) % COMMUNITIES.len()];
            group.push(w.register(port, community, &flight).await);
        }
        all.extend(group.clone());
        batches.push((port, group));
    }
    assert!(all.len() >= 150);
    let mut hospitalised = None;
    let mut no_shows = Vec::new();
    let mut batch_ids = Vec::new();
    for (i, (port, group)) in batches.iter().enumerate() {
        let vehicle = &vehicles[i % vehicles.len()];
        let no_show: Vec<String> = if i % 8 == 3 {
            vec![group[4].clone()]
        } else {
            vec![]
        };
        no_shows.extend(no_show.clone());
        let batch = w.create_batch(port, group, vehicle).await.expect(201);
        let id = batch.id();
        let boarded: Vec<&String> = group.iter().filter(|t| !no_show.contains(t)).collect();
        w.app
            .post(
                &format!("/api/v1/batches/{id}/boarding"),
                &w.dispatcher,
                json!({"boarded": boarded, "no_show": no_show}),
            )
            .await
            .expect(200);
        w.app
            .post(&format!("/api/v1/batches/{id}/depart"), &w.dispatcher, json!({}))
            .await
            .expect(200);
        if i == 5 {
            let sick = group[0].clone();
            w.app
                .post(
                    &format!("/api/v1/travellers/{sick}/exception"),
                    &w.dispatcher,
                    json!({"kind": "hospitalised", "reason": "fever on the expressway", "facility": "Changzhou No. 3 Hospital"}),
                )
                .await
                .expect(200);
            hospitalised = Some(sick);
        }
        w.app
            .post(&format!("/api/v1/batches/{id}/arrive"), &w.dispatcher, json!({}))
            .await
            .expect(200);
        w.disinfect(vehicle).await;
        batch_ids.push(id);
    }
    w.assert_invariants();

    // Zhonglou rejects one handoff: one of its travellers actually lives in Wujin.
    let mut zl = w.pending_to("CZ-ZL").await;
    let wrong = zl.remove(0);
    let misrouted = wrong["traveller_ids"][0].as_str().unwrap().to_owned();
    let others: Vec<String> = wrong["traveller_ids"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    w.app
        .post(
            &format!("/api/v1/handoffs/{}/reject", wrong["id"].as_str().unwrap()),
            w.officer("CZ-ZL"),
            json!({"reason": "one of them lives in Wujin"}),
        )
        .await
        .expect(200);
    w.app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-WJ"), "traveller_ids": [misrouted]}),
        )
        .await
        .expect(201);
    if !others.is_empty() {
        w.app
            .post(
                "/api/v1/handoffs",
                &w.dispatcher,
                json!({"to_unit_id": w.app.unit("CZ-ZL"), "traveller_ids": others}),
            )
            .await
            .expect(201);
    }

    // Tianning receives one handoff partially: one person is not at the drop-off point yet.
    let mut tn = w.pending_to("CZ-TN").await;
    let partial = tn.remove(0);
    let offered: Vec<&str> = partial["traveller_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let late = offered[0].to_owned();
    w.confirm(&partial, "CZ-TN", &offered[1..]).await.expect(200);
    assert_eq!(w.traveller(&late).await["missing"], true);
    w.assert_invariants();

    for district in DISTRICTS {
        w.confirm_all_to(district).await;
    }
    // The late traveller turns up and is handed again.
    w.app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [late]}),
        )
        .await
        .expect(201);
    w.confirm_all_to("CZ-TN").await;

    // The misrouted traveller reached Wujin without a community: Wujin hands them on.
    let placed = w.traveller(&misrouted).await;
    assert_eq!(placed["destination_district_id"], w.app.unit("CZ-WJ"));
    w.app
        .post(
            "/api/v1/handoffs",
            w.officer("CZ-WJ"),
            json!({"to_unit_id": w.app.unit("CZ-WJ-NX"), "traveller_ids": [misrouted]}),
        )
        .await
        .expect(201);
    for community in COMMUNITIES {
        w.confirm_all_to(community).await;
    }
    w.assert_invariants();

    for id in &all {
        let t = w.traveller(id).await;
        assert!(
            t["status"] == "received" || t["status"] == "exception",
            "{id} is {}",
            t["status"]
        );
    }
    let exceptions: Vec<String> = {
        let list = w
            .app
            .get("/api/v1/travellers?status=exception&limit=500", &w.dispatcher)
            .await
            .expect(200);
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(exceptions.len(), no_shows.len() + 1);
    assert!(exceptions.contains(hospitalised.as_ref().unwrap()));
    for id in &batch_ids {
        let b = w
            .app
            .get(&format!("/api/v1/batches/{id}"), &w.dispatcher)
            .await
            .expect(200);
        assert_eq!(b.body["status"], "closed", "batch {}", b.body["code"]);
    }
    let pending = w
        .app
        .get("/api/v1/handoffs?status=pending", &w.admin)
        .await
        .expect(200);
    assert!(pending.body["items"].as_array().unwrap().is_empty());
    let trace = w
        .app
        .get(&format!("/api/v1/travellers/{misrouted}/trace"), &w.admin)
        .await
        .expect(200);
    let kinds: Vec<&str> = trace.body["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"handoff_rejected") && kinds.ends_with(&["handed", "received"]),
        "{kinds:?}"
    );
}
