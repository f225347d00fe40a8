//! `/auth/login`, `/auth/refresh`, `/auth/logout` and `/me`.

use actix_web::http::StatusCode;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::types::{UnitId, UserId};
use serde::{Deserialize, Serialize};

use super::client::ClientAddress;
use super::docs::{
    BadRequest, TooManyRequests, Unauthorized, Unavailable, Unprocessable, UnsupportedMediaType,
};
use super::{fingerprint, Body, IdempotencyKey};
use crate::auth::password::Admission;
use crate::auth::tokens::refresh_token_digest;
use crate::auth::Actor;
use crate::db::{DbConnection, Lock};
use crate::domain::message::msg;
use crate::domain::{password_problem, Role};
use crate::error::{ApiError, ApiResult, ProblemCode};
use crate::state::AppState;
use crate::store;
use crate::store::users::{self, LoginLimits, User};
use crate::transfer::sessions;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(me)
        .service(change_own_password);
}

/// The caller (or the user a token was issued to).
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeView {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

impl From<&User> for MeView {
    fn from(u: &User) -> Self {
        MeView {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            unit_id: u.unit_id,
        }
    }
}

/// A new access token and refresh token.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    /// A JWT for `Authorization: Bearer ...`.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchanges once for a new pair at `/auth/refresh`.
    pub refresh_token: String,
    pub user: MeView,
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized(msg!("wrong_credentials"))
}

/// The answer that opens a session: a new access token beside the refresh token just stored.
fn tokens(state: &AppState, user: &User, refresh_token: String) -> TokenResponse {
    TokenResponse {
        access_token: state
            .keys
            .issue_access(user.id, user.role, user.unit_id, user.token_version),
        token_type: "Bearer",
        expires_in: state.keys.access_ttl_secs,
        refresh_token,
        user: MeView::from(user),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// Log in
///
/// Wrong credentials answer 401 with the same body whether or not the user exists; repeated
/// failures for one username answer 429 for a while.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    address: ClientAddress,
    body: Body<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let LoginRequest { username, password } = body.into_inner()?;
    let username = username.trim().to_lowercase();
    if username.is_empty() || username.len() > 64 || password.len() > 1024 {
        return Err(invalid_credentials());
    }
    let name = username.clone();
    let (user, admission) = counted_attempt(&state, &username, &address, move |tx| {
        Ok(users::find_by_username(tx, &name)?)
    })
    .await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = state.passwords.verify(admission, password, stored_hash).await?;
    let Some(user) = user.filter(|u| password_ok && u.active) else {
        return Err(invalid_credentials());
    };

    let ttl = state.settings.auth.refresh_ttl_secs;
    let (signed_in, addr) = (user.clone(), address.0);
    let refresh_token = state
        .write(move |conn| {
            store::write(conn, Lock::Logins, |tx| {
                sessions::sign_in(tx, &signed_in, &addr, ttl)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(tokens(&state, &user, refresh_token)))
}

/// Takes a place in the hashing queue (a refusal there does not count as a failure), then counts
/// the attempt (`sessions::begin_attempt`); a locked pair costs no hashing. Returns what `find`
/// read in that transaction, and the place to check the password with.
async fn counted_attempt<T: Send + 'static>(
    state: &AppState,
    username: &str,
    address: &ClientAddress,
    find: impl FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
) -> ApiResult<(T, Admission)> {
    let admission = state.passwords.admit()?;
    let limits = login_limits(state);
    let (name, addr) = (username.to_owned(), address.0.clone());
    let found = state
        .write(move |conn| {
            store::write(conn, Lock::Logins, |tx| {
                sessions::begin_attempt(tx, &name, &addr, &limits, find)
            })
        })
        .await?;
    Ok((found, admission))
}

fn login_limits(state: &AppState) -> LoginLimits {
    let auth = &state.settings.auth;
    LoginLimits {
        per_username_and_address: auth.login_max_failures,
        per_address: auth.login_max_failures_per_address,
        per_username: auth.login_max_failures_per_username,
        window: Duration::seconds(auth.login_window_secs as i64),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

/// Exchange a refresh token
///
/// The old refresh token stops working; presenting it again ends every session of the account.
/// A retry of the same request (the same `Idempotency-Key`, within five minutes), after an answer
/// lost on the way, is answered with the same new pair instead.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats of the same refresh get the first answer")),
    responses(
        (status = 200, description = "A new pair of tokens", body = TokenResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    key: IdempotencyKey,
    body: Body<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let presented = body.into_inner()?.refresh_token.trim().to_owned();
    let digest = refresh_token_digest(&presented);
    // The request as its digest: the token itself is kept nowhere.
    let print = fingerprint(&req, &digest);
    let st = state.clone();
    let ttl = state.settings.auth.refresh_ttl_secs;
    let outcome = state
        .write(move |conn| {
            store::write(conn, Lock::Logins, |tx| {
                sessions::refresh(tx, &presented, key.0.as_deref(), &print, |tx, user| {
                    let refresh_token = sessions::open_session(tx, user, ttl)?;
                    serde_json::to_vec(&tokens(&st, user, refresh_token)).map_err(ApiError::internal)
                })
            })
        })
        .await?;
    let answer = |json: Vec<u8>, replayed: bool| {
        let mut response = HttpResponse::Ok();
        response.insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"));
        if replayed {
            response.insert_header(("Idempotency-Replayed", "true"));
        }
        response.body(json)
    };
    match outcome {
        sessions::RefreshOutcome::Issued(json) => Ok(answer(json, false)),
        sessions::RefreshOutcome::Replayed(json) => Ok(answer(json, true)),
        sessions::RefreshOutcome::KeyReused => Err(super::key_reused()),
        sessions::RefreshOutcome::Reused => Err(ApiError::unauthorized(msg!("refresh_reused"))),
        sessions::RefreshOutcome::Invalid => Err(ApiError::unauthorized(msg!("refresh_invalid"))),
    }
}

/// Log out
///
/// Revokes every refresh token of the caller.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    let user_id = actor.id;
    state
        .write(move |conn| store::write(conn, Lock::Logins, |tx| sessions::sign_out(tx, user_id)))
        .await?;
    Ok(HttpResponse::build(StatusCode::NO_CONTENT).finish())
}

/// The caller
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The calling user", body = MeView),
        (status = 401, response = Unauthorized),
        (status = 503, response = Unavailable),
    )
)]
#[get("/me")]
async fn me(state: web::Data<AppState>, actor: Actor) -> ApiResult<web::Json<MeView>> {
    let id = actor.id;
    let user = state.db(move |conn| Ok(users::find(conn, id)?)).await?;
    user.map(|u| web::Json(MeView::from(&u)))
        .ok_or_else(|| ApiError::unauthorized(msg!("unknown_user")))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeOwnPassword {
    #[schema(format = Password, max_length = 1024)]
    current_password: String,
    /// 10 to 256 characters.
    #[schema(format = Password, min_length = 10, max_length = 256)]
    new_password: String,
}

/// Change my password
///
/// Ends every session of the account at once, the caller's included: refresh tokens are revoked
/// and access tokens refused, so the caller signs in again. A wrong current password answers 422
/// `wrong_password` and counts as a failed login.
#[utoipa::path(
    tag = "auth",
    request_body = ChangeOwnPassword,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; every session has ended"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[post("/me/password")]
async fn change_own_password(
    state: web::Data<AppState>,
    actor: Actor,
    address: ClientAddress,
    body: Body<ChangeOwnPassword>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner()?;
    if let Some(problem) = password_problem(&body.new_password) {
        return Err(ApiError::invalid_field("new_password", problem));
    }
    // Guessing the current password with a stolen access token is limited like logins are.
    let user_id = actor.id;
    let (user, admission) = counted_attempt(&state, &actor.username, &address, move |tx| {
        users::find(tx, user_id)?.ok_or_else(|| ApiError::unauthorized(msg!("unknown_user")))
    })
    .await?;
    let ok = state
        .passwords
        .verify(admission, body.current_password, Some(user.password_hash.clone()))
        .await?;
    if !ok {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::WrongPassword,
            msg!("wrong_password"),
        ));
    }
    let hash = state.passwords.hash(body.new_password).await?;
    let addr = address.0;
    state
        .write(move |conn| {
            store::write(conn, Lock::Logins, |tx| {
                sessions::change_own_password(tx, &user, &hash, &addr)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
