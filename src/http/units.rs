//! `/units`: the organisation tree, city > district > community.

use crate::db::types::Timestamp;
use crate::db::types::{Id, UnitId};
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
use crate::domain::{clean_text, valid_unit_code, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::units::{self, Unit, UnitFilter};
use crate::store::Page;
use crate::transfer::organisation;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_units)
        .service(create_unit)
        .service(get_unit)
        .service(update_unit);
}

/// A unit of the organisation tree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: UnitId,
    /// The unit's name in Chinese, used by Chinese notices, screens and files.
    pub name: String,
    /// The unit's name in English, used by notices, screens and files in English, Japanese and
    /// Korean where it is set.
    pub name_en: Option<String>,
    pub code: String,
    pub level: UnitLevel,
    pub parent_id: Option<UnitId>,
    /// A phone number shown on notices: a city's 24-hour hotline.
    pub hotline: Option<String>,
    pub address: Option<String>,
    pub created_at: Timestamp,
}

impl From<Unit> for UnitView {
    fn from(u: Unit) -> Self {
        UnitView {
            id: u.id,
            name: u.name,
            name_en: u.name_en,
            code: u.code,
            level: u.level,
            parent_id: u.parent_id,
            hotline: u.hotline,
            address: u.address,
            created_at: u.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    level: Option<UnitLevel>,
    parent_id: Option<UnitId>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List units
#[utoipa::path(
    tag = "units",
    params(UnitQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of the units in the caller's subtree", body = List<UnitView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/units")]
async fn list_units(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<UnitQuery>,
) -> ApiResult<web::Json<List<UnitView>>> {
    actor.require(Permission::ReadUnits)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = UnitFilter {
        level: query.level,
        parent_id: query.parent_id,
        after: page.after,
        limit: page.limit,
    };
    let rows = state
        .db(move |conn| Ok(units::list(conn, actor.scope, &filter)?))
        .await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |u| u.id),
        UnitView::from,
    )))
}

/// Get a unit
#[utoipa::path(
    tag = "units",
    params(("id" = Id, Path, description = "The unit's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The unit", body = UnitView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/units/{id}")]
async fn get_unit(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<UnitId>,
) -> ApiResult<web::Json<UnitView>> {
    actor.require(Permission::ReadUnits)?;
    let id = id.into_inner();
    let unit = state
        .db(move |conn| Ok(units::find(conn, actor.scope, id)?))
        .await?;
    unit.map(|u| web::Json(u.into()))
        .ok_or_else(|| ApiError::not_found("unit"))
}

/// A new unit: a district's parent is a city, a community's a district; a city has none.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnit {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// The name in English (e.g. `Changzhou`), for notices, screens and files in other languages
    /// than Chinese.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    name_en: Option<String>,
    /// 1 to 32 capitals, digits, `-` and `_`, not starting with `-`.
    #[schema(pattern = r"^[^\S\t\n\v\f\r]*[A-Z0-9_][A-Z0-9_-]{0,31}[^\S\t\n\v\f\r]*$")]
    code: String,
    level: UnitLevel,
    #[serde(default)]
    parent_id: Option<UnitId>,
    /// A phone number shown on notices: 5 to 32 digits, with an optional leading `+`, spaces or
    /// dashes.
    #[serde(default)]
    #[schema(
        pattern = r"^[^\S\t\n\v\f\r]*(?:\+[0-9-][0-9 -]{2,29}[0-9-]|[0-9-][0-9 -]{3,30}[0-9-])[^\S\t\n\v\f\r]*$"
    )]
    hotline: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    address: Option<String>,
}

/// Create a unit (admin)
#[utoipa::path(
    tag = "units",
    params(IdempotencyHeader),
    request_body = CreateUnit,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The created unit", body = UnitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/units")]
async fn create_unit(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreateUnit>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageUnits)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let name = problems.check("name", clean_text(&body.name, 200));
    let name_en = body
        .name_en
        .as_deref()
        .and_then(|n| problems.check("name_en", clean_text(n, 200)));
    let code = body.code.trim().to_owned();
    if !valid_unit_code(&code) {
        problems.add("code", msg!("unit_code_format"));
    }
    if body.level == UnitLevel::City && body.parent_id.is_some() {
        problems.add("parent_id", msg!("city_has_no_parent"));
    }
    if body.level != UnitLevel::City && body.parent_id.is_none() {
        problems.add("parent_id", msg!("needs_parent", level = body.level.as_str()));
    }
    let hotline = body
        .hotline
        .as_deref()
        .and_then(|phone| checked_hotline(&mut problems, phone));
    let address = body
        .address
        .as_deref()
        .and_then(|text| checked_address(&mut problems, text));
    problems.into_result()?;
    let new = organisation::NewUnit {
        name: name.unwrap_or_default(),
        name_en,
        code,
        level: body.level,
        parent_id: body.parent_id,
        hotline,
        address,
    };
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::CREATED, move |tx| {
        organisation::create_unit(tx, &who, new).map(UnitView::from)
    })
    .await
}

/// Changes to a unit; absent fields stay, null clears the English name, the hotline or the address.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUnit {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// The name in English; null clears it.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200)]
    name_en: Option<Option<String>>,
    /// 5 to 32 digits, with an optional leading `+`, spaces or dashes; null clears it.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, pattern = r"^[^\S\t\n\v\f\r]*(?:\+[0-9-][0-9 -]{2,29}[0-9-]|[0-9-][0-9 -]{3,30}[0-9-])[^\S\t\n\v\f\r]*$")]
    hotline: Option<Option<String>>,
    /// Null clears it.
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    address: Option<Option<String>>,
}

/// Update a unit (admin)
///
/// Its name, and the hotline and address shown on notices and to the other side of a handoff.
#[utoipa::path(
    tag = "units",
    params(("id" = Id, Path, description = "The unit's id")),
    request_body = UpdateUnit,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated unit", body = UnitView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[patch("/units/{id}")]
async fn update_unit(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<UnitId>,
    req: HttpRequest,
    body: Body<UpdateUnit>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageUnits)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let name = match &body.name {
        Some(name) => problems.check("name", clean_text(name, 200)),
        None => None,
    };
    let name_en = match &body.name_en {
        Some(Some(n)) => problems.check("name_en", clean_text(n, 200)).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    let hotline = match &body.hotline {
        Some(Some(phone)) => checked_hotline(&mut problems, phone).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    let address = match &body.address {
        Some(Some(text)) => Some(checked_address(&mut problems, text)),
        Some(None) => Some(None),
        None => None,
    };
    problems.into_result()?;
    let changes = organisation::UnitChanges {
        name,
        name_en,
        hotline,
        address,
    };
    let who = actor.clone();
    write(
        &state,
        &actor,
        IdempotencyKey(None),
        print,
        StatusCode::OK,
        move |tx| organisation::update_unit(tx, &who, id, changes).map(UnitView::from),
    )
    .await
}

/// A unit's hotline as stored (trimmed), or its problem recorded.
fn checked_hotline(problems: &mut Problems, phone: &str) -> Option<String> {
    let phone = phone.trim();
    if crate::domain::traveller::valid_phone(phone) {
        Some(phone.to_owned())
    } else {
        problems.add("hotline", msg!("phone_format_plus"));
        None
    }
}

/// A unit's address as stored (trimmed; none when blank), or its problem recorded.
fn checked_address(problems: &mut Problems, text: &str) -> Option<String> {
    let text = text.trim();
    problems
        .check("address", crate::domain::multi_line_problem(text, 500))
        .and_then(|()| Some(text.to_owned()).filter(|t| !t.is_empty()))
}
