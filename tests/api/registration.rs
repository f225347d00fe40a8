//! Registering arrivals one by one and by manifest, finding them, and who shared their trip.

use serde_json::json;

use crate::world::*;

#[actix_web::test]
async fn a_dispatcher_registers_an_arrival_and_every_bad_field_is_named() {
    let w = World::new().await;
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    body["document_no"] = json!(" e 1234 5678 ");
    body["nationality"] = json!("gbr");
    let created = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, body.clone())
        .await
        .expect(201);
    assert_eq!(created.body["document_no"], "E12345678");
    assert_eq!(created.body["nationality"], "GBR");
    assert_eq!(created.body["status"], "awaiting_transfer");
    assert_eq!(created.body["custodian_unit_id"], w.app.unit("CZ"));
    assert_eq!(created.body["destination_district_id"], w.app.unit("CZ-TN"));
    assert!(created.body["exception"].is_null() && created.body["batch_id"].is_null());
    // The same document cannot have two open transfers.
    w.app
        .post("/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect_problem(409, "conflict");

    let before = w.app.count_rows("travellers");
    let mut bad = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    bad["full_name"] = json!(" ");
    bad["nationality"] = json!("CN");
    bad["phone"] = json!("call me");
    bad["flight_no"] = json!("MU-5001!");
    bad["arrived_at"] = json!("yesterday");
    bad["destination_community_id"] = json!(w.app.unit("CZ-TN"));
    let res = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, bad)
        .await
        .expect_problem(422, "validation_failed");
    let mut fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        ["arrived_at", "flight_no", "full_name", "nationality", "phone"]
    );
    let mut future = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    future["arrived_at"] = json!("2999-01-01T00:00:00Z");
    w.app
        .post("/api/v1/travellers", &w.dispatcher, future)
        .await
        .expect_problem(422, "validation_failed");
    let mut not_community = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    not_community["destination_community_id"] = json!(w.app.unit("CZ-TN"));
    let res = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, not_community)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "destination_community_id");
    let mut typo = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    typo["document_kind"] = json!("passport");
    w.app
        .post("/api/v1/travellers", &w.dispatcher, typo)
        .await
        .expect_problem(400, "validation_failed");
    assert_eq!(w.app.count_rows("travellers"), before);
}

const HEADER: &str = "full_name,document_type,document_no,nationality,phone,flight_no,port_code,arrived_at,destination_community_code,address,language,notes";

#[actix_web::test]
async fn a_manifest_is_imported_whole_or_not_at_all() {
    let w = World::new().await;
    let good = format!(
        "{HEADER}\n\
         Wang Fang,passport,G1000001,CHN,+86 139 0000 0001,MU5002,PVG,2020-03-08T06:10:00Z,CZ-TN-HM,\"1 Hongmei Rd, Tianning\",zh,\n\
         John Smith,passport,GB7700112,GBR,,MU5002,pvg,2020-03-08T06:10:00+08:00,CZ-ZL-NY,,en,needs interpreter\n\
         Sato Yuki,passport,TK5566778,JPN,,MU5002,PVG,2020-03-08T06:10:00Z,CZ-WJ-HL,,ja,\n"
    );
    let res = w
        .app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            good.into_bytes(),
        )
        .await
        .expect(201);
    assert_eq!(res.body["created"], 3);
    let found = w
        .app
        .get("/api/v1/travellers?q=smith", &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(found.body["items"][0]["full_name"], "John Smith");
    assert_eq!(found.body["items"][0]["flight_no"], "MU5002");
    let by_flight = w
        .app
        .get("/api/v1/travellers?q=mu5002&limit=500", &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(by_flight.body["items"].as_array().unwrap().len(), 3);
    let tn = w
        .app
        .get(
            &format!(
                "/api/v1/travellers?destination_district_id={}",
                w.app.unit("CZ-TN")
            ),
            &w.dispatcher,
        )
        .await
        .expect(200);
    assert_eq!(tn.body["items"].as_array().unwrap().len(), 1);

    let before = w.app.count_rows("travellers");
    let bad = format!(
        "{HEADER}\n\
         Good Row,passport,OK000001,CHN,,MU1,PVG,2020-03-08T06:10:00Z,CZ-TN-HM,,zh,\n\
         ,passport,BAD00001,CHN,,MU1,PVG,2020-03-08T06:10:00Z,CZ-TN-HM,,zh,\n\
         Bad Port,passport,BAD00002,CHN,,MU1,XXX,2020-03-08T06:10:00Z,CZ-TN-HM,,zh,\n\
         Bad Place,visa,BAD00003,CHN,,MU1,PVG,soon,WX-LX-01,,fr,\n\
         Twice,passport,OK000001,CHN,,MU1,PVG,2020-03-08T06:10:00Z,CZ-TN-HM,,zh,\n\
         Already Open,passport,G1000001,CHN,,MU1,PVG,2020-03-08T06:10:00Z,CZ-TN-HM,,zh,\n"
    );
    let res = w
        .app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            bad.into_bytes(),
        )
        .await;
    let res = res.expect_problem(422, "validation_failed");
    let errors = res.body["errors"].as_array().unwrap();
    let at = |row: u64, field: &str| errors.iter().any(|e| e["row"] == row && e["field"] == field);
    assert!(at(3, "full_name"), "{errors:?}");
    assert!(at(4, "port_code"));
    assert!(
        at(5, "document_type")
            && at(5, "arrived_at")
            && at(5, "destination_community_code")
            && at(5, "language")
    );
    assert!(at(6, "document_no"), "a document twice in one manifest");
    assert!(at(7, "document_no"), "a document with an open transfer");
    assert!(!errors.iter().any(|e| e["row"] == 2), "the good row has no error");
    assert_eq!(w.app.count_rows("travellers"), before, "nothing was written");

    let unknown_column = format!("{HEADER},shoe_size\n");
    w.app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            unknown_column.into_bytes(),
        )
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            format!("{HEADER}\n").into_bytes(),
        )
        .await
        .expect_problem(422, "validation_failed");
    w.app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "application/json",
            b"[]".to_vec(),
        )
        .await
        .expect_problem(415, "unsupported_media_type");
    w.app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(w.officer("CZ-TN")),
            "text/csv",
            format!("{HEADER}\n").into_bytes(),
        )
        .await
        .expect_problem(403, "forbidden");
}

#[actix_web::test]
async fn a_retried_batch_creation_does_not_act_twice() {
    let w = World::new().await;
    let t = w.register("PVG", "CZ-TN-HM", "MU1").await;
    let body = json!({"port_id": w.port("PVG"), "traveller_ids": [t], "crew": World::crew()});
    let headers = [("idempotency-key", "batch-42")];
    let first = w
        .app
        .send(
            "POST",
            "/api/v1/batches",
            Some(&w.dispatcher),
            Some(&body),
            &headers,
        )
        .await
        .expect(201);
    let retry = w
        .app
        .send(
            "POST",
            "/api/v1/batches",
            Some(&w.dispatcher),
            Some(&body),
            &headers,
        )
        .await
        .expect(201);
    assert_eq!(first.body["id"], retry.body["id"]);
    assert_eq!(first.body["code"], retry.body["code"]);
    let all = w.app.get("/api/v1/batches", &w.dispatcher).await.expect(200);
    assert_eq!(all.body["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_cancelled_batch_returns_its_travellers_and_frees_its_vehicle() {
    let w = World::new().await;
    let ids: Vec<String> =
        futures::future::join_all((0..2).map(|_| w.register("SHA", "CZ-ZL-XC", "FM2"))).await;
    let bus = w.vehicle("苏D·Z0002").await;
    let batch = w.create_batch("SHA", &ids, &bus).await.expect(201);
    let id = batch.id();
    w.app
        .post(&format!("/api/v1/batches/{id}/cancel"), &w.dispatcher, json!({}))
        .await
        .expect_problem(400, "validation_failed");
    let cancelled = w
        .app
        .post(
            &format!("/api/v1/batches/{id}/cancel"),
            &w.dispatcher,
            json!({"reason": "flight delayed"}),
        )
        .await
        .expect(200);
    assert_eq!(cancelled.body["status"], "cancelled");
    assert_eq!(cancelled.body["cancel_reason"], "flight delayed");
    let t = w.traveller(&ids[0]).await;
    assert_eq!(t["status"], "awaiting_transfer");
    assert!(t["batch_id"].is_null());
    let v = w
        .app
        .get(&format!("/api/v1/vehicles/{bus}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(v.body["status"], "available");
    w.app
        .post(&format!("/api/v1/batches/{id}/depart"), &w.dispatcher, json!({}))
        .await
        .expect_problem(409, "invalid_state");
    // They can be put in a new batch, which departs and can no longer be cancelled.
    let next = w.run_batch("SHA", &ids, &bus, &[]).await;
    let next_id = next["id"].as_str().unwrap();
    assert!(next["code"].as_str().unwrap().ends_with("-002"));
    w.app
        .post(
            &format!("/api/v1/batches/{next_id}/cancel"),
            &w.dispatcher,
            json!({"reason": "too late"}),
        )
        .await
        .expect_problem(409, "invalid_state");
    w.app
        .post(
            &format!("/api/v1/batches/{next_id}/travellers"),
            &w.dispatcher,
            json!({"add": [], "remove": [ids[0]]}),
        )
        .await
        .expect_problem(409, "invalid_state");
    let trace = w
        .app
        .get(&format!("/api/v1/travellers/{}/trace", ids[0]), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(trace.body["batches"].as_array().unwrap().len(), 2);
    w.assert_invariants();
}

#[actix_web::test]
async fn contacts_are_the_co_passengers_of_the_batch_and_the_flight() {
    let w = World::new().await;
    let a = w.register("PVG", "CZ-TN-HM", "MU7001").await;
    let b = w.register("PVG", "CZ-ZL-NY", "MU7001").await;
    let c = w.register("PVG", "CZ-TN-HM", "CA0931").await;
    let d = w.register("PVG", "CZ-TN-QL", "MU7001").await;
    let bus = w.vehicle("苏D·Z0001").await;
    w.run_batch("PVG", &[a.clone(), b.clone(), c.clone()], &bus, &[])
        .await;
    let contacts = w
        .app
        .get(&format!("/api/v1/travellers/{a}/contacts"), &w.dispatcher)
        .await
        .expect(200);
    let ids = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = contacts.body[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut batch_mates = vec![b.clone(), c.clone()];
    batch_mates.sort();
    assert_eq!(ids("same_batch"), batch_mates);
    let mut flight_mates = vec![b.clone(), d.clone()];
    flight_mates.sort();
    assert_eq!(ids("same_flight"), flight_mates);
    // A district officer sees only the contacts of its own district, and how many there are in all.
    let tn = w
        .app
        .get(&format!("/api/v1/travellers/{a}/contacts"), w.officer("CZ-TN"))
        .await
        .expect(200);
    assert_eq!(tn.body["same_batch"].as_array().unwrap().len(), 1);
    assert_eq!(tn.body["same_batch_total"], 2);
    assert_eq!(tn.body["same_flight_total"], 2);
    w.app
        .get(&format!("/api/v1/travellers/{a}/contacts"), w.officer("CZ-ZL"))
        .await
        .expect_problem(404, "not_found");
}

#[actix_web::test]
async fn a_large_invalid_manifest_groups_its_repeated_problems_and_counts_them_all() {
    let w = World::new().await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..300 {
        // Two problems a row: an unknown port and a time that is no time.
        csv.push_str(&format!(
            "Row {i},passport,BULK{i:05},CHN,,MU1,XXX,never,CZ-TN-HM,,zh,\n"
        ));
    }
    let res = w
        .app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            csv.into_bytes(),
        )
        .await
        .expect_problem(422, "validation_failed");
    // The same two problems on every row: two entries, each naming the 300 rows.
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(res.body["error_count"], 600);
    let fields: Vec<&str> = errors.iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["port_code", "arrived_at"], "in column order");
    for e in errors {
        assert_eq!(e["row"], 2);
        assert_eq!(e["rows"].as_array().unwrap().len(), 300);
    }
    assert!(res.body.to_string().len() < 20_000);
    assert_eq!(w.app.count_rows("travellers"), 0);
}

#[actix_web::test]
async fn a_manifest_of_the_largest_size_is_imported_whole() {
    let w = World::with(|s| s.server.max_body_bytes = 4 << 20).await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..5000 {
        let community = COMMUNITIES[i % COMMUNITIES.len()];
        csv.push_str(&format!(
            "Row {i},passport,BIG{i:06},CHN,,MU5001,PVG,2020-03-08T06:10:00Z,{community},,zh,\n"
        ));
    }
    let res = w
        .app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            csv.into_bytes(),
        )
        .await
        .expect(201);
    assert_eq!(res.body["created"], 5000);
    assert_eq!(w.app.count_rows("travellers"), 5000);
    w.assert_invariants();
}
