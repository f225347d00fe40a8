//! A vehicle's cycle: assigned to a batch, on the road, waiting for disinfection after the trip,
//! available again; each step checked by the pure rules of `domain::vehicle` and recorded.

use serde_json::json;

use super::changed_concurrently;
use crate::auth::Actor;
use crate::db::types::{Id, Timestamp};
use crate::domain::vehicle::{self as vehicle_rules, VehicleEvent, VehicleStatus};
use crate::domain::Refusal;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::store::batches;
use crate::store::events;
use crate::store::new_id;
use crate::store::vehicles::{self, Vehicle};
use crate::store::Tx;

/// Records a step of a vehicle in its city's log.
fn vehicle_event(
    conn: &mut Tx<'_>,
    actor: &Actor,
    v: &Vehicle,
    action: &str,
    data: serde_json::Value,
) -> ApiResult<()> {
    let place = events::EventPlace {
        city_id: Some(v.unit_id),
        ..Default::default()
    };
    events::record(
        conn,
        Some(actor.id),
        &format!("vehicle.{action}"),
        "vehicle",
        v.id,
        place,
        data,
    )?;
    Ok(())
}

/// Writes a vehicle changed from the status `before` (as read in this transaction).
pub fn save_vehicle(conn: &mut Tx<'_>, before: VehicleStatus, v: &mut Vehicle) -> ApiResult<()> {
    v.updated_at = Timestamp::now();
    if !vehicles::update(conn, before, v)? {
        return Err(changed_concurrently("vehicle"));
    }
    v.version += 1;
    Ok(())
}

/// Moves a vehicle along its cycle, or says why it cannot.
pub fn move_vehicle(
    conn: &mut Tx<'_>,
    actor: &Actor,
    v: &mut Vehicle,
    event: VehicleEvent,
    data: serde_json::Value,
) -> ApiResult<()> {
    let next = vehicle_rules::transition(v.status, v.out_of_service, event).map_err(|refusal| {
        match (refusal, event) {
            (r, VehicleEvent::Assign) => ApiError::new(
                actix_web::http::StatusCode::CONFLICT,
                "vehicle_unavailable",
                r.to_string(),
            ),
            (Refusal::WrongStatus { .. } | Refusal::OutOfService | Refusal::Locked, _) => {
                ApiError::invalid_state(format!("vehicle {} is {}", v.plate, v.status))
            }
        }
    })?;
    let before = std::mem::replace(&mut v.status, next);
    save_vehicle(conn, before, v)?;
    let action = match event {
        VehicleEvent::Assign => "assigned",
        VehicleEvent::Release => "released",
        VehicleEvent::Depart => "departed",
        VehicleEvent::Arrive => "arrived",
        VehicleEvent::Disinfect => "disinfected",
    };
    vehicle_event(conn, actor, v, action, data)
}

/// A disinfection after a trip makes the vehicle available again.
pub fn disinfect(
    conn: &mut Tx<'_>,
    actor: &Actor,
    vehicle_id: Id,
    note: Option<String>,
) -> ApiResult<(Id, Vehicle)> {
    let mut vehicle =
        vehicles::find(conn, actor.scope, vehicle_id)?.ok_or_else(|| ApiError::not_found("vehicle"))?;
    if actor.role == Role::Dispatcher && actor.unit_id != Some(vehicle.unit_id) {
        return Err(ApiError::not_found("vehicle"));
    }
    let last_batch = batches::last_of_vehicle(conn, vehicle.id)?;
    move_vehicle(
        conn,
        actor,
        &mut vehicle,
        VehicleEvent::Disinfect,
        json!({"note": note, "batch_id": last_batch}),
    )?;
    let id = new_id();
    batches::insert_disinfection(conn, id, vehicle.id, last_batch, note, actor.id)?;
    Ok((id, vehicle))
}
