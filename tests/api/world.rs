//! A working city for the closed-loop tests: the demo city with an officer for every district and
//! community, ports and vehicles by code, and short-hands for each step of the loop.

use std::collections::HashMap;

use diesel::prelude::*;
use inbound_transfer::db::types::Id;
use inbound_transfer::schema::{batch_travellers, batches, handoff_travellers, handoffs, travellers, units};
use serde_json::{json, Value};

use crate::helpers::*;

pub struct World {
    pub app: TestApp,
    /// The code of the city whose dispatcher this is.
    city: String,
    pub admin: String,
    pub dispatcher: String,
    pub viewer: String,
    officers: HashMap<String, String>,
    pub ports: HashMap<String, String>,
    serial: std::sync::atomic::AtomicUsize,
}

pub const DISTRICTS: [&str; 3] = ["CZ-TN", "CZ-ZL", "CZ-WJ"];
pub const COMMUNITIES: [&str; 6] = [
    "CZ-TN-HM", "CZ-TN-QL", "CZ-ZL-XC", "CZ-ZL-NY", "CZ-WJ-HL", "CZ-WJ-NX",
];

impl World {
    pub async fn new() -> World {
        World::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut inbound_transfer::config::Settings)) -> World {
        let app = spawn_app_with(adjust).await;
        let tokens = app.demo_tokens().await;
        let mut officers = HashMap::new();
        officers.insert("CZ-TN".to_owned(), tokens.district_officer.clone());
        officers.insert("CZ-TN-HM".to_owned(), tokens.community_officer.clone());
        for code in DISTRICTS.iter().chain(COMMUNITIES.iter()) {
            if officers.contains_key(*code) {
                continue;
            }
            let role = if code.matches('-').count() == 1 {
                "district_officer"
            } else {
                "community_officer"
            };
            let username = format!("officer.{}", code.to_lowercase());
            let token = app.user_with(&tokens.admin, &username, role, Some(code)).await;
            officers.insert(code.to_string(), token);
        }
        let list = app.get("/api/v1/ports", &tokens.admin).await.expect(200);
        let ports = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().unwrap().to_owned(),
                    p["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        World {
            app,
            city: "CZ".into(),
            admin: tokens.admin,
            dispatcher: tokens.dispatcher,
            viewer: tokens.viewer,
            officers,
            ports,
            serial: Default::default(),
        }
    }

    /// The second city (see `TestApp::other_city`) as its own people see it, through `app` (another
    /// instance, say); the admin and the ports are this world's.
    pub fn of_other_city(&self, app: TestApp, other: &OtherCity) -> World {
        let officers = HashMap::from([
            ("WX-LX".to_owned(), other.district_officer.clone()),
            ("WX-LX-01".to_owned(), other.community_officer.clone()),
        ]);
        World {
            app,
            city: "WX".into(),
            admin: self.admin.clone(),
            dispatcher: other.dispatcher.clone(),
            viewer: other.viewer.clone(),
            officers,
            ports: self.ports.clone(),
            serial: std::sync::atomic::AtomicUsize::new(1_000_000),
        }
    }

    /// The token of the officer of a district or community, by unit code.
    pub fn officer(&self, code: &str) -> &str {
        &self.officers[code]
    }

    pub fn port(&self, code: &str) -> &str {
        &self.ports[code]
    }

    pub fn traveller_body(&self, port: &str, community: &str, flight: &str) -> Value {
        let n = self.serial.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        json!({
            "full_name": format!("Traveller {n}"),
            "document_type": "passport",
            "document_no": format!("E{:08}", n),
            "nationality": "CHN",
            "phone": "+86 138 0000 0000",
            "flight_no": flight,
            "port_id": self.port(port),
            "arrived_at": "2020-03-07T08:30:00Z",
            "destination_community_id": self.app.unit(community),
            "language": "zh"
        })
    }

    /// Registers one traveller bound for a community and returns its id.
    pub async fn register(&self, port: &str, community: &str, flight: &str) -> String {
        let body = self.traveller_body(port, community, flight);
        self.app
            .post("/api/v1/travellers", &self.dispatcher, body)
            .await
            .expect(201)
            .id()
    }

    /// The id of a demo vehicle by plate.
    pub async fn vehicle(&self, plate: &str) -> String {
        let list = self
            .app
            .get("/api/v1/vehicles?limit=500", &self.dispatcher)
            .await
            .expect(200);
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["plate"] == plate)
            .expect("vehicle")["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn new_vehicle(&self, plate: &str, seats: i64) -> String {
        let body =
            json!({"plate": plate, "kind": "bus", "seats": seats, "unit_id": self.app.unit(&self.city)});
        self.app
            .post("/api/v1/vehicles", &self.dispatcher, body)
            .await
            .expect(201)
            .id()
    }

    pub fn crew() -> Value {
        json!([{"name": "Zhang Wei", "phone": "13800000001", "role": "driver"}, {"name": "Li Na", "role": "escort"}])
    }

    pub async fn create_batch(&self, port: &str, travellers: &[String], vehicle: &str) -> Response {
        let body = json!({"port_id": self.port(port), "traveller_ids": travellers, "vehicle_id": vehicle, "crew": Self::crew()});
        self.app.post("/api/v1/batches", &self.dispatcher, body).await
    }

    /// Creates a batch, boards everyone (but the no-shows), departs and arrives: returns the batch.
    pub async fn run_batch(
        &self,
        port: &str,
        travellers: &[String],
        vehicle: &str,
        no_show: &[String],
    ) -> Value {
        let batch = self.create_batch(port, travellers, vehicle).await.expect(201);
        let id = batch.id();
        let boarded: Vec<&String> = travellers.iter().filter(|t| !no_show.contains(t)).collect();
        self.app
            .post(
                &format!("/api/v1/batches/{id}/boarding"),
                &self.dispatcher,
                json!({"boarded": boarded, "no_show": no_show}),
            )
            .await
            .expect(200);
        if boarded.is_empty() {
            return self
                .app
                .get(&format!("/api/v1/batches/{id}"), &self.dispatcher)
                .await
                .expect(200)
                .body;
        }
        self.app
            .post(
                &format!("/api/v1/batches/{id}/depart"),
                &self.dispatcher,
                json!({}),
            )
            .await
            .expect(200);
        self.app
            .post(
                &format!("/api/v1/batches/{id}/arrive"),
                &self.dispatcher,
                json!({}),
            )
            .await
            .expect(200)
            .body
    }

    pub async fn disinfect(&self, vehicle: &str) {
        self.app
            .post(
                &format!("/api/v1/vehicles/{vehicle}/disinfections"),
                &self.dispatcher,
                json!({"note": "after trip"}),
            )
            .await
            .expect(201);
    }

    /// One traveller carried to the city: the traveller, the handoff waiting at its district, and
    /// that handoff's code as the sender reads it.
    pub async fn one_arrival(
        &self,
        port: &str,
        community: &str,
        flight: &str,
        plate: &str,
    ) -> (String, String, String) {
        let t = self.register(port, community, flight).await;
        let bus = self.vehicle(plate).await;
        self.run_batch(port, std::slice::from_ref(&t), &bus, &[]).await;
        let district = &community[..community.rfind('-').expect("a community code")];
        // The handoff of this traveller, whatever else is pending to the district.
        let handoff = self
            .pending_to(district)
            .await
            .into_iter()
            .find(|h| {
                h["traveller_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|id| *id == t.as_str())
            })
            .expect("the traveller's handoff");
        let id = handoff["id"].as_str().unwrap().to_owned();
        let code = self.code_of(&self.dispatcher, &id).await;
        (t, id, code)
    }

    /// A code that is not this one.
    pub fn wrong_code(real: &str) -> &'static str {
        if real == "000000" {
            "111111"
        } else {
            "000000"
        }
    }

    /// The code of a handoff, as its sender sees it.
    pub async fn code_of(&self, sender: &str, handoff: &str) -> String {
        let h = self
            .app
            .get(&format!("/api/v1/handoffs/{handoff}"), sender)
            .await
            .expect(200);
        h.body["code"]
            .as_str()
            .expect("the sender sees the code")
            .to_owned()
    }

    /// Pending handoffs addressed to a unit, as its officer sees them.
    pub async fn pending_to(&self, code: &str) -> Vec<Value> {
        let path = format!(
            "/api/v1/handoffs?status=pending&to_unit_id={}&limit=500",
            self.app.unit(code)
        );
        let list = self.app.get(&path, self.officer(code)).await.expect(200);
        list.body["items"].as_array().unwrap().clone()
    }

    /// The sender's token for a handoff from this unit.
    pub fn sender_token(&self, from_unit_id: &str) -> &str {
        if from_unit_id == self.app.unit(&self.city) {
            &self.dispatcher
        } else {
            let code = self
                .officers
                .keys()
                .find(|c| self.app.unit(c) == from_unit_id)
                .expect("a district");
            self.officer(code)
        }
    }

    /// Confirms a handoff as the officer of its receiving unit, receiving these travellers.
    pub async fn confirm(&self, handoff: &Value, receiving_code: &str, received: &[&str]) -> Response {
        let id = handoff["id"].as_str().unwrap();
        let code = self
            .code_of(self.sender_token(handoff["from_unit_id"].as_str().unwrap()), id)
            .await;
        self.app
            .post(
                &format!("/api/v1/handoffs/{id}/confirm"),
                self.officer(receiving_code),
                json!({"code": code, "received_traveller_ids": received}),
            )
            .await
    }

    /// Confirms every pending handoff to this unit, receiving everyone.
    pub async fn confirm_all_to(&self, code: &str) -> usize {
        let pending = self.pending_to(code).await;
        for h in &pending {
            let ids: Vec<&str> = h["traveller_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            self.confirm(h, code, &ids).await.expect(200);
        }
        pending.len()
    }

    pub async fn traveller(&self, id: &str) -> Value {
        self.app
            .get(&format!("/api/v1/travellers/{id}"), &self.admin)
            .await
            .expect(200)
            .body
    }

    /// The closed-loop invariants, read straight from the database, and the statistics equal to a
    /// recount from the base tables.
    pub fn assert_invariants(&self) {
        let mut conn = self.app.connection();
        let (stored, recounted) = (
            inbound_transfer::store::counts::stored(&mut conn).unwrap(),
            inbound_transfer::store::counts::recount(&mut conn).unwrap(),
        );
        assert_eq!(stored.0, recounted.0, "stored totals equal a recount");
        assert_eq!(stored.1, recounted.1, "stored daily numbers equal a recount");
        let levels: HashMap<Id, String> = units::table
            .select((units::id, units::level))
            .load::<(Id, String)>(&mut conn)
            .unwrap()
            .into_iter()
            .collect();
        type Row = (
            Id,
            String,
            Id,
            Id,
            Id,
            Option<Id>,
            Option<Id>,
            bool,
            Option<String>,
        );
        let rows: Vec<Row> = travellers::table
            .select((
                travellers::id,
                travellers::status,
                travellers::custodian_unit_id,
                travellers::destination_city_id,
                travellers::destination_district_id,
                travellers::destination_community_id,
                travellers::handoff_id,
                travellers::missing,
                travellers::exception_kind,
            ))
            .load(&mut conn)
            .unwrap();
        for (id, status, custodian, city, district, community, handoff, missing, exception) in &rows {
            let level = &levels[custodian];
            match status.as_str() {
                "awaiting_transfer" | "assigned" | "boarded" | "in_transit" | "arrived" => {
                    assert_eq!(custodian, city, "{id} {status} is held by its city")
                }
                "at_district" => assert_eq!(custodian, district, "{id} at_district is held by its district"),
                "received" => assert_eq!(
                    Some(*custodian),
                    *community,
                    "{id} received is held by its community"
                ),
                "exception" => assert!(exception.is_some(), "{id} exception has a kind"),
                other => panic!("{id} has unknown status {other}"),
            }
            assert!(matches!(level.as_str(), "city" | "district" | "community"));
            if *missing {
                assert!(
                    matches!(status.as_str(), "arrived" | "at_district"),
                    "{id} missing while {status}"
                );
                assert!(handoff.is_none(), "{id} missing while offered");
            }
            if let Some(h) = handoff {
                let (h_status,): (String,) = handoffs::table
                    .find(*h)
                    .select((handoffs::status,))
                    .first(&mut conn)
                    .unwrap();
                assert_eq!(h_status, "pending", "{id} points at a pending handoff");
            }
        }
        let confirmed: Vec<Id> = handoffs::table
            .filter(handoffs::status.eq("confirmed"))
            .select(handoffs::id)
            .load(&mut conn)
            .unwrap();
        for h in confirmed {
            let outcomes: Vec<String> = handoff_travellers::table
                .filter(handoff_travellers::handoff_id.eq(h))
                .select(handoff_travellers::outcome)
                .load(&mut conn)
                .unwrap();
            let received = outcomes.iter().filter(|o| *o == "received").count();
            let missing = outcomes.iter().filter(|o| *o == "missing").count();
            assert_eq!(
                outcomes.len(),
                received + missing,
                "handoff {h}: sent = received + missing"
            );
        }
        let open_memberships: Vec<Id> = batch_travellers::table
            .inner_join(batches::table)
            .filter(batch_travellers::removed.eq(false))
            .filter(batches::status.ne_all(vec!["closed", "cancelled"]))
            .select(batch_travellers::traveller_id)
            .load(&mut conn)
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        for t in open_memberships {
            assert!(seen.insert(t), "traveller {t} is in two open batches");
        }
        let closed: Vec<Id> = batches::table
            .filter(batches::status.eq("closed"))
            .select(batches::id)
            .load(&mut conn)
            .unwrap();
        for b in closed {
            let statuses: Vec<String> = batch_travellers::table
                .inner_join(travellers::table)
                .filter(batch_travellers::batch_id.eq(b))
                .filter(batch_travellers::removed.eq(false))
                .select(travellers::status)
                .load(&mut conn)
                .unwrap();
            assert!(
                statuses.iter().all(|s| s == "received" || s == "exception"),
                "closed batch {b} has {statuses:?}"
            );
        }
    }
}
