//! `GET /metrics`: Prometheus text. Request counts and latency histograms by route and status come
//! from `actix-web-prom`; pool usage is read when scraped, and the domain's gauges are refreshed
//! in the background, so a scrape never touches the database.

use actix_web::get;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use prometheus::{Encoder, TextEncoder};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::Unauthorized;
use crate::db::types::Timestamp;
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::stats::GLOBAL;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(metrics);
}

/// Prometheus metrics: requests by route and status, pool usage, the loop's gauges
///
/// The loop's gauges are kept up to date by each instance in the background
/// (`metrics.refresh_secs`), so a scrape never waits for the database. With `metrics.token`
/// set, a scrape must send it as `Authorization: Bearer <token>`.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, response = Unauthorized),
    )
)]
#[get("/metrics")]
pub(crate) async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    if let Some(expected) = state.settings.metrics.token.as_deref().filter(|t| !t.is_empty()) {
        let sent = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let same: bool = sent.len() == expected.len()
            && sent
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return Err(ApiError::unauthorized(msg!("metrics_token")));
        }
    }
    let m = &state.metrics;
    let pool = state.pool.state();
    m.pool_connections
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle_connections));
    m.pool_connections
        .with_label_values(&["in_use"])
        .set(i64::from(pool.connections - pool.idle_connections));
    m.pool_max.set(i64::from(state.pool.max_size()));
    let mut buffer = Vec::new();
    TextEncoder::new()
        .encode(&m.registry.gather(), &mut buffer)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buffer))
}

/// Reads the loop's numbers from the database into the gauges (run in the background).
pub async fn refresh(state: &AppState) {
    let m = state.metrics.clone();
    let numbers = state
        .db(|conn| {
            let rows: Vec<(String, i64)> = crate::stats::read::totals(conn, &[GLOBAL])?
                .into_iter()
                .map(|((_, metric), value)| (metric, value))
                .collect();
            let overdue = crate::store::handoffs::count_overdue(conn, Timestamp::now())?;
            Ok((rows, overdue))
        })
        .await;
    match numbers {
        Ok((rows, overdue)) => {
            m.database_up.set(1);
            for (metric, value) in rows {
                let gauge = match metric.split_once(':') {
                    Some(("travellers", status)) => m.travellers.with_label_values(&[status]),
                    Some(("batches", status)) => m.batches.with_label_values(&[status]),
                    Some(("vehicles", status)) => m.vehicles.with_label_values(&[status]),
                    Some(("handoffs", status)) => m.handoffs.with_label_values(&[status]),
                    _ if metric == "missing" => {
                        m.missing.set(value);
                        continue;
                    }
                    _ => continue,
                };
                gauge.set(value);
            }
            m.handoffs.with_label_values(&["overdue"]).set(overdue);
        }
        Err(_) => m.database_up.set(0),
    }
}
