//! A day in motion on top of the demo data set, so that a newcomer's first screens have something
//! on them: travellers waiting at two ports, a batch on the road, pending handoffs (one overdue),
//! a partial receipt with one person missing, received people and an exception.
//!
//! Every step goes through the same rules as the API (`transfer`), as the demo users, so the
//! statistics, the event log and the traces are what real work leaves. The day is one
//! transaction, made only on a database without travellers.

use chrono::{Duration, Local};
use diesel::prelude::*;

use crate::auth::{Actor, Scope};
use crate::db::types::{BatchId, PortId, TravellerId, UnitId, VehicleId};
use crate::db::{DbConnection, Lock};
use crate::domain::batch::CrewRole;
use crate::domain::handoff::HandoffStatus;
use crate::domain::traveller::{DocumentType, Language};
use crate::error::{ApiError, ApiResult};
use crate::schema::{batches, handoffs, travellers, vehicles};
use crate::store::handoffs::Handoff;
use crate::store::units;
use crate::store::{self, Tx};
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

/// Registers people from a flight that landed `hours_ago`, as the port's manifest would.
fn register(
    tx: &mut Tx<'_>,
    dispatcher: &Actor,
    port: &str,
    flight: &str,
    hours_ago: i64,
    people: &[Person],
) -> ApiResult<Vec<TravellerId>> {
    let landed = (Local::now() - Duration::hours(hours_ago)).to_rfc3339();
    let rows = people
        .iter()
        .enumerate()
        .map(|(i, (name, document, nationality, language, community))| {
            ManifestRow::read(
                i + 2,
                &RawTraveller {
                    full_name: (*name).into(),
                    document_type: Ok(DocumentType::Passport),
                    document_no: (*document).into(),
                    nationality: (*nationality).into(),
                    phone: Some(format!("+86 139 0519 {:04}", 1000 + i)),
                    flight_no: Some(flight.into()),
                    arrived_at: landed.clone(),
                    address: None,
                    language: Some(Language::parse(language).ok_or_else(|| (*language).to_owned())),
                    notes: None,
                },
                port.into(),
                (*community).into(),
            )
        })
        .collect();
    transfer::travellers::import(tx, dispatcher, rows, |_| 0)?;
    let documents: Vec<&str> = people.iter().map(|p| p.1).collect();
    Ok(travellers::table
        .filter(travellers::document_no.eq_any(documents))
        .select(travellers::id)
        .load(tx.conn()?)?)
}

fn vehicle(tx: &mut Tx<'_>, plate: &str) -> ApiResult<VehicleId> {
    Ok(vehicles::table
        .filter(vehicles::plate.eq(plate))
        .select(vehicles::id)
        .first(tx.conn()?)?)
}

fn port(tx: &mut Tx<'_>, code: &str) -> ApiResult<PortId> {
    Ok(crate::schema::ports::table
        .filter(crate::schema::ports::code.eq(code))
        .select(crate::schema::ports::id)
        .first(tx.conn()?)?)
}

/// A batch made, boarded (but the no-shows) and sent on its way; arrived too with an SLA.
#[allow(clippy::too_many_arguments)]
fn trip(
    tx: &mut Tx<'_>,
    dispatcher: &Actor,
    port_code: &str,
    people: &[TravellerId],
    plate: &str,
    no_show: &[TravellerId],
    arrive_with_sla: Option<i64>,
) -> ApiResult<BatchId> {
    let port_id = port(tx, port_code)?;
    let vehicle_id = vehicle(tx, plate)?;
    let batch = transfer::batches::create(
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
    )?;
    let boarded: Vec<TravellerId> = people.iter().filter(|p| !no_show.contains(p)).copied().collect();
    transfer::batches::record_boarding(tx, dispatcher, batch.id, boarded, no_show.to_vec())?;
    transfer::batches::depart(tx, dispatcher, batch.id)?;
    if let Some(sla) = arrive_with_sla {
        transfer::arrival::arrive(tx, dispatcher, batch.id, sla)?;
    }
    Ok(batch.id)
}

fn pending_handoffs(tx: &mut Tx<'_>, to_unit_id: UnitId) -> ApiResult<Vec<Handoff>> {
    Ok(handoffs::table
        .filter(handoffs::to_unit_id.eq(to_unit_id))
        .filter(handoffs::status.eq(HandoffStatus::Pending))
        .select(Handoff::as_select())
        .load(tx.conn()?)?)
}

/// Confirms every pending handoff to the officer's unit, receiving all but `missing`.
fn confirm_all(tx: &mut Tx<'_>, officer: &Actor, missing: &[TravellerId], sla: i64) -> ApiResult<()> {
    let unit = officer
        .unit_id
        .ok_or_else(|| ApiError::internal("a demo officer has no unit"))?;
    for handoff in pending_handoffs(tx, unit)? {
        let people: Vec<TravellerId> = crate::schema::handoff_travellers::table
            .filter(crate::schema::handoff_travellers::handoff_id.eq(handoff.id))
            .select(crate::schema::handoff_travellers::traveller_id)
            .load(tx.conn()?)?;
        let received: Vec<TravellerId> = people.into_iter().filter(|p| !missing.contains(p)).collect();
        let outcome = transfer::handoffs::confirm(
            tx,
            officer,
            handoff.id,
            transfer::handoffs::Receipt {
                code: handoff.code.clone(),
                received_ids: received,
                note: None,
                at: None,
            },
            sla,
        )?;
        if !matches!(outcome, Confirmation::Confirmed(_)) {
            return Err(ApiError::internal("a demo handoff was not confirmed"));
        }
    }
    Ok(())
}

/// Sets the demo city's day in motion, unless the database already holds travellers or batches.
/// The whole day is one transaction: it is there entirely or not at all, and of two instances
/// starting at once over one database, the second finds it done.
pub fn set_in_motion(conn: &mut DbConnection, sla_minutes: i64) -> Result<(), String> {
    let dispatcher = actor(conn, "cz.dispatcher")?;
    let district = actor(conn, "tn.officer")?;
    let community = actor(conn, "tn.hongmei.officer")?;
    let done = store::write(conn, Lock::Everything, |tx| -> ApiResult<bool> {
        let travellers: i64 = travellers::table.count().get_result(tx.conn()?)?;
        let batches: i64 = batches::table.count().get_result(tx.conn()?)?;
        if travellers > 0 || batches > 0 {
            return Ok(false);
        }
        day(tx, &dispatcher, &district, &community, sla_minutes)?;
        Ok(true)
    })
    .map_err(|e| format!("cannot set the demo day in motion: {}", e.detail()))?;
    if done.value {
        tracing::info!("demo day set in motion");
    }
    Ok(())
}

fn day(
    tx: &mut Tx<'_>,
    dispatcher: &Actor,
    district: &Actor,
    community: &Actor,
    sla_minutes: i64,
) -> ApiResult<()> {
    // The morning's first trip, through to the community: one no-show at the port, one person
    // missing at the district's door, Hongmei's people received, Qinglong's handoff pending.
    let first = register(tx, dispatcher, "PVG", "MU5104", 9, CLOSED_TRIP)?;
    let by_document = |tx: &mut Tx<'_>, document: &str| -> ApiResult<TravellerId> {
        Ok(travellers::table
            .filter(travellers::document_no.eq(document))
            .select(travellers::id)
            .first(tx.conn()?)?)
    };
    let no_show = by_document(tx, CLOSED_TRIP[4].1)?;
    let missing = by_document(tx, CLOSED_TRIP[2].1)?;
    trip(
        tx,
        dispatcher,
        "PVG",
        &first,
        "苏D·Z0001",
        &[no_show],
        Some(sla_minutes),
    )?;
    confirm_all(tx, district, &[missing], sla_minutes)?;
    confirm_all(tx, community, &[], sla_minutes)?;
    let bus = vehicle(tx, "苏D·Z0001")?;
    transfer::vehicles::disinfect(tx, dispatcher, bus, Some("after the first trip".into()))?;

    // Arrived trips whose handoffs wait: Tianning's for longer than it should (overdue).
    let late = register(tx, dispatcher, "PVG", "CA982", 6, LATE_TO_TIANNING)?;
    trip(tx, dispatcher, "PVG", &late, "苏D·Z0004", &[], Some(0))?;
    let wujin = register(tx, dispatcher, "SHA", "FM828", 4, TO_WUJIN)?;
    trip(tx, dispatcher, "SHA", &wujin, "苏D·Z0001", &[], Some(sla_minutes))?;

    // A batch on the road, and people waiting at two ports.
    let road = register(tx, dispatcher, "PVG", "MU5110", 2, ON_THE_ROAD)?;
    trip(tx, dispatcher, "PVG", &road, "苏D·Z0003", &[], None)?;
    register(tx, dispatcher, "PVG", "MU5118", 1, WAITING_PVG)?;
    register(tx, dispatcher, "SHA", "FM9102", 1, WAITING_SHA)?;
    Ok(())
}
