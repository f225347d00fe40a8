//! `/loose-ends`: everything that keeps the loop open in the caller's subtree, oldest first, each
//! with the unit that must act and what to do.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{get, web, HttpRequest};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{BadRequest, Forbidden, Unauthorized, Unavailable};
use super::handoffs::HandoffUnitView;
use super::{List, DEFAULT_LIMIT, MAX_LIMIT};
use crate::auth::{Actor, Permission};
use crate::catalogue::{self, Lang};
use crate::db::read_transaction;
use crate::db::types::{BatchId, HandoffId, PortId, Timestamp, TravellerId, UnitId};
use crate::domain::loose_end::LooseEndKind;
use crate::domain::message::{msg, Message};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::loose_ends::{self, LooseEnd};
use crate::store::{ports, units};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_loose_ends);
}

/// A port, by code and name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortRef {
    id: PortId,
    code: String,
    name: String,
}

/// One thing that keeps the loop open, the unit that must act on it, and what to do.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LooseEndView {
    /// A stable name of the end: its kind and its handoff, or its kind, port and city.
    id: String,
    kind: LooseEndKind,
    /// The unit that must act: the sender for `missing`, `rejected` and `locked`, the receiver for
    /// `overdue`, the city for `waiting`.
    unit_id: UnitId,
    /// When the end began: the confirmation that left people out, the rejection, the lock, the
    /// due time, the first arrival still waiting.
    since: Timestamp,
    handoff_id: Option<HandoffId>,
    batch_id: Option<BatchId>,
    port_id: Option<PortId>,
    /// The travellers the end is about: those still left, once some are resolved.
    traveller_ids: Vec<TravellerId>,
    /// What is wrong and what to do, in the language `Accept-Language` prefers (zh or en).
    detail: String,
    /// The unit that must act, with its hotline.
    unit: HandoffUnitView,
    /// The handoff's sender and receiver, with their hotlines (the kinds tied to a handoff).
    from_unit: Option<HandoffUnitView>,
    to_unit: Option<HandoffUnitView>,
    /// When a pending handoff was due.
    due_at: Option<Timestamp>,
    /// A rejection's reason, as typed.
    reason: Option<String>,
    /// The port where travellers wait (`waiting`).
    port: Option<PortRef>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LooseEndQuery {
    /// Only ends of this kind.
    kind: Option<LooseEndKind>,
    /// Only ends this unit must act on.
    unit_id: Option<UnitId>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = "^([A-Za-z0-9_-]{22})?$")]
    cursor: Option<String>,
}

/// Where a page of ends begins: after the end with this time and this digest of its id.
type Position = (Timestamp, [u8; 8]);

fn position(end: &LooseEnd) -> Position {
    let digest = Sha256::digest(end.key().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    (end.since, first)
}

fn encode_position((since, digest): Position) -> String {
    let mut bytes = Vec::with_capacity(16);
    bytes.extend_from_slice(&since.0.timestamp_micros().to_be_bytes());
    bytes.extend_from_slice(&digest);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The position a cursor names. Any cursor of the documented pattern names one: a time beyond
/// what can be written is the earliest or the latest.
fn decode_position(cursor: &str) -> Option<Position> {
    let bytes = super::cursor_bytes(cursor)?;
    let (micros, digest) = bytes.split_first_chunk::<8>()?;
    let micros = i64::from_be_bytes(*micros);
    let since = chrono::DateTime::from_timestamp_micros(micros).unwrap_or(if micros < 0 {
        chrono::DateTime::<chrono::Utc>::MIN_UTC
    } else {
        chrono::DateTime::<chrono::Utc>::MAX_UTC
    });
    Some((Timestamp(since), digest.try_into().ok()?))
}

/// List loose ends
///
/// Everything that keeps the loop open in the caller's subtree, oldest first: travellers
/// `missing` from a confirmed handoff or returned by a `rejected` one and not yet handed again or
/// given an exception; pending handoffs `locked` by wrong codes or `overdue`; travellers
/// `waiting` at a port longer than `loop.waiting_alert_minutes`. Each names the unit that must
/// act. An end leaves the list in the transaction that resolves it.
#[utoipa::path(
    tag = "loose-ends",
    params(LooseEndQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the loose ends in the caller's subtree, oldest first", body = List<LooseEndView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/loose-ends")]
async fn list_loose_ends(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    query: web::Query<LooseEndQuery>,
) -> ApiResult<web::Json<List<LooseEndView>>> {
    actor.require(Permission::ReadHandoffs)?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError {
            subject: Some("limit".into()),
            ..ApiError::bad_request(msg!("out_of_range", field = "limit", min = 1, max = MAX_LIMIT))
        });
    }
    let after = match query.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(decode_position(c).ok_or_else(|| ApiError::bad_request(msg!("invalid_cursor")))?),
    };
    let lang = Lang::preferred(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let minutes = state.settings.closed_loop.waiting_alert_minutes;
    let list = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let now = Timestamp::now();
                let mut ends: Vec<(Position, LooseEnd)> =
                    loose_ends::of_scope(tx, actor.scope, now, now + chrono::Duration::minutes(-minutes))?
                        .into_iter()
                        .filter(|e| query.kind.is_none_or(|k| e.kind == k))
                        .filter(|e| query.unit_id.is_none_or(|u| e.unit_id == u))
                        .map(|e| (position(&e), e))
                        .filter(|(p, _)| after.is_none_or(|a| *p > a))
                        .collect();
                ends.sort_by_key(|(p, _)| *p);
                let more = ends.len() as i64 > limit;
                ends.truncate(limit as usize);
                let next_cursor = more
                    .then(|| ends.last().map(|(p, _)| encode_position(*p)))
                    .flatten();
                let items = views(tx, lang, minutes, ends.into_iter().map(|(_, e)| e).collect())?;
                Ok::<_, ApiError>(List { items, next_cursor })
            })
        })
        .await?;
    Ok(web::Json(list))
}

/// The ends as the caller reads them, with the units and ports they name.
fn views(
    conn: &mut crate::db::DbConnection,
    lang: Lang,
    minutes: i64,
    ends: Vec<LooseEnd>,
) -> ApiResult<Vec<LooseEndView>> {
    let mut unit_ids: Vec<UnitId> = ends.iter().map(|e| e.unit_id).collect();
    unit_ids.extend(
        ends.iter()
            .filter_map(|e| e.handoff.as_ref())
            .flat_map(|h| [h.from_unit_id, h.to_unit_id]),
    );
    unit_ids.sort();
    unit_ids.dedup();
    let found: HashMap<UnitId, units::Unit> = units::by_ids(conn, &unit_ids)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut port_ids: Vec<PortId> = ends.iter().filter_map(|e| e.port_id).collect();
    port_ids.sort();
    port_ids.dedup();
    let mut found_ports: HashMap<PortId, ports::Port> = HashMap::new();
    for id in port_ids {
        if let Some(port) = ports::find(conn, id)? {
            found_ports.insert(id, port);
        }
    }
    let chinese = lang == Lang::Zh;
    let name = |id: UnitId| {
        found
            .get(&id)
            .map(|u| u.name_in(chinese).to_owned())
            .unwrap_or_default()
    };
    let hotline = |id: UnitId| {
        found
            .get(&id)
            .and_then(|u| u.hotline.clone())
            .unwrap_or_else(|| catalogue::render(lang, &msg!("no_hotline")))
    };
    let side = |id: UnitId| HandoffUnitView::of(id, found.get(&id));
    Ok(ends
        .into_iter()
        .map(|end| {
            let count = end.traveller_ids.len();
            let port = end.port_id.and_then(|id| found_ports.get(&id));
            let message: Message = match (&end.handoff, end.kind) {
                (Some(h), LooseEndKind::Missing) => {
                    msg!("loose_end_missing", count = count, to = name(h.to_unit_id))
                }
                (Some(h), LooseEndKind::Rejected) => msg!(
                    "loose_end_rejected",
                    count = count,
                    to = name(h.to_unit_id),
                    reason = h.reason.clone().unwrap_or_default()
                ),
                (Some(h), LooseEndKind::Locked) => {
                    msg!(
                        "loose_end_locked",
                        to = name(h.to_unit_id),
                        hotline = hotline(h.to_unit_id)
                    )
                }
                (Some(h), _) => msg!(
                    "loose_end_overdue",
                    from = name(h.from_unit_id),
                    to = name(h.to_unit_id),
                    hotline = hotline(h.from_unit_id)
                ),
                (None, _) => msg!(
                    "loose_end_waiting",
                    count = count,
                    port = port.map(|p| p.name.clone()).unwrap_or_default(),
                    minutes = minutes
                ),
            };
            LooseEndView {
                id: end.key(),
                kind: end.kind,
                unit_id: end.unit_id,
                since: end.since,
                handoff_id: end.handoff.as_ref().map(|h| h.id),
                batch_id: end.handoff.as_ref().and_then(|h| h.batch_id),
                port_id: end.port_id,
                traveller_ids: end.traveller_ids,
                detail: catalogue::render(lang, &message),
                unit: side(end.unit_id),
                from_unit: end.handoff.as_ref().map(|h| side(h.from_unit_id)),
                to_unit: end.handoff.as_ref().map(|h| side(h.to_unit_id)),
                due_at: end
                    .handoff
                    .as_ref()
                    .filter(|_| matches!(end.kind, LooseEndKind::Overdue | LooseEndKind::Locked))
                    .map(|h| h.due_at),
                reason: end
                    .handoff
                    .as_ref()
                    .filter(|_| end.kind == LooseEndKind::Rejected)
                    .and_then(|h| h.reason.clone()),
                port: port.map(|p| PortRef {
                    id: p.id,
                    code: p.code.clone(),
                    name: p.name.clone(),
                }),
            }
        })
        .collect())
}
