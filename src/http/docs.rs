//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` annotations, served at
//! `/api-docs/openapi.json`, and a docs page that renders it at `/docs`. Neither needs a token.
//!
//! The document's operations are collected from the same registrations that give the server its
//! routes (`super::routes`), so the two cannot differ.

use actix_web::get;
use std::sync::OnceLock;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi, ToResponse};
use utoipa_actix_web::AppExt;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(openapi_json).service(docs_page).service(docs_asset);
}

/// The docs page's files, built into the binary: Swagger UI (vendored from the npm registry, see
/// `assets/vendor/README.md`) and the script that points it at this document.
const DOCS_ASSETS: [(&str, &str, &[u8]); 5] = [
    (
        "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/vendor/swagger-ui-dist/swagger-ui-bundle.js"),
    ),
    (
        "swagger-ui.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/vendor/swagger-ui-dist/swagger-ui.css"),
    ),
    (
        "init.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/docs/init.js"),
    ),
    (
        "LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/vendor/swagger-ui-dist/LICENSE"),
    ),
    (
        "NOTICE",
        "text/plain; charset=utf-8",
        include_bytes!("../../assets/vendor/swagger-ui-dist/NOTICE"),
    ),
];

/// A file of the docs page
#[utoipa::path(
    tag = "operations",
    params(("name" = String, Path, description = "The file's name")),
    responses(
        (status = 200, description = "The file", body = String, content_type = "text/plain"),
        (status = 404, response = NotFound),
    )
)]
#[get("/docs/assets/{name}")]
async fn docs_asset(name: web::Path<String>) -> Result<HttpResponse, crate::error::ApiError> {
    let (_, content_type, bytes) = DOCS_ASSETS
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .ok_or_else(|| crate::error::ApiError::not_found("file"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, *content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(*bytes))
}

/// The name of the security scheme of every route that needs an access token.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "inbound-transfer",
        description = "Closed-loop transfer of inbound travellers: one shared record from the port of \
                       entry to the community. Every error is `application/problem+json`; every route \
                       but login, refresh, health, readiness and these docs needs \
                       `Authorization: Bearer <access token>`."
    ),
    components(
        schemas(
            crate::error::Problem,
            crate::error::ProblemEntry,
            crate::error::ProblemCode,
            crate::sheets::HeaderLanguage,
            crate::sheets::FileFormat
        ),
        responses(
            BadRequest,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            TooManyRequests,
            Unavailable
        )
    ),
    modifiers(&BearerScheme),
    tags(
        (name = "operations", description = "Health, readiness and this documentation"),
        (name = "console", description = "The web console's page and files"),
        (name = "auth", description = "Tokens and the caller"),
        (name = "units", description = "The organisation tree: city > district > community"),
        (name = "ports", description = "Ports of entry"),
        (name = "users", description = "Accounts (admin only)"),
        (name = "vehicles", description = "Vehicles of each city's transfer team"),
        (name = "travellers", description = "Registration, manifests, trace, contacts, exceptions"),
        (name = "batches", description = "Trips from the port of entry to the city"),
        (name = "handoffs", description = "Custody offered to the next level, confirmed or rejected"),
        (name = "loose-ends", description = "Everything that keeps the loop open, with whom must act and what to do"),
        (name = "reports", description = "The roster as a spreadsheet, for officers"),
        (name = "stats", description = "Dashboard numbers, scoped to the caller's subtree"),
        (name = "events", description = "The audit trail"),
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme (an access token from `/auth/login`) that the routes require.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token from `POST /api/v1/auth/login` or `POST /api/v1/auth/refresh`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document, built once: [`ApiDoc`] with the operations of every registered route.
pub fn openapi_document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| {
        let (_, document) = actix_web::App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .configure(super::routes)
            .split_for_parts();
        document
    })
}

/// This OpenAPI document
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3 document of this service", body = serde_json::Value))
)]
#[get("/api-docs/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_json())
}

/// The document as served: the generated one, with what the server enforces beyond the
/// handlers' annotations (`contract`).
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut document = serde_json::to_value(openapi_document()).unwrap_or_default();
        super::contract::state_constraints(&mut document);
        super::contract::add_links(&mut document);
        serde_json::to_string(&document).unwrap_or_default()
    })
}

/// The docs page
///
/// Renders this document with Swagger UI, served by the service itself: it works on a network
/// without internet.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "An HTML page rendering the OpenAPI document", body = String, content_type = "text/html"))
)]
#[get("/docs")]
async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(include_str!("../../assets/docs/index.html"))
}

/// The optional `Idempotency-Key` header of a POST: the same key and body from the same user
/// replays the first answer (with `Idempotency-Replayed: true`); the same key with another body
/// answers 422 `idempotency_key_reused`.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// 1 to 255 visible ASCII characters.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255
    )]
    idempotency_key: Option<String>,
}

/// Reusable problem+json responses, one per status.
macro_rules! problem_responses {
    ($($name:ident => $description:literal),+ $(,)?) => {$(
        #[doc = $description]
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), problem($description))
            }
        }
    )+};
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

problem_responses!(
    BadRequest => "Malformed request: not JSON, wrong types, unknown or missing fields, bad query parameters (`validation_failed`)",
    Unauthorized => "No valid access token, or wrong credentials (`unauthorized`)",
    Forbidden => "The caller's role may never do this (`forbidden`)",
    NotFound => "No such object within the caller's jurisdiction (`not_found`)",
    Conflict => "The object's state does not allow this (`invalid_state`), or a clash with another object (`conflict`, `capacity_exceeded`, `vehicle_unavailable`)",
    PayloadTooLarge => "The request body is too large (`payload_too_large`)",
    UnsupportedMediaType => "The request body has the wrong content type (`unsupported_media_type`)",
    Unprocessable => "Well-formed request whose values break a rule, with one entry per field in `errors` (`validation_failed`), or an `Idempotency-Key` reused with another body (`idempotency_key_reused`)",
    TooManyRequests => "Too many attempts, or too many at once; see `Retry-After` (`rate_limited`)",
    Unavailable => "The database is unavailable or busy; retry (`unavailable`)",
);
