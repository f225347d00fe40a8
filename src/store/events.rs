//! The append-only audit trail. There is deliberately no update or delete here.

use crate::db::types::Id;
use crate::db::types::{Json, Timestamp};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::{Scope, UnitPlace};
use crate::db::DbConnection;
use crate::schema::events;

/// Whose jurisdiction an event belongs to, from the unit it concerns.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventPlace {
    pub city_id: Option<Id>,
    pub district_id: Option<Id>,
    pub community_id: Option<Id>,
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

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    id: Id,
    at: Timestamp,
    actor_id: Option<Id>,
    action: &'a str,
    entity_type: &'a str,
    entity_id: Id,
    city_id: Option<Id>,
    district_id: Option<Id>,
    community_id: Option<Id>,
    data: Json,
}

/// One entry of the audit trail.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = events)]
pub struct Event {
    pub seq: i64,
    pub id: Id,
    pub at: Timestamp,
    pub actor_id: Option<Id>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Id,
    #[serde(skip)]
    pub city_id: Option<Id>,
    #[serde(skip)]
    pub district_id: Option<Id>,
    #[serde(skip)]
    pub community_id: Option<Id>,
    pub data: Json,
}

/// Appends one event; call it inside the transaction of the change it records.
pub fn record(
    conn: &mut DbConnection,
    actor_id: Option<Id>,
    action: &str,
    entity_type: &str,
    entity_id: Id,
    place: EventPlace,
    data: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(events::table)
        .values(NewEvent {
            id: super::new_id(),
            at: Timestamp::now(),
            actor_id,
            action,
            entity_type,
            entity_id,
            city_id: place.city_id,
            district_id: place.district_id,
            community_id: place.community_id,
            data: Json(data),
        })
        .execute(conn)?;
    Ok(())
}

pub struct EventFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Id>,
    pub after: i64,
    pub limit: i64,
}

/// Events in the caller's jurisdiction, in log order, after a sequence number.
pub fn list(conn: &mut DbConnection, scope: Scope, filter: &EventFilter) -> QueryResult<Vec<Event>> {
    let mut query = events::table
        .select(Event::as_select())
        .filter(events::seq.gt(filter.after))
        .order(events::seq.asc())
        .limit(filter.limit)
        .into_boxed();
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
