//! The loose ends of a scope, read from the rows that make them: nothing is stored about an end
//! itself, so it leaves the list in the very transaction that resolves it.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::handoffs::{self as handoff_rows, Handoff};
use super::travellers as traveller_rows;
use crate::auth::Scope;
use crate::db::types::{HandoffId, PortId, Timestamp, TravellerId, UnitId};
use crate::db::DbConnection;
use crate::domain::handoff::{HandoffOutcome, HandoffStatus};
use crate::domain::loose_end::LooseEndKind;
use crate::domain::traveller::TravellerStatus;
use crate::schema::{handoff_travellers, handoffs, travellers};

/// One loose end: a handoff's, or a port's travellers waiting in one city.
#[derive(Debug, Clone)]
pub struct LooseEnd {
    pub kind: LooseEndKind,
    /// The unit that must act.
    pub unit_id: UnitId,
    pub since: Timestamp,
    pub handoff: Option<Handoff>,
    pub port_id: Option<PortId>,
    pub traveller_ids: Vec<TravellerId>,
}

impl LooseEnd {
    /// A stable name of the end: its kind and its handoff, or its port and city.
    pub fn key(&self) -> String {
        match (&self.handoff, self.port_id) {
            (Some(h), _) => format!("{}:{}", self.kind, h.id),
            (None, Some(port)) => format!("{}:{}:{}", self.kind, port, self.unit_id),
            (None, None) => format!("{}:{}", self.kind, self.unit_id),
        }
    }
}

/// Every loose end a scope sees, oldest first (then by key): those of the handoffs it sees, and
/// for a city (or everything) its travellers waiting at ports since before `waiting_before`.
pub fn of_scope(
    conn: &mut DbConnection,
    scope: Scope,
    now: Timestamp,
    waiting_before: Timestamp,
) -> QueryResult<Vec<LooseEnd>> {
    let mut ends = Vec::new();
    ends.extend(pending_ends(conn, scope, now)?);
    ends.extend(left_behind(conn, scope)?);
    if matches!(scope, Scope::All | Scope::City(_)) {
        ends.extend(waiting(conn, scope, waiting_before)?);
    }
    ends.sort_by_key(|e| (e.since, e.key()));
    Ok(ends)
}

/// Pending handoffs that are locked (the sender's to act on) or past due (the receiver's). A locked
/// handoff is only `locked`, even when it is also overdue.
fn pending_ends(conn: &mut DbConnection, scope: Scope, now: Timestamp) -> QueryResult<Vec<LooseEnd>> {
    let rows: Vec<Handoff> = handoff_rows::scoped(scope)
        .filter(handoffs::status.eq(HandoffStatus::Pending))
        .filter(handoffs::locked.or(handoffs::due_at.lt(now)))
        .select(Handoff::as_select())
        .load(conn)?;
    let ids: Vec<HandoffId> = rows.iter().map(|h| h.id).collect();
    let mut offered: HashMap<HandoffId, Vec<TravellerId>> = HashMap::new();
    for row in handoff_rows::travellers_of(conn, &ids)? {
        offered.entry(row.handoff_id).or_default().push(row.traveller_id);
    }
    Ok(rows
        .into_iter()
        .map(|h| {
            let (kind, unit_id, since) = if h.locked {
                (
                    LooseEndKind::Locked,
                    h.from_unit_id,
                    h.locked_at.unwrap_or(h.created_at),
                )
            } else {
                (LooseEndKind::Overdue, h.to_unit_id, h.due_at)
            };
            LooseEnd {
                kind,
                unit_id,
                since,
                traveller_ids: offered.remove(&h.id).unwrap_or_default(),
                handoff: Some(h),
                port_id: None,
            }
        })
        .collect())
}

/// Travellers a handoff left with its sender: reported missing at a confirmation, or returned by
/// a rejection, and since neither handed again nor given an exception. Each belongs to the last
/// handoff they were offered in, so a person handed and rejected twice is one end, the newer.
fn left_behind(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<LooseEnd>> {
    // Candidates: people flagged missing (a partial index holds them) by a confirmation of a
    // handoff the scope sees; and people returned by a rejection the scope sees, with no handoff
    // of theirs pending. Both still with that handoff's sender.
    let mut candidates: Vec<(Handoff, TravellerId, HandoffOutcome, Option<Timestamp>)> =
        handoff_rows::scoped(scope)
            .inner_join(handoff_travellers::table.inner_join(travellers::table))
            .filter(travellers::missing.eq(true))
            .filter(handoff_travellers::outcome.eq(HandoffOutcome::Missing))
            .filter(travellers::custodian_unit_id.eq(handoffs::from_unit_id))
            .select((
                Handoff::as_select(),
                handoff_travellers::traveller_id,
                handoff_travellers::outcome,
                travellers::missing_since,
            ))
            .load(conn)?;
    candidates.extend(
        handoff_rows::scoped(scope)
            .inner_join(handoff_travellers::table.inner_join(travellers::table))
            .filter(handoffs::status.eq(HandoffStatus::Rejected))
            .filter(travellers::handoff_id.is_null())
            .filter(travellers::custodian_unit_id.eq(handoffs::from_unit_id))
            .filter(travellers::status.ne_all([TravellerStatus::Received, TravellerStatus::Exception]))
            .select((
                Handoff::as_select(),
                handoff_travellers::traveller_id,
                handoff_travellers::outcome,
                travellers::missing_since,
            ))
            .load::<(Handoff, TravellerId, HandoffOutcome, Option<Timestamp>)>(conn)?,
    );
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    // The last handoff each candidate was offered in; one the sender cancelled hands nobody on,
    // so the end before it stands.
    let people: Vec<TravellerId> = candidates.iter().map(|(_, t, _, _)| *t).collect();
    let mut last: HashMap<TravellerId, (Timestamp, HandoffId)> = HashMap::new();
    let offers: Vec<(TravellerId, Timestamp, HandoffId)> = handoff_travellers::table
        .inner_join(handoffs::table)
        .filter(handoff_travellers::traveller_id.eq_any(people))
        .filter(handoffs::status.ne(HandoffStatus::Cancelled))
        .select((
            handoff_travellers::traveller_id,
            handoffs::created_at,
            handoffs::id,
        ))
        .load(conn)?;
    for (traveller, at, handoff) in offers {
        let newest = last.entry(traveller).or_insert((at, handoff));
        if (at, handoff) > *newest {
            *newest = (at, handoff);
        }
    }
    let mut ends: BTreeMap<HandoffId, LooseEnd> = BTreeMap::new();
    for (h, traveller, outcome, missing_since) in candidates {
        if last.get(&traveller).map(|(_, id)| *id) != Some(h.id) {
            continue;
        }
        let (kind, since) = match outcome {
            HandoffOutcome::Missing => (
                LooseEndKind::Missing,
                missing_since.or(h.confirmed_at).unwrap_or(h.created_at),
            ),
            _ => (LooseEndKind::Rejected, h.rejected_at.unwrap_or(h.created_at)),
        };
        let end = ends.entry(h.id).or_insert_with(|| LooseEnd {
            kind,
            unit_id: h.from_unit_id,
            since,
            handoff: Some(h.clone()),
            port_id: None,
            traveller_ids: Vec::new(),
        });
        end.since = end.since.min(since);
        end.traveller_ids.push(traveller);
    }
    Ok(ends
        .into_values()
        .map(|mut end| {
            end.traveller_ids.sort();
            end
        })
        .collect())
}

/// Travellers awaiting transfer at a port since before `before`: one end per port and destination
/// city, the city's to act on.
fn waiting(conn: &mut DbConnection, scope: Scope, before: Timestamp) -> QueryResult<Vec<LooseEnd>> {
    let rows: Vec<(PortId, UnitId, TravellerId, Timestamp)> = traveller_rows::scoped(scope)
        .filter(travellers::status.eq(TravellerStatus::AwaitingTransfer))
        .filter(travellers::arrived_at.lt(before))
        .select((
            travellers::port_id,
            travellers::destination_city_id,
            travellers::id,
            travellers::arrived_at,
        ))
        .load(conn)?;
    let mut ends: BTreeMap<(PortId, UnitId), LooseEnd> = BTreeMap::new();
    for (port, city, traveller, arrived_at) in rows {
        let end = ends.entry((port, city)).or_insert_with(|| LooseEnd {
            kind: LooseEndKind::Waiting,
            unit_id: city,
            since: arrived_at,
            handoff: None,
            port_id: Some(port),
            traveller_ids: Vec::new(),
        });
        end.since = end.since.min(arrived_at);
        end.traveller_ids.push(traveller);
    }
    Ok(ends
        .into_values()
        .map(|mut end| {
            end.traveller_ids.sort();
            end
        })
        .collect())
}
