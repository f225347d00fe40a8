//! A batch reaches its city: its vehicle needs disinfection, its riders are in the city's custody,
//! and one pending handoff per destination district offers them on. Apart from `batches` so that
//! the loop's steps run one way: arrival opens handoffs, and a confirmed handoff may close a batch.

use std::collections::BTreeMap;

use serde_json::json;

use super::batches::{close, load, move_batch, move_riders, riders};
use super::vehicles::move_vehicle;
use crate::auth::{Actor, Scope};
use crate::db::types::{BatchId, Timestamp, UnitId};
use crate::domain::batch::{self, BatchEvent};
use crate::domain::message::msg;
use crate::domain::traveller::TravellerEvent;
use crate::domain::vehicle::VehicleEvent;
use crate::error::{ApiError, ApiResult};
use crate::store::batches::Batch;
use crate::store::travellers::Traveller;
use crate::store::vehicles;
use crate::store::Tx;

/// The vehicle reaches the city: one pending handoff per destination district, and the vehicle
/// needs disinfection before its next trip.
pub fn arrive(conn: &mut Tx<'_>, actor: &Actor, id: BatchId, sla_minutes: i64) -> ApiResult<Batch> {
    let mut b = load(conn.conn()?, actor, id)?;
    let next = batch::transition(b.status, BatchEvent::Arrive)?;
    let vehicle_id = b
        .vehicle_id
        .ok_or_else(|| ApiError::invalid_state(msg!("batch_needs", missing = "vehicle")))?;
    let mut vehicle = vehicles::find(conn.conn()?, Scope::All, vehicle_id)?
        .ok_or_else(|| ApiError::internal("vehicle vanished"))?;
    move_vehicle(
        conn,
        actor,
        &mut vehicle,
        VehicleEvent::Arrive,
        json!({"batch_id": b.id, "batch_code": b.code}),
    )?;
    let arrived = move_riders(conn, actor, &b, TravellerEvent::Arrive, "arrived")?;
    let data = json!({"travellers": arrived.len()});
    move_batch(conn, actor, &mut b, next, "arrived", data, |b| {
        b.arrived_at = Some(Timestamp::now())
    })?;
    let mut by_district: BTreeMap<UnitId, Vec<Traveller>> = BTreeMap::new();
    for t in arrived {
        by_district.entry(t.destination_district_id).or_default().push(t);
    }
    let places = super::unit_places(conn, by_district.keys().copied())?;
    for (district, group) in by_district {
        let place = places[&district];
        super::handoffs::open(conn, actor, Some(b.id), b.city_id, place, group, sla_minutes)?;
    }
    if riders(conn.conn()?, &b)?.is_empty() {
        close(conn, actor, &mut b)?;
    }
    Ok(b)
}
