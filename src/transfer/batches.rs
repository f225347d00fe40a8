//! Batches: forming them at a port, the vehicle and crew, boarding, departure, arrival (which opens
//! the city→district handoffs), cancellation, and closing once everyone is received or an exception.

use std::collections::HashSet;

use chrono::Utc;
use serde_json::json;

use super::vehicles::move_vehicle;
use super::{changed_concurrently, load_named, step_traveller, Step};
use crate::auth::{Actor, Scope};
use crate::db::types::{BatchId, Json, PortId, Timestamp, TravellerId, UnitId, VehicleId};
use crate::db::DbConnection;
use crate::domain::batch::{self, batch_code, seats_suffice, BatchEvent, BatchStatus, CrewRole};
use crate::domain::message::msg;
use crate::domain::traveller::{self as traveller_rules, ExceptionKind, TravellerEvent, TravellerStatus};
use crate::domain::vehicle::VehicleEvent;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, FieldError, ProblemCode};
use crate::store::batches::{self, Batch, CrewMember};
use crate::store::counts;
use crate::store::events;
use crate::store::travellers::{self, Traveller};
use crate::store::vehicles::{self, Vehicle};
use crate::store::Tx;
use crate::store::{new_id, ports};

pub struct CrewInput {
    pub name: String,
    pub phone: Option<String>,
    pub role: CrewRole,
}

pub struct NewBatch {
    pub port_id: PortId,
    pub traveller_ids: Vec<TravellerId>,
    pub vehicle_id: Option<VehicleId>,
    pub crew: Vec<CrewInput>,
    pub scheduled_departure_at: Option<Timestamp>,
}

fn batch_event(
    conn: &mut Tx<'_>,
    actor: &Actor,
    b: &Batch,
    action: &str,
    data: serde_json::Value,
) -> ApiResult<()> {
    let place = events::EventPlace {
        city_id: Some(b.city_id),
        ..Default::default()
    };
    conn.event(
        Some(actor.id),
        &format!("batch.{action}"),
        "batch",
        b.id,
        place,
        data,
    );
    Ok(())
}

/// One step of a batch, written with its event in this transaction: the batch goes to `next` (as
/// the rules allowed it), and `change` sets what else the step records.
pub(super) fn move_batch(
    conn: &mut Tx<'_>,
    actor: &Actor,
    b: &mut Batch,
    next: BatchStatus,
    action: &str,
    data: serde_json::Value,
    change: impl FnOnce(&mut Batch),
) -> ApiResult<()> {
    let before = b.status;
    b.status = next;
    change(b);
    b.updated_at = Timestamp::now();
    if !batches::save(conn.conn()?, b)? {
        return Err(changed_concurrently("batch"));
    }
    b.version += 1;
    if before != b.status {
        let now = counts::batch_snapshot(conn.conn()?, b)?;
        let was = counts::BatchSnapshot {
            status: before,
            units: now.units.clone(),
        };
        counts::batch_moved(&mut conn.counts, Some(&was), &now);
    }
    batch_event(conn, actor, b, action, data)
}

/// The batch's city must be the dispatcher's own; admins take the city of the travellers.
fn batch_city(actor: &Actor, travellers: &[Traveller]) -> ApiResult<UnitId> {
    let cities: HashSet<UnitId> = travellers.iter().map(|t| t.destination_city_id).collect();
    if cities.len() > 1 {
        return Err(ApiError::invalid_field("traveller_ids", msg!("batch_one_city")));
    }
    match (actor.role, actor.unit_id) {
        (Role::Dispatcher, Some(city)) => Ok(city),
        _ => cities
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::invalid_field("traveller_ids", msg!("required"))),
    }
}

/// Checks that travellers can join a batch at this port, and takes them in.
fn take_travellers(
    conn: &mut Tx<'_>,
    actor: &Actor,
    b: &Batch,
    field: &str,
    list: &mut [Traveller],
) -> ApiResult<()> {
    let mut wrong = Vec::new();
    for (i, t) in list.iter().enumerate() {
        if t.port_id != b.port_id {
            wrong.push(FieldError::new(
                format!("{field}[{i}]"),
                msg!("traveller_other_port", traveller_id = t.id.to_string()),
            ));
        }
        if t.destination_city_id != b.city_id {
            wrong.push(FieldError::new(
                format!("{field}[{i}]"),
                msg!("traveller_other_city", traveller_id = t.id.to_string()),
            ));
        }
    }
    if !wrong.is_empty() {
        return Err(ApiError::invalid(wrong));
    }
    for t in list.iter_mut() {
        if t.status != TravellerStatus::AwaitingTransfer {
            return Err(ApiError::conflict(match t.status {
                TravellerStatus::Assigned | TravellerStatus::Boarded => {
                    msg!("traveller_in_open_batch", traveller_id = t.id.to_string())
                }
                other => msg!(
                    "traveller_not_awaiting",
                    traveller_id = t.id.to_string(),
                    status = other.as_str()
                ),
            }));
        }
        let step = Step {
            batch_id: Some(b.id),
            detail: json!({"batch_code": b.code}),
            ..Step::default()
        };
        step_traveller(
            conn,
            actor,
            t,
            Some(TravellerEvent::Assign),
            "assigned",
            step,
            |t| t.batch_id = Some(b.id),
        )?;
        batches::add_member(conn.conn()?, b.id, t)?;
    }
    Ok(())
}

fn check_crew(crew: &[CrewInput]) -> ApiResult<()> {
    let mut errors = Vec::new();
    if crew.len() > batch::MAX_CREW {
        errors.push(FieldError::new(
            "crew",
            msg!("too_many_crew", max_items = batch::MAX_CREW),
        ));
    }
    for (i, member) in crew.iter().enumerate() {
        if let Err(m) = crate::domain::clean_text(&member.name, 100) {
            errors.push(FieldError::new(format!("crew[{i}].name"), m));
        }
        if member
            .phone
            .as_deref()
            .is_some_and(|p| !traveller_rules::valid_phone(p.trim()))
        {
            errors.push(FieldError::new(format!("crew[{i}].phone"), msg!("phone_format")));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(errors))
    }
}

pub fn check_traveller_list(field: &str, ids: &[TravellerId], allow_empty: bool) -> ApiResult<()> {
    if ids.is_empty() && !allow_empty {
        return Err(ApiError::invalid_field(field, msg!("no_travellers")));
    }
    if ids.len() > batch::MAX_TRAVELLERS_PER_BATCH {
        return Err(ApiError::invalid_field(
            field,
            msg!("too_many_travellers", max_items = batch::MAX_TRAVELLERS_PER_BATCH),
        ));
    }
    Ok(())
}

/// Forms a planned batch at a port.
pub fn create(conn: &mut Tx<'_>, actor: &Actor, input: NewBatch) -> ApiResult<Batch> {
    check_traveller_list("traveller_ids", &input.traveller_ids, false)?;
    check_crew(&input.crew)?;
    let port = ports::find(conn.conn()?, input.port_id)?
        .ok_or_else(|| ApiError::invalid_field("port_id", msg!("no_such_port")))?;
    let mut list = load_named(conn, actor.scope, "traveller_ids", &input.traveller_ids)?;
    let city_id = batch_city(actor, &list)?;
    let day = Utc::now().date_naive();
    let prefix = batch_code(&port.code, day, 0);
    let prefix = &prefix[..prefix.len() - 3];
    let number = batches::count_with_prefix(conn.conn()?, prefix)? + 1;
    let now = Timestamp::now();
    let mut b = Batch {
        id: BatchId::new(),
        code: batch_code(&port.code, day, number),
        port_id: port.id,
        city_id,
        vehicle_id: None,
        status: BatchStatus::Planned,
        scheduled_departure_at: input.scheduled_departure_at,
        departed_at: None,
        arrived_at: None,
        closed_at: None,
        cancelled_at: None,
        cancel_reason: None,
        created_by: actor.id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    batches::insert(conn.conn()?, &b)?;
    for member in &input.crew {
        batches::insert_crew(
            conn.conn()?,
            &CrewMember {
                id: new_id(),
                batch_id: b.id,
                name: member.name.trim().into(),
                phone: member.phone.as_ref().map(|p| p.trim().to_owned()),
                role: member.role,
            },
        )?;
    }
    batch_event(
        conn,
        actor,
        &b,
        "created",
        json!({"code": b.code, "port_id": b.port_id, "travellers": input.traveller_ids.len(), "crew": input.crew.len()}),
    )?;
    take_travellers(conn, actor, &b, "traveller_ids", &mut list)?;
    if let Some(vehicle_id) = input.vehicle_id {
        assign_vehicle(conn, actor, &mut b, vehicle_id)?;
    }
    let counted = counts::batch_snapshot(conn.conn()?, &b)?;
    counts::batch_moved(&mut conn.counts, None, &counted);
    Ok(b)
}

pub fn load(conn: &mut DbConnection, actor: &Actor, id: BatchId) -> ApiResult<Batch> {
    batches::find(conn, actor.scope, id)?.ok_or_else(|| ApiError::not_found("batch"))
}

/// Adds and removes travellers of a planned batch.
pub fn edit_travellers(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: BatchId,
    add: Vec<TravellerId>,
    remove: Vec<TravellerId>,
) -> ApiResult<Batch> {
    check_traveller_list("add", &add, true)?;
    check_traveller_list("remove", &remove, true)?;
    if add.is_empty() && remove.is_empty() {
        return Err(ApiError::invalid_field("add", msg!("nothing_to_change")));
    }
    if let Some(both) = add.iter().find(|id| remove.contains(id)) {
        return Err(ApiError::invalid_field(
            "remove",
            msg!("traveller_added_and_removed", traveller_id = both.to_string()),
        ));
    }
    let mut b = load(conn.conn()?, actor, id)?;
    batch::transition(b.status, BatchEvent::EditTravellers)?;
    let counted_before = counts::batch_snapshot(conn.conn()?, &b)?;
    let members: HashSet<TravellerId> = batches::members(conn.conn()?, b.id)?
        .into_iter()
        .map(|m| m.traveller_id)
        .collect();
    let mut leaving = load_named(conn, actor.scope, "remove", &remove)?;
    for (i, t) in leaving.iter_mut().enumerate() {
        if !members.contains(&t.id) || t.batch_id != Some(b.id) {
            return Err(ApiError::invalid_field(
                &format!("remove[{i}]"),
                msg!("traveller_not_in_batch", traveller_id = t.id.to_string()),
            ));
        }
        if t.status == TravellerStatus::Exception {
            // Out of the loop already: it only leaves the batch's list.
            batches::remove_member(conn.conn()?, b.id, t.id)?;
            continue;
        }
        let step = Step {
            batch_id: Some(b.id),
            detail: json!({"batch_code": b.code}),
            ..Step::default()
        };
        step_traveller(
            conn,
            actor,
            t,
            Some(TravellerEvent::Unassign),
            "removed_from_batch",
            step,
            |t| t.batch_id = None,
        )?;
        batches::remove_member(conn.conn()?, b.id, t.id)?;
    }
    let mut joining = load_named(conn, actor.scope, "add", &add)?;
    take_travellers(conn, actor, &b, "add", &mut joining)?;
    check_capacity(conn, &b)?;
    let data = json!({"added": add, "removed": remove});
    let status = b.status;
    move_batch(conn, actor, &mut b, status, "travellers_changed", data, |_| {})?;
    let counted_after = counts::batch_snapshot(conn.conn()?, &b)?;
    counts::batch_moved(&mut conn.counts, Some(&counted_before), &counted_after);
    Ok(b)
}

/// Travellers still to be carried: in the batch and not an exception.
pub(super) fn riders(conn: &mut DbConnection, b: &Batch) -> ApiResult<Vec<Traveller>> {
    let ids: Vec<TravellerId> = batches::members(conn, b.id)?
        .into_iter()
        .map(|m| m.traveller_id)
        .collect();
    Ok(travellers::find_many(conn, Scope::All, &ids)?
        .into_iter()
        .flatten()
        .filter(|t| t.status != TravellerStatus::Exception)
        .collect())
}

fn check_capacity(conn: &mut Tx<'_>, b: &Batch) -> ApiResult<()> {
    let Some(vehicle_id) = b.vehicle_id else {
        return Ok(());
    };
    let vehicle = vehicles::find(conn.conn()?, Scope::All, vehicle_id)?
        .ok_or_else(|| ApiError::internal("vehicle vanished"))?;
    let riding = riders(conn.conn()?, b)?.len();
    let crew = batches::crew(conn.conn()?, b.id)?.len();
    check_seats(&vehicle, riding, crew)?;
    Ok(())
}

/// 409 `capacity_exceeded` when the vehicle's seats do not hold the riders and the crew.
fn check_seats(vehicle: &Vehicle, riding: usize, crew: usize) -> ApiResult<()> {
    if seats_suffice(vehicle.seats, riding, crew) {
        return Ok(());
    }
    Err(ApiError::new(
        actix_web::http::StatusCode::CONFLICT,
        ProblemCode::CapacityExceeded,
        msg!(
            "capacity_exceeded",
            plate = vehicle.plate,
            seats = vehicle.seats,
            travellers = riding,
            crew = crew,
            needed = riding + crew
        ),
    ))
}

/// Assigns (or replaces) the vehicle of a planned batch.
pub fn assign_vehicle(
    conn: &mut Tx<'_>,
    actor: &Actor,
    b: &mut Batch,
    vehicle_id: VehicleId,
) -> ApiResult<()> {
    batch::transition(b.status, BatchEvent::AssignVehicle)?;
    let mut vehicle = vehicles::find(conn.conn()?, actor.scope, vehicle_id)?
        .filter(|v| v.unit_id == b.city_id)
        .ok_or_else(|| ApiError::invalid_field("vehicle_id", msg!("no_such_vehicle_of_city")))?;
    if b.vehicle_id == Some(vehicle.id) {
        return Ok(());
    }
    let riding = riders(conn.conn()?, b)?.len();
    let crew = batches::crew(conn.conn()?, b.id)?.len();
    move_vehicle(
        conn,
        actor,
        &mut vehicle,
        VehicleEvent::Assign,
        json!({"batch_id": b.id, "batch_code": b.code}),
    )?;
    check_seats(&vehicle, riding, crew)?;
    if let Some(previous) = b.vehicle_id {
        release_vehicle(conn, actor, b, previous)?;
    }
    let data = json!({"vehicle_id": vehicle.id, "plate": vehicle.plate});
    let status = b.status;
    move_batch(conn, actor, b, status, "vehicle_assigned", data, |b| {
        b.vehicle_id = Some(vehicle.id)
    })
}

fn release_vehicle(conn: &mut Tx<'_>, actor: &Actor, b: &Batch, vehicle_id: VehicleId) -> ApiResult<()> {
    if let Some(mut v) = vehicles::find(conn.conn()?, Scope::All, vehicle_id)? {
        move_vehicle(
            conn,
            actor,
            &mut v,
            VehicleEvent::Release,
            json!({"batch_id": b.id, "batch_code": b.code}),
        )?;
    }
    Ok(())
}

/// Records who boarded and who did not come: each traveller of the batch in exactly one list.
pub fn record_boarding(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: BatchId,
    boarded: Vec<TravellerId>,
    no_show: Vec<TravellerId>,
) -> ApiResult<Batch> {
    let mut b = load(conn.conn()?, actor, id)?;
    let next = batch::transition(b.status, BatchEvent::RecordBoarding)?;
    let vehicle_id = b
        .vehicle_id
        .ok_or_else(|| ApiError::invalid_state(msg!("batch_needs", missing = "vehicle")))?;
    if let Some(both) = boarded.iter().find(|id| no_show.contains(id)) {
        return Err(ApiError::invalid_field(
            "no_show",
            msg!("traveller_in_both_lists", traveller_id = both.to_string()),
        ));
    }
    let mut riders = riders(conn.conn()?, &b)?;
    let expected: HashSet<TravellerId> = riders.iter().map(|t| t.id).collect();
    // Members who left the loop before boarding (an exception) may be named as no-shows.
    let left: HashSet<TravellerId> = batches::members(conn.conn()?, b.id)?
        .into_iter()
        .map(|m| m.traveller_id)
        .filter(|t| !expected.contains(t))
        .collect();
    let mut seen = HashSet::new();
    let mut errors = Vec::new();
    for (field, list) in [("boarded", &boarded), ("no_show", &no_show)] {
        for (i, id) in list.iter().enumerate() {
            if left.contains(id) {
                if field == "boarded" {
                    errors.push(FieldError::new(
                        format!("{field}[{i}]"),
                        msg!("traveller_left_loop", traveller_id = id.to_string()),
                    ));
                }
            } else if !expected.contains(id) {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    msg!("traveller_not_in_batch", traveller_id = id.to_string()),
                ));
            } else if !seen.insert(*id) {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    msg!("traveller_listed_twice", traveller_id = id.to_string()),
                ));
            }
        }
    }
    for id in expected.difference(&seen) {
        errors.push(FieldError::new(
            "boarded",
            msg!("traveller_in_neither_list", traveller_id = id.to_string()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let now = Timestamp::now();
    for t in riders.iter_mut() {
        let came = boarded.contains(&t.id);
        let step = |detail| Step {
            batch_id: Some(b.id),
            vehicle_id: Some(vehicle_id),
            detail,
            ..Step::default()
        };
        if came {
            let detail = json!({"batch_code": b.code});
            step_traveller(
                conn,
                actor,
                t,
                Some(TravellerEvent::Board),
                "boarded",
                step(detail),
                |_| {},
            )?;
        } else {
            let detail = json!({"kind": "no_show", "batch_code": b.code});
            let event = Some(TravellerEvent::RecordException);
            step_traveller(conn, actor, t, event, "exception", step(detail), |t| {
                t.exception_kind = Some(ExceptionKind::NoShow);
                t.exception_message = Some(Json(msg!("did_not_board", batch_code = b.code).stored()));
                t.exception_at = Some(now);
                t.exception_by = Some(actor.id);
            })?;
        }
        batches::set_boarded(conn.conn()?, b.id, t.id, came)?;
    }
    let data = json!({"boarded": boarded, "no_show": no_show});
    move_batch(conn, actor, &mut b, next, "boarding_recorded", data, |_| {})?;
    if boarded.is_empty() {
        release_vehicle(conn, actor, &b, vehicle_id)?;
        close(conn, actor, &mut b)?;
    }
    Ok(b)
}

/// The vehicle leaves the port with everyone who boarded.
pub fn depart(conn: &mut Tx<'_>, actor: &Actor, id: BatchId) -> ApiResult<Batch> {
    let mut b = load(conn.conn()?, actor, id)?;
    let next = batch::transition(b.status, BatchEvent::Depart)?;
    let vehicle_id = b
        .vehicle_id
        .ok_or_else(|| ApiError::invalid_state(msg!("batch_needs", missing = "vehicle")))?;
    if !batches::crew(conn.conn()?, b.id)?
        .iter()
        .any(|c| c.role == CrewRole::Driver)
    {
        return Err(ApiError::invalid_state(msg!("batch_needs", missing = "driver")));
    }
    let mut vehicle = vehicles::find(conn.conn()?, Scope::All, vehicle_id)?
        .ok_or_else(|| ApiError::internal("vehicle vanished"))?;
    move_vehicle(
        conn,
        actor,
        &mut vehicle,
        VehicleEvent::Depart,
        json!({"batch_id": b.id, "batch_code": b.code}),
    )?;
    move_riders(conn, actor, &b, TravellerEvent::Depart, "departed")?;
    let data = json!({"vehicle_id": vehicle_id});
    move_batch(conn, actor, &mut b, next, "departed", data, |b| {
        b.departed_at = Some(Timestamp::now())
    })?;
    let counted = counts::batch_snapshot(conn.conn()?, &b)?;
    let mut deltas = std::mem::take(&mut conn.counts);
    counts::batch_departed(&mut deltas, conn.conn()?, &b, &counted)?;
    conn.counts = deltas;
    Ok(b)
}

pub(super) fn move_riders(
    conn: &mut Tx<'_>,
    actor: &Actor,
    b: &Batch,
    event: TravellerEvent,
    action: &str,
) -> ApiResult<Vec<Traveller>> {
    let mut list = riders(conn.conn()?, b)?;
    for t in list.iter_mut() {
        let step = Step {
            batch_id: Some(b.id),
            vehicle_id: b.vehicle_id,
            detail: json!({"batch_code": b.code}),
            ..Step::default()
        };
        step_traveller(conn, actor, t, Some(event), action, step, |_| {})?;
    }
    Ok(list)
}

/// Cancels a batch before departure: its travellers wait for another batch, its vehicle is free.
pub fn cancel(conn: &mut Tx<'_>, actor: &Actor, id: BatchId, reason: String) -> ApiResult<Batch> {
    let mut b = load(conn.conn()?, actor, id)?;
    let next = batch::transition(b.status, BatchEvent::Cancel)?;
    let mut list = riders(conn.conn()?, &b)?;
    for t in list.iter_mut() {
        let step = Step {
            batch_id: Some(b.id),
            detail: json!({"batch_code": b.code, "reason": reason}),
            ..Step::default()
        };
        let event = Some(TravellerEvent::Unassign);
        step_traveller(conn, actor, t, event, "returned_to_waiting", step, |t| {
            t.batch_id = None
        })?;
    }
    if let Some(vehicle_id) = b.vehicle_id {
        release_vehicle(conn, actor, &b, vehicle_id)?;
    }
    let data = json!({"reason": reason});
    move_batch(conn, actor, &mut b, next, "cancelled", data, |b| {
        b.cancelled_at = Some(Timestamp::now());
        b.cancel_reason = Some(reason.clone());
    })?;
    Ok(b)
}

pub(super) fn close(conn: &mut Tx<'_>, actor: &Actor, b: &mut Batch) -> ApiResult<()> {
    let next = batch::transition(b.status, BatchEvent::Close)?;
    move_batch(conn, actor, b, next, "closed", json!({}), |b| {
        b.closed_at = Some(Timestamp::now())
    })
}

/// Closes the batch once every traveller it carried is received or an exception.
pub fn close_if_done(conn: &mut Tx<'_>, actor: &Actor, batch_id: BatchId) -> ApiResult<()> {
    let Some(mut b) = batches::find(conn.conn()?, Scope::All, batch_id)? else {
        return Ok(());
    };
    if b.status != BatchStatus::Arrived {
        return Ok(());
    }
    let ids: Vec<TravellerId> = batches::members(conn.conn()?, b.id)?
        .into_iter()
        .map(|m| m.traveller_id)
        .collect();
    let all_done = travellers::find_many(conn.conn()?, Scope::All, &ids)?
        .into_iter()
        .flatten()
        .all(|t| t.status.is_terminal());
    if all_done {
        close(conn, actor, &mut b)?;
    }
    Ok(())
}
