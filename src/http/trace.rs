//! `/travellers/{id}/trace` and `/travellers/{id}/contacts`: a traveller's whole way, and who
//! travelled with them.

use std::collections::{BTreeSet, HashMap};

use actix_web::get;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{Forbidden, NotFound, Unauthorized, Unavailable};
use super::travellers::TravellerView;
use crate::auth::{Actor, Permission, Scope};
use crate::db::types::{BatchId, HandoffId, Id, PortId, Timestamp, TravellerId, UnitId, UserId, VehicleId};
use crate::db::{read_transaction, DbConnection};
use crate::domain::batch::BatchStatus;
use crate::domain::handoff::{HandoffOutcome, HandoffStatus};
use crate::domain::traveller::TravellerStatus;
use crate::domain::{Role, VehicleKind};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::events::{self, EventFilter};
use crate::store::{batches, handoffs, travellers, users, vehicles};
use crate::transfer::travellers as registration;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(trace).service(contacts);
}

/// Who did something.
#[derive(Clone, Serialize, utoipa::ToSchema)]
struct ActorView {
    id: Option<UserId>,
    username: Option<String>,
    role: Option<Role>,
}

/// One event in a traveller's history.
#[derive(Serialize, utoipa::ToSchema)]
struct ChainStep {
    seq: i64,
    /// When it happened: at the door, for a confirmation or rejection a device sent later.
    at: Timestamp,
    /// When the service recorded it.
    recorded_at: Timestamp,
    /// What happened, e.g. `registered`, `assigned`, `handed`, `received`, `exception`.
    kind: String,
    actor: ActorView,
    /// The unit that held the traveller after this step.
    unit_id: Option<UnitId>,
    batch_id: Option<BatchId>,
    vehicle_id: Option<VehicleId>,
    handoff_id: Option<HandoffId>,
    /// The traveller's status after this step.
    status: Option<TravellerStatus>,
    /// What else the step recorded.
    detail: Value,
}

/// What a traveller's event records (`transfer::record_step`), as the log keeps it.
#[derive(Deserialize)]
struct StepData {
    unit_id: Option<UnitId>,
    batch_id: Option<BatchId>,
    vehicle_id: Option<VehicleId>,
    handoff_id: Option<HandoffId>,
    status: Option<TravellerStatus>,
    #[serde(default)]
    detail: Value,
}

/// The vehicle of a batch, in a trace.
#[derive(Clone, Serialize, utoipa::ToSchema)]
struct TraceVehicle {
    id: VehicleId,
    plate: String,
    kind: VehicleKind,
    seats: i32,
}

/// A batch the traveller was in.
#[derive(Serialize, utoipa::ToSchema)]
struct TraceBatch {
    id: BatchId,
    code: String,
    status: BatchStatus,
    port_id: PortId,
    vehicle: Option<TraceVehicle>,
    crew: Vec<batches::CrewMember>,
    departed_at: Option<Timestamp>,
    arrived_at: Option<Timestamp>,
}

/// A handoff the traveller was in, and what became of them in it.
#[derive(Serialize, utoipa::ToSchema)]
struct TraceHandoff {
    id: HandoffId,
    from_unit_id: UnitId,
    to_unit_id: UnitId,
    status: HandoffStatus,
    /// The traveller's outcome in this handoff.
    outcome: HandoffOutcome,
    created_at: Timestamp,
    confirmed_at: Option<Timestamp>,
    confirmed_by: Option<ActorView>,
    rejected_at: Option<Timestamp>,
    reason: Option<String>,
}

/// Everything that happened to one traveller, from registration to now, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
struct Trace {
    traveller: TravellerView,
    chain: Vec<ChainStep>,
    batches: Vec<TraceBatch>,
    handoffs: Vec<TraceHandoff>,
}

fn actor_views(
    conn: &mut DbConnection,
    ids: impl IntoIterator<Item = UserId>,
) -> ApiResult<HashMap<UserId, ActorView>> {
    let ids: Vec<UserId> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    Ok(users::by_ids(conn, &ids)?
        .into_iter()
        .map(|u| {
            (
                u.id,
                ActorView {
                    id: Some(u.id),
                    username: Some(u.username),
                    role: Some(u.role),
                },
            )
        })
        .collect())
}

/// Everything that happened to one traveller, from registration to now, oldest first.
fn build_trace(conn: &mut DbConnection, scope: Scope, id: TravellerId) -> ApiResult<Trace> {
    let traveller = registration::visible(conn, scope, id)?;
    let filter = EventFilter {
        entity_type: Some("traveller".into()),
        entity_id: Some(id.into()),
        after: 0,
        limit: 10_000,
        newest: false,
    };
    let log = events::list(conn, Scope::All, &filter)?;
    let mut actors = actor_views(conn, log.iter().filter_map(|e| e.actor_id))?;
    let chain = log
        .iter()
        .map(|e| {
            let step: StepData = serde_json::from_value(e.data.0.clone()).map_err(|error| {
                ApiError::internal(format!("event {} does not read as a step: {error}", e.seq))
            })?;
            // A step made at a door without a network says when (`at`, in its detail).
            let door = step
                .detail
                .get("at")
                .and_then(|at| serde_json::from_value::<Timestamp>(at.clone()).ok());
            Ok(ChainStep {
                seq: e.seq,
                at: door.unwrap_or(e.at),
                recorded_at: e.at,
                kind: e.action.trim_start_matches("traveller.").to_owned(),
                actor: e
                    .actor_id
                    .and_then(|a| actors.get(&a).cloned())
                    .unwrap_or(ActorView {
                        id: e.actor_id,
                        username: None,
                        role: None,
                    }),
                unit_id: step.unit_id,
                batch_id: step.batch_id,
                vehicle_id: step.vehicle_id,
                handoff_id: step.handoff_id,
                status: step.status,
                detail: step.detail,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    // A fixed number of queries, however many batches and handoffs the traveller went through.
    let batch_ids: Vec<BatchId> = batches::of_traveller(conn, id)?.into_iter().collect();
    let found = batches::by_ids(conn, &batch_ids)?;
    let vehicle_ids: Vec<VehicleId> = found.iter().filter_map(|b| b.vehicle_id).collect();
    let vehicles_by_id: HashMap<VehicleId, TraceVehicle> = vehicles::by_ids(conn, &vehicle_ids)?
        .into_iter()
        .map(|v| {
            let vehicle = TraceVehicle {
                id: v.id,
                plate: v.plate,
                kind: v.kind,
                seats: v.seats,
            };
            (v.id, vehicle)
        })
        .collect();
    let mut crews: HashMap<BatchId, Vec<batches::CrewMember>> = HashMap::new();
    for member in batches::crews(conn, &batch_ids)? {
        crews.entry(member.batch_id).or_default().push(member);
    }
    let trace_batches = found
        .into_iter()
        .map(|b| TraceBatch {
            vehicle: b.vehicle_id.and_then(|v| vehicles_by_id.get(&v).cloned()),
            crew: crews.remove(&b.id).unwrap_or_default(),
            id: b.id,
            code: b.code,
            status: b.status,
            port_id: b.port_id,
            departed_at: b.departed_at,
            arrived_at: b.arrived_at,
        })
        .collect();
    let offered = handoffs::of_traveller(conn, id)?;
    let confirmers = offered
        .iter()
        .filter_map(|(h, _)| h.confirmed_by)
        .filter(|by| !actors.contains_key(by))
        .collect::<Vec<_>>();
    actors.extend(actor_views(conn, confirmers)?);
    let mut trace_handoffs = Vec::new();
    for (h, outcome) in offered {
        trace_handoffs.push(TraceHandoff {
            id: h.id,
            from_unit_id: h.from_unit_id,
            to_unit_id: h.to_unit_id,
            status: h.status,
            outcome,
            created_at: h.created_at,
            confirmed_at: h.confirmed_at,
            confirmed_by: h.confirmed_by.and_then(|by| actors.get(&by).cloned()),
            rejected_at: h.rejected_at,
            reason: h.reason,
        });
    }
    Ok(Trace {
        traveller: traveller.into(),
        chain,
        batches: trace_batches,
        handoffs: trace_handoffs,
    })
}

/// A traveller's trace
#[utoipa::path(
    tag = "travellers",
    params(("id" = Id, Path, description = "The traveller's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The traveller and every step of their way", body = Trace),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers/{id}/trace")]
async fn trace(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<TravellerId>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ReadTravellers)?;
    let id = id.into_inner();
    let trace = state
        .db(move |conn| read_transaction(conn, |tx| build_trace(tx, actor.scope, id)))
        .await?;
    Ok(HttpResponse::Ok().json(trace))
}

/// Other travellers who shared a batch or a flight with this one.
#[derive(Serialize, utoipa::ToSchema)]
struct Contacts {
    same_batch: Vec<TravellerView>,
    same_flight: Vec<TravellerView>,
    /// All co-passengers, including those outside the caller's jurisdiction (not listed).
    same_batch_total: i64,
    same_flight_total: i64,
}

/// A traveller's contacts
#[utoipa::path(
    tag = "travellers",
    params(("id" = Id, Path, description = "The traveller's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Co-passengers the caller may see, and how many there are in all", body = Contacts),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers/{id}/contacts")]
async fn contacts(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<TravellerId>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ReadTravellers)?;
    let id = id.into_inner();
    let scope = actor.scope;
    let contacts = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let t = registration::visible(tx, scope, id)?;
                let (batch, batch_total) = travellers::batch_companions(tx, scope, t.id)?;
                let (flight, flight_total) = travellers::flight_companions(tx, scope, &t)?;
                Ok::<_, ApiError>(Contacts {
                    same_batch: batch.into_iter().map(TravellerView::from).collect(),
                    same_flight: flight.into_iter().map(TravellerView::from).collect(),
                    same_batch_total: batch_total,
                    same_flight_total: flight_total,
                })
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(contacts))
}
