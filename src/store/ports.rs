//! Ports of entry: reference data shared by every city.

use crate::db::types::{Id, PortId, Timestamp};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::domain::PortKind;
use crate::schema::ports;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ports)]
pub struct Port {
    pub id: PortId,
    pub code: String,
    pub name: String,
    pub kind: PortKind,
    pub city_name: String,
    pub created_at: Timestamp,
}

pub fn find(conn: &mut DbConnection, id: PortId) -> QueryResult<Option<Port>> {
    ports::table
        .find(id)
        .select(Port::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection, after: Option<Id>, limit: i64) -> QueryResult<Vec<Port>> {
    let mut query = ports::table
        .select(Port::as_select())
        .order(ports::id.asc())
        .limit(limit + 1)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ports::id.gt(after));
    }
    query.load(conn)
}

pub fn code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(ports::table.filter(ports::code.eq(code)))).get_result(conn)
}

pub fn insert(conn: &mut DbConnection, port: &Port) -> QueryResult<()> {
    diesel::insert_into(ports::table)
        .values(port)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Port>> {
    ports::table
        .filter(ports::code.eq(code))
        .select(Port::as_select())
        .first(conn)
        .optional()
}
