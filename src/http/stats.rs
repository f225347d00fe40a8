//! `/stats`: dashboards' numbers, scoped to the caller's subtree, each with an ETag so that a poll
//! with `If-None-Match` answers 304 while nothing in the scope changed.

use actix_web::get;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::caller::Bearer;
use super::docs::{BadRequest, Forbidden, Unauthorized, Unavailable, Unprocessable};
use crate::auth::{load_actor, Permission, Scope};
use crate::db::types::{Id, Timestamp};
use crate::db::{read_transaction, DbConnection};
use crate::domain::batch::BatchStatus;
use crate::domain::handoff::HandoffStatus;
use crate::domain::message::msg;
use crate::domain::traveller::TravellerStatus;
use crate::domain::vehicle::VehicleStatus;
use crate::error::{ApiError, ApiResult};
use crate::freshness::{Numbers, NumbersKey, Remembered};
use crate::state::AppState;
use crate::stats::local_day;
use crate::stats::read;
use crate::store::ports;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(overview)
        .service(ports_stats)
        .service(districts)
        .service(daily);
}

/// What a scope's numbers depend on besides the request: every change in the scope, the overdue
/// handoffs (which become overdue with time alone) and, for numbers over the last 24 hours, the
/// confirmations in that window (which leave it with time alone). Read once per request, for the
/// ETag and the body.
pub struct Version {
    tag: String,
    /// The scope unit's current numbers, its change counter among them.
    totals: HashMap<(Id, String), i64>,
    /// Overdue handoffs per unit of the scope.
    overdue: HashMap<Id, i64>,
    /// Minutes from offer to confirmation of the handoffs confirmed in the last 24 hours, sorted.
    minutes: Vec<f64>,
    /// The first moment the numbers may change without a write.
    until: Option<Timestamp>,
}

fn version(
    conn: &mut DbConnection,
    scope: Scope,
    numbers: &Numbers,
    sliding: bool,
    now: Timestamp,
) -> ApiResult<Version> {
    let unit = scope.unit();
    let totals = read::totals(conn, &[unit])?;
    let changes = totals.get(&(unit, "changes".to_owned())).copied().unwrap_or(0);
    let (overdue, next_due) = read::overdue(conn, scope, now)?;
    let (minutes, earliest) = if sliding {
        read::handoff_minutes(conn, scope, now - Duration::hours(24))?
    } else {
        (Vec::new(), None)
    };
    let sorted: BTreeMap<&Id, &i64> = overdue.iter().collect();
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "{numbers}|{unit}|{changes}|{sorted:?}|{}|{earliest:?}",
        minutes.len()
    ));
    let tag = format!("W/\"{}\"", &hex::encode(hasher.finalize())[..20]);
    let leaves = earliest.map(|e| e + Duration::hours(24));
    let until = match (next_due, leaves) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(Version {
        tag,
        totals,
        overdue,
        minutes,
        until,
    })
}

fn holds(held: Option<&str>, tag: &str) -> bool {
    held.is_some_and(|h| h.split(',').any(|t| t.trim() == tag || t.trim() == "*"))
}

fn not_modified(tag: &str) -> ApiResult<HttpResponse> {
    let tag_value = HeaderValue::from_str(tag).map_err(ApiError::internal)?;
    Ok(HttpResponse::NotModified()
        .insert_header((header::ETAG, tag_value))
        .finish())
}

fn ok(tag: &str, body: &Value) -> ApiResult<HttpResponse> {
    let tag_value = HeaderValue::from_str(tag).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag_value))
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .json(body))
}

/// Answers 304 when the client holds the current version, else the numbers. What this instance
/// knows to be current is answered from memory (see `freshness`): the caller, the version and the
/// numbers. Otherwise the version and the numbers are read in one read transaction, from one
/// snapshot, and remembered.
async fn conditional<F>(
    state: &AppState,
    req: &HttpRequest,
    bearer: Bearer,
    numbers: Numbers,
    sliding: bool,
    build: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(&mut DbConnection, Scope, Timestamp, &Version) -> ApiResult<Value> + Send + 'static,
{
    let held: Option<String> = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Bearer(claims) = bearer;
    let now = Timestamp::now();
    if let Some((actor, tag, body)) = state.freshness.current(&claims, &numbers, now) {
        actor.require(Permission::ReadStats)?;
        if holds(held.as_deref(), &tag) {
            state.metrics.not_modified_from_memory.inc();
            return not_modified(&tag);
        }
        if let Some(body) = body {
            state.metrics.ok_from_memory.inc();
            let mut body = Value::clone(&body);
            // The numbers are known to be current now.
            if let Some(as_of) = body.get_mut("as_of") {
                *as_of = json!(now);
            }
            return ok(&tag, &body);
        }
    }
    let freshness = state.freshness.clone();
    let (tag, body) = state
        .db(move |conn| {
            let epoch = freshness.begin();
            let actor = match freshness.actor(&claims) {
                Some(actor) => actor,
                None => load_actor(conn, &claims)?,
            };
            actor.require(Permission::ReadStats)?;
            let scope = actor.scope;
            let now = Timestamp::now();
            let (version, body) = read_transaction(conn, |tx| {
                let version = version(tx, scope, &numbers, sliding, now)?;
                let body = match holds(held.as_deref(), &version.tag) {
                    true => None,
                    false => Some(build(tx, scope, now, &version)?),
                };
                Ok::<_, ApiError>((version, body))
            })?;
            let body = body.map(Arc::new);
            if let Some(epoch) = epoch {
                let key = NumbersKey {
                    unit: scope.unit(),
                    numbers,
                };
                freshness.remember(
                    epoch,
                    Remembered {
                        claims: &claims,
                        actor: &actor,
                        key: &key,
                        tag: &version.tag,
                        body: body.clone(),
                        until: version.until,
                    },
                );
            }
            Ok::<_, ApiError>((version.tag, body))
        })
        .await?;
    match body {
        Some(body) => ok(&tag, &body),
        None => not_modified(&tag),
    }
}

fn by_status(
    totals: &HashMap<(Id, String), i64>,
    unit: Id,
    prefix: &str,
    words: &[&str],
) -> BTreeMap<String, i64> {
    words
        .iter()
        .map(|w| {
            (
                w.to_string(),
                totals.get(&(unit, format!("{prefix}:{w}"))).copied().unwrap_or(0),
            )
        })
        .collect()
}

fn words<T: Copy>(all: &[T], word: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| word(*v)).collect()
}

fn build_overview(
    conn: &mut DbConnection,
    scope: Scope,
    now: Timestamp,
    version: &Version,
) -> ApiResult<Value> {
    let unit = scope.unit();
    let totals = &version.totals;
    let get = |metric: &str| totals.get(&(unit, metric.to_owned())).copied().unwrap_or(0);
    let travellers = by_status(
        totals,
        unit,
        "travellers",
        &words(TravellerStatus::ALL, |s| s.as_str()),
    );
    let batches = by_status(totals, unit, "batches", &words(BatchStatus::ALL, |s| s.as_str()));
    let vehicles = by_status(
        totals,
        unit,
        "vehicles",
        &words(VehicleStatus::ALL, |s| s.as_str()),
    );
    let handoffs = by_status(
        totals,
        unit,
        "handoffs",
        &words(HandoffStatus::ALL, |s| s.as_str()),
    );
    let overdue = version.overdue.get(&unit).copied().unwrap_or(0);
    let total = get("travellers");
    let received = travellers["received"];
    let exceptions = travellers["exception"];
    let road = read::on_the_road(conn, scope)?;
    let minutes = &version.minutes;
    let numbers = Overview {
        as_of: now,
        travellers: OverviewTravellers {
            total,
            by_status: travellers,
        },
        batches: OverviewBatches {
            total: get("batches"),
            by_status: batches,
        },
        handoffs: OverviewHandoffs {
            pending: handoffs["pending"],
            overdue,
            confirmed: handoffs["confirmed"],
            rejected: handoffs["rejected"],
            cancelled: handoffs["cancelled"],
        },
        loop_: OverviewLoop {
            open: total - received - exceptions,
            closed: received,
            exceptions,
            missing: get("missing"),
        },
        vehicles: OverviewVehicles { by_status: vehicles },
        on_the_road: OnTheRoad {
            travellers: road.iter().map(|(_, _, n)| n).sum::<i64>(),
            batches: road
                .into_iter()
                .map(|(batch_id, code, travellers)| RoadBatch {
                    batch_id,
                    code,
                    travellers,
                })
                .collect(),
        },
        handoff_minutes_24h: HandoffMinutes {
            count: minutes.len() as i64,
            p50: read::percentile(minutes, 50.0),
            p90: read::percentile(minutes, 90.0),
        },
    };
    body(&numbers)
}

/// A response body as the cache keeps it.
fn body(value: &impl Serialize) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// The `If-None-Match` header of a poll.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatch {
    /// The `ETag` of the numbers the client holds: 304 while they are current.
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

/// Travellers in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewTravellers {
    pub total: i64,
    /// One count per traveller status.
    pub by_status: BTreeMap<String, i64>,
}

/// Batches in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewBatches {
    pub total: i64,
    /// One count per batch status.
    pub by_status: BTreeMap<String, i64>,
}

/// Handoffs in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewHandoffs {
    pub pending: i64,
    /// Pending past their `due_at`.
    pub overdue: i64,
    pub confirmed: i64,
    pub rejected: i64,
    pub cancelled: i64,
}

/// The loop: open, closed by receipt, closed by an exception, and people reported missing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewLoop {
    pub open: i64,
    pub closed: i64,
    pub exceptions: i64,
    pub missing: i64,
}

/// Vehicles in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewVehicles {
    /// One count per vehicle status.
    pub by_status: BTreeMap<String, i64>,
}

/// A batch on the road.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoadBatch {
    pub batch_id: Id,
    pub code: String,
    pub travellers: i64,
}

/// Travellers and batches between the port and the city right now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OnTheRoad {
    pub travellers: i64,
    pub batches: Vec<RoadBatch>,
}

/// Minutes from a handoff's creation to its confirmation, over the last 24 hours.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffMinutes {
    pub count: i64,
    /// Null without confirmations.
    pub p50: Option<f64>,
    /// Null without confirmations.
    pub p90: Option<f64>,
}

/// The dashboard's overview of the caller's subtree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub as_of: Timestamp,
    pub travellers: OverviewTravellers,
    pub batches: OverviewBatches,
    pub handoffs: OverviewHandoffs,
    #[serde(rename = "loop")]
    pub loop_: OverviewLoop,
    pub vehicles: OverviewVehicles,
    pub on_the_road: OnTheRoad,
    pub handoff_minutes_24h: HandoffMinutes,
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
    conditional(&state, &req, bearer, Numbers::Overview, true, build_overview).await
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

/// Flows through one port of entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortRow {
    port_id: Id,
    code: String,
    name: String,
    batches: i64,
    travellers: i64,
}

/// Flows through each port of entry in a period.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortStats {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub items: Vec<PortRow>,
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
    let numbers = Numbers::Ports {
        from: from.clone(),
        to: to.clone(),
        all_time,
    };
    conditional(
        &state,
        &req,
        bearer,
        numbers,
        false,
        move |conn, scope, _, version| {
            // Without a period, the all-time totals: one row per port, however long the history.
            let rows: Vec<(String, i64)> = if all_time {
                version
                    .totals
                    .iter()
                    .filter(|((_, m), _)| m.starts_with("port:"))
                    .map(|((_, m), v)| (m.clone(), *v))
                    .collect()
            } else {
                read::daily(conn, scope.unit(), &from, &to, "port:")?
                    .into_iter()
                    .map(|(_, m, v)| (m, v))
                    .collect()
            };
            let mut sums: HashMap<(String, String), i64> = HashMap::new();
            for (metric, value) in rows {
                let mut parts = metric.splitn(3, ':').skip(1);
                if let (Some(port), Some(kind)) = (parts.next(), parts.next()) {
                    *sums.entry((port.to_owned(), kind.to_owned())).or_default() += value;
                }
            }
            let items: Vec<PortRow> = ports::list(conn, None, 10_000)?
                .into_iter()
                .map(|p| {
                    let key = p.id.to_string();
                    PortRow {
                        port_id: p.id,
                        batches: sums.get(&(key.clone(), "batches".into())).copied().unwrap_or(0),
                        travellers: sums.get(&(key, "travellers".into())).copied().unwrap_or(0),
                        code: p.code,
                        name: p.name,
                    }
                })
                .collect();
            body(&PortStats { from, to, items })
        },
    )
    .await
}

/// One district's numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistrictRow {
    pub unit_id: Id,
    pub name: String,
    /// The district's name in English, where it is set.
    pub name_en: Option<String>,
    /// Travellers bound for the district.
    pub expected: i64,
    /// Received by their community.
    pub received: i64,
    /// In the district's custody (for a community's caller: received in it).
    pub in_custody: i64,
    pub missing: i64,
    pub pending_handoffs: i64,
    pub overdue_handoffs: i64,
}

/// The districts of the caller's subtree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistrictStats {
    pub items: Vec<DistrictRow>,
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
        |conn, scope, _, version| {
            let rows = read::district_rows(conn, scope)?;
            let ids: Vec<Id> = rows.iter().map(|(id, _, _)| *id).collect();
            let totals = read::totals(conn, &ids)?;
            let community = matches!(scope, Scope::Community(_));
            let items: Vec<DistrictRow> = rows
                .into_iter()
                .map(|(id, name, name_en)| {
                    let get = |m: &str| totals.get(&(id, m.to_owned())).copied().unwrap_or(0);
                    DistrictRow {
                        unit_id: id,
                        name,
                        name_en,
                        expected: get("travellers"),
                        received: get("travellers:received"),
                        in_custody: if community {
                            get("travellers:received")
                        } else {
                            get("travellers:at_district")
                        },
                        missing: get("missing"),
                        pending_handoffs: get("handoffs:pending"),
                        overdue_handoffs: version.overdue.get(&id).copied().unwrap_or(0),
                    }
                })
                .collect();
            body(&DistrictStats { items })
        },
    )
    .await
}

const DAILY_METRICS: [&str; 4] = ["registered", "departed_batches", "received", "exceptions"];

/// One local day's flows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DailyRow {
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub registered: i64,
    pub departed_batches: i64,
    pub received: i64,
    pub exceptions: i64,
}

/// Flows per local day in a period (at most ten years).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DailyStats {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// One row per day, oldest first.
    pub items: Vec<DailyRow>,
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
    let numbers = Numbers::Daily {
        from: from.clone(),
        to: to.clone(),
    };
    conditional(&state, &req, bearer, numbers, false, move |conn, scope, _, _| {
        let mut days: BTreeMap<String, BTreeMap<&str, i64>> = BTreeMap::new();
        let mut day = NaiveDate::parse_from_str(&from, "%Y-%m-%d").map_err(ApiError::internal)?;
        let last = NaiveDate::parse_from_str(&to, "%Y-%m-%d").map_err(ApiError::internal)?;
        while day <= last {
            days.insert(
                day.format("%Y-%m-%d").to_string(),
                DAILY_METRICS.iter().map(|m| (*m, 0)).collect(),
            );
            day += Duration::days(1);
        }
        // One read of the period's rows; the per-port flows among them are skipped.
        for (day, name, value) in read::daily(conn, scope.unit(), &from, &to, "")? {
            if let (Some(metric), Some(row)) =
                (DAILY_METRICS.iter().find(|m| **m == name), days.get_mut(&day))
            {
                row.insert(metric, value);
            }
        }
        let items: Vec<DailyRow> = days
            .into_iter()
            .map(|(date, m)| DailyRow {
                date,
                registered: m["registered"],
                departed_batches: m["departed_batches"],
                received: m["received"],
                exceptions: m["exceptions"],
            })
            .collect();
        body(&DailyStats { from, to, items })
    })
    .await
}
