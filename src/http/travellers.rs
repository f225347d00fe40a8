//! `/travellers`: registration one by one, lists, exceptions. Manifests are in `manifests`, the
//! trace and contacts in `trace`.

use actix_web::{get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, Unauthorized, Unavailable, Unprocessable,
};
use super::{fingerprint, write, write_within, Body, IdempotencyKey, List, PageRequest};
use crate::auth::{Actor, Permission};
use crate::db::types::{BatchId, HandoffId, Id, PortId, Timestamp, TravellerId, UnitId, UserId};
use crate::db::Lock;
use crate::domain::clean_text;
use crate::domain::message::msg;
use crate::domain::traveller::{DocumentType, ExceptionKind, Language, TravellerStatus};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::travellers::{self, Traveller, TravellerFilter};
use crate::store::Page;
use crate::transfer::travellers::{self as registration, RawTraveller};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_travellers)
        .service(register_traveller)
        .service(get_traveller)
        .service(record_exception);
}

/// Why a traveller left the loop.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExceptionView {
    pub kind: ExceptionKind,
    /// The reason: as typed, or, for one the service recorded itself (a no-show), its message in
    /// English; `reason_code` and `reason_params` then say it for any language.
    pub reason: Option<String>,
    /// For a reason the service recorded itself: its code, e.g. `did_not_board`.
    pub reason_code: Option<String>,
    /// For a reason the service recorded itself: its parameters, e.g. `{"batch_code": …}`.
    #[schema(value_type = Option<Object>)]
    pub reason_params: Option<serde_json::Value>,
    pub facility: Option<String>,
    pub at: Option<Timestamp>,
    pub recorded_by: Option<UserId>,
}

/// A traveller and where they are in the loop.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TravellerView {
    pub id: TravellerId,
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_no: String,
    pub nationality: String,
    pub phone: Option<String>,
    pub flight_no: Option<String>,
    pub port_id: PortId,
    pub arrived_at: Timestamp,
    pub destination_city_id: UnitId,
    pub destination_district_id: UnitId,
    pub destination_community_id: Option<UnitId>,
    pub address: Option<String>,
    pub language: Option<Language>,
    pub notes: Option<String>,
    pub status: TravellerStatus,
    /// The unit that holds the traveller now.
    pub custodian_unit_id: UnitId,
    pub batch_id: Option<BatchId>,
    /// The pending handoff the traveller is offered in, if any.
    pub handoff_id: Option<HandoffId>,
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
            reason: t.exception_reason.clone().or_else(|| {
                t.exception_message
                    .as_ref()
                    .map(|m| crate::catalogue::render_stored(crate::catalogue::Lang::En, &m.0))
            }),
            reason_code: t
                .exception_message
                .as_ref()
                .and_then(|m| m.0["code"].as_str().map(str::to_owned)),
            reason_params: t.exception_message.as_ref().map(|m| m.0["params"].clone()),
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
    port_id: Option<PortId>,
    batch_id: Option<BatchId>,
    destination_district_id: Option<UnitId>,
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
        return Err(ApiError {
            subject: Some("q".into()),
            ..ApiError::bad_request(msg!("too_long", field = "q", max_length = 100))
        });
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
    id: web::Path<TravellerId>,
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
    #[schema(min_length = 1, max_length = 200)]
    full_name: String,
    document_type: DocumentType,
    /// 1 to 64 letters, digits and `-`; spaces are dropped and letters compared in capitals.
    #[schema(pattern = r"^[^\S\t\n\v\f\r]*(?:[A-Za-z0-9-][^\S\t\n\v\f\r]*){1,64}$")]
    document_no: String,
    /// ISO 3166-1 alpha-3, e.g. `CHN`.
    #[schema(example = "CHN", pattern = r"^[^\S\t\n\v\f\r]*[A-Za-z]{3}[^\S\t\n\v\f\r]*$")]
    nationality: String,
    /// 5 to 32 digits, with an optional leading `+`, spaces or dashes.
    #[serde(default)]
    #[schema(
        pattern = r"^[^\S\t\n\v\f\r]*(?:(?:\+[0-9-][0-9 -]{2,29}[0-9-]|[0-9-][0-9 -]{3,30}[0-9-]))?[^\S\t\n\v\f\r]*$"
    )]
    phone: Option<String>,
    /// 2 to 10 letters and digits, e.g. `MU5001` (spaces are dropped).
    #[serde(default)]
    #[schema(pattern = r"^[^\S\t\n\v\f\r]*(?:(?:[A-Za-z0-9] *){2,10})?[^\S\t\n\v\f\r]*$")]
    flight_no: Option<String>,
    port_id: PortId,
    /// RFC 3339.
    #[schema(format = DateTime)]
    arrived_at: String,
    destination_community_id: UnitId,
    #[serde(default)]
    #[schema(max_length = 500)]
    address: Option<String>,
    #[serde(default)]
    language: Option<Language>,
    #[serde(default)]
    #[schema(max_length = 2000)]
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
    // A time in JSON carries its offset; only manifests read a bare time as local time.
    let offset_missing = chrono::DateTime::parse_from_rfc3339(body.arrived_at.trim()).is_err();
    let raw = RawTraveller {
        full_name: body.full_name,
        document_type: Ok(body.document_type),
        document_no: body.document_no,
        nationality: body.nationality,
        phone: body.phone,
        flight_no: body.flight_no,
        arrived_at: body.arrived_at,
        address: body.address,
        language: body.language.map(Ok),
        notes: body.notes,
    };
    let checked = match (registration::check(&raw, chrono::Utc::now()), offset_missing) {
        (Ok(checked), false) => checked,
        (Ok(_), true) => return Err(ApiError::invalid_field("arrived_at", msg!("time_needs_offset"))),
        (Err(mut errors), missing) => {
            if missing {
                errors.retain(|e| e.field != "arrived_at");
                errors.push(crate::error::FieldError::new(
                    "arrived_at",
                    msg!("time_needs_offset"),
                ));
            }
            return Err(ApiError::invalid(errors));
        }
    };
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

/// Why the traveller leaves the loop.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordException {
    kind: ExceptionKind,
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
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
    id: web::Path<TravellerId>,
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
