//! Who is calling: the bearer token checked before anything else, and the caller as the database
//! knows it now (`Actor`), as request extractors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{http::header, web, FromRequest, HttpRequest};

use crate::auth::{load_actor, tokens, Actor};
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The caller of a checked token as the database knows it now: from memory while memory knows
/// the record current (which saves a request a second trip to the pool), from the database
/// otherwise.
pub async fn current_actor(state: &AppState, claims: &tokens::Claims) -> ApiResult<Actor> {
    if let Some(actor) = state.freshness.actor(claims) {
        return Ok(actor);
    }
    let epoch = state.freshness.begin();
    let read = claims.clone();
    let actor = state.db(move |conn| load_actor(conn, &read)).await?;
    if let Some(epoch) = epoch {
        state.freshness.remember_actor(epoch, claims, &actor);
    }
    Ok(actor)
}

/// A bearer token whose signature, expiry, issuer, audience and type are checked, before the
/// database is asked about its user: handlers that run one database call anyway finish the check
/// there with `load_actor`, saving a round trip on hot paths.
pub struct Bearer(pub tokens::Claims);

/// The claims of the request's bearer token, checked without the database.
pub fn bearer_claims(req: &HttpRequest, state: &AppState) -> ApiResult<tokens::Claims> {
    match bearer_token(req) {
        None => Err(ApiError::unauthorized(msg!("missing_token"))),
        Some(token) => state.keys.verify_access(token),
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Bearer, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = match req.app_data::<web::Data<AppState>>() {
            None => Err(ApiError::internal("application state missing")),
            Some(state) => bearer_claims(req, state).map(Bearer),
        };
        std::future::ready(result)
    }
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Actor, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let bearer = Bearer::from_request(req, payload).into_inner();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let Bearer(claims) = bearer?;
            current_actor(&state, &claims).await
        })
    }
}
