//! `/travellers/import`: a whole manifest registered in one transaction, or nothing.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{get, post};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{
    BadRequest, Conflict, Forbidden, IdempotencyHeader, PayloadTooLarge, Unauthorized, Unavailable,
    Unprocessable, UnsupportedMediaType,
};
use super::{attachment, fingerprint, write_within, IdempotencyKey};
use crate::auth::{Actor, Permission};
use crate::db::types::UnitId;
use crate::db::{read_transaction, Lock};
use crate::domain::message::msg;
use crate::domain::UnitLevel;
use crate::error::{ApiError, ApiResult, ProblemCode};
use crate::sheets::fields;
use crate::sheets::manifest::{self, Format, Manifest};
use crate::sheets::template::{self, Code};
use crate::sheets::{FileFormat, HeaderLanguage};
use crate::state::AppState;
use crate::store::{ports, units};
use crate::transfer::travellers as registration;

/// When a client refused for too many manifests at once may try again, in seconds.
const BUSY_RETRY_SECS: u64 = 5;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(import_manifest).service(manifest_template);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `xlsx` (default) or `csv`.
    format: Option<FileFormat>,
    /// The header's language: `zh` (default) or `en`.
    lang: Option<HeaderLanguage>,
}

/// The manifest template
///
/// An empty manifest with the header row, in Chinese or English. The workbook has a second sheet
/// listing the port codes and the community codes of the caller's city.
#[utoipa::path(
    tag = "travellers",
    params(TemplateQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers/import/template")]
async fn manifest_template(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<TemplateQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RegisterTravellers)?;
    let format = query.format.unwrap_or_default();
    let lang = query.lang.unwrap_or_default();
    let body = match format {
        FileFormat::Csv => template::csv(lang),
        FileFormat::Xlsx => {
            let scope = actor.scope;
            let (ports, communities) = state
                .db(move |conn| {
                    read_transaction(conn, |tx| {
                        let ports = ports::list(tx, None, 10_000)?;
                        let districts: HashMap<UnitId, String> =
                            units::of_level(tx, scope, UnitLevel::District)?
                                .into_iter()
                                .map(|d| (d.id, d.name))
                                .collect();
                        let communities = units::of_level(tx, scope, UnitLevel::Community)?;
                        let ports = ports
                            .into_iter()
                            .map(|p| Code {
                                code: p.code,
                                name: p.name,
                                within: None,
                            })
                            .collect::<Vec<_>>();
                        let communities = communities
                            .into_iter()
                            .map(|c| Code {
                                within: c.parent_id.and_then(|d| districts.get(&d).cloned()),
                                code: c.code,
                                name: c.name,
                            })
                            .collect::<Vec<_>>();
                        Ok::<_, ApiError>((ports, communities))
                    })
                })
                .await?;
            template::xlsx(lang, &ports, &communities).map_err(ApiError::internal)?
        }
    };
    Ok(attachment(format, "manifest-template", body))
}

/// How many travellers a manifest registered, and the columns it ignored.
#[derive(Serialize, utoipa::ToSchema)]
struct Imported {
    created: usize,
    /// The headings of the columns the service does not use, or that repeat a field of a column
    /// to their left, as written.
    ignored_columns: Vec<String>,
}

/// Import a manifest
///
/// The manifest as the airport sends it: CSV (`text/csv`, UTF-8 with or without a byte-order mark,
/// or GB18030) or an XLSX workbook (its first sheet). The first row is the header, with the field
/// names of `RegisterTraveller` (`port_code` and `destination_community_code` in place of the ids)
/// or their Chinese names (姓名, 证件类型, 证件号码, 国籍, 电话, 航班号, 入境口岸, 入境时间, 目的社区,
/// 住址, 语言, 备注); then one traveller a row. Times without a zone are local time. Every row is
/// checked first: any problem answers 422 with the first 100 problems in row order
/// (`errors: [{row, field, message}]`, rows numbered as a spreadsheet program shows them) and
/// `error_count`, and nothing is written; otherwise all rows are written in one transaction.
#[utoipa::path(
    tag = "travellers",
    params(IdempotencyHeader),
    request_body(
        description = "The manifest, as CSV or as an XLSX workbook",
        content(
            (String = "text/csv", example = "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\nLi Wei,passport,E12345678,CHN,PVG,2024-05-01T08:30:00Z,CZ-TN-HM\n"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
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
    let format = Format::of_content_type(content_type).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::UnsupportedMediaType,
            msg!("manifest_media_type", allowed = vec!["text/csv", manifest::XLSX]),
        )
    })?;
    // Read only now: a caller without the right is refused before sending a byte more.
    let body = super::read_payload(payload, state.settings.import.max_body_bytes).await?;
    let print = fingerprint(
        &req,
        &hex::encode(sha2::Digest::finalize(
            <sha2::Sha256 as sha2::Digest>::new_with_prefix(&body),
        )),
    );
    // The whole file is read and checked before the transaction opens, by a few imports at a time.
    let place = state
        .imports
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::rate_limited(BUSY_RETRY_SECS))?;
    let read = web::block(move || manifest::read(&body, format))
        .await
        .map_err(|_| ApiError::bad_request(msg!("manifest_unreadable")))?;
    drop(place);
    let Manifest {
        rows,
        ignored_columns,
    } = read?;
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
        move |conn| {
            registration::import(conn, &who, rows, fields::position_of).map(|created| Imported {
                created,
                ignored_columns,
            })
        },
    )
    .await
}
