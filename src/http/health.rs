//! `/healthz` (the process is alive) and `/readyz` (the database answers).

use actix_web::get;
use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::Unavailable;
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// An answer of `/healthz` or `/readyz`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    pub status: &'static str,
}

/// The process is alive
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Alive", body = HealthStatus, example = json!({"status": "ok"})))
)]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus { status: "ok" })
}

/// The database answers
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthStatus, example = json!({"status": "ready"})),
        (status = 503, response = Unavailable),
    )
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !state.database_ready() {
        return Err(ApiError::unavailable(msg!("database_not_ready")));
    }
    if state.is_stopping() {
        return Err(ApiError::unavailable(msg!("instance_stopping")));
    }
    // Within about a second, whether the database is down, frozen or slow.
    state
        .db_within(Some(std::time::Duration::from_millis(900)), |conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(HealthStatus { status: "ready" }))
}
