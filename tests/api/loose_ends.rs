//! Loose ends: every end that keeps the loop open is listed for the unit that must act, scoped to
//! the caller's subtree, and leaves the list (and the dashboard's count) in the transaction that
//! resolves it.

use serde_json::{json, Value};

use crate::helpers::ADMIN;
use crate::world::World;

/// The loose ends a caller sees, all pages.
async fn ends(w: &World, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = w
            .app
            .get(&format!("/api/v1/loose-ends?limit=2&cursor={cursor}"), token)
            .await
            .expect(200);
        all.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return all,
        }
    }
}

/// The end of this kind about this handoff, if the caller sees one.
fn end_of<'a>(list: &'a [Value], kind: &str, handoff: &str) -> Option<&'a Value> {
    list.iter()
        .find(|e| e["kind"] == kind && e["handoff_id"] == handoff)
}

fn ids(value: &Value) -> Vec<String> {
    let mut ids: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

async fn overview_ends(w: &World, token: &str) -> Value {
    w.app.get("/api/v1/stats/overview", token).await.expect(200).body["loose_ends"].clone()
}

/// Counts of each kind in a list.
fn counted(list: &[Value]) -> Value {
    let count = |kind: &str| list.iter().filter(|e| e["kind"] == kind).count();
    json!({
        "missing": count("missing"),
        "rejected": count("rejected"),
        "locked": count("locked"),
        "overdue": count("overdue"),
        "waiting": count("waiting"),
    })
}

#[actix_web::test]
async fn every_kind_of_loose_end_is_listed_for_whom_must_act_scoped_and_gone_once_resolved() {
    let mut w = World::new().await;
    let other = w.app.other_city(&w.admin).await;
    let city = w.app.unit("CZ");

    // Missing: two of three left out when the district confirmed.
    let people: Vec<String> = futures_people(&w, "CZ-TN-HM", 3).await;
    let bus = w.new_vehicle("苏D·LE001", 20).await;
    let batch = w.run_batch("PVG", &people, &bus, &[]).await;
    let batch_id = batch["id"].as_str().unwrap().to_owned();
    let to_tn = w.pending_to("CZ-TN").await.remove(0);
    w.confirm(&to_tn, "CZ-TN", &[people[0].as_str()])
        .await
        .expect(200);
    let missing_from = to_tn["id"].as_str().unwrap().to_owned();

    // Rejected: the next district refuses its handoff.
    let rejected_person = w.register("PVG", "CZ-ZL-XC", "LE002").await;
    let bus2 = w.new_vehicle("苏D·LE002", 20).await;
    w.run_batch("PVG", std::slice::from_ref(&rejected_person), &bus2, &[])
        .await;
    let to_zl = w.pending_to("CZ-ZL").await.remove(0);
    let rejected_id = to_zl["id"].as_str().unwrap().to_owned();
    w.app
        .post(
            &format!("/api/v1/handoffs/{rejected_id}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "wrong district"}),
        )
        .await
        .expect(200);

    // Locked: five wrong codes at the third district.
    w.new_vehicle("苏D·LE003", 20).await;
    let (locked_person, locked_id, code) = w.one_arrival("PVG", "CZ-WJ-HL", "LE003", "苏D·LE003").await;
    for _ in 0..5 {
        w.app
            .post(
                &format!("/api/v1/handoffs/{locked_id}/confirm"),
                w.officer("CZ-WJ"),
                json!({"code": World::wrong_code(&code), "received_traveller_ids": [locked_person]}),
            )
            .await
            .expect_problem(422, "invalid_handoff_code");
    }

    // Waiting: registered with an arrival long past, and never put in a batch.
    let waiting_person = w.register("PVG", "CZ-TN-QL", "LE004").await;

    let list = ends(&w, &w.dispatcher).await;
    let missing = end_of(&list, "missing", &missing_from).expect("the missing end");
    assert_eq!(missing["unit_id"], city, "the sender must act on people missing");
    assert_eq!(missing["batch_id"], batch_id.as_str());
    assert_eq!(ids(&missing["traveller_ids"]), sorted(people[1..].to_vec()));
    assert!(
        missing["detail"].as_str().unwrap().contains("2 people"),
        "{missing}"
    );
    let rejected = end_of(&list, "rejected", &rejected_id).expect("the rejected end");
    assert_eq!(rejected["unit_id"], city);
    assert_eq!(rejected["reason"], "wrong district");
    assert_eq!(ids(&rejected["traveller_ids"]), vec![rejected_person.clone()]);
    let locked = end_of(&list, "locked", &locked_id).expect("the locked end");
    assert_eq!(locked["unit_id"], city);
    assert_eq!(locked["to_unit"]["id"], w.app.unit("CZ-WJ"));
    assert!(
        end_of(&list, "overdue", &locked_id).is_none(),
        "a locked handoff is listed as locked only"
    );
    let waiting = list
        .iter()
        .find(|e| {
            e["kind"] == "waiting"
                && e["traveller_ids"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(waiting_person))
        })
        .expect("the waiting end");
    assert_eq!(waiting["port_id"], w.port("PVG"));
    assert_eq!(waiting["unit_id"], city);
    assert_eq!(waiting["port"]["code"], "PVG");
    // Oldest first.
    let since: Vec<&str> = list.iter().map(|e| e["since"].as_str().unwrap()).collect();
    let mut in_order = since.clone();
    in_order.sort();
    assert_eq!(since, in_order);
    // The dashboard counts what the list holds.
    assert_eq!(overview_ends(&w, &w.dispatcher).await, counted(&list));

    // In Chinese, when asked for.
    let zh = w
        .app
        .send(
            "GET",
            "/api/v1/loose-ends?kind=missing",
            Some(&w.dispatcher),
            None,
            &[("Accept-Language", "zh-CN")],
        )
        .await
        .expect(200);
    assert!(
        zh.body["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("2 人未到"),
        "{}",
        zh.body
    );

    // Scope: the district sees its own ends, another district and another city see none of them,
    // and a viewer may not read the list.
    let tn = ends(&w, w.officer("CZ-TN")).await;
    assert!(end_of(&tn, "missing", &missing_from).is_some());
    assert!(end_of(&tn, "rejected", &rejected_id).is_none());
    assert!(end_of(&tn, "locked", &locked_id).is_none());
    // A community sees no end of a handoff it is not part of, even about people bound for it.
    let hm = ends(&w, w.officer("CZ-TN-HM")).await;
    assert!(end_of(&hm, "missing", &missing_from).is_none(), "{hm:?}");
    let zl = ends(&w, w.officer("CZ-ZL")).await;
    assert!(end_of(&zl, "rejected", &rejected_id).is_some());
    assert!(end_of(&zl, "missing", &missing_from).is_none());
    for token in [
        &other.dispatcher,
        &other.district_officer,
        &other.community_officer,
    ] {
        let theirs = ends(&w, token).await;
        assert!(
            theirs.is_empty(),
            "another city sees nothing of this one: {theirs:?}"
        );
    }
    w.app
        .get("/api/v1/loose-ends", &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    assert_eq!(
        w.app
            .get("/api/v1/loose-ends?kind=missing", &w.dispatcher)
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "filtered by kind"
    );
    let by_unit = w
        .app
        .get(
            &format!("/api/v1/loose-ends?unit_id={}", w.app.unit("CZ-TN")),
            &w.dispatcher,
        )
        .await
        .expect(200);
    assert!(by_unit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["unit_id"] == w.app.unit("CZ-TN")));

    // The batch card tells who boarded and who is missing.
    let card = w
        .app
        .get(&format!("/api/v1/batches/{batch_id}"), &w.dispatcher)
        .await
        .expect(200);
    let outcome = |id: &str| {
        card.body["travellers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome(&people[0]), "boarded");
    assert_eq!(outcome(&people[1]), "missing");

    // Resolutions. One missing person gets an exception: the end stays with the other.
    w.app
        .post(
            &format!("/api/v1/travellers/{}/exception", people[1]),
            &w.dispatcher,
            json!({"kind": "hospitalised", "reason": "taken ill on the way", "facility": "City Hospital"}),
        )
        .await
        .expect(200);
    let list = ends(&w, &w.dispatcher).await;
    let missing = end_of(&list, "missing", &missing_from).expect("still one missing");
    assert_eq!(ids(&missing["traveller_ids"]), vec![people[2].clone()]);
    // The other is handed again: the end is gone.
    let again = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [people[2]]}),
        )
        .await
        .expect(201);
    // The rejected person goes to a corrected district.
    w.app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [rejected_person]}),
        )
        .await
        .expect(201);
    // The locked handoff is reissued: the old code stops working, and the two name each other.
    let reissued = w
        .app
        .post(
            &format!("/api/v1/handoffs/{locked_id}/reissue"),
            &w.dispatcher,
            json!({}),
        )
        .await
        .expect(201);
    let new_id = reissued.id();
    assert_eq!(reissued.body["replaces"], locked_id.as_str());
    assert_eq!(reissued.body["status"], "pending");
    assert_eq!(reissued.body["traveller_ids"], json!([locked_person]));
    assert!(!reissued.body["locked"].as_bool().unwrap());
    let old = w
        .app
        .get(&format!("/api/v1/handoffs/{locked_id}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(old.body["status"], "cancelled");
    assert_eq!(old.body["replaced_by"], new_id.as_str());
    w.app
        .post(
            &format!("/api/v1/handoffs/{locked_id}/confirm"),
            w.officer("CZ-WJ"),
            json!({"code": code, "received_traveller_ids": [locked_person]}),
        )
        .await
        .expect_problem(409, "invalid_state");
    let new_code = reissued.body["code"].as_str().unwrap().to_owned();
    if new_code != code {
        w.app
            .post(
                &format!("/api/v1/handoffs/{new_id}/confirm"),
                w.officer("CZ-WJ"),
                json!({"code": code, "received_traveller_ids": [locked_person]}),
            )
            .await
            .expect_problem(422, "invalid_handoff_code");
    }
    // The waiting person is put in a batch.
    let bus4 = w.new_vehicle("苏D·LE004", 20).await;
    w.create_batch("PVG", std::slice::from_ref(&waiting_person), &bus4)
        .await
        .expect(201);

    let list = ends(&w, &w.dispatcher).await;
    assert!(end_of(&list, "missing", &missing_from).is_none(), "{list:?}");
    assert!(end_of(&list, "rejected", &rejected_id).is_none());
    assert!(end_of(&list, "locked", &locked_id).is_none());
    assert!(!list.iter().any(|e| e["traveller_ids"]
        .as_array()
        .unwrap()
        .contains(&json!(waiting_person))));
    assert_eq!(overview_ends(&w, &w.dispatcher).await, counted(&list));
    // The new handoffs are no loose end until they are due.
    assert!(end_of(&list, "overdue", &again.id()).is_none());
    w.assert_invariants();
}

/// `n` travellers registered for one community.
async fn futures_people(w: &World, community: &str, n: usize) -> Vec<String> {
    let mut people = Vec::new();
    for i in 0..n {
        people.push(w.register("PVG", community, &format!("LE1{i:02}")).await);
    }
    people
}

#[actix_web::test]
async fn an_overdue_handoff_is_the_receivers_end_and_the_sender_sees_it_too() {
    let w = World::with(|s| s.handoff.sla_minutes = 0).await;
    w.new_vehicle("苏D·LE201", 20).await;
    let (_, handoff, _) = w.one_arrival("PVG", "CZ-TN-HM", "LE201", "苏D·LE201").await;
    let receiver = ends(&w, w.officer("CZ-TN")).await;
    let end = end_of(&receiver, "overdue", &handoff).expect("the receiver's end");
    assert_eq!(end["unit_id"], w.app.unit("CZ-TN"));
    assert!(end["due_at"].is_string());
    assert_eq!(end["from_unit"]["id"], w.app.unit("CZ"));
    let sender = ends(&w, &w.dispatcher).await;
    assert!(end_of(&sender, "overdue", &handoff).is_some());
    assert!(end_of(&ends(&w, w.officer("CZ-ZL")).await, "overdue", &handoff).is_none());
    assert_eq!(overview_ends(&w, w.officer("CZ-TN")).await["overdue"], 1);
    // Any cursor of the documented pattern is read, even one naming no time that can be written.
    w.app
        .get("/api/v1/loose-ends?cursor=0ODRAZs0D7hQ-2tPk0JvWl", &w.dispatcher)
        .await
        .expect(200);
    w.app
        .get("/api/v1/loose-ends?cursor=_____________________w", &w.dispatcher)
        .await
        .expect(200);
    w.app
        .get("/api/v1/loose-ends?cursor=nope", &w.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
    w.confirm_all_to("CZ-TN").await;
    assert!(end_of(&ends(&w, &w.dispatcher).await, "overdue", &handoff).is_none());
}

#[actix_web::test]
async fn two_resolutions_of_one_end_at_once_one_wins_and_the_other_gets_409() {
    let w = World::new().await;
    let second = w
        .app
        .user_with(&w.admin, "second.dispatcher", "dispatcher", Some("CZ"))
        .await;
    // A missing person, handed again by two dispatchers at once.
    let people = futures_people(&w, "CZ-TN-HM", 2).await;
    let bus = w.new_vehicle("苏D·LE301", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    let h = w.pending_to("CZ-TN").await.remove(0);
    w.confirm(&h, "CZ-TN", &[people[0].as_str()]).await.expect(200);
    let body = json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [people[1]]});
    let (a, b) = tokio::join!(
        w.app.post("/api/v1/handoffs", &w.dispatcher, body.clone()),
        w.app.post("/api/v1/handoffs", &second, body.clone()),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} {}", a.body, b.body);

    // A locked handoff, reissued by both at once.
    w.new_vehicle("苏D·LE302", 20).await;
    let (person, locked, code) = w.one_arrival("PVG", "CZ-ZL-XC", "LE302", "苏D·LE302").await;
    for _ in 0..5 {
        w.app
            .post(
                &format!("/api/v1/handoffs/{locked}/confirm"),
                w.officer("CZ-ZL"),
                json!({"code": World::wrong_code(&code), "received_traveller_ids": [person]}),
            )
            .await;
    }
    let path = format!("/api/v1/handoffs/{locked}/reissue");
    let (a, b) = tokio::join!(
        w.app.post(&path, &w.dispatcher, json!({})),
        w.app.post(&path, &second, json!({})),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} {}", a.body, b.body);
    let open = w.pending_to("CZ-ZL").await;
    assert_eq!(open.len(), 1, "exactly one new handoff: {open:?}");
    w.assert_invariants();
}

#[actix_web::test]
async fn only_the_sending_side_reissues_and_only_a_pending_handoff() {
    let w = World::new().await;
    w.new_vehicle("苏D·LE401", 20).await;
    let (person, handoff, _) = w.one_arrival("PVG", "CZ-TN-HM", "LE401", "苏D·LE401").await;
    let path = format!("/api/v1/handoffs/{handoff}/reissue");
    w.app
        .post(&path, w.officer("CZ-TN"), json!({}))
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(&path, &w.viewer, json!({}))
        .await
        .expect_problem(403, "forbidden");
    w.app
        .post(&path, w.officer("CZ-ZL"), json!({}))
        .await
        .expect_problem(404, "not_found");
    // Reissued without a lock: a code lost on the way is replaced.
    let new = w.app.post(&path, &w.dispatcher, json!({})).await.expect(201);
    assert_eq!(new.body["traveller_ids"], json!([person]));
    w.app
        .post(&path, &w.dispatcher, json!({}))
        .await
        .expect_problem(409, "invalid_state");
    let traveller = w.traveller(&person).await;
    assert_eq!(traveller["handoff_id"], new.id().as_str());
    w.assert_invariants();
}

#[actix_web::test]
async fn a_re_hand_the_sender_cancels_leaves_the_rejection_open() {
    let w = World::new().await;
    w.new_vehicle("苏D·LE501", 20).await;
    let (person, first, _) = w.one_arrival("PVG", "CZ-ZL-XC", "LE501", "苏D·LE501").await;
    w.app
        .post(
            &format!("/api/v1/handoffs/{first}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "full"}),
        )
        .await
        .expect(200);
    assert!(end_of(&ends(&w, &w.dispatcher).await, "rejected", &first).is_some());
    // Handed again: the end leaves. The dispatcher thinks better of it and cancels: it is back.
    let again = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-ZL"), "traveller_ids": [person]}),
        )
        .await
        .expect(201)
        .id();
    assert!(end_of(&ends(&w, &w.dispatcher).await, "rejected", &first).is_none());
    w.app
        .post(
            &format!("/api/v1/handoffs/{again}/cancel"),
            &w.dispatcher,
            json!({"reason": "wrong district"}),
        )
        .await
        .expect(200);
    let list = ends(&w, &w.dispatcher).await;
    let end = end_of(&list, "rejected", &first).expect("the rejection is open again");
    assert_eq!(end["traveller_ids"], json!([person]));
}

#[actix_web::test]
async fn a_re_hand_of_a_missing_person_the_sender_cancels_leaves_them_missing() {
    let w = World::new().await;
    let people = [
        w.register("PVG", "CZ-TN-HM", "LE601").await,
        w.register("PVG", "CZ-TN-HM", "LE601").await,
    ];
    let bus = w.new_vehicle("苏D·LE601", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    let to_tn = w.pending_to("CZ-TN").await.remove(0);
    w.confirm(&to_tn, "CZ-TN", &[people[0].as_str()])
        .await
        .expect(200);
    let first = to_tn["id"].as_str().unwrap().to_owned();
    let since = end_of(&ends(&w, &w.dispatcher).await, "missing", &first).unwrap()["since"].clone();
    assert!(since.is_string());
    assert_eq!(missing_counts(&w).await, (json!(1), json!(1)));

    // Handed again, then cancelled by the sender: the person is missing again, since the same
    // time, and the end and every count are back.
    let again = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [people[1]]}),
        )
        .await
        .expect(201)
        .id();
    assert_eq!(missing_counts(&w).await, (json!(0), json!(0)));
    assert_eq!(w.traveller(&people[1]).await["missing"], false);
    w.app
        .post(
            &format!("/api/v1/handoffs/{again}/cancel"),
            &w.dispatcher,
            json!({"reason": "the district is closed tonight"}),
        )
        .await
        .expect(200);
    let person = w.traveller(&people[1]).await;
    assert_eq!(person["missing"], true, "{person}");
    let list = ends(&w, &w.dispatcher).await;
    let end = end_of(&list, "missing", &first).expect("the missing end is open again");
    assert_eq!(end["traveller_ids"], json!([people[1]]));
    assert_eq!(end["since"], since, "missing since the first confirmation");
    assert_eq!(missing_counts(&w).await, (json!(1), json!(1)));
    let admin = w.app.login(ADMIN).await;
    let events = w.app.events_of(&admin, "traveller", &people[1]).await;
    assert!(
        events.iter().any(|e| e["action"] == "traveller.missing_again"),
        "{events:?}"
    );
    // A reissue is no cancellation: the person stays handed, not missing.
    let third = w
        .app
        .post(
            "/api/v1/handoffs",
            &w.dispatcher,
            json!({"to_unit_id": w.app.unit("CZ-TN"), "traveller_ids": [people[1]]}),
        )
        .await
        .expect(201)
        .id();
    w.app
        .post(
            &format!("/api/v1/handoffs/{third}/reissue"),
            &w.dispatcher,
            json!({}),
        )
        .await
        .expect(201);
    assert_eq!(w.traveller(&people[1]).await["missing"], false);
    assert_eq!(missing_counts(&w).await, (json!(0), json!(0)));
    w.assert_invariants();
}

/// The people missing, and the missing ends, as the dispatcher's overview counts them.
async fn missing_counts(w: &World) -> (Value, Value) {
    let o = w
        .app
        .get("/api/v1/stats/overview", &w.dispatcher)
        .await
        .expect(200)
        .body;
    (o["loop"]["missing"].clone(), o["loose_ends"]["missing"].clone())
}
