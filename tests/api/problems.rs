//! Problems a client can act on: every problem carries `code` and `params` (checked for every
//! problem of the suite by `expect_problem`), and its words follow `Accept-Language`.

use serde_json::json;

use crate::helpers::Response;
use crate::world::World;

async fn post_in(w: &World, lang: &str, path: &str, token: &str, body: serde_json::Value) -> Response {
    w.app
        .send(
            "POST",
            path,
            Some(token),
            Some(&body),
            &[("accept-language", lang)],
        )
        .await
}

#[actix_web::test]
async fn a_wrong_code_says_how_many_tries_are_left_in_the_officers_language() {
    let w = World::new().await;
    let (t, id, real) = w.one_arrival("PVG", "CZ-ZL-XC", "MU2", "苏D·Z0002").await;
    let path = format!("/api/v1/handoffs/{id}/confirm");
    let body = json!({"code": World::wrong_code(&real), "received_traveller_ids": [t]});
    let officer = w.officer("CZ-ZL");
    let zh = post_in(&w, "zh-CN,zh;q=0.9,en;q=0.8", &path, officer, body.clone())
        .await
        .expect_problem(422, "invalid_handoff_code");
    assert_eq!(zh.body["params"], json!({"tries_left": 4}));
    assert_eq!(zh.body["detail"], "交接码错误，锁定前还可尝试 4 次");
    let en = post_in(&w, "en-GB", &path, officer, body.clone())
        .await
        .expect_problem(422, "invalid_handoff_code");
    assert_eq!(en.body["params"], json!({"tries_left": 3}));
    assert_eq!(
        en.body["detail"],
        "wrong handoff code; 3 attempts left before the handoff locks"
    );
    // No preference for either language: English.
    let other = post_in(&w, "fr-FR", &path, officer, body.clone())
        .await
        .expect_problem(422, "invalid_handoff_code");
    assert!(other.body["detail"]
        .as_str()
        .unwrap()
        .starts_with("wrong handoff code"));
    post_in(&w, "en", &path, officer, body.clone()).await;
    let fifth = post_in(&w, "en", &path, officer, body.clone())
        .await
        .expect_problem(422, "invalid_handoff_code");
    assert_eq!(fifth.body["params"], json!({"tries_left": 0}));
    // Locked: the receiver is told whom to call, by params alone.
    let locked = post_in(&w, "zh", &path, officer, body)
        .await
        .expect_problem(409, "invalid_state");
    let city = w
        .app
        .get(&format!("/api/v1/units/{}", w.app.unit("CZ")), &w.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(locked.body["params"]["unit"]["id"], city["id"]);
    assert_eq!(locked.body["params"]["unit"]["name"], city["name"]);
    assert_eq!(locked.body["params"]["unit"]["hotline"], city["hotline"]);
    assert!(locked.body["detail"].as_str().unwrap().contains("锁定"));
}

#[actix_web::test]
async fn each_field_problem_carries_its_code_and_params_in_the_readers_language() {
    let w = World::new().await;
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU1");
    body["full_name"] = json!("x".repeat(201));
    body["nationality"] = json!("Narnia");
    let zh = post_in(&w, "zh", "/api/v1/travellers", &w.dispatcher, body.clone())
        .await
        .expect_problem(422, "validation_failed");
    let errors = zh.body["errors"].as_array().unwrap();
    let name = errors.iter().find(|e| e["field"] == "full_name").unwrap();
    assert_eq!(name["code"], "too_long");
    assert_eq!(name["params"], json!({"max_length": 200}));
    assert_eq!(name["message"], "最多 200 个字符");
    let nationality = errors.iter().find(|e| e["field"] == "nationality").unwrap();
    assert_eq!(nationality["code"], "nationality_format");
    assert_eq!(zh.body["params"], json!({"count": 2}));
    assert_eq!(zh.body["detail"], "有 2 个字段不符合要求");
    let en = post_in(&w, "en", "/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect_problem(422, "validation_failed");
    let name = &en.body["errors"].as_array().unwrap()[0];
    assert_eq!(name["message"], "must be at most 200 characters");
    // One field alone: the detail names it, in Chinese by its Chinese name.
    let mut one = w.traveller_body("PVG", "CZ-TN-HM", "MU1");
    one["phone"] = json!("12");
    let zh = post_in(&w, "zh", "/api/v1/travellers", &w.dispatcher, one)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(zh.body["params"]["field"], "phone");
    assert!(
        zh.body["detail"].as_str().unwrap().starts_with("电话："),
        "{}",
        zh.body
    );
    assert_eq!(w.app.count_rows("travellers"), 0, "nothing was registered");
}

#[actix_web::test]
async fn a_time_in_json_must_carry_its_offset() {
    let w = World::new().await;
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU1");
    body["arrived_at"] = json!("2020-03-07 08:30");
    let res = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, body.clone())
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "arrived_at");
    assert_eq!(res.body["errors"][0]["code"], "time_needs_offset");
    body["arrived_at"] = json!("2020-03-07T16:30:00+08:00");
    let ok = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect(201);
    assert_eq!(ok.body["arrived_at"], "2020-03-07T08:30:00Z");
    // In a query too: a time without its offset is refused, never read as local time.
    let res = w
        .app
        .get("/api/v1/batches?from=2024-01-01T00:00:00", &w.dispatcher)
        .await;
    assert!(
        res.status == 400 || res.status == 422,
        "{} {}",
        res.status,
        res.body
    );
    assert_eq!(res.body["code"], "validation_failed");
    w.app
        .get("/api/v1/batches?from=2024-01-01T00:00:00Z", &w.dispatcher)
        .await
        .expect(200);
    w.app
        .get("/api/v1/batches?from=2024-01-01T08:00:00%2B08:00", &w.dispatcher)
        .await
        .expect(200);
}

#[actix_web::test]
async fn departure_without_a_driver_names_what_is_missing() {
    let w = World::new().await;
    let t = w.register("PVG", "CZ-TN-HM", "MU1").await;
    let bus = w.vehicle("苏D·Z0001").await;
    let body = json!({"port_id": w.port("PVG"), "traveller_ids": [t], "vehicle_id": bus,
        "crew": [{"name": "Li Na", "role": "escort"}]});
    let batch = w
        .app
        .post("/api/v1/batches", &w.dispatcher, body)
        .await
        .expect(201)
        .id();
    w.app
        .post(
            &format!("/api/v1/batches/{batch}/boarding"),
            &w.dispatcher,
            json!({"boarded": [t], "no_show": []}),
        )
        .await
        .expect(200);
    let res = post_in(
        &w,
        "zh",
        &format!("/api/v1/batches/{batch}/depart"),
        &w.dispatcher,
        json!({}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_eq!(res.body["params"], json!({"missing": "driver"}));
    assert_eq!(res.body["detail"], "该批次的随车人员中没有司机");
    let after = w
        .app
        .get(&format!("/api/v1/batches/{batch}"), &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(after.body["status"], "boarding", "the batch did not move");
}

#[actix_web::test]
async fn a_state_refusal_reads_in_chinese_with_its_words_as_params() {
    let w = World::new().await;
    let t = w.register("PVG", "CZ-TN-HM", "MU1").await;
    let bus = w.vehicle("苏D·Z0001").await;
    let batch = w.run_batch("PVG", std::slice::from_ref(&t), &bus, &[]).await;
    let id = batch["id"].as_str().unwrap();
    let res = post_in(
        &w,
        "zh",
        &format!("/api/v1/batches/{id}/depart"),
        &w.dispatcher,
        json!({}),
    )
    .await
    .expect_problem(409, "invalid_state");
    assert_eq!(
        res.body["params"],
        json!({"resource": "batch", "status": "arrived", "action": "depart"})
    );
    assert_eq!(res.body["detail"], "批次当前状态为“已到达”，不能出发");
    let res = w
        .app
        .get(
            &format!("/api/v1/batches/{}", uuid::Uuid::new_v4()),
            &w.dispatcher,
        )
        .await
        .expect_problem(404, "not_found");
    assert_eq!(res.body["params"], json!({"resource": "batch"}));
}

#[actix_web::test]
async fn a_unit_named_in_english_is_named_so_in_english_notices_and_in_chinese_in_chinese_ones() {
    let w = World::new().await;
    let city = w.app.unit("CZ");
    w.app
        .patch(
            &format!("/api/v1/units/{city}"),
            &w.admin,
            json!({"name": "常州市", "name_en": "Changzhou City"}),
        )
        .await
        .expect(200);
    let t = w.register("PVG", "CZ-TN-HM", "MU1").await;
    let notice = |lang: &'static str| {
        let path = format!("/api/v1/travellers/{t}/notice?lang={lang}");
        let w = &w;
        async move { String::from_utf8(w.app.get(&path, &w.dispatcher).await.expect(200).bytes.to_vec()).unwrap() }
    };
    let zh = notice("zh").await;
    assert!(zh.contains("拨打常州市24小时"), "{zh}");
    assert!(!zh.contains("Changzhou City"));
    let en = notice("en").await;
    assert!(en.contains("hotline of Changzhou City"), "{en}");
    assert!(!en.contains("常州市"));
    // Cleared: every language falls back to the one name.
    let cleared = w
        .app
        .patch(
            &format!("/api/v1/units/{city}"),
            &w.admin,
            json!({"name_en": null}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["name_en"], serde_json::Value::Null);
    assert!(notice("en").await.contains("hotline of 常州市"));
    // A unit is created with its English name, checked as the Chinese one is.
    w.app
        .post(
            "/api/v1/units",
            &w.admin,
            json!({"name": "新区", "name_en": " ", "code": "CZ-XQ", "level": "district", "parent_id": city}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let created = w
        .app
        .post(
            "/api/v1/units",
            &w.admin,
            json!({"name": "新区", "name_en": " New District ", "code": "CZ-XQ", "level": "district", "parent_id": city}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["name_en"], "New District");
}

#[actix_web::test]
async fn a_no_show_reason_the_service_wrote_reads_in_each_rosters_language() {
    let w = World::new().await;
    let (came, stayed) = (
        w.register("PVG", "CZ-TN-HM", "MU1").await,
        w.register("PVG", "CZ-TN-HM", "MU1").await,
    );
    let bus = w.vehicle("苏D·Z0001").await;
    let batch = w
        .run_batch(
            "PVG",
            &[came, stayed.clone()],
            &bus,
            std::slice::from_ref(&stayed),
        )
        .await;
    let code = batch["code"].as_str().unwrap();
    let t = w.traveller(&stayed).await;
    assert_eq!(t["exception"]["kind"], "no_show");
    assert_eq!(t["exception"]["reason_code"], "did_not_board");
    assert_eq!(t["exception"]["reason_params"], json!({"batch_code": code}));
    assert_eq!(t["exception"]["reason"], format!("did not board batch {code}"));
    let stored: String = {
        use diesel::prelude::*;
        let mut conn = w.app.connection();
        diesel::sql_query("SELECT exception_reason FROM travellers WHERE exception_kind = 'no_show'")
            .load::<Reason>(&mut conn)
            .unwrap()
            .remove(0)
            .exception_reason
            .unwrap_or_default()
    };
    assert_eq!(stored, "", "no English sentence is stored as the reason");
    for (lang, header, reads) in [
        ("zh", "异常情况", format!("未登车: 未登上批次 {code}")),
        ("en", "exception", format!("no-show: did not board batch {code}")),
    ] {
        let res = w
            .app
            .get(
                &format!("/api/v1/reports/roster?format=xlsx&lang={lang}"),
                &w.dispatcher,
            )
            .await
            .expect(200);
        let rows = crate::rosters::roster_rows(&res.bytes);
        let cells: Vec<String> = rows.iter().map(|r| r[header].to_string()).collect();
        assert!(cells.contains(&reads), "{lang}: {cells:?}");
    }
}

#[derive(diesel::QueryableByName)]
struct Reason {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    exception_reason: Option<String>,
}

#[actix_web::test]
async fn a_manifest_with_one_problem_names_its_column_in_the_detail() {
    let w = World::new().await;
    let csv = "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code,seat\n\
               Li Wei,passport,E1,CHN,XXX,2020-03-07 08:30,CZ-TN-HM,12A\n";
    let res = w
        .app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&w.dispatcher),
            "text/csv",
            csv.as_bytes().to_vec(),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["row"], 2);
    assert_eq!(res.body["errors"][0]["code"], "no_port_with_code");
    assert_eq!(res.body["errors"][0]["params"]["code"], "XXX");
    assert_eq!(
        res.body["detail"],
        "port_code: no port of entry with the code or name XXX"
    );
    assert_eq!(res.body["error_count"], 1);
}

#[actix_web::test]
async fn a_traveller_offered_in_a_pending_handoff_gets_no_exception_until_it_is_resolved() {
    let w = World::new().await;
    let (t, id, _) = w.one_arrival("PVG", "CZ-TN-HM", "MU1", "苏D·Z0002").await;
    let path = format!("/api/v1/travellers/{t}/exception");
    let body = json!({"kind": "hospitalised", "reason": "fever"});
    let refused = w
        .app
        .post(&path, &w.dispatcher, body.clone())
        .await
        .expect_problem(409, "invalid_state");
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("pending handoff"));
    assert_eq!(w.traveller(&t).await["status"], "arrived", "nothing changed");
    // Once the sender cancels the handoff, the exception is recorded.
    w.app
        .post(
            &format!("/api/v1/handoffs/{id}/cancel"),
            &w.dispatcher,
            json!({"reason": "taken to hospital"}),
        )
        .await
        .expect(200);
    w.app.post(&path, &w.dispatcher, body).await.expect(200);
    assert_eq!(w.traveller(&t).await["status"], "exception");
}
