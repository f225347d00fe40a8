//! Handoffs and what the receiver said of each traveller in them.

use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::types::{BatchId, HandoffId, Id, Timestamp, TravellerId, UnitId, UserId};
use crate::db::DbConnection;
use crate::domain::handoff::{HandoffOutcome, HandoffStatus};
use crate::schema::{handoff_travellers, handoffs};
use crate::store::statements::Statements;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoffs)]
pub struct Handoff {
    pub id: HandoffId,
    pub batch_id: Option<BatchId>,
    pub from_unit_id: UnitId,
    pub to_unit_id: UnitId,
    pub city_id: UnitId,
    pub district_id: UnitId,
    pub community_id: Option<UnitId>,
    pub status: HandoffStatus,
    pub code: String,
    pub failed_attempts: i32,
    pub locked: bool,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub due_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub confirmed_by: Option<UserId>,
    pub rejected_at: Option<Timestamp>,
    pub rejected_by: Option<UserId>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub version: i32,
    /// When the fifth wrong code locked it.
    pub locked_at: Option<Timestamp>,
    /// The handoff this one was reissued from, and the one reissued from this.
    pub replaces: Option<HandoffId>,
    pub replaced_by: Option<HandoffId>,
    /// When the service received the confirmation or rejection; `confirmed_at` and `rejected_at`
    /// are when the officer acted at the door, earlier where the action waited on a device.
    pub recorded_at: Option<Timestamp>,
}

impl Handoff {
    pub fn place(&self) -> super::events::EventPlace {
        super::events::EventPlace {
            city_id: Some(self.city_id),
            district_id: Some(self.district_id),
            community_id: self.community_id,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoff_travellers)]
pub struct HandoffTraveller {
    pub handoff_id: HandoffId,
    pub traveller_id: TravellerId,
    pub outcome: HandoffOutcome,
}

type Boxed<'a> = handoffs::BoxedQuery<'a, crate::db::MultiBackend>;

/// Handoffs a scope may see: those from or to a unit in it.
pub fn scoped<'a>(scope: Scope) -> Boxed<'a> {
    let query = handoffs::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(handoffs::city_id.eq(id)),
        Scope::District(id) => query.filter(handoffs::district_id.eq(id)),
        Scope::Community(id) => query.filter(handoffs::community_id.eq(id)),
    }
}

pub fn find(conn: &mut DbConnection, scope: Scope, id: HandoffId) -> QueryResult<Option<Handoff>> {
    scoped(scope)
        .filter(handoffs::id.eq(id))
        .select(Handoff::as_select())
        .first(conn)
        .optional()
}

pub struct HandoffFilter {
    pub status: Option<HandoffStatus>,
    pub from_unit_id: Option<UnitId>,
    pub to_unit_id: Option<UnitId>,
    pub batch_id: Option<BatchId>,
    pub overdue_at: Option<Timestamp>,
    pub after: Option<Id>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, scope: Scope, filter: &HandoffFilter) -> QueryResult<Vec<Handoff>> {
    let mut query = scoped(scope)
        .select(Handoff::as_select())
        .order(handoffs::id.asc())
        .limit(filter.limit + 1);
    if let Some(status) = &filter.status {
        query = query.filter(handoffs::status.eq(*status));
    }
    if let Some(unit) = filter.from_unit_id {
        query = query.filter(handoffs::from_unit_id.eq(unit));
    }
    if let Some(unit) = filter.to_unit_id {
        query = query.filter(handoffs::to_unit_id.eq(unit));
    }
    if let Some(batch) = filter.batch_id {
        query = query.filter(handoffs::batch_id.eq(batch));
    }
    if let Some(now) = filter.overdue_at {
        query = query
            .filter(handoffs::status.eq(HandoffStatus::Pending))
            .filter(handoffs::due_at.lt(now));
    }
    if let Some(after) = filter.after {
        query = query.filter(handoffs::id.gt(after));
    }
    query.load(conn)
}

/// The handoffs of these batches, in one query.
pub fn of_batches(conn: &mut DbConnection, batch_ids: &[BatchId]) -> QueryResult<Vec<Handoff>> {
    handoffs::table
        .filter(handoffs::batch_id.eq_any(batch_ids.to_vec()))
        .select(Handoff::as_select())
        .order(handoffs::id.asc())
        .load(conn)
}

/// Only through the unit of work (`Tx::insert_handoff`), which counts the handoff.
pub(super) fn insert(out: &mut Statements<'_>, handoff: Handoff) -> QueryResult<()> {
    out.write(diesel::insert_into(handoffs::table).values(handoff))
}

/// Writes a handoff as `h`, if its version is still `expected` (else `moved_on`): of two concurrent
/// confirmations, exactly one succeeds. `h.version` is the version written.
/// Only through the unit of work (`Tx::save_handoff`), which counts the move.
pub(super) fn save(out: &mut Statements<'_>, expected: i32, h: Handoff) -> QueryResult<()> {
    let row = handoffs::table
        .filter(handoffs::id.eq(h.id))
        .filter(handoffs::version.eq(expected));
    out.versioned(
        "handoffs",
        diesel::update(row).set((
            handoffs::status.eq(h.status),
            handoffs::failed_attempts.eq(h.failed_attempts),
            handoffs::locked.eq(h.locked),
            handoffs::confirmed_at.eq(h.confirmed_at),
            handoffs::confirmed_by.eq(h.confirmed_by),
            handoffs::rejected_at.eq(h.rejected_at),
            handoffs::rejected_by.eq(h.rejected_by),
            handoffs::reason.eq(h.reason),
            handoffs::note.eq(h.note),
            handoffs::version.eq(h.version),
            handoffs::locked_at.eq(h.locked_at),
            handoffs::replaced_by.eq(h.replaced_by),
            handoffs::recorded_at.eq(h.recorded_at),
        )),
    )
}

pub fn travellers_of(
    conn: &mut DbConnection,
    handoff_ids: &[HandoffId],
) -> QueryResult<Vec<HandoffTraveller>> {
    handoff_travellers::table
        .filter(handoff_travellers::handoff_id.eq_any(handoff_ids.to_vec()))
        .select(HandoffTraveller::as_select())
        .order((
            handoff_travellers::handoff_id.asc(),
            handoff_travellers::traveller_id.asc(),
        ))
        .load(conn)
}

/// Offers a traveller in a handoff (`Tx::offer`).
pub(super) fn insert_traveller(out: &mut Statements<'_>, row: HandoffTraveller) -> QueryResult<()> {
    out.write(diesel::insert_into(handoff_travellers::table).values(row))
}

/// Records what became of a traveller offered in a handoff (`Tx::set_outcome`).
pub(super) fn set_outcome(out: &mut Statements<'_>, row: HandoffTraveller) -> QueryResult<()> {
    let offered = handoff_travellers::table
        .filter(handoff_travellers::handoff_id.eq(row.handoff_id))
        .filter(handoff_travellers::traveller_id.eq(row.traveller_id));
    out.write(diesel::update(offered).set(handoff_travellers::outcome.eq(row.outcome)))
}

/// Every handoff the traveller was offered in, oldest first, with what became of the traveller.
pub fn of_traveller(
    conn: &mut DbConnection,
    traveller_id: TravellerId,
) -> QueryResult<Vec<(Handoff, HandoffOutcome)>> {
    handoffs::table
        .inner_join(handoff_travellers::table)
        .filter(handoff_travellers::traveller_id.eq(traveller_id))
        .order(handoffs::id.asc())
        .select((Handoff::as_select(), handoff_travellers::outcome))
        .load(conn)
}

/// Of these travellers, those whose last handoff before `except` that the sender did not cancel
/// left them missing, with when that handoff was confirmed: a re-hand cancelled leaves them missing
/// again.
pub fn missing_before(
    conn: &mut DbConnection,
    travellers: &[TravellerId],
    except: HandoffId,
) -> QueryResult<Vec<(TravellerId, Timestamp)>> {
    let offers: Vec<(TravellerId, Handoff, HandoffOutcome)> = handoffs::table
        .inner_join(handoff_travellers::table)
        .filter(handoff_travellers::traveller_id.eq_any(travellers))
        .filter(handoffs::id.ne(except))
        .filter(handoffs::status.ne(HandoffStatus::Cancelled))
        .select((
            handoff_travellers::traveller_id,
            Handoff::as_select(),
            handoff_travellers::outcome,
        ))
        .load(conn)?;
    let mut last: std::collections::HashMap<TravellerId, (Handoff, HandoffOutcome)> =
        std::collections::HashMap::new();
    for (traveller, h, outcome) in offers {
        let newer = last
            .get(&traveller)
            .is_none_or(|(seen, _)| (h.created_at, h.id) > (seen.created_at, seen.id));
        if newer {
            last.insert(traveller, (h, outcome));
        }
    }
    Ok(last
        .into_iter()
        .filter(|(_, (_, outcome))| *outcome == HandoffOutcome::Missing)
        .map(|(traveller, (h, _))| (traveller, h.confirmed_at.unwrap_or(h.created_at)))
        .collect())
}

/// Pending handoffs past their due time, everywhere (read through the (status, due_at) index).
pub fn count_overdue(conn: &mut DbConnection, now: Timestamp) -> QueryResult<i64> {
    handoffs::table
        .filter(handoffs::status.eq(HandoffStatus::Pending))
        .filter(handoffs::due_at.lt(now))
        .count()
        .get_result(conn)
}
