//! Vehicles of each city's transfer team.

use crate::db::types::{Id, Timestamp, UnitId, VehicleId};
use diesel::prelude::*;

use crate::auth::Scope;
use crate::db::DbConnection;
use crate::domain::vehicle::VehicleStatus;
use crate::domain::VehicleKind;
use crate::schema::vehicles;
use crate::store::statements::Statements;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = vehicles)]
pub struct Vehicle {
    pub id: VehicleId,
    pub plate: String,
    pub kind: VehicleKind,
    pub seats: i32,
    pub unit_id: UnitId,
    pub status: VehicleStatus,
    pub out_of_service: bool,
    pub version: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

type BoxedVehicles<'a> = vehicles::BoxedQuery<'a, crate::db::MultiBackend>;

/// Vehicles belong to a city: only the whole-system scope and that city's scope see them.
pub fn scoped<'a>(scope: Scope) -> BoxedVehicles<'a> {
    let query = vehicles::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(vehicles::unit_id.eq(id)),
        Scope::District(_) | Scope::Community(_) => {
            query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"))
        }
    }
}

/// The vehicles of these ids, in one query.
pub fn by_ids(conn: &mut DbConnection, ids: &[VehicleId]) -> QueryResult<Vec<Vehicle>> {
    vehicles::table
        .filter(vehicles::id.eq_any(ids.to_vec()))
        .select(Vehicle::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, scope: Scope, id: VehicleId) -> QueryResult<Option<Vehicle>> {
    scoped(scope)
        .filter(vehicles::id.eq(id))
        .select(Vehicle::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    scope: Scope,
    status: Option<VehicleStatus>,
    after: Option<Id>,
    limit: i64,
) -> QueryResult<Vec<Vehicle>> {
    let mut query = scoped(scope)
        .select(Vehicle::as_select())
        .order(vehicles::id.asc())
        .limit(limit + 1);
    if let Some(status) = status {
        query = query.filter(vehicles::status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(vehicles::id.gt(after));
    }
    query.load(conn)
}

pub fn plate_taken(conn: &mut DbConnection, plate: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        vehicles::table.filter(vehicles::plate.eq(plate)),
    ))
    .get_result(conn)
}

/// Only through the unit of work (`Tx::insert_vehicle`), which counts the vehicle.
pub(super) fn insert(out: &mut Statements<'_>, vehicle: Vehicle) -> QueryResult<()> {
    out.write(diesel::insert_into(vehicles::table).values(vehicle))
}

/// Writes a vehicle as `v`, if its version is still `expected` (optimistic lock; else `moved_on`,
/// so the caller answers a conflict instead of losing an update). `v.version` is the version
/// written. Only through the unit of work (`Tx::save_vehicle`), which counts the move.
pub(super) fn update(out: &mut Statements<'_>, expected: i32, v: Vehicle) -> QueryResult<()> {
    let row = vehicles::table
        .filter(vehicles::id.eq(v.id))
        .filter(vehicles::version.eq(expected));
    out.versioned(
        "vehicles",
        diesel::update(row).set((
            vehicles::seats.eq(v.seats),
            vehicles::status.eq(v.status),
            vehicles::out_of_service.eq(v.out_of_service),
            vehicles::version.eq(v.version),
            vehicles::updated_at.eq(v.updated_at),
        )),
    )
}
