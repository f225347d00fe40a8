//! The roster: every traveller of a scope and period with the whole chain across one row, read a
//! page at a time in a fixed number of queries per page.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::types::{BatchId, HandoffId, PortId, Timestamp, TravellerId, UnitId, UserId};
use crate::db::DbConnection;
use crate::domain::batch::CrewRole;
use crate::domain::handoff::HandoffOutcome;
use crate::schema::{handoff_travellers, handoffs, travellers};
use crate::store::handoffs::Handoff;
use crate::store::travellers::{scoped, Traveller};
use crate::store::{batches, users};

/// Which travellers a roster lists: those of the scope who arrived in `[from, until)` and were
/// registered by `registered_by` (the moment the download began, so that the rows counted then are
/// the rows sent).
#[derive(Debug, Clone, Copy)]
pub struct RosterFilter {
    pub scope: Scope,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub registered_by: Timestamp,
}

fn filtered<'a>(filter: &RosterFilter) -> travellers::BoxedQuery<'a, crate::db::MultiBackend> {
    let mut query = scoped(filter.scope).filter(travellers::created_at.le(filter.registered_by));
    if let Some(from) = filter.from {
        query = query.filter(travellers::arrived_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(travellers::arrived_at.lt(until));
    }
    query
}

/// How many rows the roster has.
pub fn count(conn: &mut DbConnection, filter: &RosterFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// One handoff of a traveller: when it was sent, and when and by whom it was confirmed.
#[derive(Debug, Clone)]
pub struct HandoffStep {
    pub sent_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub confirmed_by: Option<String>,
}

/// One row of the roster: a traveller and every step of their way.
#[derive(Debug, Clone)]
pub struct RosterRow {
    pub traveller: Traveller,
    pub port: String,
    pub district: String,
    pub community: Option<String>,
    pub batch_code: Option<String>,
    pub vehicle_plate: Option<String>,
    pub driver: Option<String>,
    pub departed_at: Option<Timestamp>,
    pub batch_arrived_at: Option<Timestamp>,
    pub district_handoff: Option<HandoffStep>,
    pub community_handoff: Option<HandoffStep>,
    pub custodian: String,
}

/// The names of every unit (in the roster's language) and port, read once per roster.
pub struct Names {
    units: HashMap<UnitId, String>,
    ports: HashMap<PortId, String>,
}

impl Names {
    pub fn load(conn: &mut DbConnection, chinese: bool) -> QueryResult<Names> {
        use crate::schema::{ports as port_table, units as unit_table};
        let units = unit_table::table
            .select((unit_table::id, unit_table::name, unit_table::name_en))
            .load::<(UnitId, String, Option<String>)>(conn)?
            .into_iter()
            .map(|(id, name, name_en)| match (name_en, chinese) {
                (Some(en), false) => (id, en),
                _ => (id, name),
            })
            .collect();
        let ports = port_table::table
            .select((port_table::id, port_table::name))
            .load::<(PortId, String)>(conn)?
            .into_iter()
            .collect();
        Ok(Names { units, ports })
    }

    fn unit(&self, id: UnitId) -> String {
        self.units.get(&id).cloned().unwrap_or_default()
    }
}

/// The handoff of one level that tells the traveller's story best: the one that received them,
/// else the latest.
fn pick(steps: &mut Vec<(Handoff, HandoffOutcome)>) -> Option<(Handoff, HandoffOutcome)> {
    steps.sort_by_key(|(h, outcome)| (*outcome == HandoffOutcome::Received, h.created_at));
    steps.pop()
}

/// The next page of the roster after the traveller `after`, by id.
pub fn page(
    conn: &mut DbConnection,
    filter: &RosterFilter,
    names: &Names,
    after: Option<TravellerId>,
    limit: i64,
) -> QueryResult<Vec<RosterRow>> {
    let mut query = filtered(filter)
        .select(Traveller::as_select())
        .order(travellers::id.asc())
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(travellers::id.gt(after));
    }
    let list: Vec<Traveller> = query.load(conn)?;
    let ids: Vec<TravellerId> = list.iter().map(|t| t.id).collect();
    let trips = batches::Trips::of(conn, &list)?;
    let batch_ids = trips.ids();
    let mut drivers: HashMap<BatchId, String> = HashMap::new();
    for member in batches::crews(conn, &batch_ids)? {
        if member.role == CrewRole::Driver {
            drivers.entry(member.batch_id).or_insert(member.name);
        }
    }
    // Two lookups by index rather than a join, which a planner may answer by scanning every
    // handoff for each page.
    let links: Vec<(HandoffId, TravellerId, HandoffOutcome)> = handoff_travellers::table
        .filter(handoff_travellers::traveller_id.eq_any(ids))
        .select((
            handoff_travellers::handoff_id,
            handoff_travellers::traveller_id,
            handoff_travellers::outcome,
        ))
        .load(conn)?;
    let handoff_ids: Vec<HandoffId> = links.iter().map(|(h, _, _)| *h).collect();
    let found: HashMap<HandoffId, Handoff> = handoffs::table
        .filter(handoffs::id.eq_any(handoff_ids))
        .select(Handoff::as_select())
        .load::<Handoff>(conn)?
        .into_iter()
        .map(|h| (h.id, h))
        .collect();
    let offered: Vec<(TravellerId, HandoffOutcome, Handoff)> = links
        .into_iter()
        .filter_map(|(h, t, outcome)| found.get(&h).map(|h| (t, outcome, h.clone())))
        .collect();
    let confirmer_ids: Vec<UserId> = offered.iter().filter_map(|(_, _, h)| h.confirmed_by).collect();
    let confirmers: HashMap<UserId, String> = users::by_ids(conn, &confirmer_ids)?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    // Per traveller: the handoffs to its district (no community) and to its community.
    let mut to_district: HashMap<TravellerId, Vec<(Handoff, HandoffOutcome)>> = HashMap::new();
    let mut to_community: HashMap<TravellerId, Vec<(Handoff, HandoffOutcome)>> = HashMap::new();
    for (traveller, outcome, h) in offered {
        let level = if h.community_id.is_some() {
            &mut to_community
        } else {
            &mut to_district
        };
        level.entry(traveller).or_default().push((h, outcome));
    }
    let step = |steps: Option<&mut Vec<(Handoff, HandoffOutcome)>>| {
        steps.and_then(pick).map(|(h, outcome)| {
            let received = outcome == HandoffOutcome::Received;
            HandoffStep {
                sent_at: h.created_at,
                confirmed_at: h.confirmed_at.filter(|_| received),
                confirmed_by: h
                    .confirmed_by
                    .filter(|_| received)
                    .and_then(|by| confirmers.get(&by).cloned()),
            }
        })
    };
    Ok(list
        .into_iter()
        .map(|t| {
            let trip = trips.batch(&t);
            RosterRow {
                port: names.ports.get(&t.port_id).cloned().unwrap_or_default(),
                district: names.unit(t.destination_district_id),
                community: t.destination_community_id.map(|c| names.unit(c)),
                batch_code: trip.map(|b| b.code.clone()),
                vehicle_plate: trip.and_then(|b| trips.plate(b)),
                driver: trip.and_then(|b| drivers.get(&b.id).cloned()),
                departed_at: trip.and_then(|b| b.departed_at),
                batch_arrived_at: trip.and_then(|b| b.arrived_at),
                district_handoff: step(to_district.get_mut(&t.id)),
                community_handoff: step(to_community.get_mut(&t.id)),
                custodian: names.unit(t.custodian_unit_id),
                traveller: t,
            }
        })
        .collect())
}
