//! Batches, their crews and the travellers they carry.

use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::types::{BatchId, Id, PortId, Timestamp, TravellerId, UnitId, UserId, VehicleId};
use crate::db::DbConnection;
use crate::domain::batch::{BatchStatus, CrewRole};
use crate::schema::{batch_travellers, batches, crew_members};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = batches)]
pub struct Batch {
    pub id: BatchId,
    pub code: String,
    pub port_id: PortId,
    pub city_id: UnitId,
    pub vehicle_id: Option<VehicleId>,
    pub status: BatchStatus,
    pub scheduled_departure_at: Option<Timestamp>,
    pub departed_at: Option<Timestamp>,
    pub arrived_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub cancel_reason: Option<String>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i32,
}

/// A member of a batch's crew.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = crew_members)]
pub struct CrewMember {
    pub id: Id,
    #[serde(skip)]
    pub batch_id: BatchId,
    pub name: String,
    pub phone: Option<String>,
    #[schema(value_type = crate::domain::batch::CrewRole)]
    pub role: CrewRole,
}

/// One traveller's place in a batch.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = batch_travellers)]
pub struct BatchTraveller {
    pub batch_id: BatchId,
    pub traveller_id: TravellerId,
    pub boarded: Option<bool>,
    pub removed: bool,
    /// Where the traveller was bound when the batch took them.
    pub district_id: Option<UnitId>,
    pub community_id: Option<UnitId>,
}

type Boxed<'a> = batches::BoxedQuery<'a, crate::db::MultiBackend>;

/// Batches belong to a city's transfer team.
pub fn scoped<'a>(scope: Scope) -> Boxed<'a> {
    let query = batches::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(batches::city_id.eq(id)),
        Scope::District(_) | Scope::Community(_) => query.filter(batches::id.ne(batches::id)),
    }
}

pub fn find(conn: &mut DbConnection, scope: Scope, id: BatchId) -> QueryResult<Option<Batch>> {
    scoped(scope)
        .filter(batches::id.eq(id))
        .select(Batch::as_select())
        .first(conn)
        .optional()
}

pub struct BatchFilter {
    pub status: Option<BatchStatus>,
    pub port_id: Option<PortId>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub after: Option<Id>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, scope: Scope, filter: &BatchFilter) -> QueryResult<Vec<Batch>> {
    let mut query = scoped(scope)
        .select(Batch::as_select())
        .order(batches::id.asc())
        .limit(filter.limit + 1);
    if let Some(status) = &filter.status {
        query = query.filter(batches::status.eq(*status));
    }
    if let Some(port) = filter.port_id {
        query = query.filter(batches::port_id.eq(port));
    }
    if let Some(from) = filter.from {
        query = query.filter(batches::created_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(batches::created_at.lt(to));
    }
    if let Some(after) = filter.after {
        query = query.filter(batches::id.gt(after));
    }
    query.load(conn)
}

pub fn insert(conn: &mut DbConnection, batch: &Batch) -> QueryResult<()> {
    diesel::insert_into(batches::table)
        .values(batch)
        .execute(conn)
        .map(|_| ())
}

/// Writes a changed batch if nobody changed it since it was read.
pub fn save(conn: &mut DbConnection, b: &Batch) -> QueryResult<bool> {
    let changed = diesel::update(
        batches::table
            .filter(batches::id.eq(b.id))
            .filter(batches::version.eq(b.version)),
    )
    .set((
        batches::vehicle_id.eq(b.vehicle_id),
        batches::status.eq(&b.status),
        batches::departed_at.eq(b.departed_at),
        batches::arrived_at.eq(b.arrived_at),
        batches::closed_at.eq(b.closed_at),
        batches::cancelled_at.eq(b.cancelled_at),
        batches::cancel_reason.eq(&b.cancel_reason),
        batches::updated_at.eq(b.updated_at),
        batches::version.eq(b.version + 1),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// How many batches already carry this code prefix (port and day).
/// How many batches carry codes of this prefix (a port and a day). The numbers of a prefix are
/// shared by every city that uses the port, so on PostgreSQL the count is taken under a lock of
/// the prefix, held to the end of the transaction: two cities creating batches at one port at
/// once number them in turn (the one place where writers of different cities may wait on each
/// other, and only for each other's batch creation).
pub fn count_with_prefix(conn: &mut DbConnection, prefix: &str) -> QueryResult<i64> {
    if let DbConnection::Postgres(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint) IS NULL AS locked")
            .bind::<diesel::sql_types::Text, _>(format!("batch-code:{prefix}"))
            .execute(conn)?;
    }
    batches::table
        .filter(batches::code.like(format!("{prefix}%")))
        .count()
        .get_result(conn)
}

/// The batches of these ids, in one query, oldest first.
pub fn by_ids(conn: &mut DbConnection, ids: &[BatchId]) -> QueryResult<Vec<Batch>> {
    batches::table
        .filter(batches::id.eq_any(ids.to_vec()))
        .select(Batch::as_select())
        .order(batches::id.asc())
        .load(conn)
}

/// The batches some travellers are in, with the plates of their vehicles.
pub struct Trips {
    batches: std::collections::HashMap<BatchId, Batch>,
    plates: std::collections::HashMap<VehicleId, String>,
}

impl Trips {
    /// The trips of these travellers, in two queries.
    pub fn of(
        conn: &mut DbConnection,
        travellers: &[crate::store::travellers::Traveller],
    ) -> QueryResult<Trips> {
        let batch_ids: Vec<BatchId> = travellers.iter().filter_map(|t| t.batch_id).collect();
        let batches: std::collections::HashMap<BatchId, Batch> =
            by_ids(conn, &batch_ids)?.into_iter().map(|b| (b.id, b)).collect();
        let vehicle_ids: Vec<VehicleId> = batches.values().filter_map(|b| b.vehicle_id).collect();
        let plates = crate::store::vehicles::by_ids(conn, &vehicle_ids)?
            .into_iter()
            .map(|v| (v.id, v.plate))
            .collect();
        Ok(Trips { batches, plates })
    }

    /// The batch a traveller is in.
    pub fn batch(&self, t: &crate::store::travellers::Traveller) -> Option<&Batch> {
        t.batch_id.and_then(|b| self.batches.get(&b))
    }

    /// The plate of a batch's vehicle.
    pub fn plate(&self, b: &Batch) -> Option<String> {
        b.vehicle_id.and_then(|v| self.plates.get(&v).cloned())
    }

    pub fn ids(&self) -> Vec<BatchId> {
        self.batches.keys().copied().collect()
    }
}

/// The crews of these batches, in one query.
pub fn crews(conn: &mut DbConnection, batch_ids: &[BatchId]) -> QueryResult<Vec<CrewMember>> {
    crew_members::table
        .filter(crew_members::batch_id.eq_any(batch_ids.to_vec()))
        .select(CrewMember::as_select())
        .order(crew_members::id.asc())
        .load(conn)
}

pub fn crew(conn: &mut DbConnection, batch_id: BatchId) -> QueryResult<Vec<CrewMember>> {
    crews(conn, &[batch_id])
}

pub fn insert_crew(conn: &mut DbConnection, member: &CrewMember) -> QueryResult<()> {
    diesel::insert_into(crew_members::table)
        .values(member)
        .execute(conn)
        .map(|_| ())
}

/// The travellers currently in the batch (not removed).
pub fn members(conn: &mut DbConnection, batch_id: BatchId) -> QueryResult<Vec<BatchTraveller>> {
    batch_travellers::table
        .filter(batch_travellers::batch_id.eq(batch_id))
        .filter(batch_travellers::removed.eq(false))
        .select(BatchTraveller::as_select())
        .order(batch_travellers::traveller_id.asc())
        .load(conn)
}

/// The members of these batches with their travellers, in one query, by batch then traveller.
pub fn members_of(
    conn: &mut DbConnection,
    batch_ids: &[BatchId],
) -> QueryResult<Vec<(BatchTraveller, crate::store::travellers::Traveller)>> {
    use crate::schema::travellers;
    batch_travellers::table
        .inner_join(travellers::table)
        .filter(batch_travellers::batch_id.eq_any(batch_ids.to_vec()))
        .filter(batch_travellers::removed.eq(false))
        .select((
            BatchTraveller::as_select(),
            crate::store::travellers::Traveller::as_select(),
        ))
        .order((
            batch_travellers::batch_id.asc(),
            batch_travellers::traveller_id.asc(),
        ))
        .load(conn)
}

/// Adds a traveller to a batch, or brings back one removed earlier.
pub fn add_member(
    conn: &mut DbConnection,
    batch_id: BatchId,
    traveller: &crate::store::travellers::Traveller,
) -> QueryResult<()> {
    let (district_id, community_id) = (
        Some(traveller.destination_district_id),
        traveller.destination_community_id,
    );
    let existing = diesel::update(
        batch_travellers::table
            .filter(batch_travellers::batch_id.eq(batch_id))
            .filter(batch_travellers::traveller_id.eq(traveller.id)),
    )
    .set((
        batch_travellers::removed.eq(false),
        batch_travellers::boarded.eq(None::<bool>),
        batch_travellers::district_id.eq(district_id),
        batch_travellers::community_id.eq(community_id),
    ))
    .execute(conn)?;
    if existing == 0 {
        diesel::insert_into(batch_travellers::table)
            .values(BatchTraveller {
                batch_id,
                traveller_id: traveller.id,
                boarded: None,
                removed: false,
                district_id,
                community_id,
            })
            .execute(conn)?;
    }
    Ok(())
}

pub fn remove_member(
    conn: &mut DbConnection,
    batch_id: BatchId,
    traveller_id: TravellerId,
) -> QueryResult<()> {
    diesel::update(
        batch_travellers::table
            .filter(batch_travellers::batch_id.eq(batch_id))
            .filter(batch_travellers::traveller_id.eq(traveller_id)),
    )
    .set(batch_travellers::removed.eq(true))
    .execute(conn)
    .map(|_| ())
}

pub fn set_boarded(
    conn: &mut DbConnection,
    batch_id: BatchId,
    traveller_id: TravellerId,
    boarded: bool,
) -> QueryResult<()> {
    diesel::update(
        batch_travellers::table
            .filter(batch_travellers::batch_id.eq(batch_id))
            .filter(batch_travellers::traveller_id.eq(traveller_id)),
    )
    .set(batch_travellers::boarded.eq(Some(boarded)))
    .execute(conn)
    .map(|_| ())
}

/// The last batch the vehicle carried, for the record of its disinfection.
pub fn last_of_vehicle(conn: &mut DbConnection, vehicle_id: VehicleId) -> QueryResult<Option<BatchId>> {
    batches::table
        .filter(batches::vehicle_id.eq(vehicle_id))
        .filter(batches::arrived_at.is_not_null())
        .order(batches::arrived_at.desc())
        .select(batches::id)
        .first(conn)
        .optional()
}

pub fn insert_disinfection(
    conn: &mut DbConnection,
    id: Id,
    vehicle_id: VehicleId,
    batch_id: Option<BatchId>,
    note: Option<String>,
    performed_by: UserId,
) -> QueryResult<()> {
    use crate::schema::disinfections;
    diesel::insert_into(disinfections::table)
        .values((
            disinfections::id.eq(id),
            disinfections::vehicle_id.eq(vehicle_id),
            disinfections::batch_id.eq(batch_id),
            disinfections::note.eq(note),
            disinfections::performed_by.eq(performed_by),
            disinfections::performed_at.eq(Timestamp::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Every batch the traveller was ever placed in.
pub fn of_traveller(
    conn: &mut DbConnection,
    traveller_id: TravellerId,
) -> QueryResult<std::collections::BTreeSet<BatchId>> {
    Ok(batch_travellers::table
        .filter(batch_travellers::traveller_id.eq(traveller_id))
        .select(batch_travellers::batch_id)
        .load::<BatchId>(conn)?
        .into_iter()
        .collect())
}
