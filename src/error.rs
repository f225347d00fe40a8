//! The one error type of the HTTP layer, answered as `application/problem+json` (RFC 9457).
//! Unexpected failures are logged with their cause and answered as an opaque 500.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

/// One problem with one field of the request (or of one row of an import).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// The line of the CSV manifest (the header is line 1); only for imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    /// The request failed, but what its transaction wrote must be kept (a counted wrong code).
    pub keep_changes: bool,
    /// The methods a path serves, for a 405.
    pub allow: Option<Box<str>>,
    /// How many problems there are, when `errors` lists only the first of them.
    pub error_count: Option<u32>,
}

/// The most problems one answer lists (a manifest may have thousands).
pub const MAX_LISTED_ERRORS: usize = 100;

/// An `application/problem+json` body (RFC 9457), the answer to every failed request.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    kind: String,
    /// The HTTP status phrase.
    title: &'a str,
    status: u16,
    /// What went wrong, for people.
    detail: &'a str,
    /// A stable snake_case word for programs, e.g. `validation_failed`, `not_found`, `conflict`,
    /// `invalid_state`, `capacity_exceeded`, `vehicle_unavailable`, `invalid_handoff_code`.
    code: &'a str,
    /// One entry per invalid field (or CSV row and field); absent when there are none.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    #[schema(value_type = Vec<FieldError>)]
    errors: &'a [FieldError],
    /// How many problems were found in all; `errors` lists the first 100 of them in row order.
    #[serde(skip_serializing_if = "Option::is_none")]
    error_count: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            keep_changes: false,
            allow: None,
            error_count: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Malformed request: not JSON, wrong types, unknown or missing fields, bad query parameters.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation_failed", detail)
    }

    /// Well-formed request whose values break a rule. At most `MAX_LISTED_ERRORS` problems are
    /// listed, the first in row order; `error_count` tells how many there are in all.
    pub fn invalid(mut errors: Vec<FieldError>) -> Self {
        let count = errors.len();
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ if errors.iter().any(|e| e.row.is_some()) => format!("{count} problems in the manifest"),
            many => format!("{} fields are invalid", many.len()),
        };
        errors.sort_by_key(|e| e.row.unwrap_or(0));
        errors.truncate(MAX_LISTED_ERRORS);
        Self {
            errors,
            error_count: Some(count as u32),
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", detail)
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::invalid(vec![FieldError::new(field, message)])
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "your role may not do this")
    }

    /// 403 with a reason: the role may act, but not on this object.
    pub fn forbidden_because(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    pub fn invalid_state(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "invalid_state", detail)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many attempts; try again later",
            )
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(2),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
        }
    }

    /// Marks the error as one whose transaction still commits.
    pub fn keeping_changes(self) -> Self {
        Self {
            keep_changes: true,
            ..self
        }
    }

    /// The problem+json body of this error.
    pub fn problem(&self) -> Problem<'_> {
        Problem {
            kind: format!(
                "https://inbound-transfer.dev/problems/{}",
                self.code.replace('_', "-")
            ),
            title: self.title(),
            status: self.status.as_u16(),
            detail: &self.detail,
            code: self.code,
            errors: &self.errors,
            error_count: self.error_count,
        }
    }

    /// Logs the cause and answers an opaque 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an unexpected error occurred",
        )
    }

    fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = self.problem();
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
        response.body(serde_json::to_vec(&body).unwrap_or_default())
    }
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::NotFound => Self::not_found("resource"),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("a resource with the same unique value already exists")
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict("a concurrent change touched the same data; retry")
            }
            DieselError::DatabaseError(_, info) if info.message().contains("deadlock detected") => {
                Self::conflict("a concurrent change touched the same data; retry")
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _)
            | DieselError::BrokenTransactionManager => {
                tracing::warn!(error = %error, "database connection lost");
                Self::unavailable("the database is unavailable")
            }
            DieselError::DatabaseError(_, info) if is_transient(info.message()) => {
                tracing::warn!(error = %error, "database busy");
                Self::unavailable("the database is busy")
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
        Self::unavailable("the database is unavailable")
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
        ApiError::invalid_state(refusal.to_string())
    }
}
