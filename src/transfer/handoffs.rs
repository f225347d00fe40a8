//! Handoffs: offering custody to the next level, and the receiver confirming (with the code and
//! the travellers actually received) or rejecting. Custody moves only on confirmation.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;
use rand::Rng;
use serde_json::json;

use super::{acts_for, load_named, step_traveller, unit_place, unit_places, Step};
use crate::auth::{Actor, Scope, UnitPlace};
use crate::db::types::{BatchId, HandoffId, Timestamp, TravellerId, UnitId};
use crate::db::DbConnection;
use crate::domain::handoff::{
    check_action, check_code, code_from, split_received, CodeCheck, HandoffAction, HandoffOutcome,
    HandoffStatus,
};
use crate::domain::message::msg;
use crate::domain::traveller::{TravellerEvent, TravellerStatus};
use crate::domain::{Refusal, Role, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::store::handoffs::{self, Handoff};
use crate::store::travellers::{self, Traveller};
use crate::store::units::{self, Unit};
use crate::store::Tx;

fn handoff_event(
    conn: &mut Tx<'_>,
    actor: &Actor,
    h: &Handoff,
    action: &str,
    data: serde_json::Value,
) -> ApiResult<()> {
    conn.event(
        Some(actor.id),
        &format!("handoff.{action}"),
        "handoff",
        h.id,
        h.place(),
        data,
    );
    Ok(())
}

/// Writes a handoff changed from the status `before` (as read in this transaction).
fn save_handoff(conn: &mut Tx<'_>, before: HandoffStatus, h: &mut Handoff) -> ApiResult<()> {
    conn.save_handoff(before, h)?;
    h.version += 1;
    Ok(())
}

/// Opens a pending handoff of these travellers from their custodian to a unit one level down.
pub fn open(
    conn: &mut Tx<'_>,
    actor: &Actor,
    batch_id: Option<BatchId>,
    from_unit_id: UnitId,
    to: UnitPlace,
    group: Vec<Traveller>,
    sla_minutes: i64,
) -> ApiResult<Handoff> {
    let handoff = new_handoff(actor, batch_id, from_unit_id, to, sla_minutes);
    conn.insert_handoff(&handoff)?;
    offer_in(conn, actor, handoff, group)
}

/// A new pending handoff to `to`, with a fresh code, due `sla_minutes` from now.
fn new_handoff(
    actor: &Actor,
    batch_id: Option<BatchId>,
    from_unit_id: UnitId,
    to: UnitPlace,
    sla_minutes: i64,
) -> Handoff {
    let now = Timestamp::now();
    let (district_id, community_id) = match to.level {
        UnitLevel::District => (to.id, None),
        _ => (to.district_id.unwrap_or(to.city_id), Some(to.id)),
    };
    Handoff {
        id: HandoffId::new(),
        batch_id,
        from_unit_id,
        to_unit_id: to.id,
        city_id: to.city_id,
        district_id,
        community_id,
        status: HandoffStatus::Pending,
        code: code_from(rand::thread_rng().gen_range(0..1_000_000)),
        failed_attempts: 0,
        locked: false,
        created_by: actor.id,
        created_at: now,
        due_at: now + Duration::minutes(sla_minutes),
        confirmed_at: None,
        confirmed_by: None,
        rejected_at: None,
        rejected_by: None,
        reason: None,
        note: None,
        version: 1,
        locked_at: None,
        replaces: None,
        replaced_by: None,
        recorded_at: None,
    }
}

/// Offers the travellers in a handoff just inserted, and records its creation.
fn offer_in(
    conn: &mut Tx<'_>,
    actor: &Actor,
    handoff: Handoff,
    mut group: Vec<Traveller>,
) -> ApiResult<Handoff> {
    for t in group.iter_mut() {
        conn.offer(handoff.id, t.id)?;
        let step = Step {
            batch_id: t.batch_id,
            handoff_id: Some(handoff.id),
            detail: json!({"to_unit_id": handoff.to_unit_id}),
            ..Step::default()
        };
        step_traveller(conn, actor, t, None, "handed", step, |t| {
            t.handoff_id = Some(handoff.id);
            t.missing = false;
            t.missing_since = None;
        })?;
    }
    handoff_event(
        conn,
        actor,
        &handoff,
        "created",
        json!({
            "from_unit_id": handoff.from_unit_id,
            "to_unit_id": handoff.to_unit_id,
            "travellers": group.iter().map(|t| t.id).collect::<Vec<_>>(),
            "due_at": handoff.due_at,
            "replaces": handoff.replaces,
        }),
    )?;
    Ok(handoff)
}

/// Hands travellers (again) from the unit holding them to a unit one level down: after a rejection,
/// for people reported missing, or to correct a wrong destination.
pub fn send(
    conn: &mut Tx<'_>,
    actor: &Actor,
    to_unit_id: UnitId,
    traveller_ids: Vec<TravellerId>,
    sla_minutes: i64,
) -> ApiResult<Handoff> {
    super::batches::check_traveller_list("traveller_ids", &traveller_ids, false)?;
    let to = units::find(conn.conn()?, Scope::All, to_unit_id)?
        .ok_or_else(|| ApiError::invalid_field("to_unit_id", msg!("no_such_unit")))?;
    let group = load_named(conn, actor.scope, "traveller_ids", &traveller_ids)?;
    let custodian_id = group[0].custodian_unit_id;
    if group.iter().any(|t| t.custodian_unit_id != custodian_id) {
        return Err(ApiError::invalid_field(
            "traveller_ids",
            msg!("handoff_one_custodian"),
        ));
    }
    let custodian = unit_place(conn, custodian_id)?;
    if !acts_for(actor, &custodian) {
        return Err(ApiError::invalid_state(msg!("not_in_custody")));
    }
    let to_place = to.place();
    let fits = match (custodian.level, to_place.level) {
        (UnitLevel::City, UnitLevel::District) => to_place.city_id == custodian.id,
        (UnitLevel::District, UnitLevel::Community) => to_place.district_id == Some(custodian.id),
        _ => false,
    };
    if !fits {
        return Err(ApiError::invalid_field(
            "to_unit_id",
            msg!("unit_not_directly_below"),
        ));
    }
    let ready = match custodian.level {
        UnitLevel::City => TravellerStatus::Arrived,
        _ => TravellerStatus::AtDistrict,
    };
    for t in &group {
        if t.status != ready {
            return Err(ApiError::invalid_state(msg!(
                "traveller_not_ready",
                traveller_id = t.id.to_string(),
                status = t.status.as_str(),
                ready = ready.as_str()
            )));
        }
        if t.handoff_id.is_some() {
            return Err(ApiError::conflict(msg!(
                "traveller_offered",
                traveller_id = t.id.to_string()
            )));
        }
    }
    let batch_id = group
        .iter()
        .find_map(|t| t.batch_id)
        .filter(|b| group.iter().all(|t| t.batch_id == Some(*b)));
    open(conn, actor, batch_id, custodian.id, to_place, group, sla_minutes)
}

pub fn load(conn: &mut DbConnection, actor: &Actor, id: HandoffId) -> ApiResult<Handoff> {
    handoffs::find(conn, actor.scope, id)?.ok_or_else(|| ApiError::not_found("handoff"))
}

/// Only an officer of the receiving unit may confirm or reject: a district officer for a handoff
/// to its district, a community officer for one to its community.
fn check_receiver(actor: &Actor, to: &UnitPlace) -> ApiResult<()> {
    let role_fits = match to.level {
        UnitLevel::District => actor.role == Role::DistrictOfficer,
        UnitLevel::Community => actor.role == Role::CommunityOfficer,
        UnitLevel::City => false,
    };
    if role_fits && actor.unit_id == Some(to.id) {
        Ok(())
    } else {
        Err(ApiError::forbidden_because(msg!("receiver_only")))
    }
}

/// The travellers offered in a handoff, in the order of their ids. Two statements, not a join:
/// PostgreSQL's generic plan of the join expected a thousand rows of a handoff and gathered them
/// with a parallel worker, which cost a confirmation a third of its speed in `bench-writes`.
fn offered(conn: &mut DbConnection, h: &Handoff) -> ApiResult<Vec<Traveller>> {
    let ids: Vec<TravellerId> = handoffs::travellers_of(conn, &[h.id])?
        .into_iter()
        .map(|r| r.traveller_id)
        .collect();
    Ok(travellers::find_many(conn, Scope::All, &ids)?
        .into_iter()
        .flatten()
        .collect())
}

/// A confirmed handoff with what the answer shows of it, as this transaction wrote it: read again
/// it would cost statements after the writes.
pub struct Confirmed {
    pub handoff: Handoff,
    /// Everyone offered, with what became of them.
    pub offered: Vec<(Traveller, HandoffOutcome)>,
    /// The sending and the receiving unit.
    pub sides: Vec<Unit>,
}

/// What a confirmation attempt came to. A wrong code is counted (and may lock the handoff), so it
/// is committed even though the request fails.
pub enum Confirmation {
    Confirmed(Box<Confirmed>),
    WrongCode { attempts_left: i32 },
    Locked,
}

/// What the receiver says at the door: the sender's code, who is there, a note, and when (`at`,
/// for a confirmation a device sends later; now otherwise).
pub struct Receipt {
    pub code: String,
    pub received_ids: Vec<TravellerId>,
    pub note: Option<String>,
    pub at: Option<Timestamp>,
}

pub fn confirm(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: HandoffId,
    receipt: Receipt,
    sla_minutes: i64,
) -> ApiResult<Confirmation> {
    let Receipt {
        code,
        received_ids,
        note,
        at,
    } = receipt;
    let mut h = load(conn.conn()?, actor, id)?;
    // Both sides in full: the receiver's place for the rules, and both for the answer.
    let sides = units::by_ids(conn.conn()?, &[h.from_unit_id, h.to_unit_id])?;
    let to = sides
        .iter()
        .find(|u| u.id == h.to_unit_id)
        .map(|u| u.place())
        .ok_or_else(|| ApiError::internal(format!("unit {} vanished", h.to_unit_id)))?;
    check_receiver(actor, &to)?;
    check_action(h.status, h.locked, HandoffAction::Confirm).map_err(|r| locked_problem(conn, &h, r))?;
    // Checked before the code, so that a refused time counts no wrong code.
    let now = Timestamp::now();
    let door = door_time(&h, at, now)?;
    match check_code(&h.code, code.trim(), h.failed_attempts) {
        CodeCheck::Correct => {}
        CodeCheck::Wrong { attempts_left } => {
            h.failed_attempts += 1;
            save_handoff(conn, HandoffStatus::Pending, &mut h)?;
            handoff_event(
                conn,
                actor,
                &h,
                "wrong_code",
                json!({"failed_attempts": h.failed_attempts}),
            )?;
            return Ok(Confirmation::WrongCode { attempts_left });
        }
        CodeCheck::LocksNow => {
            h.failed_attempts += 1;
            h.locked = true;
            h.locked_at = Some(Timestamp::now());
            save_handoff(conn, HandoffStatus::Pending, &mut h)?;
            handoff_event(
                conn,
                actor,
                &h,
                "locked",
                json!({"failed_attempts": h.failed_attempts}),
            )?;
            return Ok(Confirmation::Locked);
        }
    }
    let mut group = offered(conn.conn()?, &h)?;
    let ids: Vec<TravellerId> = group.iter().map(|t| t.id).collect();
    let (received, missing) = split_received(&ids, &received_ids)
        .map_err(|m| ApiError::invalid_field("received_traveller_ids", m))?;
    // Read before anything is written, so that the writes go together at commit: the communities
    // a district hands its travellers on to.
    let onward = match to.level {
        UnitLevel::District => unit_places(
            conn,
            group
                .iter()
                .filter(|t| received.contains(&t.id))
                .filter_map(|t| t.destination_community_id)
                .collect::<std::collections::BTreeSet<_>>(),
        )?,
        _ => BTreeMap::new(),
    };
    h.status = HandoffStatus::Confirmed;
    h.confirmed_at = Some(door);
    h.confirmed_by = Some(actor.id);
    h.recorded_at = Some(now);
    h.note = note;
    save_handoff(conn, HandoffStatus::Pending, &mut h)?;
    let event = match to.level {
        UnitLevel::District => TravellerEvent::ReceiveAtDistrict,
        _ => TravellerEvent::ReceiveAtCommunity,
    };
    let mut moved_on = Vec::new();
    for t in group.iter_mut() {
        let step = Step {
            batch_id: t.batch_id,
            handoff_id: Some(h.id),
            unit_id: Some(to.id),
            ..Step::default()
        };
        if received.contains(&t.id) {
            let corrected = would_correct_destination(t, &to);
            let step = Step {
                detail: json!({"from_unit_id": h.from_unit_id, "destination_corrected": corrected, "at": door}),
                ..step
            };
            step_traveller(conn, actor, t, Some(event), "received", step, |t| {
                t.handoff_id = None;
                t.custodian_unit_id = to.id;
                t.missing = false;
                t.missing_since = None;
                if to.level == UnitLevel::Community {
                    t.received_at = Some(door);
                }
                correct_destination(t, &to);
            })?;
            conn.set_outcome(h.id, t.id, HandoffOutcome::Received)?;
            moved_on.push(t.clone());
        } else {
            let step = Step {
                unit_id: Some(h.from_unit_id),
                detail: json!({"reported_by_unit_id": to.id, "at": door}),
                ..step
            };
            step_traveller(conn, actor, t, None, "reported_missing", step, |t| {
                t.handoff_id = None;
                t.missing = true;
                t.missing_since = Some(door);
            })?;
            conn.set_outcome(h.id, t.id, HandoffOutcome::Missing)?;
        }
    }
    handoff_event(
        conn,
        actor,
        &h,
        "confirmed",
        json!({"received": received, "missing": missing, "at": door, "recorded_at": now}),
    )?;
    if to.level == UnitLevel::District {
        // Onward to each destination community; travellers whose community is not known yet stay
        // with the district until its officer hands them on.
        let mut by_community: BTreeMap<UnitId, Vec<Traveller>> = BTreeMap::new();
        for t in moved_on {
            if let Some(c) = t.destination_community_id {
                by_community.entry(c).or_default().push(t);
            }
        }
        for (community, travellers_for) in by_community {
            let place = onward
                .get(&community)
                .copied()
                .ok_or_else(|| ApiError::internal(format!("unit {community} vanished")))?;
            open(conn, actor, h.batch_id, to.id, place, travellers_for, sla_minutes)?;
        }
    } else {
        let batches: std::collections::BTreeSet<BatchId> = group.iter().filter_map(|t| t.batch_id).collect();
        for batch_id in batches {
            super::batches::close_if_done(conn, actor, batch_id)?;
        }
    }
    let offered = group
        .into_iter()
        .map(|t| {
            let outcome = if received.contains(&t.id) {
                HandoffOutcome::Received
            } else {
                HandoffOutcome::Missing
            };
            (t, outcome)
        })
        .collect();
    Ok(Confirmation::Confirmed(Box::new(Confirmed {
        handoff: h,
        offered,
        sides,
    })))
}

/// Whether the receiving unit is not the traveller's destination.
fn would_correct_destination(t: &Traveller, to: &UnitPlace) -> bool {
    match to.level {
        UnitLevel::District => t.destination_district_id != to.id,
        UnitLevel::Community => t.destination_community_id != Some(to.id),
        UnitLevel::City => false,
    }
}

/// A traveller received by a unit other than its destination was routed there on purpose (a
/// correction): the destination follows the receiving unit.
fn correct_destination(t: &mut Traveller, to: &UnitPlace) {
    if !would_correct_destination(t, to) {
        return;
    }
    match to.level {
        UnitLevel::District => {
            t.destination_district_id = to.id;
            t.destination_community_id = None;
        }
        UnitLevel::Community => t.destination_community_id = Some(to.id),
        UnitLevel::City => {}
    }
}

/// Gives a handoff's travellers back to its sender (a rejection, a cancellation, a reissue), and
/// returns them as they now are.
fn release(
    conn: &mut Tx<'_>,
    actor: &Actor,
    h: &Handoff,
    action: &str,
    detail: serde_json::Value,
) -> ApiResult<Vec<Traveller>> {
    let mut group = offered(conn.conn()?, h)?;
    for t in group.iter_mut() {
        let step = Step {
            batch_id: t.batch_id,
            handoff_id: Some(h.id),
            unit_id: Some(h.from_unit_id),
            detail: detail.clone(),
            ..Step::default()
        };
        step_traveller(conn, actor, t, None, action, step, |t| t.handoff_id = None)?;
        conn.set_outcome(h.id, t.id, HandoffOutcome::Returned)?;
    }
    Ok(group)
}

/// A refusal of the receiver's action; a locked handoff names the sending unit and its hotline, whom
/// the receiver calls for a new code.
fn locked_problem(conn: &mut Tx<'_>, h: &Handoff, refusal: Refusal) -> ApiError {
    if refusal != Refusal::Locked {
        return refusal.into();
    }
    match conn
        .conn()
        .and_then(|c| units::find(c, Scope::All, h.from_unit_id))
    {
        Ok(Some(unit)) => ApiError::invalid_state(refusal.message().with(
            "unit",
            serde_json::json!({"id": unit.id, "name": unit.name, "hotline": unit.hotline}),
        )),
        Ok(None) => refusal.into(),
        Err(error) => error.into(),
    }
}

/// The receiver refuses the handoff: custody stays with the sender, who may hand again.
pub fn reject(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: HandoffId,
    reason: String,
    at: Option<Timestamp>,
) -> ApiResult<Handoff> {
    let mut h = load(conn.conn()?, actor, id)?;
    let to = unit_place(conn, h.to_unit_id)?;
    check_receiver(actor, &to)?;
    h.status =
        check_action(h.status, h.locked, HandoffAction::Reject).map_err(|r| locked_problem(conn, &h, r))?;
    let now = Timestamp::now();
    let door = door_time(&h, at, now)?;
    h.rejected_at = Some(door);
    h.rejected_by = Some(actor.id);
    h.recorded_at = Some(now);
    h.reason = Some(reason.clone());
    save_handoff(conn, HandoffStatus::Pending, &mut h)?;
    release(
        conn,
        actor,
        &h,
        "handoff_rejected",
        json!({"reason": reason, "at": door}),
    )?;
    handoff_event(
        conn,
        actor,
        &h,
        "rejected",
        json!({"reason": reason, "at": door, "recorded_at": now}),
    )?;
    Ok(h)
}

/// How far a device's clock may run ahead of the service's.
const CLOCK_SKEW: Duration = Duration::minutes(2);

/// When the officer acted at the door: `at`, sent later by a device that was offline, or now. It
/// lies between the handoff's offer and now (with two minutes of clock skew).
fn door_time(h: &Handoff, at: Option<Timestamp>, now: Timestamp) -> ApiResult<Timestamp> {
    let Some(at) = at else {
        return Ok(now);
    };
    if at.0 < h.created_at.0 {
        return Err(ApiError::invalid_field(
            "at",
            msg!("before_handoff", created_at = h.created_at.0.to_rfc3339()),
        ));
    }
    if at.0 > now.0 + CLOCK_SKEW {
        return Err(ApiError::invalid_field("at", msg!("in_future")));
    }
    Ok(at)
}

/// The sender withdraws a pending handoff (a locked one, say) to hand the travellers again.
pub fn cancel(conn: &mut Tx<'_>, actor: &Actor, id: HandoffId, reason: String) -> ApiResult<Handoff> {
    let mut h = load(conn.conn()?, actor, id)?;
    let from = unit_place(conn, h.from_unit_id)?;
    if !acts_for(actor, &from) {
        return Err(ApiError::forbidden_because(msg!("sender_only")));
    }
    h.status = check_action(h.status, h.locked, HandoffAction::Cancel)?;
    h.reason = Some(reason.clone());
    save_handoff(conn, HandoffStatus::Pending, &mut h)?;
    let group = release(conn, actor, &h, "handoff_cancelled", json!({"reason": reason}))?;
    // People handed again after they were missing are missing again: the cancelled handoff
    // found nobody.
    let ids: Vec<TravellerId> = group.iter().map(|t| t.id).collect();
    let missing: HashMap<TravellerId, Timestamp> = handoffs::missing_before(conn.conn()?, &ids, h.id)?
        .into_iter()
        .collect();
    for mut t in group.into_iter().filter(|t| missing.contains_key(&t.id)) {
        let since = missing[&t.id];
        let step = Step {
            batch_id: t.batch_id,
            handoff_id: Some(h.id),
            unit_id: Some(h.from_unit_id),
            detail: json!({"missing_since": since}),
            ..Step::default()
        };
        step_traveller(conn, actor, &mut t, None, "missing_again", step, |t| {
            t.missing = true;
            t.missing_since = Some(since);
        })?;
    }
    handoff_event(conn, actor, &h, "cancelled", json!({"reason": reason}))?;
    Ok(h)
}

/// The sender reissues a pending handoff (locked by wrong codes, say, or whose code was lost): it
/// is cancelled, and a new pending handoff of the same travellers to the same unit opens with a
/// new code, in one transaction. Each names the other (`replaces`, `replaced_by`).
pub fn reissue(conn: &mut Tx<'_>, actor: &Actor, id: HandoffId, sla_minutes: i64) -> ApiResult<Handoff> {
    let mut h = load(conn.conn()?, actor, id)?;
    let [from, to] = {
        let places = unit_places(conn, [h.from_unit_id, h.to_unit_id])?;
        let place = |id: UnitId| {
            places
                .get(&id)
                .copied()
                .ok_or_else(|| ApiError::internal(format!("unit {id} vanished")))
        };
        [place(h.from_unit_id)?, place(h.to_unit_id)?]
    };
    if !acts_for(actor, &from) {
        return Err(ApiError::forbidden_because(msg!("sender_only")));
    }
    h.status = check_action(h.status, h.locked, HandoffAction::Cancel)?;
    let mut next = new_handoff(actor, h.batch_id, h.from_unit_id, to, sla_minutes);
    next.replaces = Some(h.id);
    h.replaced_by = Some(next.id);
    // The new row first: the old one points at it.
    conn.insert_handoff(&next)?;
    save_handoff(conn, HandoffStatus::Pending, &mut h)?;
    let group = release(
        conn,
        actor,
        &h,
        "handoff_reissued",
        json!({"reissued_as": next.id}),
    )?;
    handoff_event(conn, actor, &h, "reissued", json!({"reissued_as": next.id}))?;
    offer_in(conn, actor, next, group)
}
