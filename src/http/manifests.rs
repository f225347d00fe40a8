//! `/travellers/import`: a whole manifest registered in one transaction, or nothing.

use actix_web::http::StatusCode;
use actix_web::post;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, PayloadTooLarge, Unauthorized, Unavailable,
    Unprocessable, UnsupportedMediaType,
};
use super::{fingerprint, write_within, IdempotencyKey};
use crate::auth::{Actor, Permission};
use crate::db::Lock;
use crate::error::{ApiError, ApiResult};
use crate::sheets::manifest;
use crate::state::AppState;
use crate::transfer::travellers as registration;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(import_manifest);
}

/// How many travellers a manifest registered.
#[derive(Serialize, utoipa::ToSchema)]
struct Imported {
    created: usize,
}

/// Import a manifest
///
/// A `text/csv` body: a header row of field names (those of `RegisterTraveller`, with `port_code`
/// and `destination_community_code` in place of the ids), then one traveller a row. Every row is
/// checked first: any invalid row answers 422 with `errors: [{row, field, message}]` and nothing is
/// written; otherwise all rows are written in one transaction.
#[utoipa::path(
    tag = "travellers",
    params(IdempotencyHeader),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "The manifest",
        example = "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\nLi Wei,passport,E12345678,CHN,PVG,2024-05-01T08:30:00Z,CZ-TN-HM\n"
    ),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Every row was registered", body = Imported),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 422, response = Unprocessable),
        (status = 503, response = Unavailable),
    )
)]
#[post("/travellers/import")]
async fn import_manifest(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RegisterTravellers)?;
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the manifest must be text/csv",
        ));
    }
    // Read only now: a caller without the right is refused before sending a byte more.
    let body = super::read_payload(payload, state.settings.server.max_body_bytes).await?;
    let print = fingerprint(
        &req,
        &hex::encode(sha2::Digest::finalize(
            <sha2::Sha256 as sha2::Digest>::new_with_prefix(&body),
        )),
    );
    let rows = manifest::read_csv(&body)?;
    let who = actor.clone();
    // Thousands of rows take longer than a request's usual deadline.
    let deadline = Some(std::time::Duration::from_secs(120));
    write_within(
        &state,
        &actor,
        key,
        print,
        StatusCode::CREATED,
        (deadline, Lock::Rows),
        move |conn| registration::import(conn, &who, rows).map(|created| Imported { created }),
    )
    .await
}
