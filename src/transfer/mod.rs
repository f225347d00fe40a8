//! The closed loop's operations: each runs inside the caller's write transaction, applies the
//! pure rules of `domain`, writes through `store`, and records every change in the event log.

pub mod accounts;
pub mod arrival;
pub mod batches;
pub mod exports;
pub mod handoffs;
pub mod organisation;
pub mod privacy;
pub mod sessions;
pub mod travellers;
pub mod vehicles;

use serde_json::{json, Value};

use crate::auth::{Actor, Scope, UnitPlace};
use crate::db::types::{BatchId, HandoffId, Timestamp, TravellerId, UnitId, VehicleId};
use crate::domain::message::msg;
use crate::domain::traveller::{self as traveller_rules, TravellerEvent};
use crate::domain::{Role, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::store::travellers::{self as traveller_store, Traveller};
use crate::store::units;
use crate::store::Tx;

/// The answer when an optimistic write finds the row changed since it was read.
pub fn changed_concurrently(what: &str) -> ApiError {
    ApiError::conflict(msg!("changed_concurrently", resource = what))
}

/// Writes a traveller changed from `before` (as read in this transaction), refused when it is sent
/// if another request changed it since, and moves its version on.
pub fn save_traveller(conn: &mut Tx<'_>, before: &Traveller, traveller: &mut Traveller) -> ApiResult<()> {
    conn.save_traveller(before, traveller)?;
    traveller.version += 1;
    Ok(())
}

/// One step of a traveller's way, written with its event in this transaction: `event`, if the
/// step moves the traveller on, goes through the rules; `change` sets what else the step records.
pub fn step_traveller(
    conn: &mut Tx<'_>,
    actor: &Actor,
    t: &mut Traveller,
    event: Option<TravellerEvent>,
    action: &str,
    step: Step,
    change: impl FnOnce(&mut Traveller),
) -> ApiResult<()> {
    let before = t.clone();
    if let Some(event) = event {
        t.status = traveller_rules::transition(t.status, event)?;
    }
    change(t);
    t.updated_at = Timestamp::now();
    save_traveller(conn, &before, t)?;
    record_step(conn, actor, t, action, step)
}

/// What a traveller's event says: where it happened and what it involved. The trace reads these.
#[derive(Default)]
pub struct Step {
    pub unit_id: Option<UnitId>,
    pub batch_id: Option<BatchId>,
    pub vehicle_id: Option<VehicleId>,
    pub handoff_id: Option<HandoffId>,
    pub detail: Value,
}

pub fn record_step(
    conn: &mut Tx<'_>,
    actor: &Actor,
    t: &Traveller,
    action: &str,
    step: Step,
) -> ApiResult<()> {
    conn.event(
        Some(actor.id),
        &format!("traveller.{action}"),
        "traveller",
        t.id,
        t.place(),
        json!({
            "status": t.status,
            "custodian_unit_id": t.custodian_unit_id,
            "unit_id": step.unit_id.unwrap_or(t.custodian_unit_id),
            "batch_id": step.batch_id,
            "vehicle_id": step.vehicle_id,
            "handoff_id": step.handoff_id,
            "detail": step.detail,
        }),
    );
    Ok(())
}

pub fn unit_place(conn: &mut Tx<'_>, id: UnitId) -> ApiResult<UnitPlace> {
    units::find(conn.conn()?, Scope::All, id)?
        .map(|u| u.place())
        .ok_or_else(|| ApiError::internal(format!("unit {id} vanished")))
}

/// The places of these units, read in one statement.
pub fn unit_places(
    conn: &mut Tx<'_>,
    ids: impl IntoIterator<Item = UnitId>,
) -> ApiResult<std::collections::BTreeMap<UnitId, UnitPlace>> {
    let ids: Vec<UnitId> = ids.into_iter().collect();
    let places: std::collections::BTreeMap<UnitId, UnitPlace> = units::by_ids(conn.conn()?, &ids)?
        .into_iter()
        .map(|u| (u.id, u.place()))
        .collect();
    match ids.iter().find(|id| !places.contains_key(id)) {
        Some(id) => Err(ApiError::internal(format!("unit {id} vanished"))),
        None => Ok(places),
    }
}

/// Whether the actor speaks for the unit that holds custody: the city's dispatcher for the city,
/// the district's officer for the district. Admins act for any unit.
pub fn acts_for(actor: &Actor, custodian: &UnitPlace) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Dispatcher => custodian.level == UnitLevel::City && actor.unit_id == Some(custodian.id),
        Role::DistrictOfficer => {
            custodian.level == UnitLevel::District && actor.unit_id == Some(custodian.id)
        }
        Role::CommunityOfficer | Role::Viewer => false,
    }
}

/// Loads travellers named in a request, failing with one field error per id the caller cannot
/// see, and with a field error for ids named twice.
pub fn load_named(
    conn: &mut Tx<'_>,
    scope: Scope,
    field: &str,
    ids: &[TravellerId],
) -> ApiResult<Vec<Traveller>> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        if !seen.insert(*id) {
            problems.push(crate::error::FieldError::new(
                format!("{field}[{i}]"),
                msg!("traveller_listed_twice", traveller_id = id.to_string()),
            ));
        }
    }
    let found = traveller_store::find_many(conn.conn()?, scope, ids)?;
    for (i, (id, row)) in ids.iter().zip(&found).enumerate() {
        if row.is_none() {
            problems.push(crate::error::FieldError::new(
                format!("{field}[{i}]"),
                msg!("no_such_traveller", traveller_id = id.to_string()),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    Ok(found.into_iter().flatten().collect())
}
