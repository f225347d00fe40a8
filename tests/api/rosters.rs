//! The roster: read back cell by cell as the API tells it, page by page, a bounded number at once,
//! never read as a formula, for the officers of the jurisdiction, every download recorded.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::Value;

use crate::manifests::{import, plain_manifest, read_workbook, XLSX};
use crate::world::World;

/// The roster's cells as text, one map per row from header to value.
pub fn roster_rows(bytes: &[u8]) -> Vec<std::collections::HashMap<String, Data>> {
    let sheets = read_workbook(bytes);
    let rows = &sheets[0].1;
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    rows[1..]
        .iter()
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

/// An instant of the API as the roster shows it: local time (UTC+8), to the minute.
fn local(at: &Value) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(at.as_str().unwrap()).unwrap();
    (at.naive_utc() + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn cell_time(cell: &Data) -> String {
    match cell {
        Data::DateTime(at) => at.as_datetime().unwrap().format("%Y-%m-%d %H:%M").to_string(),
        other => panic!("a date cell, not {other:?}"),
    }
}

#[actix_web::test]
async fn the_roster_reads_back_cell_by_cell_as_the_api_tells_it() {
    let w = World::new().await;
    let a = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let b = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let c = w.register("PVG", "CZ-ZL-NY", "MU5001").await;
    let bus = w.vehicle("苏D·Z0003").await;
    w.run_batch("PVG", &[a.clone(), b.clone(), c.clone()], &bus, &[])
        .await;
    w.confirm_all_to("CZ-TN").await;
    w.confirm_all_to("CZ-TN-HM").await;

    // The district officer's roster: the district's two travellers, with the whole chain.
    let officer = w.officer("CZ-TN");
    let res = w
        .app
        .get("/api/v1/reports/roster?format=xlsx&lang=en", officer)
        .await
        .expect(200);
    assert_eq!(res.header("content-type").as_deref(), Some(XLSX));
    let rows = roster_rows(&res.bytes);
    assert_eq!(rows.len(), 2, "only the district's travellers");
    let district_officer = w.app.get("/api/v1/me", officer).await.expect(200).body;
    let community_officer = w
        .app
        .get("/api/v1/me", w.officer("CZ-TN-HM"))
        .await
        .expect(200)
        .body;
    for id in [&a, &b] {
        let t = w.traveller(id).await;
        let trace = w
            .app
            .get(&format!("/api/v1/travellers/{id}/trace"), &w.admin)
            .await
            .expect(200)
            .body;
        let row = rows
            .iter()
            .find(|r| r["document_no"] == t["document_no"].as_str().unwrap())
            .expect("the traveller's row");
        let text = |name: &str| row[name].to_string();
        assert_eq!(text("full_name"), t["full_name"].as_str().unwrap());
        assert_eq!(text("nationality"), "CHN");
        assert_eq!(text("phone"), t["phone"].as_str().unwrap());
        assert!(
            matches!(row["phone"], Data::String(_)),
            "a string cell, never a formula"
        );
        assert_eq!(text("flight_no"), "MU5001");
        assert_eq!(cell_time(&row["arrived_at"]), local(&t["arrived_at"]));
        let batch = &trace["batches"][0];
        assert_eq!(text("batch_code"), batch["code"].as_str().unwrap());
        assert_eq!(text("vehicle_plate"), "苏D·Z0003");
        assert_eq!(text("driver"), "Zhang Wei");
        assert_eq!(cell_time(&row["departed_at"]), local(&batch["departed_at"]));
        assert_eq!(cell_time(&row["batch_arrived_at"]), local(&batch["arrived_at"]));
        let handoffs = trace["handoffs"].as_array().unwrap();
        let to = |unit: &str| {
            handoffs
                .iter()
                .find(|h| h["to_unit_id"] == w.app.unit(unit))
                .expect("a handoff")
        };
        let (district, community) = (to("CZ-TN"), to("CZ-TN-HM"));
        assert_eq!(
            cell_time(&row["district_handoff_sent_at"]),
            local(&district["created_at"])
        );
        assert_eq!(
            cell_time(&row["district_handoff_confirmed_at"]),
            local(&district["confirmed_at"])
        );
        assert_eq!(
            text("district_handoff_confirmed_by"),
            district_officer["display_name"].as_str().unwrap()
        );
        assert_eq!(
            cell_time(&row["community_handoff_confirmed_at"]),
            local(&community["confirmed_at"])
        );
        assert_eq!(
            text("community_handoff_confirmed_by"),
            community_officer["display_name"].as_str().unwrap()
        );
        assert_eq!(text("status"), "received");
        assert_eq!(text("exception"), "");
    }

    // The city's dispatcher sees all three; a community officer only its own community.
    let city = w
        .app
        .get("/api/v1/reports/roster", &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(roster_rows(&city.bytes).len(), 3);
    let sheets = read_workbook(&city.bytes);
    assert_eq!(
        sheets[0].1[0][0].to_string(),
        "姓名",
        "Chinese headers by default"
    );
    let community = w
        .app
        .get("/api/v1/reports/roster", w.officer("CZ-ZL-NY"))
        .await
        .expect(200);
    let rows = roster_rows(&community.bytes);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0]["证件号码"].to_string(),
        w.traveller(&c).await["document_no"].as_str().unwrap()
    );
    // The period: local days of arrival, inclusive.
    let before = w
        .app
        .get(
            "/api/v1/reports/roster?from=2020-03-01&to=2020-03-06",
            &w.dispatcher,
        )
        .await
        .expect(200);
    assert_eq!(roster_rows(&before.bytes).len(), 0);
    let that_day = w
        .app
        .get(
            "/api/v1/reports/roster?from=2020-03-07&to=2020-03-07&format=csv",
            &w.dispatcher,
        )
        .await
        .expect(200);
    let text = String::from_utf8(that_day.bytes.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 4, "the header and three rows");
}

#[actix_web::test]
async fn a_roster_of_many_pages_holds_every_traveller_once_in_order() {
    // More travellers than one page of the roster's reading (1,000), not a multiple of it.
    const N: usize = 2_345;
    let w = World::new().await;
    import(&w, &w.dispatcher, "text/csv", plain_manifest("R", N))
        .await
        .expect(201);
    let mut documents: Vec<String> = (0..N).map(|n| format!("R{n:07}")).collect();
    documents.sort();

    let xlsx = w
        .app
        .get("/api/v1/reports/roster?lang=en", &w.dispatcher)
        .await
        .expect(200);
    let rows = roster_rows(&xlsx.bytes);
    assert_eq!(rows.len(), N, "one row per traveller");
    let mut in_xlsx: Vec<String> = rows.iter().map(|r| r["document_no"].to_string()).collect();
    in_xlsx.sort();
    assert_eq!(in_xlsx, documents, "every traveller once");

    let csv = w
        .app
        .get("/api/v1/reports/roster?format=csv&lang=en", &w.dispatcher)
        .await
        .expect(200);
    let mut reader = csv::Reader::from_reader(&csv.bytes[3..]);
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "document_no")
        .unwrap();
    let in_csv: Vec<String> = reader
        .records()
        .map(|r| r.unwrap().get(column).unwrap().to_owned())
        .collect();
    let in_xlsx: Vec<String> = rows.iter().map(|r| r["document_no"].to_string()).collect();
    assert_eq!(in_csv, in_xlsx, "the same rows in the same order in both formats");
}

/// How many roster downloads the log records.
async fn exported(w: &World) -> usize {
    let log = w
        .app
        .get("/api/v1/events?entity_type=report&limit=500", &w.admin)
        .await
        .expect(200)
        .body;
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "report.exported")
        .count()
}

#[actix_web::test]
async fn rosters_beyond_those_an_instance_builds_at_once_wait_their_turn() {
    // One roster at a time: each holds a database connection while it is read.
    let w = World::with(|s| s.reports.max_concurrent = Some(1)).await;
    import(&w, &w.dispatcher, "text/csv", plain_manifest("Q", 2_000))
        .await
        .expect(201);
    let answers =
        futures::future::join_all((0..6).map(|_| w.app.get("/api/v1/reports/roster", &w.dispatcher))).await;
    let mut built = 0;
    let mut refused = 0;
    for res in answers {
        if res.status.as_u16() == 200 {
            assert_eq!(roster_rows(&res.bytes).len(), 2_000, "a whole roster");
            built += 1;
        } else {
            let res = res.expect_problem(429, "rate_limited");
            assert_eq!(res.header("retry-after").as_deref(), Some("5"));
            refused += 1;
        }
    }
    assert!(built >= 1, "the first is built");
    assert!(refused >= 1, "six at once are more than one at a time");
    assert_eq!(exported(&w).await, built, "only rosters given are recorded");

    // Each place is given back: one after another, every roster is built.
    for format in ["csv", "xlsx", "csv"] {
        w.app
            .get(&format!("/api/v1/reports/roster?format={format}"), &w.dispatcher)
            .await
            .expect(200);
    }
    assert_eq!(exported(&w).await, built + 3);
}

#[actix_web::test]
async fn no_roster_cell_is_read_as_a_formula() {
    let w = World::new().await;
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    body["full_name"] = Value::from("=HYPERLINK(\"http://x\",\"y\")");
    body["address"] = Value::from("@SUM(A1)");
    w.app
        .post("/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect(201);
    let csv = w
        .app
        .get("/api/v1/reports/roster?format=csv&lang=en", &w.dispatcher)
        .await
        .expect(200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.bytes.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a byte-order mark"
    );
    let mut reader = csv::Reader::from_reader(&csv.bytes[3..]);
    let header = reader.headers().unwrap().clone();
    let record = reader.records().next().unwrap().unwrap();
    let get = |name: &str| {
        record
            .get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_owned()
    };
    assert_eq!(get("full_name"), "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(get("phone"), "'+86 138 0000 0000");
    assert_eq!(get("status"), "awaiting transfer");

    let xlsx = w
        .app
        .get("/api/v1/reports/roster?lang=en", &w.dispatcher)
        .await
        .expect(200);
    let rows = roster_rows(&xlsx.bytes);
    assert_eq!(
        rows[0]["full_name"],
        Data::String("=HYPERLINK(\"http://x\",\"y\")".into())
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.bytes.to_vec())).unwrap();
    let formulas = book.worksheet_formula("roster").unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "no formula in the workbook"
    );
}

#[actix_web::test]
async fn rosters_are_for_officers_of_the_jurisdiction_and_every_download_is_recorded() {
    let mut w = World::new().await;
    let admin = w.admin.clone();
    let other = w.app.other_city(&admin).await;
    w.register("PVG", "CZ-TN-HM", "MU5001").await;
    w.app
        .get("/api/v1/reports/roster", &w.viewer)
        .await
        .expect_problem(403, "forbidden");
    w.app
        .send("GET", "/api/v1/reports/roster", None, None, &[])
        .await
        .expect_problem(401, "unauthorized");
    w.app
        .get(
            "/api/v1/reports/roster?from=2020-03-08&to=2020-03-07",
            &w.dispatcher,
        )
        .await
        .expect_problem(422, "validation_failed");
    // Another city's dispatcher and officers see none of this city's travellers.
    for token in [
        &other.dispatcher,
        &other.district_officer,
        &other.community_officer,
    ] {
        let res = w.app.get("/api/v1/reports/roster", token).await.expect(200);
        assert_eq!(roster_rows(&res.bytes).len(), 0);
    }
    let admin_roster = w
        .app
        .get("/api/v1/reports/roster?format=csv", &w.admin)
        .await
        .expect(200);
    assert!(String::from_utf8_lossy(&admin_roster.bytes).lines().count() >= 2);
    let own = w
        .app
        .get("/api/v1/reports/roster?format=csv", &w.dispatcher)
        .await
        .expect(200);
    assert_eq!(String::from_utf8_lossy(&own.bytes).lines().count(), 2);
    // Every download is an event: who, scope, period, rows.
    let log = w
        .app
        .get("/api/v1/events?limit=500", &w.admin)
        .await
        .expect(200)
        .body;
    let exports: Vec<&Value> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "report.exported")
        .collect();
    assert_eq!(exports.len(), 5, "{exports:#?}");
    let by_dispatcher = exports
        .iter()
        .find(|e| e["data"]["scope"]["level"] == "city" && e["data"]["rows"] == 1)
        .expect("the dispatcher's download");
    assert_eq!(by_dispatcher["data"]["format"], "csv");
    assert!(by_dispatcher["actor_id"].is_string());
    let me = w.app.get("/api/v1/me", &w.dispatcher).await.expect(200).body;
    assert!(exports.iter().any(|e| e["actor_id"] == me["id"]));
}

#[actix_web::test]
async fn the_roster_ends_with_address_language_notes_and_since_when_missing_in_its_language() {
    let w = World::new().await;
    let mut body = w.traveller_body("PVG", "CZ-TN-HM", "MU7001");
    body["address"] = "红梅新村 5 栋 301".into();
    body["notes"] = "needs a wheelchair".into();
    let a = w
        .app
        .post("/api/v1/travellers", &w.dispatcher, body)
        .await
        .expect(201)
        .id();
    let b = w.register("PVG", "CZ-TN-HM", "MU7001").await;
    let no_show = w.register("PVG", "CZ-TN-HM", "MU7001").await;
    let bus = w.vehicle("苏D·Z0003").await;
    w.run_batch(
        "PVG",
        &[a.clone(), b.clone(), no_show.clone()],
        &bus,
        std::slice::from_ref(&no_show),
    )
    .await;
    // The district receives one of two: the other is missing.
    let h = w.pending_to("CZ-TN").await.remove(0);
    let confirmed = w.confirm(&h, "CZ-TN", &[a.as_str()]).await.expect(200);
    let roster = |lang: &'static str| {
        let w = &w;
        async move {
            let res = w
                .app
                .get(
                    &format!("/api/v1/reports/roster?format=xlsx&lang={lang}"),
                    &w.dispatcher,
                )
                .await
                .expect(200);
            let sheets = read_workbook(&res.bytes);
            let header: Vec<String> = sheets[0].1[0].iter().map(|c| c.to_string()).collect();
            (header, roster_rows(&res.bytes))
        }
    };
    let (header, rows) = roster("en").await;
    let exception_at = header.iter().position(|h| h == "exception").unwrap();
    assert_eq!(
        header[exception_at + 1..],
        ["address", "language", "notes", "missing_since"]
    );
    let by_document = |rows: &[std::collections::HashMap<String, Data>], document: &str, column: &str| {
        rows.iter()
            .find(|r| r.values().any(|v| *v == document))
            .unwrap_or_else(|| panic!("the row of {document}"))
            .get(column)
            .cloned()
            .unwrap_or(Data::Empty)
    };
    let doc = |id: &str| {
        let id = id.to_owned();
        let w = &w;
        async move { w.traveller(&id).await["document_no"].as_str().unwrap().to_owned() }
    };
    let (doc_a, doc_b, doc_no_show) = (doc(&a).await, doc(&b).await, doc(&no_show).await);
    assert_eq!(
        by_document(&rows, &doc_a, "address").to_string(),
        "红梅新村 5 栋 301"
    );
    assert_eq!(by_document(&rows, &doc_a, "language").to_string(), "Chinese");
    assert_eq!(
        by_document(&rows, &doc_a, "notes").to_string(),
        "needs a wheelchair"
    );
    assert_eq!(by_document(&rows, &doc_a, "missing_since"), Data::Empty);
    let missing_at = confirmed.body["confirmed_at"].clone();
    assert_eq!(
        cell_time(&by_document(&rows, &doc_b, "missing_since")),
        local(&missing_at)
    );
    assert!(by_document(&rows, &doc_no_show, "exception")
        .to_string()
        .starts_with("no-show: did not board"));
    // In Chinese: the headers, the language, the status and the exception.
    let (header, rows) = roster("zh").await;
    assert_eq!(
        header[exception_at + 1..],
        ["住址", "语言", "备注", "未到登记时间"]
    );
    assert_eq!(by_document(&rows, &doc_a, "语言").to_string(), "中文");
    assert_eq!(by_document(&rows, &doc_a, "状态").to_string(), "已交接至区");
    let exception = by_document(&rows, &doc_no_show, "异常情况").to_string();
    assert!(exception.starts_with("未登车"), "{exception}");
    assert!(!exception.contains("did not board"), "{exception}");
    assert_eq!(
        cell_time(&by_document(&rows, &doc_b, "未到登记时间")),
        local(&missing_at)
    );
}
