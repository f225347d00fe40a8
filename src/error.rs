//! The one error type of the HTTP layer, answered as `application/problem+json` (RFC 9457).
//! Unexpected failures are logged with their cause and answered as an opaque 500.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

use crate::catalogue::{self, Lang};
use crate::domain::message::{msg, Message, Params};

/// Every `code` a problem can carry: a stable word a client acts on, whatever `detail` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    ValidationFailed,
    Unauthorized,
    WrongPassword,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict,
    InvalidState,
    CapacityExceeded,
    VehicleUnavailable,
    InvalidHandoffCode,
    IdempotencyKeyReused,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Internal,
    Unavailable,
}

impl ProblemCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::ValidationFailed => "validation_failed",
            ProblemCode::Unauthorized => "unauthorized",
            ProblemCode::WrongPassword => "wrong_password",
            ProblemCode::Forbidden => "forbidden",
            ProblemCode::NotFound => "not_found",
            ProblemCode::MethodNotAllowed => "method_not_allowed",
            ProblemCode::Conflict => "conflict",
            ProblemCode::InvalidState => "invalid_state",
            ProblemCode::CapacityExceeded => "capacity_exceeded",
            ProblemCode::VehicleUnavailable => "vehicle_unavailable",
            ProblemCode::InvalidHandoffCode => "invalid_handoff_code",
            ProblemCode::IdempotencyKeyReused => "idempotency_key_reused",
            ProblemCode::PayloadTooLarge => "payload_too_large",
            ProblemCode::UnsupportedMediaType => "unsupported_media_type",
            ProblemCode::RateLimited => "rate_limited",
            ProblemCode::Internal => "internal",
            ProblemCode::Unavailable => "unavailable",
        }
    }
}

/// One problem with one field of the request (or of one row of an import).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The line of the manifest (the header is line 1); only for imports.
    pub row: Option<usize>,
    /// Every line with the same problem in this field, when it is grouped; only for imports.
    pub rows: Vec<usize>,
    pub field: String,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: Message) -> Self {
        Self {
            row: None,
            rows: Vec::new(),
            field: field.into(),
            message,
        }
    }

    pub fn at_row(row: usize, field: impl Into<String>, message: Message) -> Self {
        Self {
            row: Some(row),
            ..Self::new(field, message)
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ProblemCode,
    /// What went wrong: rendered as `detail` in the reader's language, its params as `params`.
    pub message: Message,
    /// The field the whole problem is about, written before `detail`: "note: must not be empty".
    pub subject: Option<Box<str>>,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u32>,
    /// The methods a path serves, for a 405.
    pub allow: Option<Box<str>>,
    /// How many problems there are, when `errors` lists only the first of them.
    pub error_count: Option<u32>,
}

/// The most problems one answer lists (a manifest may have thousands).
pub const MAX_LISTED_ERRORS: usize = 100;

/// One entry of a problem's `errors`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemEntry {
    /// The line of the manifest (the header is line 1); only for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// Every line with this problem in this field, when several have it (`row` is the first);
    /// only for imports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<usize>,
    pub field: String,
    /// A stable snake_case word for programs, e.g. `required`, `too_long`, `not_found`.
    pub code: &'static str,
    /// The variable parts of the message, e.g. `{"max_length": 64}`.
    #[schema(value_type = Object)]
    pub params: Params,
    /// What is wrong, for people, in the language `Accept-Language` prefers (zh or en).
    pub message: String,
}

/// An `application/problem+json` body (RFC 9457), the answer to every failed request.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status phrase.
    pub title: &'static str,
    pub status: u16,
    /// What went wrong, for people, in the language `Accept-Language` prefers (zh or en).
    pub detail: String,
    /// A stable snake_case word for programs.
    pub code: ProblemCode,
    /// The variable parts of `detail` as typed values, e.g. `{"tries_left": 3}`: with `code`,
    /// all a client needs to know what happened.
    #[schema(value_type = Object)]
    pub params: Params,
    /// One entry per invalid field (or manifest row and field); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemEntry>,
    /// How many problems were found in all; `errors` lists the first 100 of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_count: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ProblemCode, message: Message) -> Self {
        Self {
            status,
            code,
            message,
            subject: None,
            errors: Vec::new(),
            retry_after_secs: None,
            allow: None,
            error_count: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Malformed request: not JSON, wrong types, unknown or missing fields, bad query parameters.
    pub fn bad_request(message: Message) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ProblemCode::ValidationFailed, message)
    }

    /// The problems of a file's rows: a problem with the same field and code on several rows is
    /// one entry naming every such row (`rows`; `row` is the first). Problems of a single row come
    /// first, in row order, then the grouped ones in column order (`column` of their field). At
    /// most `MAX_LISTED_ERRORS` entries; `error_count` counts every (row, field) problem.
    pub fn row_problems(errors: Vec<FieldError>, column: impl Fn(&str) -> usize) -> Self {
        let count = errors
            .iter()
            .map(|e| (e.row, e.field.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        let mut groups: Vec<(String, &'static str, Vec<FieldError>)> = Vec::new();
        for error in errors {
            match groups
                .iter_mut()
                .find(|(field, id, _)| *field == error.field && *id == error.message.id)
            {
                Some((_, _, members)) => members.push(error),
                None => groups.push((error.field.clone(), error.message.id, vec![error])),
            }
        }
        let (mut single, mut grouped): (Vec<FieldError>, Vec<FieldError>) = (Vec::new(), Vec::new());
        for (_, _, mut members) in groups {
            members.sort_by_key(|e| e.row);
            if members.len() == 1 {
                single.extend(members);
                continue;
            }
            let mut rows: Vec<usize> = members.iter().filter_map(|e| e.row).collect();
            rows.dedup();
            let first = members.swap_remove(0);
            grouped.push(FieldError {
                row: rows.first().copied(),
                rows,
                ..first
            });
        }
        single.sort_by_key(|e| e.row);
        grouped.sort_by_key(|e| (column(&e.field), e.row));
        let mut entries = single;
        entries.extend(grouped);
        entries.truncate(MAX_LISTED_ERRORS);
        // One problem names its field before what is wrong.
        let (subject, message) = match entries.as_slice() {
            [one] if count == 1 => (
                Some(one.field.as_str().into()),
                one.message.clone().with("field", one.field.clone()),
            ),
            _ => (None, msg!("manifest_problems", count = count)),
        };
        Self {
            subject,
            errors: entries,
            error_count: Some(count as u32),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ValidationFailed,
                message,
            )
        }
    }

    /// Well-formed request whose values break a rule. At most `MAX_LISTED_ERRORS` problems are
    /// listed, the first in row order; `error_count` tells how many there are in all.
    pub fn invalid(mut errors: Vec<FieldError>) -> Self {
        let count = errors.len();
        let message = match errors.as_slice() {
            [one] => one.message.clone().with("field", one.field.clone()),
            _ if errors.iter().any(|e| e.row.is_some()) => msg!("manifest_problems", count = count),
            many => msg!("fields_invalid", count = many.len()),
        };
        errors.sort_by_key(|e| e.row.unwrap_or(0));
        errors.truncate(MAX_LISTED_ERRORS);
        // One problem names its field before what is wrong (a manifest's row too, in `errors`).
        let subject = match errors.as_slice() {
            [one] => Some(one.field.as_str().into()),
            _ => None,
        };
        Self {
            subject,
            errors,
            error_count: Some(count as u32),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemCode::ValidationFailed,
                message,
            )
        }
    }

    pub fn invalid_field(field: &str, message: Message) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn unauthorized(message: Message) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ProblemCode::Unauthorized, message)
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ProblemCode::Forbidden,
            msg!("role_may_not"),
        )
    }

    /// 403 with a reason: the role may act, but not on this object.
    pub fn forbidden_because(message: Message) -> Self {
        Self::new(StatusCode::FORBIDDEN, ProblemCode::Forbidden, message)
    }

    /// 404 for a kind of thing: `resource` is a word such as `batch` or `handoff`.
    pub fn not_found(resource: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ProblemCode::NotFound,
            msg!("not_found", resource = resource),
        )
    }

    pub fn conflict(message: Message) -> Self {
        Self::new(StatusCode::CONFLICT, ProblemCode::Conflict, message)
    }

    pub fn invalid_state(message: Message) -> Self {
        Self::new(StatusCode::CONFLICT, ProblemCode::InvalidState, message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let secs = u32::try_from(retry_after_secs.max(1)).unwrap_or(u32::MAX);
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ProblemCode::RateLimited,
                msg!("rate_limited", retry_after_secs = secs),
            )
        }
    }

    pub fn unavailable(message: Message) -> Self {
        Self {
            retry_after_secs: Some(2),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, ProblemCode::Unavailable, message)
        }
    }

    /// The problem+json body of this error, in a language.
    pub fn problem(&self, lang: Lang) -> Problem {
        Problem {
            kind: format!(
                "https://inbound-transfer.dev/problems/{}",
                self.code.as_str().replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: match &self.subject {
                Some(field) => format!(
                    "{}{}{}",
                    catalogue::field_name(lang, field),
                    if lang == Lang::Zh { "：" } else { ": " },
                    catalogue::render(lang, &self.message)
                ),
                None => catalogue::render(lang, &self.message),
            },
            code: self.code,
            params: self.message.params.clone(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemEntry {
                    row: e.row,
                    rows: e.rows.clone(),
                    field: e.field.clone(),
                    code: e.message.id,
                    params: e.message.params.clone(),
                    message: catalogue::render(lang, &e.message),
                })
                .collect(),
            error_count: self.error_count,
        }
    }

    /// What went wrong, in English, for logs and the command line.
    pub fn detail(&self) -> String {
        catalogue::render(Lang::En, &self.message)
    }

    /// Logs the cause and answers an opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ProblemCode::Internal,
            msg!("internal"),
        )
    }

    /// The answer, its body in a language.
    pub fn response_in(&self, lang: Lang) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let Some(allow) = &self.allow {
            response.insert_header((header::ALLOW, allow.as_ref()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(serde_json::to_vec(&self.problem(lang)).unwrap_or_default())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code.as_str(),
            self.detail()
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.response_in(Lang::En)
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::not_found("resource"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict(msg!("duplicate"))
            }
            // A versioned write that found its row changed since it was read
            // (`store::statements::moved_on`).
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, info)
                if info.column_name() == Some("version") =>
            {
                let resource = info.table_name().unwrap_or("row").trim_end_matches('s');
                Self::conflict(msg!("changed_concurrently", resource = resource))
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict(msg!("concurrent_change"))
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::conflict(msg!("concurrent_change"))
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::BrokenTransactionManager => {
                tracing::warn!(error = %error, "database connection lost");
                Self::unavailable(msg!("database_unavailable"))
            }
            DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
                tracing::warn!(error = %error, "database busy");
                Self::unavailable(msg!("database_busy"))
            }
            _ => Self::internal(error),
        }
    }
}

/// Errors that say the database is busy or went away, as opposed to a fault in the request.
fn is_transient(message: &str) -> bool {
    [
        "database is locked",
        "database is busy",
        "server closed the connection",
        "terminating connection",
        "no connection to the server",
        "connection to server",
        "canceling statement due to statement timeout",
        "canceling statement due to lock timeout",
    ]
    .iter()
    .any(|m| message.contains(m))
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %error, "no database connection");
        Self::unavailable(msg!("database_unavailable"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::internal(error)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<crate::domain::Refusal> for ApiError {
    /// A step the rules refuse is a conflict with the state the thing is in.
    fn from(refusal: crate::domain::Refusal) -> Self {
        ApiError::invalid_state(refusal.message())
    }
}
