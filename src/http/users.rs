//! `/users`: accounts, managed by admins.

use crate::db::types::Timestamp;
use crate::db::types::{Id, UnitId, UserId};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, NotFound, TooManyRequests, Unauthorized, Unavailable,
    Unprocessable,
};
use super::{double_option, fingerprint, write, Body, IdempotencyKey, List, PageRequest, Problems};
use crate::auth::{Actor, Permission};
use crate::db::Lock;
use crate::domain::message::msg;
use crate::domain::{clean_text, password_problem, valid_username, Role};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store;
use crate::store::users::{self, User, UserFilter};
use crate::store::Page;
use crate::transfer::accounts;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(get_user)
        .service(update_user)
        .service(reset_password);
}

/// An account.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            unit_id: u.unit_id,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    role: Option<Role>,
    unit_id: Option<UnitId>,
    /// Page size, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List users (admin)
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = List<UserView>),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/users")]
async fn list_users(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<UserQuery>,
) -> ApiResult<web::Json<List<UserView>>> {
    actor.require(Permission::ManageUsers)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = UserFilter {
        role: query.role,
        unit_id: query.unit_id,
        after: page.after,
        limit: page.limit,
    };
    let rows = state.db(move |conn| Ok(users::list(conn, &filter)?)).await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |u| u.id),
        UserView::from,
    )))
}

/// Get a user (admin)
#[utoipa::path(
    tag = "users",
    params(("id" = Id, Path, description = "The user's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/users/{id}")]
async fn get_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<UserId>,
) -> ApiResult<web::Json<UserView>> {
    actor.require(Permission::ManageUsers)?;
    let id = id.into_inner();
    let user = state.db(move |conn| Ok(users::find(conn, id)?)).await?;
    user.map(|u| web::Json(u.into()))
        .ok_or_else(|| ApiError::not_found("user"))
}

/// A new account. The unit's level must fit the role: none for `admin`, a city for
/// `dispatcher`, a district for `district_officer`, a community for `community_officer`, any for
/// `viewer`.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// 3 to 64 lower-case letters, digits, `.`, `-` and `_`.
    #[schema(pattern = r"^[^\S\t\n\v\f\r]*[a-z0-9._-]{3,64}[^\S\t\n\v\f\r]*$")]
    username: String,
    /// At least 10 characters.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    password: String,
    #[schema(min_length = 1, max_length = 100)]
    display_name: String,
    role: Role,
    #[serde(default)]
    unit_id: Option<UnitId>,
}

/// Create a user (admin)
#[utoipa::path(
    tag = "users",
    params(IdempotencyHeader),
    request_body = CreateUser,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The created user", body = UserView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[post("/users")]
async fn create_user(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreateUser>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageUsers)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let username = body.username.trim().to_owned();
    if !valid_username(&username) {
        problems.add("username", msg!("username_format"));
    }
    if let Some(problem) = password_problem(&body.password) {
        problems.add("password", problem);
    }
    let display_name = problems.check("display_name", clean_text(&body.display_name, 100));
    problems.into_result()?;
    let display_name = display_name.unwrap_or_default();
    let password_hash = state.passwords.hash(body.password).await?;
    let new = accounts::NewUser {
        username,
        password_hash,
        display_name,
        role: body.role,
        unit_id: body.unit_id,
    };
    let who = actor.clone();
    write(&state, &actor, key, print, StatusCode::CREATED, move |tx| {
        accounts::create(tx, &who, new).map(UserView::from)
    })
    .await
}

/// Changes to an account; absent fields stay. A change of role or unit, or a deactivation, ends
/// every session of the user.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default, deserialize_with = "double_option")]
    unit_id: Option<Option<UnitId>>,
    #[serde(default)]
    active: Option<bool>,
}

/// Update a user (admin)
#[utoipa::path(
    tag = "users",
    params(("id" = Id, Path, description = "The user's id")),
    request_body = UpdateUser,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated user", body = UserView),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[patch("/users/{id}")]
async fn update_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<UserId>,
    req: HttpRequest,
    body: Body<UpdateUser>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageUsers)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let display_name = match &body.display_name {
        Some(name) => problems.check("display_name", clean_text(name, 100)),
        None => None,
    };
    problems.into_result()?;
    let changes = accounts::UserChanges {
        display_name,
        role: body.role,
        unit_id: body.unit_id,
        active: body.active,
    };
    let who = actor.clone();
    write(
        &state,
        &actor,
        IdempotencyKey(None),
        print,
        StatusCode::OK,
        move |tx| accounts::update(tx, &who, id, changes).map(UserView::from),
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// 10 to 256 characters.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    new_password: String,
}

/// Set a user's password (admin)
///
/// Every session of the user ends at once.
#[utoipa::path(
    tag = "users",
    params(("id" = Id, Path, description = "The user's id")),
    request_body = ResetPassword,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Set; every session of the user has ended"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[post("/users/{id}/password")]
async fn reset_password(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<UserId>,
    body: Body<ResetPassword>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManageUsers)?;
    let (id, body) = (id.into_inner(), body.into_inner()?);
    if let Some(problem) = password_problem(&body.new_password) {
        return Err(ApiError::invalid_field("new_password", problem));
    }
    let exists = state.db(move |conn| Ok(users::find(conn, id)?.is_some())).await?;
    if !exists {
        return Err(ApiError::not_found("user"));
    }
    let hash = state.passwords.hash(body.new_password).await?;
    let who = actor.clone();
    state
        .write(move |conn| {
            store::write(conn, Lock::Everything, |tx| {
                accounts::set_password(tx, &who, id, &hash)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
