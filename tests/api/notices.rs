//! Notices to travellers: in their four languages, one page per traveller of a batch, texts an
//! operator overrides without a new build.

use serde_json::{json, Value};

use crate::world::World;

/// A unit's name in a language: Chinese reads `name`, the others `name_en` where it is set.
async fn unit_name(w: &World, code: &str, lang: &str) -> String {
    let unit = w
        .app
        .get(&format!("/api/v1/units/{}", w.app.unit(code)), &w.admin)
        .await
        .expect(200)
        .body;
    match (lang, unit["name_en"].as_str()) {
        ("zh", _) | (_, None) => unit["name"].as_str().unwrap().to_owned(),
        (_, Some(en)) => en.to_owned(),
    }
}

#[actix_web::test]
async fn a_notice_is_printed_in_each_of_the_four_languages() {
    let w = World::new().await;
    w.app
        .patch(
            &format!("/api/v1/units/{}", w.app.unit("CZ")),
            &w.admin,
            serde_json::json!({"hotline": "0519-8888 0000"}),
        )
        .await
        .expect(200);
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    body["full_name"] = Value::from("<b>Kim</b> & \"Lee\"");
    body["language"] = Value::from("ko");
    let t = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect(201)
        .id();
    let bus = w.vehicle("苏D·Z0003").await;
    let batch = w
        .create_batch("PVG", std::slice::from_ref(&t), &bus)
        .await
        .expect(201)
        .body;
    for (lang, title) in [
        ("zh", "入境人员转运告知书"),
        ("en", "Notice on your transfer from the port of entry"),
        ("ja", "入国者の移送に関するお知らせ"),
        ("ko", "입국자 이송 안내문"),
    ] {
        let district = unit_name(&w, "CZ-TN", lang).await;
        let community = unit_name(&w, "CZ-TN-HM", lang).await;
        let res = w
            .app
            .get(
                &format!("/api/v1/travellers/{t}/notice?lang={lang}"),
                &w.dispatcher,
            )
            .await
            .expect(200);
        assert_eq!(
            res.header("content-type").as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert!(res.header("content-security-policy").is_some());
        let html = String::from_utf8(res.bytes.to_vec()).unwrap();
        assert!(html.contains(title), "{lang}");
        assert!(html.contains(&format!("lang=\"{lang}\"")));
        assert!(
            html.contains("&lt;b&gt;Kim&lt;/b&gt; &amp; &quot;Lee&quot;"),
            "the name is escaped"
        );
        assert!(!html.contains("<b>Kim"));
        assert!(html.contains(batch["code"].as_str().unwrap()));
        assert!(html.contains("苏D·Z0003"));
        assert!(html.contains(&district) && html.contains(&community));
        assert!(html.contains("0519-8888 0000"), "the city's hotline");
        assert!(html.contains("size: A4"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing loaded from elsewhere"
        );
    }
    // Without lang: the traveller's own language.
    let own = w
        .app
        .get(&format!("/api/v1/travellers/{t}/notice"), &w.dispatcher)
        .await
        .expect(200);
    assert!(String::from_utf8_lossy(&own.bytes).contains("입국자 이송 안내문"));
    w.app
        .get(&format!("/api/v1/travellers/{t}/notice?lang=fr"), &w.dispatcher)
        .await
        .expect_problem(400, "validation_failed");
}

#[actix_web::test]
async fn a_batch_prints_one_page_per_traveller_in_each_ones_language() {
    let mut w = World::new().await;
    let mut ids = Vec::new();
    for (name, lang) in [("Anna Schmidt", "en"), ("Sato Yuki", "ja"), ("王芳", "zh")] {
        let mut body = w.traveller_body("PVG", "CZ-ZL-NY", "MU5001");
        body["full_name"] = Value::from(name);
        body["language"] = Value::from(lang);
        ids.push(
            w.app
                .post("/api/v1/travellers", &w.dispatcher, body)
                .await
                .expect(201)
                .id(),
        );
    }
    let bus = w.vehicle("苏D·Z0003").await;
    let batch = w.create_batch("PVG", &ids, &bus).await.expect(201).id();
    let res = w
        .app
        .get(&format!("/api/v1/batches/{batch}/notices"), &w.dispatcher)
        .await
        .expect(200);
    let html = String::from_utf8(res.bytes.to_vec()).unwrap();
    assert_eq!(
        html.matches("<section class=\"notice\"").count(),
        3,
        "one page each"
    );
    assert!(html.contains("page-break-after: always"));
    for (name, title) in [
        ("Anna Schmidt", "Notice on your transfer"),
        ("Sato Yuki", "入国者の移送に関するお知らせ"),
        ("王芳", "入境人员转运告知书"),
    ] {
        let page = html
            .split("<section")
            .find(|p| p.contains(name))
            .expect("the traveller's page");
        assert!(page.contains(title), "{name} reads their own language");
    }
    // Once boarding is recorded, the no-show gets no notice: they are not on this vehicle.
    w.app
        .post(
            &format!("/api/v1/batches/{batch}/boarding"),
            &w.dispatcher,
            json!({"boarded": [ids[0], ids[2]], "no_show": [ids[1]]}),
        )
        .await
        .expect(200);
    let after = w
        .app
        .get(&format!("/api/v1/batches/{batch}/notices"), &w.dispatcher)
        .await
        .expect(200);
    let html = String::from_utf8(after.bytes.to_vec()).unwrap();
    assert_eq!(html.matches("<section class=\"notice\"").count(), 2);
    assert!(!html.contains("Sato Yuki"), "the no-show has no notice");
    assert!(
        !html.contains("print()"),
        "the notices open without the print dialog"
    );
    // Viewers and officers do not print at the port; another city sees no such batch.
    w.app
        .get(&format!("/api/v1/batches/{batch}/notices"), &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .get(&format!("/api/v1/travellers/{}/notice", ids[0]), &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    let admin = w.admin.clone();
    let other = w.app.other_city(&admin).await;
    w.app
        .get(&format!("/api/v1/batches/{batch}/notices"), &other.dispatcher)
        .await
        .expect_problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/travellers/{}/notice", ids[0]),
            &other.dispatcher,
        )
        .await
        .expect_problem(404, "not_found");
    // A community officer sees only its own community's travellers.
    w.app
        .get(
            &format!("/api/v1/travellers/{}/notice", ids[0]),
            w.officer("CZ-TN-HM"),
        )
        .await
        .expect_problem(404, "not_found");
    w.app
        .get(
            &format!("/api/v1/travellers/{}/notice", ids[0]),
            w.officer("CZ-ZL-NY"),
        )
        .await
        .expect(200);
}

#[actix_web::test]
async fn an_operator_overrides_the_built_in_texts_without_a_new_build() {
    let dir = std::env::temp_dir().join(format!("notices-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("zh")).unwrap();
    std::fs::write(dir.join("zh/notice.ftl"), "way-1 = 请全程佩戴N95口罩。\n").unwrap();
    let for_settings = dir.clone();
    let w = World::with(move |s| s.notices.dir = Some(for_settings.display().to_string())).await;
    let t = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let res = w
        .app
        .get(&format!("/api/v1/travellers/{t}/notice?lang=zh"), &w.dispatcher)
        .await
        .expect(200);
    let html = String::from_utf8(res.bytes.to_vec()).unwrap();
    assert!(html.contains("请全程佩戴N95口罩。"), "the operator's text");
    assert!(html.contains("抵达后"), "the rest stays built in");
    std::fs::remove_dir_all(dir).unwrap();
}
