//! `/ports`: ports of entry, reference data every city uses.

use crate::db::types::{Id, PortId, Timestamp};
use actix_web::http::StatusCode;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, Unauthorized, Unavailable, Unprocessable,
};
use super::{fingerprint, write, Body, IdempotencyKey, List, PageRequest, Problems};
use crate::auth::{Actor, Permission};
use crate::domain::message::msg;
use crate::domain::{clean_text, valid_port_code, PortKind};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::ports::{self, Port};
use crate::store::Page;
use crate::transfer::organisation;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_ports).service(create_port).service(get_port);
}

/// A port of entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortView {
    pub id: PortId,
    pub code: String,
    pub name: String,
    pub kind: PortKind,
    pub city_name: String,
    pub created_at: Timestamp,
}

impl From<Port> for PortView {
    fn from(p: Port) -> Self {
        PortView {
            id: p.id,
            code: p.code,
            name: p.name,
            kind: p.kind,
            city_name: p.city_name,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortQuery {
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List ports of entry
#[utoipa::path(
    tag = "ports",
    params(PortQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of ports of entry", body = List<PortView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/ports")]
async fn list_ports(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PortQuery>,
) -> ApiResult<web::Json<List<PortView>>> {
    actor.require(Permission::ReadPorts)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = state
        .db(move |conn| Ok(ports::list(conn, page.after, page.limit)?))
        .await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |p| p.id),
        PortView::from,
    )))
}

/// Get a port of entry
#[utoipa::path(
    tag = "ports",
    params(("id" = Id, Path, description = "The port's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The port of entry", body = PortView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/ports/{id}")]
async fn get_port(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<PortId>,
) -> ApiResult<web::Json<PortView>> {
    actor.require(Permission::ReadPorts)?;
    let id = id.into_inner();
    let port = state.db(move |conn| Ok(ports::find(conn, id)?)).await?;
    port.map(|p| web::Json(p.into()))
        .ok_or_else(|| ApiError::not_found("port"))
}

/// A new port of entry; an airport's code is its IATA code.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePort {
    /// An airport's three-letter IATA code, or 2 to 10 capitals and digits for the other kinds.
    #[schema(pattern = r"^[^\S\t\n\v\f\r]*[A-Z0-9]{2,10}[^\S\t\n\v\f\r]*$")]
    code: String,
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    kind: PortKind,
    #[schema(min_length = 1, max_length = 100)]
    city_name: String,
}

/// Create a port of entry (admin)
#[utoipa::path(
    tag = "ports",
    params(IdempotencyHeader),
    request_body = CreatePort,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The created port of entry", body = PortView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/ports")]
async fn create_port(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreatePort>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManagePorts)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let code = body.code.trim().to_owned();
    if !valid_port_code(body.kind, &code) {
        problems.add(
            "code",
            match body.kind {
                PortKind::Airport => msg!("airport_code_format"),
                _ => msg!("port_code_format"),
            },
        );
    }
    let name = problems.check("name", clean_text(&body.name, 200));
    let city_name = problems.check("city_name", clean_text(&body.city_name, 100));
    problems.into_result()?;
    let new = organisation::NewPort {
        code,
        name: name.unwrap_or_default(),
        kind: body.kind,
        city_name: city_name.unwrap_or_default(),
    };
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::CREATED, move |tx| {
        organisation::create_port(tx, &who, new).map(PortView::from)
    })
    .await
}
