//! A vehicle's cycle: assigned to a batch, on the road, waiting for disinfection after the trip,
//! available again; each step checked by the pure rules of `domain::vehicle` and recorded.

use serde_json::json;

use crate::auth::Actor;
use crate::db::types::{Id, Timestamp, UnitId, VehicleId};
use crate::domain::message::msg;
use crate::domain::vehicle::{self as vehicle_rules, VehicleEvent, VehicleStatus};
use crate::domain::Refusal;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, ProblemCode};
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
    mut data: serde_json::Value,
) -> ApiResult<()> {
    // Every event of a vehicle names it, so that a feed says which one.
    if let Some(fields) = data.as_object_mut() {
        fields.entry("plate").or_insert_with(|| v.plate.clone().into());
    }
    let place = events::EventPlace {
        city_id: Some(v.unit_id),
        ..Default::default()
    };
    conn.event(
        Some(actor.id),
        &format!("vehicle.{action}"),
        "vehicle",
        v.id,
        place,
        data,
    );
    Ok(())
}

/// Writes a vehicle changed from the status `before` (as read in this transaction).
pub fn save_vehicle(conn: &mut Tx<'_>, before: VehicleStatus, v: &mut Vehicle) -> ApiResult<()> {
    v.updated_at = Timestamp::now();
    conn.save_vehicle(before, v)?;
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
                ProblemCode::VehicleUnavailable,
                r.message().with("plate", v.plate.clone()),
            ),
            (Refusal::WrongStatus { .. } | Refusal::OutOfService | Refusal::Locked, _) => {
                ApiError::invalid_state(msg!(
                    "vehicle_in_status",
                    plate = v.plate,
                    status = v.status.as_str()
                ))
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
    vehicle_id: VehicleId,
    note: Option<String>,
) -> ApiResult<(Id, Vehicle)> {
    let mut vehicle = vehicles::find(conn.conn()?, actor.scope, vehicle_id)?
        .ok_or_else(|| ApiError::not_found("vehicle"))?;
    if actor.role == Role::Dispatcher && actor.unit_id != Some(vehicle.unit_id) {
        return Err(ApiError::not_found("vehicle"));
    }
    let last_batch = batches::last_of_vehicle(conn.conn()?, vehicle.id)?;
    move_vehicle(
        conn,
        actor,
        &mut vehicle,
        VehicleEvent::Disinfect,
        json!({"note": note, "batch_id": last_batch}),
    )?;
    let id = new_id();
    batches::insert_disinfection(conn.conn()?, id, vehicle.id, last_batch, note, actor.id)?;
    Ok((id, vehicle))
}

/// A vehicle to register, its fields checked.
pub struct NewVehicle {
    pub plate: String,
    pub kind: crate::domain::VehicleKind,
    pub seats: i32,
    pub unit_id: UnitId,
}

/// Registers a vehicle of a city in the caller's jurisdiction, available.
pub fn register(conn: &mut Tx<'_>, actor: &Actor, new: NewVehicle) -> ApiResult<Vehicle> {
    crate::store::units::find(conn.conn()?, actor.scope, new.unit_id)?
        .filter(|u| u.level == crate::domain::UnitLevel::City)
        .ok_or_else(|| ApiError::invalid_field("unit_id", msg!("not_a_city_of_yours")))?;
    if vehicles::plate_taken(conn.conn()?, &new.plate)? {
        return Err(ApiError::conflict(msg!("plate_taken", plate = new.plate)));
    }
    let now = Timestamp::now();
    let vehicle = Vehicle {
        id: VehicleId::new(),
        plate: new.plate,
        kind: new.kind,
        seats: new.seats,
        unit_id: new.unit_id,
        status: VehicleStatus::Available,
        out_of_service: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    conn.insert_vehicle(&vehicle)?;
    let data = json!({"plate": vehicle.plate, "kind": vehicle.kind, "seats": vehicle.seats});
    vehicle_event(conn, actor, &vehicle, "registered", data)?;
    Ok(vehicle)
}

/// Changes a vehicle's seats or service, only while it is not committed to a trip.
pub fn update(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: VehicleId,
    seats: Option<i32>,
    out_of_service: Option<bool>,
) -> ApiResult<Vehicle> {
    let mut vehicle =
        vehicles::find(conn.conn()?, actor.scope, id)?.ok_or_else(|| ApiError::not_found("vehicle"))?;
    let status = vehicle.status;
    let changes = seats.is_some_and(|s| s != vehicle.seats)
        || out_of_service.is_some_and(|o| o != vehicle.out_of_service);
    if changes && !vehicle_rules::can_edit(status) {
        return Err(ApiError::invalid_state(msg!(
            "vehicle_on_trip",
            status = status.as_str()
        )));
    }
    vehicle.seats = seats.unwrap_or(vehicle.seats);
    vehicle.out_of_service = out_of_service.unwrap_or(vehicle.out_of_service);
    save_vehicle(conn, status, &mut vehicle)?;
    let mut data = serde_json::Map::new();
    if let Some(seats) = seats {
        data.insert("seats".into(), seats.into());
    }
    if let Some(out) = out_of_service {
        data.insert("out_of_service".into(), out.into());
    }
    vehicle_event(conn, actor, &vehicle, "updated", data.into())?;
    Ok(vehicle)
}
