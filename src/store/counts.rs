//! The counted statistics, which stay cheap at any history size. Every change that moves a number
//! adds its deltas to its unit of work (`store::Tx`), computed from the row as read and as written;
//! they are netted and written at commit to `stat_totals` (current numbers) and `stat_daily` (flows
//! per local day, and per hour of it), for the city, district and community whose subtree the change touches. The
//! whole system's numbers are the sum of its cities' at read, so no row is shared by the writes of
//! different cities. `recount` rebuilds the same numbers from the base tables, to prove they agree.

use crate::domain::batch::BatchStatus;
use crate::domain::handoff::HandoffStatus;
use crate::domain::traveller::TravellerStatus;
use crate::domain::vehicle::VehicleStatus;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI32, Ordering};

use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text};

use crate::db::types::{DbUuid, Timestamp, UnitId};
use crate::db::DbConnection;
use crate::schema::{batch_travellers, batches, handoffs, stat_daily, stat_totals, travellers, vehicles};
use crate::store::batches::Batch;
use crate::store::handoffs::Handoff;
use crate::store::statements::Statements;
use crate::store::travellers::Traveller;
use crate::store::vehicles::Vehicle;

static UTC_OFFSET_MINUTES: AtomicI32 = AtomicI32::new(8 * 60);

/// Days are the dashboards' local days (China Standard Time unless configured otherwise).
pub fn set_utc_offset_minutes(minutes: i32) {
    UTC_OFFSET_MINUTES.store(minutes, Ordering::Relaxed);
}

/// The offset of local time (`stats.utc_offset_minutes`).
pub fn local_offset() -> chrono::FixedOffset {
    let minutes = UTC_OFFSET_MINUTES.load(Ordering::Relaxed);
    chrono::FixedOffset::east_opt(minutes * 60).unwrap_or(chrono::FixedOffset::east_opt(0).expect("UTC"))
}

pub fn local_day(at: Timestamp) -> String {
    local_time(at).date().to_string()
}

fn local_time(at: Timestamp) -> chrono::NaiveDateTime {
    let offset = chrono::Duration::minutes(i64::from(UTC_OFFSET_MINUTES.load(Ordering::Relaxed)));
    // A date's display is YYYY-MM-DD, without parsing a format for each of an import's rows.
    (at.0 + offset).naive_utc()
}

/// The metric under which a flow is counted per local hour of its day (`hour:08:received`).
pub fn hourly_metric(hour: u32, flow: &str) -> String {
    format!("hour:{hour:02}:{flow}")
}

pub type Totals = BTreeMap<(UnitId, String), i64>;
pub type Daily = BTreeMap<(UnitId, String, String), i64>;

/// Changes to the numbers, netted before they are written.
#[derive(Default)]
pub struct Deltas {
    totals: Totals,
    daily: Daily,
}

impl Deltas {
    pub fn total(&mut self, units: &[UnitId], metric: &str, delta: i64) {
        for unit in units {
            *self.totals.entry((*unit, metric.to_owned())).or_default() += delta;
        }
    }

    pub fn daily(&mut self, units: &[UnitId], day: &str, metric: &str, delta: i64) {
        for unit in units {
            *self
                .daily
                .entry((*unit, day.to_owned(), metric.to_owned()))
                .or_default() += delta;
        }
    }

    /// A flow at this moment: counted for its local day and for the hour of that day.
    pub fn flow(&mut self, units: &[UnitId], at: Timestamp, metric: &str) {
        use chrono::Timelike;
        let local = local_time(at);
        let day = local.date().to_string();
        self.daily(units, &day, metric, 1);
        self.daily(units, &day, &hourly_metric(local.hour(), metric), 1);
    }

    pub fn is_empty(&self) -> bool {
        self.totals.is_empty() && self.daily.is_empty()
    }

    /// The non-zero changes, rows in key order (so that two transactions never wait on each
    /// other's rows in opposite orders), with the `changes` counter of every unit they touch moved
    /// on (the dashboards' ETags).
    pub fn netted(mut self) -> Netted {
        self.totals.retain(|_, v| *v != 0);
        self.daily.retain(|_, v| *v != 0);
        let touched: BTreeSet<UnitId> = self
            .totals
            .keys()
            .map(|(u, _)| *u)
            .chain(self.daily.keys().map(|(u, _, _)| *u))
            .collect();
        for unit in &touched {
            *self.totals.entry((*unit, "changes".to_owned())).or_default() += 1;
        }
        Netted {
            touched,
            totals: self.totals.into_iter().collect(),
            daily: self.daily.into_iter().collect(),
        }
    }

    /// Writes the non-zero changes in one statement per table (a thousand rows a statement for
    /// a large rebuild). Answers the units they touch.
    pub fn write(self, out: &mut Statements<'_>) -> QueryResult<BTreeSet<UnitId>> {
        let netted = self.netted();
        for chunk in netted.totals.chunks(1000) {
            out.write(Upsert::Totals(chunk.to_vec()))?;
        }
        for chunk in netted.daily.chunks(1000) {
            out.write(Upsert::Daily(chunk.to_vec()))?;
        }
        Ok(netted.touched)
    }
}

/// Changes to the numbers as they are written.
pub struct Netted {
    /// The units whose numbers move.
    pub touched: BTreeSet<UnitId>,
    pub totals: Vec<((UnitId, String), i64)>,
    pub daily: Vec<((UnitId, String, String), i64)>,
}

/// Adds deltas to the stored numbers: `INSERT … ON CONFLICT DO UPDATE`, on either backend.
enum Upsert {
    Totals(Vec<((UnitId, String), i64)>),
    Daily(Vec<((UnitId, String, String), i64)>),
}

impl QueryId for Upsert {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB> QueryFragment<DB> for Upsert
where
    DB: Backend + HasSqlType<DbUuid>,
    UnitId: ToSql<DbUuid, DB>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // The text changes with the number of rows.
        out.unsafe_to_cache_prepared();
        match self {
            Upsert::Totals(rows) => {
                out.push_sql("INSERT INTO stat_totals (unit_id, metric, value) VALUES ");
                for (n, ((unit, metric), value)) in rows.iter().enumerate() {
                    out.push_sql(if n == 0 { "(" } else { ", (" });
                    out.push_bind_param::<DbUuid, _>(unit)?;
                    out.push_sql(", ");
                    out.push_bind_param::<Text, _>(metric)?;
                    out.push_sql(", ");
                    out.push_bind_param::<BigInt, _>(value)?;
                    out.push_sql(")");
                }
                out.push_sql(
                    " ON CONFLICT (unit_id, metric) DO UPDATE SET value = stat_totals.value + excluded.value",
                );
            }
            Upsert::Daily(rows) => {
                out.push_sql("INSERT INTO stat_daily (unit_id, day, metric, value) VALUES ");
                for (n, ((unit, day, metric), value)) in rows.iter().enumerate() {
                    out.push_sql(if n == 0 { "(" } else { ", (" });
                    out.push_bind_param::<DbUuid, _>(unit)?;
                    out.push_sql(", ");
                    out.push_bind_param::<Text, _>(day)?;
                    out.push_sql(", ");
                    out.push_bind_param::<Text, _>(metric)?;
                    out.push_sql(", ");
                    out.push_bind_param::<BigInt, _>(value)?;
                    out.push_sql(")");
                }
                out.push_sql(
                    " ON CONFLICT (unit_id, day, metric) DO UPDATE SET value = stat_daily.value + excluded.value",
                );
            }
        }
        Ok(())
    }
}

/// The units whose subtree holds a traveller bound for this district and community.
pub fn place_units(city: UnitId, district: Option<UnitId>, community: Option<UnitId>) -> Vec<UnitId> {
    let mut units = vec![city];
    units.extend(district);
    units.extend(community);
    units
}

fn traveller_units(t: &Traveller) -> Vec<UnitId> {
    place_units(
        t.destination_city_id,
        Some(t.destination_district_id),
        t.destination_community_id,
    )
}

fn origin_units(t: &Traveller) -> Vec<UnitId> {
    place_units(
        t.destination_city_id,
        t.origin_district_id.or(Some(t.destination_district_id)),
        t.origin_community_id,
    )
}

/// What a traveller contributes to the numbers, as a set of deltas with this sign.
fn traveller_deltas(d: &mut Deltas, t: &Traveller, sign: i64) {
    let units = traveller_units(t);
    d.total(&units, "travellers", sign);
    d.total(&units, &format!("travellers:{}", t.status), sign);
    if t.missing {
        d.total(&units, "missing", sign);
    }
}

pub fn traveller_added(d: &mut Deltas, t: &Traveller) {
    traveller_deltas(d, t, 1);
    d.flow(&origin_units(t), t.created_at, "registered");
}

pub fn traveller_changed(d: &mut Deltas, old: &Traveller, new: &Traveller) {
    traveller_deltas(d, old, -1);
    traveller_deltas(d, new, 1);
    if new.status == TravellerStatus::Received && old.status != TravellerStatus::Received {
        d.flow(
            &traveller_units(new),
            new.received_at.unwrap_or_else(Timestamp::now),
            "received",
        );
    }
    if new.status == TravellerStatus::Exception && old.status != TravellerStatus::Exception {
        d.flow(
            &traveller_units(new),
            new.exception_at.unwrap_or_else(Timestamp::now),
            "exceptions",
        );
    }
}

fn handoff_units(h: &Handoff) -> Vec<UnitId> {
    place_units(h.city_id, Some(h.district_id), h.community_id)
}

pub fn handoff_changed(d: &mut Deltas, old_status: Option<HandoffStatus>, h: &Handoff) {
    if old_status == Some(h.status) {
        return;
    }
    if let Some(old) = old_status {
        d.total(&handoff_units(h), &format!("handoffs:{old}"), -1);
    }
    d.total(&handoff_units(h), &format!("handoffs:{}", h.status), 1);
}

pub fn vehicle_changed(d: &mut Deltas, old_status: Option<VehicleStatus>, v: &Vehicle) {
    if old_status == Some(v.status) {
        return;
    }
    let units = [v.unit_id];
    if let Some(old) = old_status {
        d.total(&units, &format!("vehicles:{old}"), -1);
    }
    d.total(&units, &format!("vehicles:{}", v.status), 1);
}

/// A batch counts for its city and for every district and community its travellers were bound for.
#[derive(Debug, Clone)]
pub struct BatchSnapshot {
    pub status: BatchStatus,
    pub units: Vec<UnitId>,
}

pub fn batch_snapshot(conn: &mut DbConnection, b: &Batch) -> QueryResult<BatchSnapshot> {
    let members: Vec<(Option<UnitId>, Option<UnitId>)> = batch_travellers::table
        .filter(batch_travellers::batch_id.eq(b.id))
        .filter(batch_travellers::removed.eq(false))
        .select((batch_travellers::district_id, batch_travellers::community_id))
        .load(conn)?;
    Ok(BatchSnapshot {
        status: b.status,
        units: batch_units(b.city_id, &members),
    })
}

fn batch_units(city: UnitId, members: &[(Option<UnitId>, Option<UnitId>)]) -> Vec<UnitId> {
    let mut units: BTreeSet<UnitId> = [city].into_iter().collect();
    for (district, community) in members {
        units.extend(*district);
        units.extend(*community);
    }
    units.into_iter().collect()
}

/// Moves a batch's numbers from what it was (`None`: it did not exist) to what it is.
pub fn batch_moved(d: &mut Deltas, before: Option<&BatchSnapshot>, after: &BatchSnapshot) {
    if let Some(b) = before {
        d.total(&b.units, "batches", -1);
        d.total(&b.units, &format!("batches:{}", b.status), -1);
    }
    d.total(&after.units, "batches", 1);
    d.total(&after.units, &format!("batches:{}", after.status), 1);
}

/// What a departure adds: the day's departed batch at every unit it serves, and per port its
/// batch and travellers, by day and in all.
fn departure_deltas(
    d: &mut Deltas,
    conn: &mut DbConnection,
    b: &Batch,
    snapshot: &BatchSnapshot,
    at: Timestamp,
) -> QueryResult<()> {
    let day = local_day(at);
    let (port_batches, port_travellers) = (
        format!("port:{}:batches", b.port_id),
        format!("port:{}:travellers", b.port_id),
    );
    d.flow(&snapshot.units, at, "departed_batches");
    d.daily(&snapshot.units, &day, &port_batches, 1);
    d.total(&snapshot.units, &port_batches, 1);
    let riders: Vec<(Option<UnitId>, Option<UnitId>)> = batch_travellers::table
        .filter(batch_travellers::batch_id.eq(b.id))
        .filter(batch_travellers::removed.eq(false))
        .filter(batch_travellers::boarded.eq(true))
        .select((batch_travellers::district_id, batch_travellers::community_id))
        .load(conn)?;
    for (district, community) in riders {
        let units = place_units(b.city_id, district, community);
        d.daily(&units, &day, &port_travellers, 1);
        d.total(&units, &port_travellers, 1);
    }
    Ok(())
}

pub fn batch_departed(
    d: &mut Deltas,
    conn: &mut DbConnection,
    b: &Batch,
    snapshot: &BatchSnapshot,
) -> QueryResult<()> {
    departure_deltas(d, conn, b, snapshot, b.departed_at.unwrap_or_else(Timestamp::now))
}

/// The numbers as stored, without the `changes` counters.
pub fn stored(conn: &mut DbConnection) -> QueryResult<(Totals, Daily)> {
    let totals = stat_totals::table
        .filter(stat_totals::metric.ne("changes"))
        .filter(stat_totals::value.ne(0))
        .select((stat_totals::unit_id, stat_totals::metric, stat_totals::value))
        .load::<(UnitId, String, i64)>(conn)?
        .into_iter()
        .map(|(u, m, v)| ((u, m), v))
        .collect();
    let daily = stat_daily::table
        .filter(stat_daily::value.ne(0))
        .select((
            stat_daily::unit_id,
            stat_daily::day,
            stat_daily::metric,
            stat_daily::value,
        ))
        .load::<(UnitId, String, String, i64)>(conn)?
        .into_iter()
        .map(|(u, day, m, v)| ((u, day, m), v))
        .collect();
    Ok((totals, daily))
}

/// Rebuilds every number from the base tables: what `stored` must always equal.
pub fn recount(conn: &mut DbConnection) -> QueryResult<(Totals, Daily)> {
    let mut d = Deltas::default();
    let all: Vec<Traveller> = travellers::table.select(Traveller::as_select()).load(conn)?;
    for t in &all {
        traveller_deltas(&mut d, t, 1);
        d.flow(&origin_units(t), t.created_at, "registered");
        if let (Some(at), TravellerStatus::Received) = (t.received_at, t.status) {
            d.flow(&traveller_units(t), at, "received");
        }
        if let (Some(at), TravellerStatus::Exception) = (t.exception_at, t.status) {
            d.flow(&traveller_units(t), at, "exceptions");
        }
    }
    let all_batches: Vec<Batch> = batches::table.select(Batch::as_select()).load(conn)?;
    for b in &all_batches {
        let snapshot = batch_snapshot(conn, b)?;
        d.total(&snapshot.units, "batches", 1);
        d.total(&snapshot.units, &format!("batches:{}", b.status), 1);
        if let Some(at) = b.departed_at {
            departure_deltas(&mut d, conn, b, &snapshot, at)?;
        }
    }
    let all_handoffs: Vec<Handoff> = handoffs::table.select(Handoff::as_select()).load(conn)?;
    for h in &all_handoffs {
        d.total(&handoff_units(h), &format!("handoffs:{}", h.status), 1);
    }
    let all_vehicles: Vec<Vehicle> = vehicles::table.select(Vehicle::as_select()).load(conn)?;
    for v in &all_vehicles {
        d.total(&[v.unit_id], &format!("vehicles:{}", v.status), 1);
    }
    d.totals.retain(|_, v| *v != 0);
    d.daily.retain(|_, v| *v != 0);
    Ok((d.totals, d.daily))
}

/// Replaces the stored numbers with a recount (after restoring a backup, or on a database whose
/// history predates the statistics).
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    let (totals, daily) = recount(conn)?;
    // Every unit that had numbers changes, even one left with none.
    let had: Vec<UnitId> = stat_totals::table
        .select(stat_totals::unit_id)
        .distinct()
        .load(conn)?;
    diesel::delete(stat_totals::table.filter(stat_totals::metric.ne("changes"))).execute(conn)?;
    diesel::delete(stat_daily::table).execute(conn)?;
    let mut d = Deltas { totals, daily };
    d.total(&had, "changes", 1);
    let mut out = Statements::new(conn);
    d.write(&mut out)?;
    out.send()
}

/// Counts the statistics of a database whose history predates them (the statistics tables are
/// empty while the base tables are not).
pub fn rebuild_if_missing(conn: &mut DbConnection) -> QueryResult<()> {
    // The change counters alone are no numbers: a migration that recounts keeps them.
    let counted: i64 = stat_totals::table
        .filter(stat_totals::metric.ne("changes"))
        .count()
        .get_result(conn)?;
    let has_history: i64 = vehicles::table.count().get_result::<i64>(conn)?
        + travellers::table.count().get_result::<i64>(conn)?;
    if counted == 0 && has_history > 0 {
        crate::db::write_transaction(conn, crate::db::Lock::Everything, rebuild)?;
    }
    Ok(())
}

/// Moves on the change counters of these units without changing a number: a new unit or port
/// changes what the dashboards list.
pub fn touch(d: &mut Deltas, units: &[UnitId]) {
    d.total(units, "changes", 1);
}
