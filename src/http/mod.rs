//! The HTTP layer: one module per resource, thin handlers (extract → authorize → one transaction in
//! the storage layer → view), and what they share: request limits, problem+json for every
//! extractor error, pagination and idempotent writes.

pub mod auth;
pub mod batches;
pub mod caller;
pub mod client;
pub mod console;
pub mod contract;
pub mod docs;
pub mod edge;
pub mod events;
pub mod handoffs;
pub mod health;
pub mod loose_ends;
pub mod manifests;
pub mod metrics;
pub mod notices;
pub mod ports;
pub mod reports;
pub mod stats;
pub mod stream;
pub mod trace;
pub mod travellers;
pub mod units;
pub mod users;
pub mod vehicles;

use std::future::{ready, Ready};

use crate::db::types::{Id, Timestamp};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Actor;
use crate::catalogue::Lang;
use crate::db::Lock;
use crate::domain::message::{msg, Message};
use crate::error::{ApiError, ApiResult, ProblemCode};
use crate::state::AppState;
use crate::store::{self, Committed, Tx};
use crate::store::{idempotency, Page};

/// The service's request settings and every route. Each route is registered here once, by its
/// handler, for the server and for the OpenAPI document (`docs::openapi_document`).
pub fn configure(cfg: &mut ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::PayloadConfig::default().limit(max_body_bytes))
        .configure(routes)
        .default_service(web::to(not_found));
}

/// Every route, by its handler: the handler's `#[utoipa::path]` and method attributes give the
/// server its route and the document its operation.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.configure(health::routes)
        .configure(metrics::routes)
        .configure(docs::routes)
        .configure(console::routes)
        .service(
            // The dashboards' polls are the hottest path: their routes are matched first.
            utoipa_actix_web::scope("/api/v1")
                .configure(stats::routes)
                .configure(auth::routes)
                .configure(units::routes)
                .configure(ports::routes)
                .configure(users::routes)
                .configure(vehicles::routes)
                .configure(manifests::routes)
                .configure(travellers::routes)
                .configure(trace::routes)
                .configure(notices::routes)
                .configure(reports::routes)
                .configure(batches::routes)
                .configure(handoffs::routes)
                .configure(loose_ends::routes)
                .configure(stream::routes)
                .configure(events::routes),
        );
}

/// A file sent as a download.
pub fn attachment(format: crate::sheets::FileFormat, name: &str, body: Vec<u8>) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    if format == crate::sheets::FileFormat::Xlsx {
        // A workbook is a zip already: sent as it is rather than compressed again.
        answer.insert_header((actix_web::http::header::CONTENT_ENCODING, "identity"));
    }
    answer
        .insert_header((actix_web::http::header::CONTENT_TYPE, format.content_type()))
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{}\"", format.extension()),
        ))
        .body(body)
}

async fn not_found() -> ApiResult<HttpResponse> {
    Err(ApiError::not_found("route"))
}

/// The problem+json answer to a JSON body that cannot be read.
fn json_problem(limit: usize, error: &JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ProblemCode::PayloadTooLarge,
            msg!("body_too_large", max_bytes = limit),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedMediaType,
            msg!("body_not_json"),
        ),
        JsonPayloadError::Deserialize(e) => {
            ApiError::bad_request(msg!("invalid_json", reason = e.to_string()))
        }
        other => ApiError::bad_request(msg!("invalid_body", reason = other.to_string())),
    }
}

/// A JSON request body whose problems are reported only when the handler asks for it, after it
/// has checked who is calling: a caller without the right gets 401 or 403, never a hint about
/// what a valid body would be.
pub struct Body<T>(Result<T, ApiError>);

impl<T> Body<T> {
    pub fn into_inner(self) -> ApiResult<T> {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.server.max_body_bytes)
            .unwrap_or(1 << 20);
        let body = web::JsonBody::<serde_json::Value>::new(req, payload, None, true).limit(limit);
        Box::pin(async move {
            let parsed = body.await.map_err(|e| json_problem(limit, &e)).and_then(|value| {
                refuse_control_characters(&value, "")?;
                serde_json::from_value::<T>(value)
                    .map_err(|e| ApiError::bad_request(msg!("invalid_json", reason = e.to_string())))
            });
            Ok(Body(parsed))
        })
    }
}

/// Fields that hold several lines of text, where TAB, LF and CR are allowed.
pub const MULTI_LINE_FIELDS: [&str; 4] = ["address", "notes", "reason", "note"];

/// Refuses control characters (U+0000 to U+001F, U+007F) in every string of a JSON body, keys
/// included, except line breaks and tabs in the multi-line fields.
fn refuse_control_characters(value: &serde_json::Value, field: &str) -> ApiResult<()> {
    use serde_json::Value;
    let refuse = |path: &str| {
        Err(ApiError {
            subject: Some(path.into()),
            ..ApiError::bad_request(msg!("control_characters", field = path))
        }
        .with_errors(vec![crate::error::FieldError::new(
            path,
            msg!("control_characters"),
        )]))
    };
    match value {
        Value::String(text) => {
            let multi_line = MULTI_LINE_FIELDS.contains(&field.rsplit('.').next().unwrap_or(field));
            let bad = text
                .chars()
                .any(|c| edge::is_forbidden_control(c) && !(multi_line && matches!(c, '\t' | '\n' | '\r')));
            if bad {
                return refuse(field);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                refuse_control_characters(item, &format!("{field}[{i}]"))?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.chars().any(edge::is_forbidden_control) {
                    return refuse("(a field name)");
                }
                let path = if field.is_empty() {
                    key.clone()
                } else {
                    format!("{field}.{key}")
                };
                refuse_control_characters(item, &path)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Reads a raw request body of at most `limit` bytes, after the handler has checked the caller.
pub async fn read_payload(mut payload: web::Payload, limit: usize) -> ApiResult<web::Bytes> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request(msg!("body_unreadable", reason = e.to_string())))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ProblemCode::PayloadTooLarge,
                msg!("body_too_large", max_bytes = limit),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn query_error(error: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad_request(msg!("invalid_query", reason = error.to_string())).into()
}

fn path_error(_error: PathError, _req: &HttpRequest) -> actix_web::Error {
    // A path id that is not a UUID names nothing that exists.
    ApiError::not_found("resource").into()
}

/// Deserializes a field that may be absent (`None`), null (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// An integer of a JSON body, also when written as a number with a zero fraction (`5.0`), which
/// JSON Schema counts as an integer.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i32, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    let whole = number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    });
    whole
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number, found {number}")))
}

/// `whole_number` for an optional field, where null means absent.
pub fn whole_number_or_null<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i32>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i32);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|w| w.0))
}

/// What a list's `cursor` looks like: the id it continues after, base64url without padding
/// (empty: the first page). The document states it for every list.
pub const CURSOR_PATTERN: &str = "^([A-Za-z0-9_-]{22})?$";

/// `?limit=&cursor=`, checked.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Id>,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

impl PageRequest {
    pub fn parse(limit: Option<i64>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError {
                subject: Some("limit".into()),
                ..ApiError::bad_request(msg!("out_of_range", field = "limit", min = 1, max = MAX_LIMIT))
            });
        }
        let after = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or_else(|| ApiError::bad_request(msg!("invalid_cursor")))?),
        };
        Ok(Self { limit, after })
    }
}

fn decode_cursor(cursor: &str) -> Option<Id> {
    cursor_bytes(cursor).map(|bytes| Id(uuid::Uuid::from_bytes(bytes)))
}

/// The 16 bytes a cursor names: any 22 characters of the alphabet do, the unused low bits of the
/// last one ignored, as the pattern the document states allows them.
pub fn cursor_bytes(cursor: &str) -> Option<[u8; 16]> {
    const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
    );
    LENIENT.decode(cursor).ok()?.try_into().ok()
}

pub fn encode_cursor(id: Id) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.0.as_bytes())
}

/// A page of a list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// The `cursor` of the next page, or null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn from_page<R>(page: Page<R>, view: impl Fn(R) -> T) -> Self {
        List {
            items: page.items.into_iter().map(view).collect(),
            next_cursor: page.next_after.map(encode_cursor),
        }
    }
}

/// The optional `Idempotency-Key` header of a POST.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let Some(value) = req.headers().get("idempotency-key") else {
            return ready(Ok(IdempotencyKey(None)));
        };
        let key = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| (1..=255).contains(&k.len()) && k.chars().all(|c| c.is_ascii_graphic()));
        ready(match key {
            Some(k) => Ok(IdempotencyKey(Some(k.to_owned()))),
            None => Err(ApiError::bad_request(msg!(
                "invalid_idempotency_key",
                max_length = 255
            ))),
        })
    }
}

/// What a request is, for idempotency: method, path and the parsed body. Two requests with the
/// same fingerprint are the same request, however their JSON was spaced.
pub fn fingerprint(req: &HttpRequest, body: &impl Serialize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(hasher.finalize())
}

/// Runs one state change in one write transaction and answers it with `status` and the view the
/// change returns. With an `Idempotency-Key`, the answer is stored in the same transaction, and a
/// repeat of the same request replays it instead of acting again.
pub async fn write<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    fingerprint: String,
    status: StatusCode,
    change: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize + 'static,
    F: FnOnce(&mut Tx<'_>) -> ApiResult<T> + Send + 'static,
{
    write_within(
        state,
        actor,
        key,
        fingerprint,
        status,
        (None, lock_of(actor)),
        change,
    )
    .await
}

/// What a change by this caller locks: the caller's city, or everything for an admin (who may
/// act in any city).
pub fn lock_of(actor: &Actor) -> Lock {
    match (actor.role, actor.city_id) {
        (crate::domain::Role::Admin, _) | (_, None) => Lock::Everything,
        (_, Some(city)) => Lock::City(city),
    }
}

/// What a state change answers: its value, or a refusal whose writes still commit (a wrong
/// handoff code counts an attempt, and the attempt must stay counted).
pub enum Answer<T> {
    Done(T),
    RefusedAfterWriting(ApiError),
}

/// `write` for a change that may be refused after writing (`Answer::RefusedAfterWriting`): what
/// it wrote commits, and the refusal is its answer, to a retry with the same key too.
pub async fn write_answer<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    fingerprint: String,
    status: StatusCode,
    change: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize + 'static,
    F: FnOnce(&mut Tx<'_>) -> ApiResult<Answer<T>> + Send + 'static,
{
    let within = (None, lock_of(actor));
    answer_within(state, actor, key, fingerprint, status, within, change).await
}

/// `write` with a deadline other than a request's usual one (a manifest of thousands of rows
/// takes longer), and a lock of the caller's choice (`Lock::Rows` for a change that only adds).
pub async fn write_within<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    fingerprint: String,
    status: StatusCode,
    within: (Option<std::time::Duration>, Lock),
    change: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize + 'static,
    F: FnOnce(&mut Tx<'_>) -> ApiResult<T> + Send + 'static,
{
    let change = move |tx: &mut Tx<'_>| change(tx).map(Answer::Done);
    answer_within(state, actor, key, fingerprint, status, within, change).await
}

/// The one write path of a request: the change in one write transaction, its answer stored
/// with its `Idempotency-Key` in the same transaction, or the stored answer replayed.
async fn answer_within<T, F>(
    state: &AppState,
    actor: &Actor,
    key: IdempotencyKey,
    fingerprint: String,
    status: StatusCode,
    (deadline, lock): (Option<std::time::Duration>, Lock),
    change: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize + 'static,
    F: FnOnce(&mut Tx<'_>) -> ApiResult<Answer<T>> + Send + 'static,
{
    let user_id = actor.id;
    // A stored answer replays only under the authority it was given with: a user moved to
    // another unit or role since then has the request run afresh, and authorized as it is now.
    let scope = format!(
        "{}:{}",
        actor.role.as_str(),
        actor.unit_id.map(|u| u.to_string()).unwrap_or_default()
    );
    let not_before = Timestamp::now()
        - chrono::Duration::hours(state.settings.idempotency.retain_hours.min(24 * 365 * 10) as i64);
    let answer = state
        .write_within(deadline.or_else(|| state.db_deadline()), move |conn| {
            let as_json = |answer: Answer<T>| -> ApiResult<Answer<(StatusCode, serde_json::Value, bool)>> {
                Ok(match answer {
                    Answer::Done(value) => Answer::Done((status, to_json(value)?, false)),
                    Answer::RefusedAfterWriting(error) => Answer::RefusedAfterWriting(error),
                })
            };
            let Some(key) = key.0 else {
                return store::write(conn, lock, |tx| as_json(change(tx)?));
            };
            let outcome = store::write(conn, lock, |tx| {
                if let Some(stored) = idempotency::find(tx.conn()?, user_id, &key, &scope, not_before)? {
                    return replay(stored, &fingerprint).map(Answer::Done);
                }
                let answer = as_json(change(tx)?)?;
                let (stored_status, body) = match &answer {
                    Answer::Done((status, body, _)) => (status.as_u16(), body.clone()),
                    // Answered the same way to a retry, instead of counting again.
                    Answer::RefusedAfterWriting(error) => (
                        error.status.as_u16(),
                        serde_json::to_value(error.problem(Lang::En)).map_err(ApiError::internal)?,
                    ),
                };
                tx.remember_answer(idempotency::StoredAnswer {
                    user_id,
                    key: key.clone(),
                    scope: scope.clone(),
                    request_hash: fingerprint.clone(),
                    status: stored_status,
                    body,
                });
                Ok(answer)
            });
            match outcome {
                // A concurrent request with the same key may have committed first: replay it.
                Err(error) => match idempotency::find(conn, user_id, &key, &scope, not_before)? {
                    Some(stored) => Ok(Committed::nothing(Answer::Done(replay(stored, &fingerprint)?))),
                    None => Err(error),
                },
                ok => ok,
            }
        })
        .await?;
    let (status, body, replayed) = match answer {
        Answer::Done(done) => done,
        Answer::RefusedAfterWriting(error) => return Err(error),
    };
    let mut response = HttpResponse::build(status);
    if replayed {
        response.insert_header(("Idempotency-Replayed", "true"));
    }
    if status.is_client_error() || status.is_server_error() {
        response.insert_header((actix_web::http::header::CONTENT_TYPE, "application/problem+json"));
        return Ok(response.body(serde_json::to_vec(&body).map_err(ApiError::internal)?));
    }
    Ok(response.json(body))
}

fn to_json<T: Serialize>(value: T) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

fn replay(
    stored: idempotency::StoredResponse,
    fingerprint: &str,
) -> ApiResult<(StatusCode, serde_json::Value, bool)> {
    if stored.request_hash != fingerprint {
        return Err(key_reused());
    }
    let status = StatusCode::from_u16(stored.status).map_err(ApiError::internal)?;
    Ok((status, stored.body, true))
}

/// The answer to an `Idempotency-Key` sent again with another request.
pub fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ProblemCode::IdempotencyKeyReused,
        msg!("idempotency_key_reused"),
    )
}

/// Collects field errors, answering 422 with all of them at once.
#[derive(Default)]
pub struct Problems(Vec<crate::error::FieldError>);

impl Problems {
    pub fn add(&mut self, field: &str, message: Message) {
        self.0.push(crate::error::FieldError::new(field, message));
    }

    /// Takes the cleaned value, or records why the field is invalid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Message>) -> Option<T> {
        result.map_err(|m| self.add(field, m)).ok()
    }

    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(self.0))
        }
    }
}
