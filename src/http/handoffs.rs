//! `/handoffs`: offers of custody to the next level, confirmed or rejected by the receiver.

use actix_web::{get, post};
use std::collections::HashMap;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, Unauthorized, Unavailable, Unprocessable,
};
use super::{fingerprint, write, write_answer, Answer, Body, IdempotencyKey, List, PageRequest};
use crate::auth::{Actor, Permission, Scope};
use crate::db::types::{BatchId, HandoffId, Id, Timestamp, TravellerId, UnitId, UserId};
use crate::db::{read_transaction, DbConnection};
use crate::domain::clean_multi_line;
use crate::domain::handoff::{HandoffOutcome, HandoffStatus};
use crate::domain::message::msg;
use crate::domain::traveller::DocumentType;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult, ProblemCode};
use crate::state::AppState;
use crate::store::handoffs::{self, Handoff, HandoffFilter};
use crate::store::units::Unit;
use crate::store::{travellers, Page};
use crate::transfer::handoffs::{self as custody, Confirmation};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_handoffs)
        .service(send_handoff)
        .service(get_handoff)
        .service(confirm)
        .service(reject)
        .service(cancel)
        .service(reissue);
}

/// A traveller handed over, so the receiver can check them in person.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffTravellerView {
    id: TravellerId,
    full_name: String,
    document_type: DocumentType,
    document_no: String,
    nationality: String,
    /// `pending`, `received`, `missing` or `returned`.
    outcome: HandoffOutcome,
}

/// One side of a handoff: whom to call, even where that unit lies outside the caller's subtree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffUnitView {
    id: UnitId,
    name: String,
    /// The unit's name in English, where it is set.
    name_en: Option<String>,
    hotline: Option<String>,
}

impl HandoffUnitView {
    /// The unit `id`, as read (or nameless when it was not).
    pub fn of(id: UnitId, unit: Option<&Unit>) -> Self {
        HandoffUnitView {
            id,
            name: unit.map(|u| u.name.clone()).unwrap_or_default(),
            name_en: unit.and_then(|u| u.name_en.clone()),
            hotline: unit.and_then(|u| u.hotline.clone()),
        }
    }
}

/// The trip that brought a handoff's people: what tells two vehicles of the city apart at a door.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffBatchView {
    code: String,
    vehicle_plate: Option<String>,
    /// The driver of the crew, and their phone.
    driver: Option<String>,
    driver_phone: Option<String>,
}

/// An offer of custody from one unit to the next.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffView {
    id: HandoffId,
    batch_id: Option<BatchId>,
    /// The batch's code, vehicle and driver, for a handoff of a batch (null in the answer of a
    /// confirmation).
    batch: Option<HandoffBatchView>,
    from_unit_id: UnitId,
    to_unit_id: UnitId,
    from_unit: HandoffUnitView,
    to_unit: HandoffUnitView,
    status: HandoffStatus,
    traveller_ids: Vec<TravellerId>,
    /// Who is handed over, so the receiver can check them in person.
    travellers: Vec<HandoffTravellerView>,
    created_at: Timestamp,
    due_at: Timestamp,
    overdue: bool,
    confirmed_at: Option<Timestamp>,
    confirmed_by: Option<UserId>,
    received_traveller_ids: Option<Vec<TravellerId>>,
    missing_traveller_ids: Option<Vec<TravellerId>>,
    rejected_at: Option<Timestamp>,
    reason: Option<String>,
    note: Option<String>,
    failed_attempts: i32,
    locked: bool,
    /// When the fifth wrong code locked it.
    locked_at: Option<Timestamp>,
    /// The handoff this one was reissued from.
    replaces: Option<HandoffId>,
    /// The handoff reissued from this one, which cancelled it.
    replaced_by: Option<HandoffId>,
    /// When the service received the confirmation or rejection. `confirmed_at` and `rejected_at`
    /// are when the officer acted at the door (`at`), earlier where the action waited on a device
    /// without a network.
    recorded_at: Option<Timestamp>,
    /// The 6-digit confirmation code, shown to the sending side only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    code: Option<String>,
}

impl HandoffView {
    pub fn batch_id(&self) -> Option<BatchId> {
        self.batch_id
    }
}

/// Views of handoffs as this caller may see them: the code only for the sending unit (and admins).
pub fn handoff_views(
    conn: &mut DbConnection,
    actor: &Actor,
    rows: Vec<Handoff>,
) -> ApiResult<Vec<HandoffView>> {
    let ids: Vec<HandoffId> = rows.iter().map(|h| h.id).collect();
    let mut members: HashMap<HandoffId, Vec<(TravellerId, HandoffOutcome)>> = HashMap::new();
    for row in handoffs::travellers_of(conn, &ids)? {
        members
            .entry(row.handoff_id)
            .or_default()
            .push((row.traveller_id, row.outcome));
    }
    let all_ids: Vec<TravellerId> = members.values().flatten().map(|(id, _)| *id).collect();
    let people: HashMap<TravellerId, travellers::Traveller> =
        travellers::find_many(conn, Scope::All, &all_ids)?
            .into_iter()
            .flatten()
            .map(|t| (t.id, t))
            .collect();
    let mut batch_ids: Vec<BatchId> = rows.iter().filter_map(|h| h.batch_id).collect();
    batch_ids.sort();
    batch_ids.dedup();
    let trips = batch_summaries(conn, &batch_ids)?;
    let unit_ids: Vec<UnitId> = rows.iter().flat_map(|h| [h.from_unit_id, h.to_unit_id]).collect();
    let sides: HashMap<UnitId, Unit> = crate::store::units::by_ids(conn, &unit_ids)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(assemble(actor, rows, members, people, sides, &trips))
}

/// The view of a handoff just confirmed, from what the confirmation wrote: no statement after the
/// writes.
pub fn confirmed_view(actor: &Actor, confirmed: custody::Confirmed) -> ApiResult<HandoffView> {
    let members = HashMap::from([(
        confirmed.handoff.id,
        confirmed
            .offered
            .iter()
            .map(|(t, outcome)| (t.id, *outcome))
            .collect(),
    )]);
    let people = confirmed.offered.into_iter().map(|(t, _)| (t.id, t)).collect();
    let sides = confirmed.sides.into_iter().map(|u| (u.id, u)).collect();
    // The batch's summary is for the desk's pending cards: a confirmation answers without it,
    // within its statements.
    assemble(
        actor,
        vec![confirmed.handoff],
        members,
        people,
        sides,
        &HashMap::new(),
    )
    .pop()
    .ok_or_else(|| ApiError::internal("handoff view"))
}

/// Views of handoffs from their members, the travellers and the units on both sides.
fn assemble(
    actor: &Actor,
    rows: Vec<Handoff>,
    mut members: HashMap<HandoffId, Vec<(TravellerId, HandoffOutcome)>>,
    people: HashMap<TravellerId, travellers::Traveller>,
    sides: HashMap<UnitId, Unit>,
    trips: &HashMap<BatchId, HandoffBatchView>,
) -> Vec<HandoffView> {
    let side = |id: UnitId| HandoffUnitView::of(id, sides.get(&id));
    let now = Timestamp::now();
    rows.into_iter()
        .map(|h| {
            let list = members.remove(&h.id).unwrap_or_default();
            let confirmed = h.status == HandoffStatus::Confirmed;
            let with = |outcome: HandoffOutcome| {
                list.iter()
                    .filter(|(_, o)| *o == outcome)
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>()
            };
            let sender = actor.role == Role::Admin || actor.unit_id == Some(h.from_unit_id);
            HandoffView {
                id: h.id,
                batch_id: h.batch_id,
                batch: h.batch_id.and_then(|b| trips.get(&b)).map(|t| HandoffBatchView {
                    code: t.code.clone(),
                    vehicle_plate: t.vehicle_plate.clone(),
                    driver: t.driver.clone(),
                    driver_phone: t.driver_phone.clone(),
                }),
                from_unit_id: h.from_unit_id,
                to_unit_id: h.to_unit_id,
                from_unit: side(h.from_unit_id),
                to_unit: side(h.to_unit_id),
                status: h.status,
                traveller_ids: list.iter().map(|(id, _)| *id).collect(),
                travellers: list
                    .iter()
                    .filter_map(|(id, outcome)| {
                        people.get(id).map(|t| HandoffTravellerView {
                            id: t.id,
                            full_name: t.full_name.clone(),
                            document_type: t.document_type,
                            document_no: t.document_no.clone(),
                            nationality: t.nationality.clone(),
                            outcome: *outcome,
                        })
                    })
                    .collect(),
                created_at: h.created_at,
                due_at: h.due_at,
                overdue: h.status == HandoffStatus::Pending && h.due_at < now,
                confirmed_at: h.confirmed_at,
                confirmed_by: h.confirmed_by,
                received_traveller_ids: confirmed.then(|| with(HandoffOutcome::Received)),
                missing_traveller_ids: confirmed.then(|| with(HandoffOutcome::Missing)),
                rejected_at: h.rejected_at,
                reason: h.reason.clone(),
                note: h.note.clone(),
                failed_attempts: h.failed_attempts,
                locked: h.locked,
                locked_at: h.locked_at,
                replaces: h.replaces,
                replaced_by: h.replaced_by,
                recorded_at: h.recorded_at,
                code: sender.then(|| h.code.clone()),
            }
        })
        .collect()
}

/// The code, plate and driver of these batches, whatever the caller's scope: an officer at a door
/// sees which vehicle brought whom.
fn batch_summaries(
    conn: &mut DbConnection,
    ids: &[BatchId],
) -> ApiResult<HashMap<BatchId, HandoffBatchView>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let batches = crate::store::batches::by_ids(conn, ids)?;
    let vehicle_ids: Vec<_> = batches.iter().filter_map(|b| b.vehicle_id).collect();
    let plates: HashMap<_, String> = crate::store::vehicles::by_ids(conn, &vehicle_ids)?
        .into_iter()
        .map(|v| (v.id, v.plate))
        .collect();
    let mut drivers: HashMap<BatchId, (String, Option<String>)> = HashMap::new();
    for member in crate::store::batches::crews(conn, ids)? {
        if member.role == crate::domain::batch::CrewRole::Driver {
            drivers
                .entry(member.batch_id)
                .or_insert((member.name, member.phone));
        }
    }
    Ok(batches
        .into_iter()
        .map(|b| {
            let driver = drivers.remove(&b.id);
            let view = HandoffBatchView {
                code: b.code,
                vehicle_plate: b.vehicle_id.and_then(|v| plates.get(&v).cloned()),
                driver: driver.as_ref().map(|d| d.0.clone()),
                driver_phone: driver.and_then(|d| d.1),
            };
            (b.id, view)
        })
        .collect())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HandoffQuery {
    status: Option<HandoffStatus>,
    from_unit_id: Option<UnitId>,
    to_unit_id: Option<UnitId>,
    batch_id: Option<BatchId>,
    /// Only pending handoffs past their `due_at`.
    overdue: Option<bool>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List handoffs
#[utoipa::path(
    tag = "handoffs",
    params(HandoffQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the handoffs from or to the caller's subtree", body = List<HandoffView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/handoffs")]
async fn list_handoffs(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<HandoffQuery>,
) -> ApiResult<web::Json<List<HandoffView>>> {
    actor.require(Permission::ReadHandoffs)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = HandoffFilter {
        status: query.status,
        from_unit_id: query.from_unit_id,
        to_unit_id: query.to_unit_id,
        batch_id: query.batch_id,
        overdue_at: query.overdue.filter(|o| *o).map(|_| Timestamp::now()),
        after: page.after,
        limit: page.limit,
    };
    let list = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let rows = handoffs::list(tx, actor.scope, &filter)?;
                let page = Page::from_rows(rows, page.limit, |h| h.id);
                let next = page.next_after.map(super::encode_cursor);
                Ok::<_, ApiError>(List {
                    items: handoff_views(tx, &actor, page.items)?,
                    next_cursor: next,
                })
            })
        })
        .await?;
    Ok(web::Json(list))
}

fn one_view(conn: &mut DbConnection, actor: &Actor, h: Handoff) -> ApiResult<HandoffView> {
    handoff_views(conn, actor, vec![h])?
        .pop()
        .ok_or_else(|| ApiError::internal("handoff view"))
}

/// Get a handoff
#[utoipa::path(
    tag = "handoffs",
    params(("id" = Id, Path, description = "The handoff's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The handoff", body = HandoffView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/handoffs/{id}")]
async fn get_handoff(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<HandoffId>,
) -> ApiResult<web::Json<HandoffView>> {
    actor.require(Permission::ReadHandoffs)?;
    let id = id.into_inner();
    let view = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                custody::load(tx, &actor, id).and_then(|h| one_view(tx, &actor, h))
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Travellers in the caller's custody, handed to another unit.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendHandoff {
    to_unit_id: UnitId,
    #[schema(min_items = 1, max_items = 100)]
    traveller_ids: Vec<TravellerId>,
}

/// Hand travellers over
///
/// By an officer of the travellers' custodian: hand people (again), e.g. after a rejection or to
/// correct a wrong destination.
#[utoipa::path(
    tag = "handoffs",
    params(IdempotencyHeader),
    request_body = SendHandoff,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The created handoff, `pending`", body = HandoffView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/handoffs")]
async fn send_handoff(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<SendHandoff>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::SendHandoffs)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let (who, sla) = (actor.clone(), state.settings.handoff.sla_minutes);
    write(&state, &actor, key, print, StatusCode::CREATED, move |conn| {
        let h = custody::send(conn, &who, body.to_unit_id, body.traveller_ids, sla)?;
        one_view(conn.conn()?, &who, h)
    })
    .await
}

/// The receiver's confirmation: the code from the sender, and who actually arrived.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    code: String,
    received_traveller_ids: Vec<TravellerId>,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 1000)]
    note: Option<String>,
    /// When the officer confirmed at the door (RFC 3339 with its offset), for a confirmation sent
    /// later by a device that had no network: between the handoff's `created_at` and now (plus two
    /// minutes of clock skew). Recorded as `confirmed_at`; the time it arrived is `recorded_at`.
    #[serde(default)]
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// `at` as sent: a time with its offset.
fn door_time(at: Option<&str>) -> ApiResult<Option<Timestamp>> {
    let Some(text) = at.map(str::trim) else {
        return Ok(None);
    };
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => Ok(Some(Timestamp(at.with_timezone(&chrono::Utc)))),
        Err(_) if chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").is_ok() => {
            Err(ApiError::invalid_field("at", msg!("time_needs_offset")))
        }
        Err(_) => Err(ApiError::invalid_field("at", msg!("time_format"))),
    }
}

/// Confirm a handoff
///
/// By an officer of the receiving unit. A wrong code answers 422 `invalid_handoff_code`; after 5
/// wrong codes the handoff locks (409). Travellers left out of `received_traveller_ids` are recorded
/// as missing and stay in the sender's custody.
#[utoipa::path(
    tag = "handoffs",
    params(("id" = Id, Path, description = "The handoff's id"), IdempotencyHeader),
    request_body = Confirm,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The handoff, `confirmed`", body = HandoffView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/handoffs/{id}/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<HandoffId>,
    body: Body<Confirm>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ConfirmHandoffs)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let note = match &body.note {
        Some(n) => Some(clean_multi_line(n, 1000).map_err(|m| ApiError::invalid_field("note", m))?),
        None => None,
    };
    let at = door_time(body.at.as_deref())?;
    let (who, sla) = (actor.clone(), state.settings.handoff.sla_minutes);
    write_answer(
        &state,
        &actor,
        key,
        print,
        StatusCode::OK,
        move |conn| match custody::confirm(
            conn,
            &who,
            id,
            custody::Receipt {
                code: body.code,
                received_ids: body.received_traveller_ids,
                note,
                at,
            },
            sla,
        )? {
            Confirmation::Confirmed(c) => confirmed_view(&who, *c).map(Answer::Done),
            // A wrong code is counted, and the count commits.
            Confirmation::WrongCode { attempts_left } => Ok(Answer::RefusedAfterWriting(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::InvalidHandoffCode,
                msg!("wrong_code", tries_left = attempts_left),
            ))),
            // The fifth wrong code is still a wrong code; the attempts after it find the
            // handoff locked (409).
            Confirmation::Locked => Ok(Answer::RefusedAfterWriting(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::InvalidHandoffCode,
                msg!("wrong_code_now_locked", tries_left = 0),
            ))),
        },
    )
    .await
}

/// Why.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// Why, and when at the door.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
    /// When the officer rejected at the door (RFC 3339 with its offset), for a rejection sent
    /// later by a device that had no network: between the handoff's `created_at` and now (plus two
    /// minutes of clock skew). Recorded as `rejected_at`; the time it arrived is `recorded_at`.
    #[serde(default)]
    #[schema(format = DateTime)]
    at: Option<String>,
}

/// Reject a handoff
///
/// By the receiving unit; custody stays with the sender.
#[utoipa::path(
    tag = "handoffs",
    params(("id" = Id, Path, description = "The handoff's id"), IdempotencyHeader),
    request_body = Rejection,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The handoff, `rejected`", body = HandoffView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/handoffs/{id}/reject")]
async fn reject(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<HandoffId>,
    body: Body<Rejection>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ConfirmHandoffs)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let reason = clean_multi_line(&body.reason, 1000).map_err(|m| ApiError::invalid_field("reason", m))?;
    let at = door_time(body.at.as_deref())?;
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::OK, move |conn| {
        let h = custody::reject(conn, &who, id, reason, at)?;
        one_view(conn.conn()?, &who, h)
    })
    .await
}

/// Cancel a handoff
///
/// By the sending unit, while it is pending; custody stays with the sender.
#[utoipa::path(
    operation_id = "cancel_handoff",
    tag = "handoffs",
    params(("id" = Id, Path, description = "The handoff's id"), IdempotencyHeader),
    request_body = Reason,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The handoff, `cancelled`", body = HandoffView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/handoffs/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<HandoffId>,
    body: Body<Reason>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::SendHandoffs)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let reason = clean_multi_line(&body.reason, 1000).map_err(|m| ApiError::invalid_field("reason", m))?;
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::OK, move |conn| {
        let h = custody::cancel(conn, &who, id, reason)?;
        one_view(conn.conn()?, &who, h)
    })
    .await
}

/// Reissue a handoff
///
/// By the sending unit, while it is pending (locked by wrong codes or not): cancels it and opens a
/// new pending handoff of the same travellers to the same unit, with a new code, in one
/// transaction. Each names the other (`replaces`, `replaced_by`); the old code stops working.
#[utoipa::path(
    tag = "handoffs",
    params(("id" = Id, Path, description = "The handoff's id"), IdempotencyHeader),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The new handoff, `pending`", body = HandoffView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/handoffs/{id}/reissue")]
async fn reissue(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<HandoffId>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::SendHandoffs)?;
    let id = id.into_inner();
    let print = fingerprint(&req, &id);
    let (who, sla) = (actor.clone(), state.settings.handoff.sla_minutes);
    write(&state, &actor, key, print, StatusCode::CREATED, move |conn| {
        let h = custody::reissue(conn, &who, id, sla)?;
        one_view(conn.conn()?, &who, h)
    })
    .await
}
