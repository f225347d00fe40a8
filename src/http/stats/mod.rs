//! `/stats`: dashboards' numbers, scoped to the caller's subtree, each with an ETag so that a poll
//! with `If-None-Match` answers 304 while nothing in the scope changed. The handlers here;
//! `conditional` the ETags and what is answered from memory; `numbers` how each answer is built;
//! `views` the answers as the document describes them.

mod conditional;
mod numbers;
mod views;

use actix_web::get;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::caller::Bearer;
use super::docs::{BadRequest, Forbidden, Unauthorized, Unavailable, Unprocessable};
use crate::db::types::Timestamp;
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::freshness::Numbers;
use crate::state::AppState;
use crate::stats::local_day;
use conditional::{body, conditional, IfNoneMatch};
use views::{DailyStats, DistrictStats, HourlyStats, Overview, PortStats};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(overview)
        .service(ports_stats)
        .service(districts)
        .service(daily)
        .service(hourly);
}

/// Overview
#[utoipa::path(
    tag = "stats",
    params(IfNoneMatch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The numbers, with an `ETag`", body = Overview),
        (status = 304, description = "Nothing changed since the `ETag` in `If-None-Match`"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/stats/overview")]
async fn overview(state: web::Data<AppState>, req: HttpRequest, bearer: Bearer) -> ApiResult<HttpResponse> {
    // The 24-hour window of handoff times slides: its content is part of the version.
    conditional(
        &state,
        &req,
        bearer,
        Numbers::Overview,
        true,
        |conn, scope, now, version| body(&numbers::overview(conn, scope, now, version)?),
    )
    .await
}

/// Local days, inclusive.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Period {
    /// The first day (default: all time for ports, 29 days before `to` for daily).
    from: Option<NaiveDate>,
    /// The last day (default: today).
    to: Option<NaiveDate>,
}

impl Period {
    /// Local days, inclusive; without bounds, `default_days` back from today.
    fn days(&self, default_days: Option<i64>) -> ApiResult<(String, String)> {
        let today = NaiveDate::parse_from_str(&local_day(Timestamp::now()), "%Y-%m-%d")
            .map_err(ApiError::internal)?;
        let to = self.to.unwrap_or(today);
        let from = match (self.from, default_days) {
            (Some(from), _) => from,
            (None, Some(days)) => to - Duration::days(days - 1),
            (None, None) => NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| ApiError::internal("date"))?,
        };
        if from > to {
            return Err(ApiError::invalid_field("from", msg!("from_after_to")));
        }
        if default_days.is_some() && (to - from).num_days() > 3660 {
            return Err(ApiError::invalid_field(
                "from",
                msg!("period_too_long", max_years = 10),
            ));
        }
        Ok((
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        ))
    }
}

/// By port of entry
#[utoipa::path(
    tag = "stats",
    params(Period, IfNoneMatch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Batches and travellers per port, with an `ETag`", body = PortStats),
        (status = 304, description = "Nothing changed since the `ETag` in `If-None-Match`"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[get("/stats/ports")]
async fn ports_stats(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    period: web::Query<Period>,
) -> ApiResult<HttpResponse> {
    let all_time = period.from.is_none() && period.to.is_none();
    let (from, to) = period.days(None)?;
    // All-time totals and an explicit period are read from different rows: different versions.
    let key = Numbers::Ports {
        from: from.clone(),
        to: to.clone(),
        all_time,
    };
    conditional(
        &state,
        &req,
        bearer,
        key,
        false,
        move |conn, scope, _, version| body(&numbers::ports(conn, scope, version, (from, to, all_time))?),
    )
    .await
}

/// By district
#[utoipa::path(
    tag = "stats",
    params(IfNoneMatch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per district, with an `ETag`", body = DistrictStats),
        (status = 304, description = "Nothing changed since the `ETag` in `If-None-Match`"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/stats/districts")]
async fn districts(state: web::Data<AppState>, req: HttpRequest, bearer: Bearer) -> ApiResult<HttpResponse> {
    conditional(
        &state,
        &req,
        bearer,
        Numbers::Districts,
        false,
        |conn, scope, _, version| body(&numbers::districts(conn, scope, version)?),
    )
    .await
}

/// By day
#[utoipa::path(
    tag = "stats",
    params(Period, IfNoneMatch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per day, with an `ETag`", body = DailyStats),
        (status = 304, description = "Nothing changed since the `ETag` in `If-None-Match`"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[get("/stats/daily")]
async fn daily(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    period: web::Query<Period>,
) -> ApiResult<HttpResponse> {
    let (from, to) = period.days(Some(30))?;
    let key = Numbers::Daily {
        from: from.clone(),
        to: to.clone(),
    };
    conditional(&state, &req, bearer, key, false, move |conn, scope, _, _| {
        body(&numbers::daily(conn, scope, from, to)?)
    })
    .await
}

/// One local day.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Day {
    /// The day (default: today).
    date: Option<NaiveDate>,
}

/// By hour of a day
#[utoipa::path(
    tag = "stats",
    params(Day, IfNoneMatch),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One row per hour of the day, with an `ETag`", body = HourlyStats),
        (status = 304, description = "Nothing changed since the `ETag` in `If-None-Match`"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/stats/hourly")]
async fn hourly(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    day: web::Query<Day>,
) -> ApiResult<HttpResponse> {
    let date = match day.date {
        Some(date) => date.format("%Y-%m-%d").to_string(),
        None => local_day(Timestamp::now()),
    };
    let key = Numbers::Hourly { date: date.clone() };
    conditional(&state, &req, bearer, key, false, move |conn, scope, _, _| {
        body(&numbers::hourly(conn, scope, date)?)
    })
    .await
}
