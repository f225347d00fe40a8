//! `/vehicles`: the dedicated vehicles of each city's transfer team.

use crate::db::types::{Id, Timestamp, UnitId, UserId, VehicleId};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, Unauthorized, Unavailable, Unprocessable,
};
use super::{fingerprint, write, Body, IdempotencyKey, List, PageRequest, Problems};
use crate::auth::{Actor, Permission};
use crate::domain::message::msg;
use crate::domain::vehicle::{VehicleStatus, MAX_SEATS};
use crate::domain::VehicleKind;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::vehicles::{self, Vehicle};
use crate::store::Page;
use crate::transfer::vehicles as fleet;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_vehicles)
        .service(create_vehicle)
        .service(get_vehicle)
        .service(update_vehicle)
        .service(record_disinfection);
}

/// A vehicle of a city's transfer team.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct VehicleView {
    pub id: VehicleId,
    pub plate: String,
    pub kind: VehicleKind,
    pub seats: i32,
    /// The city the vehicle belongs to.
    pub unit_id: UnitId,
    pub status: VehicleStatus,
    pub out_of_service: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<Vehicle> for VehicleView {
    fn from(v: Vehicle) -> Self {
        VehicleView {
            id: v.id,
            plate: v.plate,
            kind: v.kind,
            seats: v.seats,
            unit_id: v.unit_id,
            status: v.status,
            out_of_service: v.out_of_service,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VehicleQuery {
    status: Option<VehicleStatus>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List vehicles
#[utoipa::path(
    tag = "vehicles",
    params(VehicleQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the vehicles in the caller's jurisdiction", body = List<VehicleView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/vehicles")]
async fn list_vehicles(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<VehicleQuery>,
) -> ApiResult<web::Json<List<VehicleView>>> {
    actor.require(Permission::ReadVehicles)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let status = query.status;
    let rows = state
        .db(move |conn| Ok(vehicles::list(conn, actor.scope, status, page.after, page.limit)?))
        .await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |v| v.id),
        VehicleView::from,
    )))
}

/// Get a vehicle
#[utoipa::path(
    tag = "vehicles",
    params(("id" = Id, Path, description = "The vehicle's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The vehicle", body = VehicleView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/vehicles/{id}")]
async fn get_vehicle(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<VehicleId>,
) -> ApiResult<web::Json<VehicleView>> {
    actor.require(Permission::ReadVehicles)?;
    let id = id.into_inner();
    let vehicle = state
        .db(move |conn| Ok(vehicles::find(conn, actor.scope, id)?))
        .await?;
    vehicle
        .map(|v| web::Json(v.into()))
        .ok_or_else(|| ApiError::not_found("vehicle"))
}

/// Plates are compared in one spelling: trimmed, inner spaces folded, ASCII letters in capitals.
fn normalize_plate(plate: &str) -> Result<String, crate::domain::message::Message> {
    let plate = plate
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    let chars = plate.chars().count();
    if !(2..=16).contains(&chars) {
        Err(msg!("length_between", min_length = 2, max_length = 16))
    } else if plate.chars().any(|c| c.is_control()) {
        Err(msg!("control_characters"))
    } else {
        Ok(plate)
    }
}

fn check_seats(problems: &mut Problems, seats: i32) {
    if !(1..=MAX_SEATS).contains(&seats) {
        problems.add("seats", msg!("out_of_range", min = 1, max = MAX_SEATS));
    }
}

/// A new vehicle of a city.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVehicle {
    #[schema(min_length = 2, max_length = 16)]
    plate: String,
    kind: VehicleKind,
    /// 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    #[serde(deserialize_with = "super::whole_number")]
    seats: i32,
    /// A city in the caller's jurisdiction.
    unit_id: UnitId,
}

/// Register a vehicle
#[utoipa::path(
    tag = "vehicles",
    params(IdempotencyHeader),
    request_body = CreateVehicle,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The registered vehicle", body = VehicleView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/vehicles")]
async fn create_vehicle(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreateVehicle>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageVehicles)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let plate = problems.check("plate", normalize_plate(&body.plate));
    check_seats(&mut problems, body.seats);
    problems.into_result()?;
    let plate = plate.unwrap_or_default();
    let (who, new) = (
        actor.clone(),
        fleet::NewVehicle {
            plate,
            kind: body.kind,
            seats: body.seats,
            unit_id: body.unit_id,
        },
    );
    write(&state, &actor, key, print, StatusCode::CREATED, move |tx| {
        fleet::register(tx, &who, new).map(VehicleView::from)
    })
    .await
}

/// Changes to a vehicle; absent fields stay. Only while it is not on a trip.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVehicle {
    /// 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    #[serde(default, deserialize_with = "super::whole_number_or_null")]
    seats: Option<i32>,
    #[serde(default)]
    out_of_service: Option<bool>,
}

/// Update a vehicle
#[utoipa::path(
    tag = "vehicles",
    params(("id" = Id, Path, description = "The vehicle's id")),
    request_body = UpdateVehicle,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated vehicle", body = VehicleView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[patch("/vehicles/{id}")]
async fn update_vehicle(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<VehicleId>,
    req: HttpRequest,
    body: Body<UpdateVehicle>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageVehicles)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    if let Some(seats) = body.seats {
        check_seats(&mut problems, seats);
    }
    problems.into_result()?;
    let who = actor.clone();
    write(
        &state,
        &actor,
        IdempotencyKey(None),
        print,
        StatusCode::OK,
        move |tx| fleet::update(tx, &who, id, body.seats, body.out_of_service).map(VehicleView::from),
    )
    .await
}

/// A disinfection after a trip.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disinfection {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 1000)]
    note: Option<String>,
}

/// A recorded disinfection, with the vehicle, available again.
#[derive(Serialize, utoipa::ToSchema)]
struct DisinfectionView {
    id: Id,
    vehicle_id: VehicleId,
    note: Option<String>,
    performed_by: UserId,
    vehicle: VehicleView,
}

/// Record a disinfection
///
/// Records the disinfection after a trip; the vehicle is available again. Only a vehicle that
/// `needs_disinfection`.
#[utoipa::path(
    tag = "vehicles",
    params(("id" = Id, Path, description = "The vehicle's id"), IdempotencyHeader),
    request_body = Disinfection,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The recorded disinfection", body = DisinfectionView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/vehicles/{id}/disinfections")]
async fn record_disinfection(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    id: web::Path<VehicleId>,
    body: Body<Disinfection>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageVehicles)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let note = match &body.note {
        Some(n) => {
            Some(crate::domain::clean_multi_line(n, 1000).map_err(|m| ApiError::invalid_field("note", m))?)
        }
        None => None,
    };
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::CREATED, move |conn| {
        let (record, vehicle) = crate::transfer::vehicles::disinfect(conn, &who, id, note.clone())?;
        Ok(DisinfectionView {
            id: record,
            vehicle_id: vehicle.id,
            note,
            performed_by: who.id,
            vehicle: VehicleView::from(vehicle),
        })
    })
    .await
}
