//! The append-only audit trail. There is deliberately no update or delete here.
//!
//! The log is tamper-evident: every event carries the hash of the event before it in its chain
//! (one chain per city, one for events of no city) and its own hash over that and its canonical
//! content, so an event changed or removed by someone who bypasses the append-only triggers
//! breaks the chain at that point. Events are appended at commit, one transaction at a time
//! (`store::Tx`); each holds its place in its chain (`chain_seq`), and a unique index on (chain,
//! place) refuses a fork regardless.

use crate::db::types::Id;
use crate::db::types::{Json, Timestamp, UnitId, UserId};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{Scope, UnitPlace};
use crate::db::DbConnection;
use crate::schema::events;

/// Whose jurisdiction an event belongs to, from the unit it concerns.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventPlace {
    pub city_id: Option<UnitId>,
    pub district_id: Option<UnitId>,
    pub community_id: Option<UnitId>,
}

impl From<&UnitPlace> for EventPlace {
    fn from(unit: &UnitPlace) -> Self {
        use crate::domain::UnitLevel;
        EventPlace {
            city_id: Some(unit.city_id),
            district_id: unit.district_id,
            community_id: (unit.level == UnitLevel::Community).then_some(unit.id),
        }
    }
}

/// One entry of the audit trail.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = events)]
pub struct Event {
    pub seq: i64,
    pub id: Id,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Id,
    #[serde(skip)]
    pub city_id: Option<UnitId>,
    #[serde(skip)]
    pub district_id: Option<UnitId>,
    #[serde(skip)]
    pub community_id: Option<UnitId>,
    pub data: Json,
    /// The `hash` of the event before this one in its chain (64 zeros for the first).
    pub prev_hash: String,
    /// Hex SHA-256 over `prev_hash` and this event's canonical content.
    pub hash: String,
    /// The event's place in its chain: 1 for the first, one more than the event before it.
    #[serde(skip)]
    pub chain_seq: i64,
}

/// The `prev_hash` of the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that its hash covers.
pub struct Chained<'a> {
    pub prev_hash: &'a str,
    pub id: Id,
    pub at: Timestamp,
    pub actor_id: Option<UserId>,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Id,
    pub city_id: Option<UnitId>,
    pub district_id: Option<UnitId>,
    pub community_id: Option<UnitId>,
    pub data: &'a serde_json::Value,
}

impl Chained<'_> {
    /// Hex SHA-256 over the previous hash and the canonical content: one field a line, times in
    /// microseconds (what both databases keep), JSON with its keys sorted.
    pub fn hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut hasher = Sha256::new();
        hasher.update(format!("{}\n{}\n{}\n", self.prev_hash, self.id, micros(self.at)));
        hasher.update(self.rest().as_bytes());
        hex::encode(hasher.finalize())
    }

    /// The canonical text after the link, the id and the time: what PostgreSQL's `append_events`
    /// hashes after those three, which it learns only once it holds the log's lock.
    fn rest(&self) -> String {
        use std::fmt::Write;
        /// An id, or nothing for none.
        struct Maybe<T>(Option<T>);
        impl<T: std::fmt::Display> std::fmt::Display for Maybe<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match &self.0 {
                    Some(id) => write!(f, "{id}"),
                    None => Ok(()),
                }
            }
        }
        // The whole text in one buffer: hashing thousands of events at an import's commit
        // allocates little.
        let mut text = String::with_capacity(384);
        let _ = write!(
            text,
            "{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            Maybe(self.actor_id),
            self.action,
            self.entity_type,
            self.entity_id,
            Maybe(self.city_id),
            Maybe(self.district_id),
            Maybe(self.community_id),
        );
        write_canonical(self.data, &mut text);
        text.push('\n');
        text
    }
}

/// A time as the hash writes it: RFC 3339 in UTC with microseconds.
fn micros(at: Timestamp) -> String {
    at.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Event {
    fn chained(&self) -> Chained<'_> {
        Chained {
            prev_hash: &self.prev_hash,
            id: self.id,
            at: self.at,
            actor_id: self.actor_id,
            action: &self.action,
            entity_type: &self.entity_type,
            entity_id: self.entity_id,
            city_id: self.city_id,
            district_id: self.district_id,
            community_id: self.community_id,
            data: &self.data.0,
        }
    }
}

/// JSON with the keys of every object sorted, so that the text does not depend on how a database
/// stored it.
pub fn canonical_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// Writes `value` as canonical JSON (compact, keys sorted) at the end of `out`.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut fields: Vec<(&String, &Value)> = map.iter().collect();
            fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (n, (key, value)) in fields.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_scalar(&Value::String(key.clone()), out);
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => write_scalar(other, out),
    }
}

/// A string, number, boolean or null as serde_json writes it.
fn write_scalar(value: &serde_json::Value, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "{value}");
}

/// The newest event of a chain, as the next one links to it.
#[derive(Debug, Clone, Queryable)]
struct Head {
    hash: String,
    chain_seq: i64,
}

impl Head {
    /// Where a chain with no event yet starts.
    fn genesis() -> Head {
        Head {
            hash: GENESIS.to_owned(),
            chain_seq: 0,
        }
    }
}

/// The newest event of a city's chain (or of the chain of no city).
fn chain_head(conn: &mut DbConnection, city_id: Option<UnitId>) -> QueryResult<Head> {
    let query = events::table
        .select((events::hash, events::chain_seq))
        .filter(events::hash.ne(""))
        .order(events::seq.desc())
        .into_boxed();
    Ok(in_chain(query, city_id)
        .first::<Head>(conn)
        .optional()?
        .unwrap_or_else(Head::genesis))
}

type BoxedEvents<'a, S> = events::BoxedQuery<'a, crate::db::MultiBackend, S>;

/// Narrows a query of the log to one chain: a city's, or that of events of no city.
fn in_chain<S>(query: BoxedEvents<'_, S>, city_id: Option<UnitId>) -> BoxedEvents<'_, S> {
    match city_id {
        Some(city) => query.filter(events::city_id.eq(city)),
        None => query.filter(events::city_id.is_null()),
    }
}

/// An event recorded by a change, appended to the log when its transaction commits.
pub struct PendingEvent {
    pub(super) actor_id: Option<UserId>,
    pub(super) action: String,
    pub(super) entity_type: String,
    pub(super) entity_id: Id,
    pub(super) place: EventPlace,
    pub(super) data: serde_json::Value,
}

/// Appends a transaction's events at its commit, in order, each chained to the one before it in
/// its chain, after the log's lock: on PostgreSQL in one statement (`Appending`); on SQLite, whose
/// write transactions run one at a time, statement by statement.
/// On PostgreSQL the numbers the change moves go in the same statement (`numbers`, which the
/// caller has not written), after the lock; on SQLite the caller writes them.
pub(super) fn append(
    conn: &mut DbConnection,
    pending: Vec<PendingEvent>,
    numbers: Numbers,
) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => Appending::new(pending, numbers).get_result::<i32>(pg).map(drop),
        DbConnection::Sqlite(_) => append_in_order(conn, pending),
    }
}

/// Appends events one chain head at a time: no other append runs between reading a chain's head
/// and writing after it, since SQLite runs one write transaction at a time.
fn append_in_order(conn: &mut DbConnection, pending: Vec<PendingEvent>) -> QueryResult<()> {
    use chrono::SubsecRound;
    let at = Timestamp(chrono::Utc::now().trunc_subsecs(6));
    let mut heads: std::collections::HashMap<Option<UnitId>, Head> = Default::default();
    let mut rows = Vec::with_capacity(pending.len());
    for event in pending {
        let city_id = event.place.city_id;
        let Head {
            hash: prev_hash,
            chain_seq: prev_seq,
        } = match heads.remove(&city_id) {
            Some(head) => head,
            None => chain_head(conn, city_id)?,
        };
        let chain_seq = prev_seq + 1;
        let id = super::new_id();
        let hash = Chained {
            prev_hash: &prev_hash,
            id,
            at,
            actor_id: event.actor_id,
            action: &event.action,
            entity_type: &event.entity_type,
            entity_id: event.entity_id,
            city_id,
            district_id: event.place.district_id,
            community_id: event.place.community_id,
            data: &event.data,
        }
        .hash();
        heads.insert(
            city_id,
            Head {
                hash: hash.clone(),
                chain_seq,
            },
        );
        rows.push(NewEvent {
            id,
            at,
            actor_id: event.actor_id,
            action: event.action,
            entity_type: event.entity_type,
            entity_id: event.entity_id,
            city_id,
            district_id: event.place.district_id,
            community_id: event.place.community_id,
            data: Json(event.data),
            prev_hash,
            hash,
            chain_seq,
        });
    }
    // 13 values a row: a batch's dozens of events in one statement, an import's in a few, within
    // SQLite's limit of 32,766 bound values.
    for chunk in rows.chunks(2000) {
        if let DbConnection::Sqlite(lite) = conn {
            diesel::insert_into(events::table).values(chunk).execute(lite)?;
        }
    }
    Ok(())
}

/// Numbers to add as `append_events` adds them: (unit, metric) totals and (unit, day, metric)
/// flows, each with its delta (`store::counts::Netted`).
pub type Numbers = (Vec<((UnitId, String), i64)>, Vec<((UnitId, String, String), i64)>);

/// A transaction's events and the numbers it moves, as PostgreSQL's `append_events` takes them (see
/// its migration): one statement after the transaction's rows, which takes the log's lock, adds to
/// the numbers, links each event and stamps its time under the lock; the service sends the rest of
/// the text it hashes. The lock and the rows of the numbers are held for that statement and the
/// COMMIT only, and taken after every other row the change writes.
pub(super) struct Appending {
    ids: Vec<Id>,
    actor_ids: Vec<Option<UserId>>,
    actions: Vec<String>,
    entity_types: Vec<String>,
    entity_ids: Vec<Id>,
    city_ids: Vec<Option<UnitId>>,
    district_ids: Vec<Option<UnitId>>,
    community_ids: Vec<Option<UnitId>>,
    datas: Vec<Json>,
    texts: Vec<Vec<u8>>,
    total_units: Vec<UnitId>,
    total_metrics: Vec<String>,
    total_values: Vec<i64>,
    daily_units: Vec<UnitId>,
    daily_days: Vec<String>,
    daily_metrics: Vec<String>,
    daily_values: Vec<i64>,
}

impl Appending {
    pub(super) fn new(pending: Vec<PendingEvent>, (totals, daily): Numbers) -> Self {
        let mut a = Appending {
            total_units: totals.iter().map(|((u, _), _)| *u).collect(),
            total_metrics: totals.iter().map(|((_, m), _)| m.clone()).collect(),
            total_values: totals.iter().map(|(_, v)| *v).collect(),
            daily_units: daily.iter().map(|((u, _, _), _)| *u).collect(),
            daily_days: daily.iter().map(|((_, d, _), _)| d.clone()).collect(),
            daily_metrics: daily.iter().map(|((_, _, m), _)| m.clone()).collect(),
            daily_values: daily.iter().map(|(_, v)| *v).collect(),
            ids: Vec::with_capacity(pending.len()),
            actor_ids: Vec::with_capacity(pending.len()),
            actions: Vec::with_capacity(pending.len()),
            entity_types: Vec::with_capacity(pending.len()),
            entity_ids: Vec::with_capacity(pending.len()),
            city_ids: Vec::with_capacity(pending.len()),
            district_ids: Vec::with_capacity(pending.len()),
            community_ids: Vec::with_capacity(pending.len()),
            datas: Vec::with_capacity(pending.len()),
            texts: Vec::with_capacity(pending.len()),
        };
        for event in pending {
            let id = super::new_id();
            let rest = Chained {
                // Neither the link nor the time is part of the rest: the function adds them.
                prev_hash: "",
                id,
                at: Timestamp(chrono::DateTime::UNIX_EPOCH),
                actor_id: event.actor_id,
                action: &event.action,
                entity_type: &event.entity_type,
                entity_id: event.entity_id,
                city_id: event.place.city_id,
                district_id: event.place.district_id,
                community_id: event.place.community_id,
                data: &event.data,
            }
            .rest();
            a.ids.push(id);
            a.actor_ids.push(event.actor_id);
            a.actions.push(event.action);
            a.entity_types.push(event.entity_type);
            a.entity_ids.push(event.entity_id);
            a.city_ids.push(event.place.city_id);
            a.district_ids.push(event.place.district_id);
            a.community_ids.push(event.place.community_id);
            a.datas.push(Json(event.data));
            a.texts.push(rest.into_bytes());
        }
        a
    }
}

impl diesel::query_builder::QueryId for Appending {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl diesel::query_builder::Query for Appending {
    type SqlType = diesel::sql_types::Integer;
}

impl RunQueryDsl<diesel::PgConnection> for Appending {}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for Appending {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        use crate::db::types::{DbJson, DbUuid};
        use diesel::sql_types::{Array, BigInt, Binary, Nullable, Text};
        out.push_sql("SELECT append_events(");
        out.push_bind_param::<BigInt, _>(&crate::db::LOG_LOCK_KEY)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(crate::db::CHANNEL)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(crate::db::EVENTS_APPENDED)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<DbUuid>, _>(&self.ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<DbUuid>>, _>(&self.actor_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.actions)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.entity_types)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<DbUuid>, _>(&self.entity_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<DbUuid>>, _>(&self.city_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<DbUuid>>, _>(&self.district_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Nullable<DbUuid>>, _>(&self.community_ids)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<DbJson>, _>(&self.datas)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Binary>, _>(&self.texts)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<DbUuid>, _>(&self.total_units)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.total_metrics)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.total_values)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<DbUuid>, _>(&self.daily_units)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.daily_days)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<Text>, _>(&self.daily_metrics)?;
        out.push_sql(", ");
        out.push_bind_param::<Array<BigInt>, _>(&self.daily_values)?;
        out.push_sql(")");
        Ok(())
    }
}

/// An event as it is appended: `seq` comes from the database, in commit order.
#[derive(Insertable)]
#[diesel(table_name = events)]
#[diesel(treat_none_as_default_value = false)]
struct NewEvent {
    id: Id,
    at: Timestamp,
    actor_id: Option<UserId>,
    action: String,
    entity_type: String,
    entity_id: Id,
    city_id: Option<UnitId>,
    district_id: Option<UnitId>,
    community_id: Option<UnitId>,
    data: Json,
    prev_hash: String,
    hash: String,
    chain_seq: i64,
}

/// What the check of one chain found.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChainReport {
    /// The city of the chain; null for the chain of events that belong to no city.
    pub city_id: Option<UnitId>,
    pub events: i64,
    /// The hash of the chain's newest event.
    pub head_hash: String,
    /// The `seq` of the first event whose link or hash does not hold; null when all hold.
    pub first_broken_seq: Option<i64>,
}

/// Whether every chain of the audit log holds.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Verification {
    /// True when no chain is broken.
    pub ok: bool,
    /// One per city, and one for the events that belong to no city.
    pub chains: Vec<ChainReport>,
}

impl Verification {
    pub fn of(chains: Vec<ChainReport>) -> Self {
        Verification {
            ok: chains.iter().all(|c| c.first_broken_seq.is_none()),
            chains,
        }
    }
}

const VERIFY_PAGE: i64 = 1000;

/// Checks every chain from its first event: each event must name the hash of the one before it,
/// hold the next place, and its own hash must be that of its content.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Vec<ChainReport>> {
    let cities: Vec<Option<UnitId>> = events::table.select(events::city_id).distinct().load(conn)?;
    let mut cities = cities;
    cities.sort_by_key(|c| c.map(|i| i.to_string()));
    let mut reports = Vec::new();
    for city_id in cities {
        let mut report = ChainReport {
            city_id,
            events: 0,
            head_hash: GENESIS.to_owned(),
            first_broken_seq: None,
        };
        let mut after = 0i64;
        loop {
            let query = events::table
                .select(Event::as_select())
                .filter(events::seq.gt(after))
                .order(events::seq.asc())
                .limit(VERIFY_PAGE)
                .into_boxed();
            let page: Vec<Event> = in_chain(query, city_id).load(conn)?;
            for event in &page {
                let holds = event.prev_hash == report.head_hash
                    && event.chain_seq == report.events + 1
                    && event.chained().hash() == event.hash;
                if !holds && report.first_broken_seq.is_none() {
                    report.first_broken_seq = Some(event.seq);
                }
                report.events += 1;
                report.head_hash = event.hash.clone();
            }
            match page.last() {
                Some(last) if page.len() as i64 == VERIFY_PAGE => after = last.seq,
                _ => break,
            }
        }
        reports.push(report);
    }
    Ok(reports)
}

/// An event not yet chained, spelt as the partial index of such events spells it: with the empty
/// hash a constant, not a bound value, both databases read that index.
fn unchained() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql("events.hash = ''")
}

/// Chains the events written before the log was tamper-evident, once, after the migrations: the
/// only time events are updated, with the append-only triggers lifted inside the same transaction.
pub fn chain_legacy(conn: &mut DbConnection) -> Result<(), String> {
    use diesel::connection::SimpleConnection;
    let any_left: bool = diesel::select(diesel::dsl::exists(events::table.filter(unchained())))
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if !any_left {
        return Ok(());
    }
    let (lift, restore) = match conn {
        DbConnection::Postgres(_) => (
            "ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete",
            "ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete",
        ),
        DbConnection::Sqlite(_) => (
            "DROP TRIGGER events_no_update",
            "CREATE TRIGGER events_no_update BEFORE UPDATE ON events \
             BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE is not allowed'); END",
        ),
    };
    crate::db::write_transaction(conn, crate::db::Lock::Everything, |tx| {
        tx.batch_execute(lift)?;
        let chained = chain_unchained(tx)?;
        tx.batch_execute(restore)?;
        tracing::info!(
            events = chained,
            "chained the events written before the log was chained"
        );
        Ok::<_, diesel::result::Error>(())
    })
    .map_err(|e| e.to_string())
}

/// Chains the events written before the log was chained, oldest first, inside `chain_legacy`.
fn chain_unchained(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut heads: std::collections::HashMap<Option<UnitId>, Head> = Default::default();
    let mut done = 0;
    loop {
        let page: Vec<Event> = events::table
            .select(Event::as_select())
            .filter(unchained())
            .order(events::seq.asc())
            .limit(VERIFY_PAGE)
            .load(conn)?;
        if page.is_empty() {
            return Ok(done);
        }
        for mut event in page {
            let prev = match heads.get(&event.city_id) {
                Some(h) => h.clone(),
                None => chain_head(conn, event.city_id)?,
            };
            event.prev_hash = prev.hash;
            event.chain_seq = prev.chain_seq + 1;
            event.hash = event.chained().hash();
            diesel::update(events::table.filter(events::seq.eq(event.seq)))
                .set((
                    events::prev_hash.eq(&event.prev_hash),
                    events::hash.eq(&event.hash),
                    events::chain_seq.eq(event.chain_seq),
                ))
                .execute(conn)?;
            heads.insert(
                event.city_id,
                Head {
                    hash: event.hash,
                    chain_seq: event.chain_seq,
                },
            );
            done += 1;
        }
    }
}

pub struct EventFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Id>,
    pub after: i64,
    pub limit: i64,
    /// The newest `limit` events, newest first, instead of those after `after`.
    pub newest: bool,
}

/// Events in the caller's jurisdiction, in log order, after a sequence number; or the newest,
/// newest first.
pub fn list(conn: &mut DbConnection, scope: Scope, filter: &EventFilter) -> QueryResult<Vec<Event>> {
    let mut query = events::table
        .select(Event::as_select())
        .limit(filter.limit)
        .into_boxed();
    query = if filter.newest {
        query.order(events::seq.desc())
    } else {
        query
            .filter(events::seq.gt(filter.after))
            .order(events::seq.asc())
    };
    query = match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(events::city_id.eq(id)),
        Scope::District(id) => query.filter(events::district_id.eq(id)),
        Scope::Community(id) => query.filter(events::community_id.eq(id)),
    };
    if let Some(kind) = &filter.entity_type {
        query = query.filter(events::entity_type.eq(kind.clone()));
    }
    if let Some(id) = filter.entity_id {
        query = query.filter(events::entity_id.eq(id));
    }
    query.load(conn)
}

/// The newest sequence number in the log (0 when empty).
pub fn latest_seq(conn: &mut DbConnection) -> QueryResult<i64> {
    events::table
        .select(diesel::dsl::max(events::seq))
        .first::<Option<i64>>(conn)
        .map(|s| s.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hashed text is fixed: an event hashed by any release verifies in every later one.
    /// The expected digest was computed outside the project, over the text the format describes.
    #[test]
    fn the_hash_covers_each_field_a_line_and_the_json_with_sorted_keys() {
        let id = |s: &str| Id(s.parse().unwrap());
        let data = serde_json::json!({"z": {"a": "甲"}, "via": "manifest", "b": [{"d": "x\"y", "c": null}, 1.5, true]});
        assert_eq!(
            canonical_json(&data),
            r#"{"b":[{"c":null,"d":"x\"y"},1.5,true],"via":"manifest","z":{"a":"甲"}}"#
        );
        let at = chrono::DateTime::parse_from_rfc3339("2020-03-07T08:30:00.123456Z").unwrap();
        let chained = Chained {
            prev_hash: GENESIS,
            id: id("01890a5d-ac96-774b-bcce-b302099a8057"),
            at: Timestamp(at.with_timezone(&chrono::Utc)),
            actor_id: None,
            action: "traveller.registered",
            entity_type: "traveller",
            entity_id: id("01890a5d-ac96-774b-bcce-b302099a8058"),
            city_id: Some(UnitId(id("01890a5d-ac96-774b-bcce-b302099a8059").0)),
            district_id: None,
            community_id: None,
            data: &data,
        };
        assert_eq!(
            chained.hash(),
            "2f4a1aabb775eb26de61871b1ea9c439b4a72ff867d6b8d249f891745b68dd17"
        );
    }
}
