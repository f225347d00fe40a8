//! Travellers: one record each, shared by every level, never re-typed.

use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::types::{BatchId, HandoffId, Id, Json, PortId, Timestamp, TravellerId, UnitId, UserId};
use crate::db::DbConnection;
use crate::domain::batch::BatchStatus;
use crate::domain::traveller::{DocumentType, ExceptionKind, Language, TravellerStatus};
use crate::schema::{batch_travellers, travellers};

use super::events::EventPlace;
use super::statements::Statements;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = travellers)]
// An absent value is NULL, never the column's default: no nullable column of `travellers` has
// another default, and only then can many rows go in one statement on SQLite or by COPY.
#[diesel(treat_none_as_default_value = false)]
pub struct Traveller {
    pub id: TravellerId,
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_no: String,
    pub nationality: String,
    pub phone: Option<String>,
    pub flight_no: Option<String>,
    pub port_id: PortId,
    pub arrived_at: Timestamp,
    pub destination_city_id: UnitId,
    pub destination_district_id: UnitId,
    pub destination_community_id: Option<UnitId>,
    pub address: Option<String>,
    pub language: Option<Language>,
    pub notes: Option<String>,
    pub status: TravellerStatus,
    pub custodian_unit_id: UnitId,
    pub batch_id: Option<BatchId>,
    pub handoff_id: Option<HandoffId>,
    pub missing: bool,
    pub exception_kind: Option<ExceptionKind>,
    pub exception_reason: Option<String>,
    pub exception_facility: Option<String>,
    pub exception_at: Option<Timestamp>,
    pub exception_by: Option<UserId>,
    pub registered_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i32,
    pub origin_district_id: Option<UnitId>,
    pub origin_community_id: Option<UnitId>,
    pub received_at: Option<Timestamp>,
    /// When the personal data was erased, once the loop had been closed for
    /// `privacy.retain_days`.
    pub erased_at: Option<Timestamp>,
    /// The reason of an exception the service recorded itself (a no-show), as a message of the
    /// catalogues: `{"code", "params"}`, shown in each reader's language.
    pub exception_message: Option<Json>,
    /// Since when the traveller is missing: left out of a confirmed handoff, still in the sender's
    /// custody, until handed again or given an exception.
    pub missing_since: Option<Timestamp>,
}

impl Traveller {
    /// Events about a traveller belong to the jurisdictions of its destination.
    pub fn place(&self) -> EventPlace {
        EventPlace {
            city_id: Some(self.destination_city_id),
            district_id: Some(self.destination_district_id),
            community_id: self.destination_community_id,
        }
    }
}

type Boxed<'a> = travellers::BoxedQuery<'a, crate::db::MultiBackend>;

/// Travellers a scope may see: those bound for a unit in it.
pub fn scoped<'a>(scope: Scope) -> Boxed<'a> {
    let query = travellers::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(travellers::destination_city_id.eq(id)),
        Scope::District(id) => query.filter(travellers::destination_district_id.eq(id)),
        Scope::Community(id) => query.filter(travellers::destination_community_id.eq(id)),
    }
}

pub fn find(conn: &mut DbConnection, scope: Scope, id: TravellerId) -> QueryResult<Option<Traveller>> {
    scoped(scope)
        .filter(travellers::id.eq(id))
        .select(Traveller::as_select())
        .first(conn)
        .optional()
}

/// Loads the travellers with these ids that the scope may see, in the order asked.
pub fn find_many(
    conn: &mut DbConnection,
    scope: Scope,
    ids: &[TravellerId],
) -> QueryResult<Vec<Option<Traveller>>> {
    let rows: Vec<Traveller> = scoped(scope)
        .filter(travellers::id.eq_any(ids.to_vec()))
        .select(Traveller::as_select())
        .load(conn)?;
    Ok(ids
        .iter()
        .map(|id| rows.iter().find(|t| t.id == *id).cloned())
        .collect())
}

#[derive(Default)]
pub struct TravellerFilter {
    pub status: Option<TravellerStatus>,
    pub port_id: Option<PortId>,
    pub batch_id: Option<BatchId>,
    pub destination_district_id: Option<UnitId>,
    pub query: Option<String>,
    pub after: Option<Id>,
    pub limit: i64,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn list(conn: &mut DbConnection, scope: Scope, filter: &TravellerFilter) -> QueryResult<Vec<Traveller>> {
    let mut query = scoped(scope)
        .select(Traveller::as_select())
        .order(travellers::id.asc())
        .limit(filter.limit + 1);
    if let Some(status) = &filter.status {
        query = query.filter(travellers::status.eq(*status));
    }
    if let Some(port) = filter.port_id {
        query = query.filter(travellers::port_id.eq(port));
    }
    if let Some(batch) = filter.batch_id {
        query = query.filter(travellers::batch_id.eq(batch));
    }
    if let Some(district) = filter.destination_district_id {
        query = query.filter(travellers::destination_district_id.eq(district));
    }
    if let Some(q) = &filter.query {
        // Case-insensitive on both backends (LIKE is case-sensitive on PostgreSQL only).
        let pattern = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        query = query.filter(
            lower(travellers::full_name)
                .like(pattern.clone())
                .or(lower(travellers::document_no).like(pattern.clone()))
                .or(lower(travellers::flight_no.assume_not_null()).like(pattern)),
        );
    }
    if let Some(after) = filter.after {
        query = query.filter(travellers::id.gt(after));
    }
    query.load(conn)
}

/// A traveller whose transfer is open, spelt as the partial index on open documents spells it:
/// with the words as constants, not bound values, both databases read that index.
const OPEN_TRANSFER: &str = "travellers.status NOT IN ('received', 'exception')";

fn open_transfer() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql(OPEN_TRANSFER)
}

/// A traveller on the road, spelt as the partial index of travellers in transit spells it.
pub fn in_transit() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql("travellers.status = 'in_transit'")
}

/// What a registration checks before it writes: its destination as the caller's scope sees it,
/// whether its port exists, and whether its document already has an open transfer.
pub struct RegistrationFacts {
    pub destination: Option<super::units::Unit>,
    pub port_known: bool,
    pub document_open: bool,
}

/// Asks what a registration checks in one statement (the port and the document ride on the
/// destination's row), or in two when there is no such destination.
pub fn registration_facts(
    conn: &mut DbConnection,
    scope: Scope,
    community_id: UnitId,
    port_id: PortId,
    document_type: &str,
    document_no: &str,
) -> QueryResult<RegistrationFacts> {
    use crate::schema::{ports, units};
    use diesel::dsl::exists;
    let port = || exists(ports::table.filter(ports::id.eq(port_id)));
    let document = || {
        exists(
            travellers::table
                .filter(travellers::document_type.eq(document_type.to_owned()))
                .filter(travellers::document_no.eq(document_no.to_owned()))
                .filter(open_transfer()),
        )
    };
    let found = super::units::scoped(scope)
        .filter(units::id.eq(community_id))
        .select((super::units::Unit::as_select(), port(), document()))
        .first::<(super::units::Unit, bool, bool)>(conn)
        .optional()?;
    let (destination, port_known, document_open) = match found {
        Some((unit, port_known, document_open)) => (Some(unit), port_known, document_open),
        None => {
            let (port_known, document_open) = diesel::select((port(), document())).get_result(conn)?;
            (None, port_known, document_open)
        }
    };
    Ok(RegistrationFacts {
        destination,
        port_known,
        document_open,
    })
}

/// Only through the unit of work (`Tx::insert_traveller`), which counts the traveller.
pub(super) fn insert(out: &mut Statements<'_>, traveller: Traveller) -> QueryResult<()> {
    out.write(diesel::insert_into(travellers::table).values(traveller))
}

/// Inserts many travellers: by `COPY` on PostgreSQL (no statement to parse and plan, no values
/// to bind), 900 rows a statement on SQLite.
/// Only through the unit of work (`Tx::insert_travellers`), which counts them.
pub(super) fn insert_many(conn: &mut DbConnection, list: &[Traveller]) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => {
            diesel::copy_from(travellers::table)
                .from_insertable(list)
                .execute(pg)?;
        }
        // 34 values a row: 900 rows stay within SQLite's limit of 32,766 bound values.
        DbConnection::Sqlite(lite) => {
            for chunk in list.chunks(900) {
                diesel::insert_into(travellers::table)
                    .values(chunk)
                    .execute(lite)?;
            }
        }
    }
    Ok(())
}

/// A document found with an open transfer.
#[derive(QueryableByName)]
struct OpenDocument {
    #[diesel(sql_type = diesel::sql_types::Text)]
    document_type: DocumentType,
    #[diesel(sql_type = diesel::sql_types::Text)]
    document_no: String,
}

/// Which of these documents already have an open transfer, a thousand a query.
pub fn open_documents(
    conn: &mut DbConnection,
    documents: &[(DocumentType, String)],
) -> QueryResult<std::collections::HashSet<(DocumentType, String)>> {
    let mut open = std::collections::HashSet::new();
    if let DbConnection::Postgres(pg) = conn {
        // Each document looked up in the index by its pair: with two lists instead, the planner
        // may match the index on the type alone and filter every open transfer by number, which
        // it does when a large import has outrun the table's statistics.
        use diesel::sql_types::{Array, Text};
        for chunk in documents.chunks(1000) {
            let types: Vec<&str> = chunk.iter().map(|(t, _)| t.as_str()).collect();
            let numbers: Vec<&str> = chunk.iter().map(|(_, no)| no.as_str()).collect();
            let found: Vec<OpenDocument> = diesel::sql_query(format!(
                "SELECT travellers.document_type, travellers.document_no \
                 FROM unnest($1::text[], $2::text[]) AS d(document_type, document_no) \
                 JOIN travellers ON travellers.document_type = d.document_type \
                 AND travellers.document_no = d.document_no WHERE {OPEN_TRANSFER}"
            ))
            .bind::<Array<Text>, _>(types)
            .bind::<Array<Text>, _>(numbers)
            .load(pg)?;
            open.extend(found.into_iter().map(|d| (d.document_type, d.document_no)));
        }
        return Ok(open);
    }
    for chunk in documents.chunks(1000) {
        let numbers: Vec<&str> = chunk.iter().map(|(_, no)| no.as_str()).collect();
        let found: Vec<(DocumentType, String)> = travellers::table
            .filter(travellers::document_type.eq_any(DocumentType::ALL))
            .filter(travellers::document_no.eq_any(numbers))
            .filter(open_transfer())
            .select((travellers::document_type, travellers::document_no))
            .load(conn)?;
        open.extend(found);
    }
    Ok(open)
}

/// What stands in an erased required field.
pub const ERASED: &str = "[erased]";

/// Travellers whose loop closed (received, or an exception) before `closed_before` and whose
/// personal data is still kept, oldest first: their ids and destination cities.
pub fn expired_personal_data(
    conn: &mut DbConnection,
    closed_before: Timestamp,
    limit: i64,
) -> QueryResult<Vec<(TravellerId, UnitId)>> {
    let received: Vec<(TravellerId, UnitId)> = travellers::table
        .filter(travellers::erased_at.is_null())
        .filter(travellers::status.eq(TravellerStatus::Received))
        .filter(travellers::received_at.lt(closed_before))
        .order(travellers::received_at.asc())
        .limit(limit)
        .select((travellers::id, travellers::destination_city_id))
        .load(conn)?;
    let left = limit - received.len() as i64;
    if left <= 0 {
        return Ok(received);
    }
    let excepted: Vec<(TravellerId, UnitId)> = travellers::table
        .filter(travellers::erased_at.is_null())
        .filter(travellers::status.eq(TravellerStatus::Exception))
        .filter(travellers::exception_at.lt(closed_before))
        .order(travellers::exception_at.asc())
        .limit(left)
        .select((travellers::id, travellers::destination_city_id))
        .load(conn)?;
    Ok(received.into_iter().chain(excepted).collect())
}

/// Erases the name, document number, phone, address and notes of these travellers (still
/// closed and not yet erased); returns how many. Everything else stays, so every statistic, the
/// trace and the event log keep holding.
pub fn erase_personal_data(
    conn: &mut DbConnection,
    ids: &[TravellerId],
    at: Timestamp,
) -> QueryResult<usize> {
    diesel::update(
        travellers::table
            .filter(travellers::id.eq_any(ids.to_vec()))
            .filter(travellers::erased_at.is_null())
            .filter(travellers::status.eq_any([TravellerStatus::Received, TravellerStatus::Exception])),
    )
    .set((
        travellers::full_name.eq(ERASED),
        travellers::document_no.eq(ERASED),
        travellers::phone.eq(None::<String>),
        travellers::address.eq(None::<String>),
        travellers::notes.eq(None::<String>),
        travellers::erased_at.eq(Some(at)),
        travellers::version.eq(travellers::version + 1),
    ))
    .execute(conn)
}

/// Writes a traveller changed from `old` (the row as this transaction read it) to `t`, if nobody
/// changed it since: false when it moved on.
/// Writes a traveller as `t`, if its version is still `expected` (else `moved_on`); `t.version` is
/// the version written.
/// Only through the unit of work (`Tx::save_traveller`), which counts the move.
pub(super) fn save(out: &mut Statements<'_>, expected: i32, t: Traveller) -> QueryResult<()> {
    let row = travellers::table
        .filter(travellers::id.eq(t.id))
        .filter(travellers::version.eq(expected));
    out.versioned(
        "travellers",
        diesel::update(row).set((
            travellers::destination_district_id.eq(t.destination_district_id),
            travellers::destination_community_id.eq(t.destination_community_id),
            travellers::status.eq(t.status),
            travellers::custodian_unit_id.eq(t.custodian_unit_id),
            travellers::batch_id.eq(t.batch_id),
            travellers::handoff_id.eq(t.handoff_id),
            travellers::missing.eq(t.missing),
            travellers::missing_since.eq(t.missing_since),
            travellers::exception_kind.eq(t.exception_kind),
            travellers::exception_reason.eq(t.exception_reason),
            travellers::exception_message.eq(t.exception_message),
            travellers::exception_facility.eq(t.exception_facility),
            travellers::exception_at.eq(t.exception_at),
            travellers::exception_by.eq(t.exception_by),
            travellers::updated_at.eq(t.updated_at),
            travellers::received_at.eq(t.received_at),
            travellers::version.eq(t.version),
        )),
    )
}

/// Everyone who shared a batch with the traveller (boarded or still planned; cancelled batches
/// and no-shows never travelled).
pub fn batch_companions(
    conn: &mut DbConnection,
    scope: Scope,
    traveller_id: TravellerId,
) -> QueryResult<(Vec<Traveller>, i64)> {
    use crate::schema::batches;
    let batch_ids: Vec<BatchId> = batch_travellers::table
        .inner_join(batches::table)
        .filter(batch_travellers::traveller_id.eq(traveller_id))
        .filter(batch_travellers::removed.eq(false))
        .filter(batches::status.ne(BatchStatus::Cancelled))
        .select(batch_travellers::batch_id)
        .load(conn)?;
    let companion_ids: Vec<TravellerId> = batch_travellers::table
        .filter(batch_travellers::batch_id.eq_any(batch_ids))
        .filter(batch_travellers::removed.eq(false))
        .filter(
            batch_travellers::boarded
                .is_null()
                .or(batch_travellers::boarded.eq(true)),
        )
        .filter(batch_travellers::traveller_id.ne(traveller_id))
        .select(batch_travellers::traveller_id)
        .distinct()
        .load(conn)?;
    let total = companion_ids.len() as i64;
    let visible = scoped(scope)
        .filter(travellers::id.eq_any(companion_ids))
        .select(Traveller::as_select())
        .order(travellers::id.asc())
        .load(conn)?;
    Ok((visible, total))
}

/// Everyone on the same flight the same day.
pub fn flight_companions(
    conn: &mut DbConnection,
    scope: Scope,
    traveller: &Traveller,
) -> QueryResult<(Vec<Traveller>, i64)> {
    let Some(flight) = &traveller.flight_no else {
        return Ok((Vec::new(), 0));
    };
    let day_start = traveller
        .arrived_at
        .0
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| Timestamp(d.and_utc()));
    let Some(day_start) = day_start else {
        return Ok((Vec::new(), 0));
    };
    let day_end = day_start + chrono::Duration::days(1);
    let same_flight = || {
        travellers::table
            .filter(travellers::flight_no.eq(flight.clone()))
            .filter(travellers::arrived_at.ge(day_start))
            .filter(travellers::arrived_at.lt(day_end))
            .filter(travellers::id.ne(traveller.id))
    };
    let total: i64 = same_flight().count().get_result(conn)?;
    let ids: Vec<TravellerId> = same_flight().select(travellers::id).load(conn)?;
    let visible = scoped(scope)
        .filter(travellers::id.eq_any(ids))
        .select(Traveller::as_select())
        .order(travellers::id.asc())
        .load(conn)?;
    Ok((visible, total))
}
