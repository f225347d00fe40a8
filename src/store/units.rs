//! The organisation tree.

use crate::db::types::Timestamp;
use crate::db::types::{Id, UnitId};
use diesel::prelude::*;

use crate::auth::{Scope, UnitPlace};
use crate::db::DbConnection;
use crate::domain::UnitLevel;
use crate::schema::units;
use crate::store::events::EventPlace;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub code: String,
    pub level: UnitLevel,
    pub parent_id: Option<UnitId>,
    pub city_id: UnitId,
    pub district_id: Option<UnitId>,
    pub created_at: Timestamp,
    /// A phone number shown on notices: a city's 24-hour hotline.
    pub hotline: Option<String>,
    pub address: Option<String>,
    /// The unit's name in English, for notices, screens and files in languages other than Chinese.
    pub name_en: Option<String>,
}

impl Unit {
    /// The unit's name in a language: Chinese reads `name`; the others read `name_en` where it is
    /// set.
    pub fn name_in(&self, chinese: bool) -> &str {
        match (&self.name_en, chinese) {
            (Some(en), false) => en,
            _ => &self.name,
        }
    }

    pub fn place(&self) -> UnitPlace {
        UnitPlace {
            id: self.id,
            level: self.level,
            city_id: self.city_id,
            district_id: self.district_id,
        }
    }
}

type BoxedUnits<'a> = units::BoxedQuery<'a, crate::db::MultiBackend>;

/// Units in a scope: the one filter every unit query goes through.
pub fn scoped<'a>(scope: Scope) -> BoxedUnits<'a> {
    let query = units::table.into_boxed();
    match scope {
        Scope::All => query,
        Scope::City(id) => query.filter(units::city_id.eq(id)),
        Scope::District(id) => query.filter(units::district_id.eq(id)),
        Scope::Community(id) => query.filter(units::id.eq(id)),
    }
}

pub fn find(conn: &mut DbConnection, scope: Scope, id: UnitId) -> QueryResult<Option<Unit>> {
    scoped(scope)
        .filter(units::id.eq(id))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

pub struct UnitFilter {
    pub level: Option<UnitLevel>,
    pub parent_id: Option<UnitId>,
    pub after: Option<Id>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, scope: Scope, filter: &UnitFilter) -> QueryResult<Vec<Unit>> {
    let mut query = scoped(scope)
        .select(Unit::as_select())
        .order(units::id.asc())
        .limit(filter.limit + 1);
    if let Some(level) = filter.level {
        query = query.filter(units::level.eq(level.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        query = query.filter(units::parent_id.eq(parent));
    }
    if let Some(after) = filter.after {
        query = query.filter(units::id.gt(after));
    }
    query.load(conn)
}

/// Every unit of a level in a scope, by code.
pub fn of_level(conn: &mut DbConnection, scope: Scope, level: UnitLevel) -> QueryResult<Vec<Unit>> {
    scoped(scope)
        .filter(units::level.eq(level))
        .select(Unit::as_select())
        .order(units::code.asc())
        .load(conn)
}

/// Where the events of someone of this unit belong (none for no unit).
pub fn event_place(conn: &mut DbConnection, unit_id: Option<UnitId>) -> QueryResult<EventPlace> {
    Ok(match unit_id {
        Some(id) => find(conn, Scope::All, id)?
            .map(|u| EventPlace::from(&u.place()))
            .unwrap_or_default(),
        None => EventPlace::default(),
    })
}

pub fn code_taken(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(units::table.filter(units::code.eq(code)))).get_result(conn)
}

pub fn insert(conn: &mut DbConnection, unit: &Unit) -> QueryResult<()> {
    diesel::insert_into(units::table)
        .values(unit)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_code(conn: &mut DbConnection, scope: Scope, code: &str) -> QueryResult<Option<Unit>> {
    scoped(scope)
        .filter(units::code.eq(code.to_owned()))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

pub fn all_ids(conn: &mut DbConnection) -> QueryResult<Vec<UnitId>> {
    units::table.select(units::id).load(conn)
}

/// The units with these ids, whatever the caller's scope (for naming the other side of a handoff).
pub fn by_ids(conn: &mut DbConnection, ids: &[UnitId]) -> QueryResult<Vec<Unit>> {
    units::table
        .filter(units::id.eq_any(ids.to_vec()))
        .select(Unit::as_select())
        .load(conn)
}

/// Writes a unit's names, hotline and address.
pub fn update_contacts(conn: &mut DbConnection, unit: &Unit) -> QueryResult<()> {
    diesel::update(units::table.find(unit.id))
        .set((
            units::name.eq(&unit.name),
            units::name_en.eq(&unit.name_en),
            units::hotline.eq(&unit.hotline),
            units::address.eq(&unit.address),
        ))
        .execute(conn)
        .map(|_| ())
}
