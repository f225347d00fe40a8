//! Conditional answers of the dashboards' polls: each body with an ETag of the version of the
//! scope's numbers, 304 while the client holds it, and what this instance knows to be current
//! answered from memory (`freshness`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use chrono::Duration;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::{load_actor, Permission, Scope};
use crate::db::types::{Timestamp, UnitId};
use crate::db::{read_transaction, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::freshness::{Numbers, NumbersKey, Remembered};
use crate::http::caller::Bearer;
use crate::state::AppState;
use crate::stats::read;

/// What a scope's numbers depend on besides the request: every change in the scope, the overdue
/// handoffs (which become overdue with time alone) and, for numbers over the last 24 hours, the
/// confirmations in that window (which leave it with time alone). Read once per request, for the
/// ETag and the body.
pub struct Version {
    pub tag: String,
    /// The scope unit's current numbers, its change counter among them.
    pub totals: HashMap<(UnitId, String), i64>,
    /// Overdue handoffs per unit of the scope.
    pub overdue: HashMap<UnitId, i64>,
    /// Minutes from offer to confirmation of the handoffs confirmed in the last 24 hours, sorted.
    pub minutes: Vec<f64>,
    /// The first moment the numbers may change without a write.
    pub until: Option<Timestamp>,
    /// Travellers who arrived before this and still await transfer are a `waiting` loose end.
    pub waiting_before: Timestamp,
}

fn version(
    conn: &mut DbConnection,
    scope: Scope,
    numbers: &Numbers,
    sliding: bool,
    now: Timestamp,
    waiting_alert: Duration,
) -> ApiResult<Version> {
    let unit = scope.unit();
    let waiting_before = now - waiting_alert;
    let totals = read::totals(conn, &[unit])?;
    let changes = totals.get(&(unit, "changes".to_owned())).copied().unwrap_or(0);
    let (overdue, next_due) = read::overdue(conn, scope, now)?;
    let (minutes, earliest) = if sliding {
        read::handoff_minutes(conn, scope, now - Duration::hours(24))?
    } else {
        (Vec::new(), None)
    };
    // The overview's loose ends include travellers who became `waiting` with time alone.
    let (waiting, next_waiting) = match numbers {
        Numbers::Overview => read::waiting(conn, scope, waiting_before, waiting_alert)?,
        _ => (0, None),
    };
    let sorted: BTreeMap<&UnitId, &i64> = overdue.iter().collect();
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "{numbers}|{unit}|{changes}|{sorted:?}|{}|{earliest:?}|{waiting}",
        minutes.len()
    ));
    let tag = format!("W/\"{}\"", &hex::encode(hasher.finalize())[..20]);
    let leaves = earliest.map(|e| e + Duration::hours(24));
    let until = [next_due, leaves, next_waiting].into_iter().flatten().min();
    Ok(Version {
        tag,
        totals,
        overdue,
        minutes,
        until,
        waiting_before,
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
pub async fn conditional<F>(
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
    let waiting_alert = Duration::minutes(state.settings.closed_loop.waiting_alert_minutes);
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
                let version = version(tx, scope, &numbers, sliding, now, waiting_alert)?;
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

/// A response body as the cache keeps it.
pub fn body(value: &impl Serialize) -> ApiResult<Value> {
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
