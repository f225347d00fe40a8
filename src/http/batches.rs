//! `/batches`: forming and running the trips from the port to the city.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, Unauthorized, Unavailable, Unprocessable,
};
use super::handoffs::{handoff_views, HandoffView};
use super::vehicles::VehicleView;
use super::{fingerprint, write, Body, IdempotencyKey, List, PageRequest};
use crate::auth::{Actor, Permission};
use crate::db::types::{BatchId, Id, PortId, Timestamp, TravellerId, UnitId, VehicleId};
use crate::db::{read_transaction, DbConnection};
use crate::domain::batch::{traveller_outcome, BatchStatus, CrewRole, TravellerOutcome};
use crate::domain::clean_multi_line;
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::batches::{self, Batch, BatchFilter, CrewMember};
use crate::store::Tx;
use crate::store::{handoffs, vehicles, Page};
use crate::transfer::batches::{self as trips, CrewInput, NewBatch};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_batches)
        .service(create_batch)
        .service(get_batch)
        .service(edit_travellers)
        .service(assign_vehicle)
        .service(record_boarding)
        .service(depart)
        .service(arrive)
        .service(cancel);
}

/// A traveller of a batch.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchTravellerView {
    id: TravellerId,
    full_name: String,
    status: crate::domain::traveller::TravellerStatus,
    destination_district_id: UnitId,
    destination_community_id: Option<UnitId>,
    /// Whether the traveller boarded; null until boarding is recorded.
    boarded: Option<bool>,
    /// `boarded`, `no_show`, or `missing` (left out at a handoff and not yet resolved); null
    /// before boarding.
    outcome: Option<TravellerOutcome>,
}

/// A batch: one trip from a port of entry to the city, with its travellers, vehicle, crew and
/// handoffs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchView {
    id: BatchId,
    /// `PORTCODE-YYYYMMDD-NNN`.
    code: String,
    status: BatchStatus,
    port_id: PortId,
    city_id: UnitId,
    vehicle_id: Option<VehicleId>,
    traveller_ids: Vec<TravellerId>,
    scheduled_departure_at: Option<Timestamp>,
    departed_at: Option<Timestamp>,
    arrived_at: Option<Timestamp>,
    closed_at: Option<Timestamp>,
    cancelled_at: Option<Timestamp>,
    cancel_reason: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
    travellers: Vec<BatchTravellerView>,
    vehicle: Option<VehicleView>,
    crew: Vec<CrewMember>,
    handoffs: Vec<HandoffView>,
}

/// A batch with its travellers, vehicle, crew and handoffs.
fn batch_view(conn: &mut DbConnection, actor: &Actor, b: Batch) -> ApiResult<BatchView> {
    let mut views = batch_views(conn, actor, vec![b])?;
    views
        .pop()
        .ok_or_else(|| ApiError::internal("a batch without its view"))
}

/// Batches with their travellers, vehicles, crews and handoffs, in a fixed number of queries
/// however many batches there are.
fn batch_views(conn: &mut DbConnection, actor: &Actor, list: Vec<Batch>) -> ApiResult<Vec<BatchView>> {
    let batch_ids: Vec<BatchId> = list.iter().map(|b| b.id).collect();
    let mut members: HashMap<BatchId, Vec<BatchTravellerView>> = HashMap::new();
    for (m, t) in batches::members_of(conn, &batch_ids)? {
        members.entry(m.batch_id).or_default().push(BatchTravellerView {
            id: t.id,
            full_name: t.full_name,
            status: t.status,
            destination_district_id: t.destination_district_id,
            destination_community_id: t.destination_community_id,
            boarded: m.boarded,
            outcome: traveller_outcome(m.boarded, t.missing),
        });
    }
    // A vehicle serves one batch after another: several batches of a page may name it.
    let vehicle_ids: Vec<VehicleId> = list.iter().filter_map(|b| b.vehicle_id).collect();
    let vehicles_by_id: HashMap<VehicleId, VehicleView> = vehicles::by_ids(conn, &vehicle_ids)?
        .into_iter()
        .map(|v| (v.id, VehicleView::from(v)))
        .collect();
    let mut crews: HashMap<BatchId, Vec<CrewMember>> = HashMap::new();
    for member in batches::crews(conn, &batch_ids)? {
        crews.entry(member.batch_id).or_default().push(member);
    }
    let handoff_rows = handoffs::of_batches(conn, &batch_ids)?;
    let mut handoffs_of: HashMap<BatchId, Vec<HandoffView>> = HashMap::new();
    for view in handoff_views(conn, actor, handoff_rows)? {
        if let Some(batch_id) = view.batch_id() {
            handoffs_of.entry(batch_id).or_default().push(view);
        }
    }
    Ok(list
        .into_iter()
        .map(|b| {
            let travellers = members.remove(&b.id).unwrap_or_default();
            let vehicle = b.vehicle_id.and_then(|v| vehicles_by_id.get(&v).cloned());
            let crew = crews.remove(&b.id).unwrap_or_default();
            let handoffs = handoffs_of.remove(&b.id).unwrap_or_default();
            batch_view_of(b, travellers, vehicle, crew, handoffs)
        })
        .collect())
}

fn batch_view_of(
    b: Batch,
    travellers: Vec<BatchTravellerView>,
    vehicle: Option<VehicleView>,
    crew: Vec<CrewMember>,
    handoffs: Vec<HandoffView>,
) -> BatchView {
    let ids = travellers.iter().map(|t| t.id).collect();
    BatchView {
        id: b.id,
        code: b.code,
        status: b.status,
        port_id: b.port_id,
        city_id: b.city_id,
        vehicle_id: b.vehicle_id,
        traveller_ids: ids,
        scheduled_departure_at: b.scheduled_departure_at,
        departed_at: b.departed_at,
        arrived_at: b.arrived_at,
        closed_at: b.closed_at,
        cancelled_at: b.cancelled_at,
        cancel_reason: b.cancel_reason,
        created_at: b.created_at,
        updated_at: b.updated_at,
        travellers,
        vehicle,
        crew,
        handoffs,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    status: Option<BatchStatus>,
    port_id: Option<PortId>,
    /// Created at or after this instant.
    from: Option<Timestamp>,
    /// Created before this instant.
    to: Option<Timestamp>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List batches
#[utoipa::path(
    tag = "batches",
    params(BatchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the batches of the caller's city", body = List<BatchView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/batches")]
async fn list_batches(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<BatchQuery>,
) -> ApiResult<web::Json<List<BatchView>>> {
    actor.require(Permission::RunBatches)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = BatchFilter {
        status: query.status,
        port_id: query.port_id,
        from: query.from,
        to: query.to,
        after: page.after,
        limit: page.limit,
    };
    let list = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let rows = batches::list(tx, actor.scope, &filter)?;
                let page = Page::from_rows(rows, page.limit, |b| b.id);
                let next = page.next_after;
                let items = batch_views(tx, &actor, page.items)?;
                Ok::<_, ApiError>(List {
                    items,
                    next_cursor: next.map(super::encode_cursor),
                })
            })
        })
        .await?;
    Ok(web::Json(list))
}

/// Get a batch
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The batch", body = BatchView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/batches/{id}")]
async fn get_batch(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<BatchId>,
) -> ApiResult<web::Json<BatchView>> {
    actor.require(Permission::RunBatches)?;
    let id = id.into_inner();
    let view = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                trips::load(tx, &actor, id).and_then(|b| batch_view(tx, &actor, b))
            })
        })
        .await?;
    Ok(web::Json(view))
}

/// Runs one batch action in a write transaction and answers with the whole batch.
async fn act<F>(
    state: &AppState,
    actor: Actor,
    key: IdempotencyKey,
    print: String,
    status: StatusCode,
    action: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&mut Tx<'_>, &Actor) -> ApiResult<Batch> + Send + 'static,
{
    actor.require(Permission::RunBatches)?;
    let who = actor.clone();
    write(state, &actor, key, print, status, move |conn| {
        let b = action(conn, &who)?;
        batch_view(conn.conn()?, &who, b)
    })
    .await
}

/// A member of the crew.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrewBody {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// 5 to 32 digits, with an optional leading `+`, spaces or dashes.
    #[serde(default)]
    #[schema(
        pattern = r"^[^\S\t\n\v\f\r]*(?:\+[0-9-][0-9 -]{2,29}[0-9-]|[0-9-][0-9 -]{3,30}[0-9-])[^\S\t\n\v\f\r]*$"
    )]
    phone: Option<String>,
    role: CrewRole,
}

/// A new batch of travellers waiting at one port, bound for the dispatcher's city.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBatch {
    port_id: PortId,
    #[schema(min_items = 1, max_items = 100)]
    traveller_ids: Vec<TravellerId>,
    #[serde(default)]
    vehicle_id: Option<VehicleId>,
    #[serde(default)]
    #[schema(max_items = 10)]
    crew: Vec<CrewBody>,
    #[serde(default)]
    scheduled_departure_at: Option<Timestamp>,
}

/// Create a batch
///
/// The travellers must be `awaiting_transfer`, at that port, bound for the dispatcher's city, and
/// in no other open batch (409 `conflict`). With `vehicle_id`, the checks of assigning a vehicle apply.
#[utoipa::path(
    tag = "batches",
    params(IdempotencyHeader),
    request_body = CreateBatch,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The created batch, `planned`", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches")]
async fn create_batch(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreateBatch>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let input = NewBatch {
        port_id: body.port_id,
        traveller_ids: body.traveller_ids,
        vehicle_id: body.vehicle_id,
        crew: body
            .crew
            .into_iter()
            .map(|c| CrewInput {
                name: c.name,
                phone: c.phone,
                role: c.role,
            })
            .collect(),
        scheduled_departure_at: body.scheduled_departure_at,
    };
    act(
        &state,
        actor,
        key,
        print,
        StatusCode::CREATED,
        move |conn, who| trips::create(conn, who, input),
    )
    .await
}

/// Travellers to add to and remove from a planned batch.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditTravellers {
    #[serde(default)]
    #[schema(max_items = 100)]
    add: Vec<TravellerId>,
    #[serde(default)]
    #[schema(max_items = 100)]
    remove: Vec<TravellerId>,
}

/// Add or remove travellers
///
/// While the batch is `planned`.
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body = EditTravellers,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated batch", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/travellers")]
async fn edit_travellers(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: Body<EditTravellers>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        trips::edit_travellers(conn, who, id, body.add, body.remove)
    })
    .await
}

/// The vehicle for a batch.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignVehicle {
    vehicle_id: VehicleId,
}

/// Assign a vehicle
///
/// While the batch is `planned`: the vehicle must be `available` (else 409 `vehicle_unavailable`)
/// and have a seat for every traveller and crew member (else 409 `capacity_exceeded`).
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body = AssignVehicle,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated batch", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/vehicle")]
async fn assign_vehicle(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: Body<AssignVehicle>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        let mut b = trips::load(conn.conn()?, who, id)?;
        trips::assign_vehicle(conn, who, &mut b, body.vehicle_id)?;
        Ok(b)
    })
    .await
}

/// Who boarded and who did not show: each traveller of the batch in exactly one list.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Boarding {
    boarded: Vec<TravellerId>,
    #[serde(default)]
    no_show: Vec<TravellerId>,
}

/// Record boarding
///
/// No-shows become exceptions of kind `no_show`. The batch needs a vehicle.
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body = Boarding,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The batch, `boarding`", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/boarding")]
async fn record_boarding(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: Body<Boarding>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        trips::record_boarding(conn, who, id, body.boarded, body.no_show)
    })
    .await
}

/// Actions without a body accept an empty body, `null` or `{}`.
#[derive(Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Checks the caller, then that the body is empty or `{}`; returns the request's fingerprint.
fn bodyless(actor: &Actor, req: &HttpRequest, body: &web::Bytes) -> ApiResult<String> {
    actor.require(Permission::RunBatches)?;
    let text = String::from_utf8_lossy(body);
    if !text.trim().is_empty() && text.trim() != "null" {
        serde_json::from_slice::<Empty>(body)
            .map_err(|e| ApiError::bad_request(msg!("invalid_json", reason = e.to_string())))?;
    }
    Ok(fingerprint(req, &Empty {}))
}

/// Depart
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body(content = Option<Empty>, description = "Empty, or `{}`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The batch, `in_transit`", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/depart")]
async fn depart(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let print = bodyless(&actor, &req, &body)?;
    let id = id.into_inner();
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        trips::depart(conn, who, id)
    })
    .await
}

/// Arrive
///
/// Creates one pending city-to-district handoff per destination district; the vehicle then
/// `needs_disinfection`.
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body(content = Option<Empty>, description = "Empty, or `{}`"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The batch, `arrived`", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/arrive")]
async fn arrive(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let print = bodyless(&actor, &req, &body)?;
    let id = id.into_inner();
    let sla = state.settings.handoff.sla_minutes;
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        crate::transfer::arrival::arrive(conn, who, id, sla)
    })
    .await
}

/// Why a batch is cancelled.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// Cancel a batch
///
/// Before departure; its travellers return to `awaiting_transfer`.
#[utoipa::path(
    operation_id = "cancel_batch",
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id"), IdempotencyHeader),
    request_body = Cancel,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The batch, `cancelled`", body = BatchView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/batches/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<BatchId>,
    body: Body<Cancel>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let reason = clean_multi_line(&body.reason, 1000).map_err(|m| ApiError::invalid_field("reason", m))?;
    act(&state, actor, key, print, StatusCode::OK, move |conn, who| {
        trips::cancel(conn, who, id, reason)
    })
    .await
}
