//! `/travellers`: registration (one by one or a manifest), lists, the trace, contacts, exceptions.

use actix_web::{get, post};
use std::collections::{BTreeSet, HashMap};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, PayloadTooLarge, Unauthorized, Unavailable,
    Unprocessable, UnsupportedMediaType,
};
use super::{fingerprint, write, write_within, Body, IdempotencyKey, List, PageRequest};
use crate::auth::{Actor, Permission, Scope};
use crate::db::types::{Id, Timestamp};
use crate::db::{read_transaction, DbConnection, Lock};
use crate::domain::clean_text;
use crate::domain::handoff::HandoffOutcome;
use crate::domain::traveller::{DocumentType, ExceptionKind, Language, TravellerStatus};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;
use crate::store::events::{self, EventFilter};
use crate::store::travellers::{self, Traveller, TravellerFilter};
use crate::store::{batches, handoffs, users, vehicles, Page};
use crate::transfer::travellers::{self as registration, ManifestRow, RawTraveller};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_travellers)
        .service(register_traveller)
        .service(import_manifest)
        .service(get_traveller)
        .service(trace)
        .service(contacts)
        .service(record_exception);
}

/// Why a traveller left the loop.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionView {
    pub kind: ExceptionKind,
    pub reason: Option<String>,
    pub facility: Option<String>,
    pub at: Option<Timestamp>,
    pub recorded_by: Option<Id>,
}

/// A traveller and where they are in the loop.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TravellerView {
    pub id: Id,
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_no: String,
    pub nationality: String,
    pub phone: Option<String>,
    pub flight_no: Option<String>,
    pub port_id: Id,
    pub arrived_at: Timestamp,
    pub destination_city_id: Id,
    pub destination_district_id: Id,
    pub destination_community_id: Option<Id>,
    pub address: Option<String>,
    pub language: Option<Language>,
    pub notes: Option<String>,
    pub status: TravellerStatus,
    /// The unit that holds the traveller now.
    pub custodian_unit_id: Id,
    pub batch_id: Option<Id>,
    /// The pending handoff the traveller is offered in, if any.
    pub handoff_id: Option<Id>,
    /// Reported missing at a handoff and not yet handed again or closed by an exception.
    pub missing: bool,
    pub exception: Option<ExceptionView>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When name, document number, phone, address and notes were erased, `privacy.retain_days`
    /// after the loop closed; null while they are kept.
    pub erased_at: Option<Timestamp>,
}

impl From<Traveller> for TravellerView {
    fn from(t: Traveller) -> Self {
        let exception = t.exception_kind.map(|kind| ExceptionView {
            kind,
            reason: t.exception_reason.clone(),
            facility: t.exception_facility.clone(),
            at: t.exception_at,
            recorded_by: t.exception_by,
        });
        TravellerView {
            id: t.id,
            full_name: t.full_name,
            document_type: t.document_type,
            document_no: t.document_no,
            nationality: t.nationality,
            phone: t.phone,
            flight_no: t.flight_no,
            port_id: t.port_id,
            arrived_at: t.arrived_at,
            destination_city_id: t.destination_city_id,
            destination_district_id: t.destination_district_id,
            destination_community_id: t.destination_community_id,
            address: t.address,
            language: t.language,
            notes: t.notes,
            status: t.status,
            custodian_unit_id: t.custodian_unit_id,
            batch_id: t.batch_id,
            handoff_id: t.handoff_id,
            missing: t.missing,
            exception,
            created_at: t.created_at,
            updated_at: t.updated_at,
            erased_at: t.erased_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TravellerQuery {
    status: Option<TravellerStatus>,
    port_id: Option<Id>,
    batch_id: Option<Id>,
    destination_district_id: Option<Id>,
    /// Search in names, document numbers and flight numbers (at most 100 characters).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List travellers
#[utoipa::path(
    tag = "travellers",
    params(TravellerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the travellers the caller may see", body = List<TravellerView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers")]
async fn list_travellers(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<TravellerQuery>,
) -> ApiResult<web::Json<List<TravellerView>>> {
    actor.require(Permission::ReadTravellers)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let q = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
        return Err(ApiError::bad_request("q must be at most 100 characters"));
    }
    let filter = TravellerFilter {
        status: query.status,
        port_id: query.port_id,
        batch_id: query.batch_id,
        destination_district_id: query.destination_district_id,
        query: q,
        after: page.after,
        limit: page.limit,
    };
    let rows = state
        .db(move |conn| Ok(travellers::list(conn, actor.scope, &filter)?))
        .await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |t| t.id),
        TravellerView::from,
    )))
}

/// Get a traveller
#[utoipa::path(
    tag = "travellers",
    params(("id" = Id, Path, description = "The traveller's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The traveller", body = TravellerView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers/{id}")]
async fn get_traveller(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Id>,
) -> ApiResult<web::Json<TravellerView>> {
    actor.require(Permission::ReadTravellers)?;
    let id = id.into_inner();
    let t = state
        .db(move |conn| registration::visible(conn, actor.scope, id))
        .await?;
    Ok(web::Json(t.into()))
}

/// A traveller arrived at a port of entry, bound for a community.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterTraveller {
    full_name: String,
    document_type: DocumentType,
    document_no: String,
    /// ISO 3166-1 alpha-3, e.g. `CHN`.
    #[schema(example = "CHN")]
    nationality: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    flight_no: Option<String>,
    port_id: Id,
    /// RFC 3339.
    #[schema(format = DateTime)]
    arrived_at: String,
    destination_community_id: Id,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    notes: Option<String>,
}

/// Register a traveller
///
/// The traveller starts `awaiting_transfer` in the custody of the destination city. The same
/// document may not have two open transfers (409).
#[utoipa::path(
    tag = "travellers",
    params(IdempotencyHeader),
    request_body = RegisterTraveller,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The registered traveller", body = TravellerView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/travellers")]
async fn register_traveller(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<RegisterTraveller>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RegisterTravellers)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let raw = RawTraveller {
        full_name: body.full_name,
        document_type: body.document_type.as_str().into(),
        document_no: body.document_no,
        nationality: body.nationality,
        phone: body.phone,
        flight_no: body.flight_no,
        arrived_at: body.arrived_at,
        address: body.address,
        language: body.language.map(|l| l.as_str().into()),
        notes: body.notes,
    };
    let checked = registration::check(&raw, chrono::Utc::now()).map_err(ApiError::invalid)?;
    let (port_id, community_id, who) = (body.port_id, body.destination_community_id, actor.clone());
    // A registration only adds rows: it need not wait for the other writers of its city.
    let within = (None, Lock::Rows);
    write_within(
        &state,
        &actor,
        key,
        print,
        StatusCode::CREATED,
        within,
        move |conn| {
            registration::register(conn, &who, checked, port_id, community_id).map(TravellerView::from)
        },
    )
    .await
}

const MANIFEST_COLUMNS: &[&str] = &[
    "full_name",
    "document_type",
    "document_no",
    "nationality",
    "phone",
    "flight_no",
    "port_code",
    "arrived_at",
    "destination_community_code",
    "address",
    "language",
    "notes",
];
const REQUIRED_COLUMNS: &[&str] = &[
    "full_name",
    "document_type",
    "document_no",
    "nationality",
    "port_code",
    "arrived_at",
    "destination_community_code",
];

/// Reads a manifest: a header row of field names, then one traveller a row.
fn parse_manifest(body: &[u8]) -> ApiResult<Vec<ManifestRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut problems = Vec::new();
    for h in headers.iter() {
        if !MANIFEST_COLUMNS.contains(&h) {
            problems.push(FieldError {
                row: Some(1),
                ..FieldError::new(h, "unknown column")
            });
        }
    }
    for required in REQUIRED_COLUMNS {
        if !headers.iter().any(|h| h == *required) {
            problems.push(FieldError {
                row: Some(1),
                ..FieldError::new(*required, "required column is missing")
            });
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| {
            ApiError::invalid(vec![FieldError {
                row: Some(line),
                ..FieldError::new("row", format!("unreadable: {e}"))
            }])
        })?;
        let get = |name: &str| column(name).and_then(|c| record.get(c)).unwrap_or("").to_owned();
        let opt = |name: &str| Some(get(name)).filter(|v| !v.is_empty());
        rows.push(ManifestRow {
            line,
            raw: RawTraveller {
                full_name: get("full_name"),
                document_type: get("document_type"),
                document_no: get("document_no"),
                nationality: get("nationality"),
                phone: opt("phone"),
                flight_no: opt("flight_no"),
                arrived_at: get("arrived_at"),
                address: opt("address"),
                language: opt("language"),
                notes: opt("notes"),
            },
            port_code: get("port_code"),
            community_code: get("destination_community_code"),
        });
        if rows.len() > registration::MAX_MANIFEST_ROWS {
            return Err(ApiError::invalid_field(
                "body",
                format!("at most {} rows per manifest", registration::MAX_MANIFEST_ROWS),
            ));
        }
    }
    if rows.is_empty() {
        return Err(ApiError::invalid_field("body", "the manifest has no rows"));
    }
    Ok(rows)
}

/// How many travellers a manifest registered.
#[derive(Serialize, utoipa::ToSchema)]
struct Imported {
    created: usize,
}

/// Import a manifest
///
/// A `text/csv` body: a header row of field names (those of `RegisterTraveller`, with `port_code`
/// and `destination_community_code` in place of the ids), then one traveller a row. Every row is
/// checked first: any invalid row answers 422 with `errors: [{row, field, message}]` and nothing is
/// written; otherwise all rows are written in one transaction.
#[utoipa::path(
    tag = "travellers",
    params(IdempotencyHeader),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "The manifest",
        example = "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\nLi Wei,passport,E12345678,CHN,PVG,2024-05-01T08:30:00Z,CZ-TN-HM\n"
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Every row was registered", body = Imported),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/travellers/import")]
async fn import_manifest(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RegisterTravellers)?;
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the manifest must be text/csv",
        ));
    }
    // Read only now: a caller without the right is refused before sending a byte more.
    let body = super::read_payload(payload, state.settings.server.max_body_bytes).await?;
    let print = fingerprint(
        &req,
        &hex::encode(sha2::Digest::finalize(
            <sha2::Sha256 as sha2::Digest>::new_with_prefix(&body),
        )),
    );
    let rows = parse_manifest(&body)?;
    let who = actor.clone();
    // Thousands of rows take longer than a request's usual deadline.
    let deadline = Some(std::time::Duration::from_secs(120));
    write_within(
        &state,
        &actor,
        key,
        print,
        StatusCode::CREATED,
        (deadline, Lock::Rows),
        move |conn| registration::import(conn, &who, rows).map(|created| Imported { created }),
    )
    .await
}

/// Why the traveller leaves the loop.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordException {
    kind: ExceptionKind,
    reason: String,
    #[serde(default)]
    facility: Option<String>,
}

/// Record an exception
///
/// By an officer of the traveller's current custodian; the status becomes `exception`, which is
/// terminal.
#[utoipa::path(
    tag = "travellers",
    params(("id" = Id, Path, description = "The traveller's id"), IdempotencyHeader),
    request_body = RecordException,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The traveller, now in `exception`", body = TravellerView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/travellers/{id}/exception")]
async fn record_exception(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<Id>,
    body: Body<RecordException>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RecordExceptions)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let reason = crate::domain::clean_multi_line(&body.reason, 1000)
        .map_err(|m| ApiError::invalid_field("reason", m))?;
    let facility = match &body.facility {
        Some(f) => Some(clean_text(f, 200).map_err(|m| ApiError::invalid_field("facility", m))?),
        None => None,
    };
    let (kind, who) = (body.kind, actor.clone());
    write(&state, &actor, key, print, StatusCode::OK, move |conn| {
        registration::record_exception(conn, &who, id, kind, reason, facility).map(TravellerView::from)
    })
    .await
}

/// Who did something.
#[derive(Clone, Serialize, utoipa::ToSchema)]
struct ActorView {
    id: Option<Id>,
    username: Option<String>,
    role: Option<crate::domain::Role>,
}

/// One event in a traveller's history.
#[derive(Serialize, utoipa::ToSchema)]
struct ChainStep {
    seq: i64,
    at: Timestamp,
    /// What happened, e.g. `registered`, `assigned`, `handed`, `received`, `exception`.
    kind: String,
    actor: ActorView,
    /// The unit that held the traveller after this step.
    #[schema(value_type = Option<Id>)]
    unit_id: Option<Value>,
    #[schema(value_type = Option<Id>)]
    batch_id: Option<Value>,
    #[schema(value_type = Option<Id>)]
    vehicle_id: Option<Value>,
    #[schema(value_type = Option<Id>)]
    handoff_id: Option<Value>,
    /// The traveller's status after this step.
    #[schema(value_type = Option<TravellerStatus>)]
    status: Option<Value>,
    /// What else the step recorded.
    detail: Value,
}

/// The vehicle of a batch, in a trace.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TraceVehicle {
    id: Id,
    plate: String,
    kind: crate::domain::VehicleKind,
    seats: i32,
}

/// A batch the traveller was in.
#[derive(Serialize, utoipa::ToSchema)]
struct TraceBatch {
    id: Id,
    code: String,
    status: crate::domain::batch::BatchStatus,
    port_id: Id,
    #[schema(value_type = Option<TraceVehicle>)]
    vehicle: Option<Value>,
    crew: Vec<batches::CrewMember>,
    departed_at: Option<Timestamp>,
    arrived_at: Option<Timestamp>,
}

/// A handoff the traveller was in, and what became of them in it.
#[derive(Serialize, utoipa::ToSchema)]
struct TraceHandoff {
    id: Id,
    from_unit_id: Id,
    to_unit_id: Id,
    status: crate::domain::handoff::HandoffStatus,
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
    ids: impl IntoIterator<Item = Id>,
) -> ApiResult<HashMap<Id, ActorView>> {
    let ids: Vec<Id> = ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
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
fn build_trace(conn: &mut DbConnection, scope: Scope, id: Id) -> ApiResult<Trace> {
    let traveller = registration::visible(conn, scope, id)?;
    let filter = EventFilter {
        entity_type: Some("traveller".into()),
        entity_id: Some(id),
        after: 0,
        limit: 10_000,
    };
    let log = events::list(conn, Scope::All, &filter)?;
    let mut actors = actor_views(conn, log.iter().filter_map(|e| e.actor_id))?;
    let field = |data: &Value, name: &str| data.get(name).filter(|v| !v.is_null()).cloned();
    let chain = log
        .iter()
        .map(|e| ChainStep {
            seq: e.seq,
            at: e.at,
            kind: e.action.trim_start_matches("traveller.").to_owned(),
            actor: e
                .actor_id
                .and_then(|a| actors.get(&a).cloned())
                .unwrap_or(ActorView {
                    id: e.actor_id,
                    username: None,
                    role: None,
                }),
            unit_id: field(&e.data.0, "unit_id"),
            batch_id: field(&e.data.0, "batch_id"),
            vehicle_id: field(&e.data.0, "vehicle_id"),
            handoff_id: field(&e.data.0, "handoff_id"),
            status: field(&e.data.0, "status"),
            detail: e.data.0.get("detail").cloned().unwrap_or(Value::Null),
        })
        .collect();
    // A fixed number of queries, however many batches and handoffs the traveller went through.
    let batch_ids: Vec<Id> = crate::store::batches::of_traveller(conn, id)?
        .into_iter()
        .collect();
    let found = batches::by_ids(conn, &batch_ids)?;
    let vehicle_ids: Vec<Id> = found.iter().filter_map(|b| b.vehicle_id).collect();
    let vehicles_by_id: HashMap<Id, Value> = vehicles::by_ids(conn, &vehicle_ids)?
        .into_iter()
        .map(|v| {
            (
                v.id,
                serde_json::json!({"id": v.id, "plate": v.plate, "kind": v.kind, "seats": v.seats}),
            )
        })
        .collect();
    let mut crews: HashMap<Id, Vec<batches::CrewMember>> = HashMap::new();
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
async fn trace(state: web::Data<AppState>, actor: Actor, id: web::Path<Id>) -> ApiResult<HttpResponse> {
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
async fn contacts(state: web::Data<AppState>, actor: Actor, id: web::Path<Id>) -> ApiResult<HttpResponse> {
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
