//! `/healthz` (the process is alive) and `/readyz` (the database answers).

use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;

use super::docs::Unavailable;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// An answer of `/healthz` or `/readyz`.
#[derive(utoipa::ToSchema)]
pub struct HealthStatus {
    /// `ok` from `/healthz`, `ready` from `/readyz`.
    pub status: String,
}

/// The process is alive
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Alive", body = HealthStatus, example = json!({"status": "ok"})))
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// The database answers
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthStatus, example = json!({"status": "ready"})),
        (status = 503, response = Unavailable),
    )
)]
async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    if !state.database_ready() {
        return Err(ApiError::unavailable("the database is not ready yet"));
    }
    // Within about a second, whether the database is down, frozen or slow.
    state
        .db_within(Some(std::time::Duration::from_millis(900)), |conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}
