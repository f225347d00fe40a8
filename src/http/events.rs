//! `GET /events`: the audit trail, scoped like everything else.

use crate::db::types::Id;
use actix_web::get;
use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{BadRequest, Forbidden, Unauthorized, Unavailable};
use super::MAX_LIMIT;
use crate::auth::{Actor, Permission};
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::events::{self, Event, EventFilter, Verification};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_events).service(verify_log);
}

/// Verify the audit log (admin)
///
/// Recomputes every chain from its first event: an event changed or removed behind the
/// service's back (by someone who lifted the append-only triggers) breaks its chain there.
#[utoipa::path(
    tag = "events",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The state of every chain", body = Verification),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/events/verify")]
async fn verify_log(state: web::Data<AppState>, actor: Actor) -> ApiResult<web::Json<Verification>> {
    actor.require(Permission::ManageUsers)?;
    // Reading a long log takes longer than a request's usual bound.
    let chains = state
        .db_within(None, |conn| {
            crate::db::read_transaction(conn, |tx| Ok(events::verify(tx)?))
        })
        .await?;
    Ok(web::Json(Verification::of(chains)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// e.g. `traveller`, `batch`, `handoff`, `vehicle`, `user`, `unit`, `port`.
    entity_type: Option<String>,
    entity_id: Option<Id>,
    /// Sequence number to continue after (exclusive).
    after: Option<i64>,
    /// The `next_cursor` of the previous page (the same as `after`).
    cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// `true`: the newest `limit` events, newest first, without a next page (a live feed opened
    /// afresh fills itself so); `after` and `cursor` are not read.
    newest: Option<bool>,
}

/// A page of the audit trail, oldest first (or the newest, newest first).
#[derive(Serialize, utoipa::ToSchema)]
pub struct EventList {
    items: Vec<Event>,
    /// The `after` that continues this list, or null at the end of the log.
    next_cursor: Option<String>,
}

/// The audit trail
#[utoipa::path(
    tag = "events",
    params(EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the events in the caller's subtree", body = EventList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/events")]
async fn list_events(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<EventQuery>,
) -> ApiResult<web::Json<EventList>> {
    actor.require(Permission::ReadEvents)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(super::DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError {
            subject: Some("limit".into()),
            ..ApiError::bad_request(msg!("out_of_range", field = "limit", min = 1, max = MAX_LIMIT))
        });
    }
    let filter = EventFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        after: match (&query.cursor, query.after) {
            (Some(cursor), _) if !cursor.is_empty() => cursor
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request(msg!("invalid_cursor")))?
                .max(0),
            (_, after) => after.unwrap_or(0).max(0),
        },
        limit,
        newest: query.newest.unwrap_or(false),
    };
    let newest = filter.newest;
    let items = state
        .db(move |conn| Ok(events::list(conn, actor.scope, &filter)?))
        .await?;
    let next_cursor = (!newest && items.len() as i64 == limit)
        .then(|| items.last().map(|e| e.seq.to_string()))
        .flatten();
    Ok(web::Json(EventList { items, next_cursor }))
}
