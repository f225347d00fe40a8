//! Personal data that expires: `privacy.retain_days` after a traveller's loop closed, the
//! periodic job (or `erase-expired`) erases name, document number, phone, address and notes;
//! every statistic, the trace and the log's hash chains still hold, and no event ever carried
//! the personal data.

use std::time::Duration;

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::world::World;

/// Every `data` of the event log as text, read straight from the database.
fn all_event_data(app: &TestApp) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        data: String,
    }
    let mut conn = app.connection();
    let cast = if app.settings.database.url.starts_with("postgres") {
        "SELECT data::text AS data FROM events"
    } else {
        "SELECT data AS data FROM events"
    };
    diesel::sql_query(cast)
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.data)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A traveller with personal data that is easy to find.
async fn register_person(world: &World, name: &str, doc: &str) -> String {
    let mut body = world.traveller_body("PVG", "CZ-TN-HM", "MU5009");
    body["full_name"] = json!(name);
    body["document_no"] = json!(doc);
    body["phone"] = json!("+86 139 1234 5678");
    body["address"] = json!("88 Plum Blossom Lane, Flat 1701");
    body["notes"] = json!("travels with an insulin pump");
    world
        .app
        .post("/api/v1/travellers", &world.dispatcher, body)
        .await
        .expect(201)
        .id()
}

/// One traveller received by the community, one a no-show, one still on its way.
async fn three_travellers(world: &World) -> (String, String, String) {
    let received = register_person(world, "Zhou Xiaoling", "E90000001").await;
    let no_show = register_person(world, "Qian Dawei", "E90000002").await;
    let waiting = register_person(world, "Sun Meimei", "E90000003").await;
    let bus = world.vehicle("苏D·Z0003").await;
    world
        .run_batch(
            "PVG",
            &[received.clone(), no_show.clone()],
            &bus,
            std::slice::from_ref(&no_show),
        )
        .await;
    assert_eq!(world.confirm_all_to("CZ-TN").await, 1);
    assert_eq!(world.confirm_all_to("CZ-TN-HM").await, 1);
    assert_eq!(world.traveller(&received).await["status"], "received");
    (received, no_show, waiting)
}

fn without_as_of(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("as_of");
    v
}

#[actix_web::test]
async fn closed_loops_lose_their_personal_data_and_every_number_still_holds() {
    let world = World::with(|s| {
        s.privacy.retain_days = 0;
        s.housekeeping.every_secs = 1;
    })
    .await;
    let app = &world.app;
    let (received, no_show, waiting) = three_travellers(&world).await;
    let overview = app
        .get("/api/v1/stats/overview", &world.admin)
        .await
        .expect(200)
        .body;
    let districts = app
        .get("/api/v1/stats/districts", &world.admin)
        .await
        .expect(200)
        .body;
    let trace = app
        .get(&format!("/api/v1/travellers/{received}/trace"), &world.admin)
        .await
        .expect(200)
        .body;

    let mut erased = false;
    for _ in 0..60 {
        if !world.traveller(&no_show).await["erased_at"].is_null()
            && !world.traveller(&received).await["erased_at"].is_null()
        {
            erased = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(erased, "the periodic job erased both closed loops");
    for id in [&received, &no_show] {
        let t = world.traveller(id).await;
        assert_eq!(t["full_name"], "[erased]");
        assert_eq!(t["document_no"], "[erased]");
        assert!(t["phone"].is_null() && t["address"].is_null() && t["notes"].is_null());
        assert!(t["nationality"].is_string() && t["status"].is_string());
    }
    let open = world.traveller(&waiting).await;
    assert_eq!(open["full_name"], "Sun Meimei", "an open transfer keeps its data");
    assert!(open["erased_at"].is_null());

    // The numbers, the trace and the chains are as they were.
    let after = app
        .get("/api/v1/stats/overview", &world.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(without_as_of(after), without_as_of(overview));
    let after = app
        .get("/api/v1/stats/districts", &world.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(after, districts);
    let after = app
        .get(&format!("/api/v1/travellers/{received}/trace"), &world.admin)
        .await
        .expect(200)
        .body;
    assert_eq!(after["chain"], trace["chain"]);
    let report = crate::audit::verification(app, &world.admin).await;
    assert_eq!(report["ok"], true, "{report}");

    // The erasure is on the record, by ids only.
    let cz = app.unit("CZ");
    let events = app.events_of(&world.admin, "unit", &cz).await;
    let erasures: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "privacy.personal_data_erased")
        .collect();
    let named: Vec<&str> = erasures
        .iter()
        .flat_map(|e| e["data"]["travellers"].as_array().unwrap())
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(named.contains(&received.as_str()) && named.contains(&no_show.as_str()));
    assert!(!named.contains(&waiting.as_str()));
}

#[actix_web::test]
async fn no_event_ever_carries_personal_data() {
    let world = World::new().await;
    three_travellers(&world).await;
    let data = all_event_data(&world.app);
    assert!(data.len() > 1000, "the loop left events");
    for personal in [
        "Zhou Xiaoling",
        "Qian Dawei",
        "Sun Meimei",
        "E90000001",
        "E90000002",
        "1234 5678",
        "Plum Blossom",
        "insulin",
    ] {
        assert!(!data.contains(personal), "an event carries {personal}");
    }
}

#[actix_web::test]
async fn retention_keeps_data_until_its_time() {
    let world = World::with(|s| s.housekeeping.every_secs = 1).await;
    let (received, _, _) = three_travellers(&world).await;
    actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
    let t = world.traveller(&received).await;
    assert_eq!(t["full_name"], "Zhou Xiaoling", "28 days have not passed");
    assert!(t["erased_at"].is_null());
}

pub async fn closed_loops(world: &World) -> (String, String, String) {
    three_travellers(world).await
}
