//! A day in motion on top of the demo data set, so that a newcomer's first screens have something
//! on them: travellers waiting at two ports, a batch on the road, pending handoffs (one overdue),
//! a partial receipt with one person missing, received people and an exception.
//!
//! Every step goes through the same rules as the API (`transfer`), as the demo users, one
//! transaction a step, so the statistics, the event log and the traces are what real work leaves.
//! It runs only on a database without travellers.

use chrono::{Duration, Local};
use diesel::prelude::*;

use crate::auth::{Actor, Scope};
use crate::db::types::Id;
use crate::db::{DbConnection, Lock};
use crate::domain::batch::CrewRole;
use crate::domain::handoff::HandoffStatus;
use crate::error::ApiError;
use crate::schema::{batches, handoffs, travellers, vehicles};
use crate::store;
use crate::store::handoffs::Handoff;
use crate::store::units;
use crate::transfer::batches::{CrewInput, NewBatch};
use crate::transfer::travellers::{ManifestRow, RawTraveller};
use crate::transfer::{self, handoffs::Confirmation};

/// (name, document, nationality, language, community code).
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const WAITING_PVG: &[Person] = &[
    ("王静", "E41872390", "CHN", "zh", "CZ-TN-HM"),
    ("Emily Carter", "563920174", "USA", "en", "CZ-ZL-XC"),
    ("田中 美咲", "TZ4471902", "JPN", "ja", "CZ-WJ-HL"),
    ("陈志强", "E52918473", "CHN", "zh", "CZ-TN-QL"),
];
const WAITING_SHA: &[Person] = &[
    ("김민준", "M83920471", "KOR", "ko", "CZ-ZL-NY"),
    ("刘洋", "E60283741", "CHN", "zh", "CZ-WJ-NX"),
    ("Lukas Schneider", "C4RT73019", "DEU", "en", "CZ-TN-HM"),
];
const ON_THE_ROAD: &[Person] = &[
    ("赵敏", "E38107264", "CHN", "zh", "CZ-TN-HM"),
    ("Sophie Martin", "19AV52731", "FRA", "en", "CZ-ZL-NY"),
    ("孙浩", "E77310958", "CHN", "zh", "CZ-WJ-HL"),
];
const LATE_TO_TIANNING: &[Person] = &[
    ("周婷", "E29104857", "CHN", "zh", "CZ-TN-HM"),
    ("David Brown", "548201937", "GBR", "en", "CZ-TN-QL"),
];
const TO_WUJIN: &[Person] = &[
    ("吴磊", "E81029374", "CHN", "zh", "CZ-WJ-HL"),
    ("佐藤 健", "TR8820145", "JPN", "ja", "CZ-WJ-NX"),
];
/// The first trip: the last of them does not show up at the port (an exception), the third is
/// missing at the district's door (partial receipt).
const CLOSED_TRIP: &[Person] = &[
    ("李娜", "E10293847", "CHN", "zh", "CZ-TN-HM"),
    ("张伟", "E20394851", "CHN", "zh", "CZ-TN-HM"),
    ("Anna Müller", "C01X84726", "DEU", "en", "CZ-TN-HM"),
    ("黄小明", "E39485720", "CHN", "zh", "CZ-TN-QL"),
    ("이서연", "M19384756", "KOR", "ko", "CZ-TN-QL"),
];

fn actor(conn: &mut DbConnection, username: &str) -> Result<Actor, String> {
    let user = store::users::find_by_username(conn, username)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("demo user {username} is missing"))?;
    let unit = match user.unit_id {
        Some(id) => units::find(conn, Scope::All, id).map_err(|e| e.to_string())?,
        None => None,
    };
    let scope = Scope::of(user.role, unit.as_ref().map(|u| u.level), user.unit_id)
        .ok_or_else(|| format!("demo user {username} has no usable unit"))?;
    Ok(Actor {
        id: user.id,
        username: user.username,
        role: user.role,
        unit_id: user.unit_id,
        city_id: unit.map(|u| u.city_id),
        scope,
    })
}

fn failed(e: ApiError) -> String {
    format!("cannot set the demo day in motion: {}", e.detail)
}

/// One step, in its own write transaction.
fn step<T>(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut store::Tx<'_>) -> Result<T, ApiError>,
) -> Result<T, String> {
    store::write(conn, Lock::Everything, change)
        .map(|c| c.value)
        .map_err(failed)
}

/// Registers people from a flight that landed `hours_ago`, as the port's manifest would.
fn register(
    conn: &mut DbConnection,
    dispatcher: &Actor,
    port: &str,
    flight: &str,
    hours_ago: i64,
    people: &[Person],
) -> Result<Vec<Id>, String> {
    let landed = (Local::now() - Duration::hours(hours_ago)).to_rfc3339();
    let rows = people
        .iter()
        .enumerate()
        .map(
            |(i, (name, document, nationality, language, community))| ManifestRow {
                line: i + 2,
                raw: RawTraveller {
                    full_name: (*name).into(),
                    document_type: "passport".into(),
                    document_no: (*document).into(),
                    nationality: (*nationality).into(),
                    phone: Some(format!("+86 139 0519 {:04}", 1000 + i)),
                    flight_no: Some(flight.into()),
                    arrived_at: landed.clone(),
                    address: None,
                    language: Some((*language).into()),
                    notes: None,
                },
                port_code: port.into(),
                community_code: (*community).into(),
            },
        )
        .collect();
    step(conn, |tx| transfer::travellers::import(tx, dispatcher, rows))?;
    let documents: Vec<&str> = people.iter().map(|p| p.1).collect();
    travellers::table
        .filter(travellers::document_no.eq_any(documents))
        .select(travellers::id)
        .load(conn)
        .map_err(|e| e.to_string())
}

fn vehicle(conn: &mut DbConnection, plate: &str) -> Result<Id, String> {
    vehicles::table
        .filter(vehicles::plate.eq(plate))
        .select(vehicles::id)
        .first(conn)
        .map_err(|e| format!("demo vehicle {plate}: {e}"))
}

fn port(conn: &mut DbConnection, code: &str) -> Result<Id, String> {
    crate::schema::ports::table
        .filter(crate::schema::ports::code.eq(code))
        .select(crate::schema::ports::id)
        .first(conn)
        .map_err(|e| format!("demo port {code}: {e}"))
}

/// A batch made, boarded (but the no-shows) and sent on its way; arrived too with an SLA.
#[allow(clippy::too_many_arguments)]
fn trip(
    conn: &mut DbConnection,
    dispatcher: &Actor,
    port_code: &str,
    people: &[Id],
    plate: &str,
    no_show: &[Id],
    arrive_with_sla: Option<i64>,
) -> Result<Id, String> {
    let port_id = port(conn, port_code)?;
    let vehicle_id = vehicle(conn, plate)?;
    let batch = step(conn, |tx| {
        transfer::batches::create(
            tx,
            dispatcher,
            NewBatch {
                port_id,
                traveller_ids: people.to_vec(),
                vehicle_id: Some(vehicle_id),
                crew: vec![
                    CrewInput {
                        name: "周建国".into(),
                        phone: Some("139 0519 0001".into()),
                        role: CrewRole::Driver,
                    },
                    CrewInput {
                        name: "钱丽".into(),
                        phone: Some("139 0519 0002".into()),
                        role: CrewRole::Escort,
                    },
                ],
                scheduled_departure_at: None,
            },
        )
    })?;
    let boarded: Vec<Id> = people.iter().filter(|p| !no_show.contains(p)).copied().collect();
    step(conn, |tx| {
        transfer::batches::record_boarding(tx, dispatcher, batch.id, boarded, no_show.to_vec())
    })?;
    step(conn, |tx| transfer::batches::depart(tx, dispatcher, batch.id))?;
    if let Some(sla) = arrive_with_sla {
        step(conn, |tx| {
            transfer::batches::arrive(tx, dispatcher, batch.id, sla)
        })?;
    }
    Ok(batch.id)
}

fn pending_handoffs(conn: &mut DbConnection, to_unit_id: Id) -> Result<Vec<Handoff>, String> {
    handoffs::table
        .filter(handoffs::to_unit_id.eq(to_unit_id))
        .filter(handoffs::status.eq(HandoffStatus::Pending))
        .select(Handoff::as_select())
        .load(conn)
        .map_err(|e| e.to_string())
}

/// Confirms every pending handoff to the officer's unit, receiving all but `missing`.
fn confirm_all(conn: &mut DbConnection, officer: &Actor, missing: &[Id], sla: i64) -> Result<(), String> {
    let unit = officer.unit_id.ok_or("an officer has a unit")?;
    for handoff in pending_handoffs(conn, unit)? {
        let people: Vec<Id> = crate::schema::handoff_travellers::table
            .filter(crate::schema::handoff_travellers::handoff_id.eq(handoff.id))
            .select(crate::schema::handoff_travellers::traveller_id)
            .load(conn)
            .map_err(|e| e.to_string())?;
        let received: Vec<Id> = people.into_iter().filter(|p| !missing.contains(p)).collect();
        let outcome = step(conn, |tx| {
            transfer::handoffs::confirm(tx, officer, handoff.id, &handoff.code, received, None, sla)
        })?;
        if !matches!(outcome, Confirmation::Confirmed(_)) {
            return Err("a demo handoff was not confirmed".into());
        }
    }
    Ok(())
}

/// Sets the demo city's day in motion, unless the database already holds travellers.
pub fn set_in_motion(conn: &mut DbConnection, sla_minutes: i64) -> Result<(), String> {
    let any: i64 = travellers::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    let any_batch: i64 = batches::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if any > 0 || any_batch > 0 {
        return Ok(());
    }
    let dispatcher = actor(conn, "cz.dispatcher")?;
    let district = actor(conn, "tn.officer")?;
    let community = actor(conn, "tn.hongmei.officer")?;

    // The morning's first trip, through to the community: one no-show at the port, one person
    // missing at the district's door, Hongmei's people received, Qinglong's handoff pending.
    let first = register(conn, &dispatcher, "PVG", "MU5104", 9, CLOSED_TRIP)?;
    let by_document = |conn: &mut DbConnection, document: &str| -> Result<Id, String> {
        travellers::table
            .filter(travellers::document_no.eq(document))
            .select(travellers::id)
            .first(conn)
            .map_err(|e| e.to_string())
    };
    let no_show = by_document(conn, CLOSED_TRIP[4].1)?;
    let missing = by_document(conn, CLOSED_TRIP[2].1)?;
    trip(
        conn,
        &dispatcher,
        "PVG",
        &first,
        "苏D·Z0001",
        &[no_show],
        Some(sla_minutes),
    )?;
    confirm_all(conn, &district, &[missing], sla_minutes)?;
    confirm_all(conn, &community, &[], sla_minutes)?;
    let bus = vehicle(conn, "苏D·Z0001")?;
    step(conn, |tx| {
        transfer::vehicles::disinfect(tx, &dispatcher, bus, Some("after the first trip".into()))
    })?;

    // Arrived trips whose handoffs wait: Tianning's for longer than it should (overdue).
    let late = register(conn, &dispatcher, "PVG", "CA982", 6, LATE_TO_TIANNING)?;
    trip(conn, &dispatcher, "PVG", &late, "苏D·Z0004", &[], Some(0))?;
    let wujin = register(conn, &dispatcher, "SHA", "FM828", 4, TO_WUJIN)?;
    trip(
        conn,
        &dispatcher,
        "SHA",
        &wujin,
        "苏D·Z0001",
        &[],
        Some(sla_minutes),
    )?;

    // A batch on the road, and people waiting at two ports.
    let road = register(conn, &dispatcher, "PVG", "MU5110", 2, ON_THE_ROAD)?;
    trip(conn, &dispatcher, "PVG", &road, "苏D·Z0003", &[], None)?;
    register(conn, &dispatcher, "PVG", "MU5118", 1, WAITING_PVG)?;
    register(conn, &dispatcher, "SHA", "FM9102", 1, WAITING_SHA)?;
    tracing::info!("demo day set in motion");
    Ok(())
}
