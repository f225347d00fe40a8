//! `/reports/roster`: the roster of a scope and period as XLSX or CSV, "one table to the end".
//! Rosters hold personal data by the thousand: every download is an event `report.exported`.

use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::attachment;
use super::docs::{BadRequest, Forbidden, TooManyRequests, Unauthorized, Unavailable, Unprocessable};
use crate::auth::{Actor, Permission};
use crate::db::types::{Timestamp, TravellerId};
use crate::db::{read_transaction, DbConnection, Lock};
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::sheets::roster::{CsvRoster, XlsxRoster};
use crate::sheets::{FileFormat, HeaderLanguage};
use crate::state::AppState;
use crate::store;
use crate::store::counts::local_offset;
use crate::store::roster::{self, Names, RosterFilter, RosterRow};
use crate::transfer::exports::{self, RosterExport};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(roster_file);
}

/// Travellers read per query.
const PAGE: i64 = 1000;
/// When a client refused for too many rosters at once may try again, in seconds.
const BUSY_RETRY_SECS: u64 = 5;
/// Pages read ahead of the file being written.
const READ_AHEAD: usize = 2;
/// The most rows a worksheet holds, after its header.
const XLSX_MAX_ROWS: i64 = 1_048_575;
/// How long a download may wait for its client to take the next chunk: a client that stops
/// reading does not hold a database connection and a snapshot for longer.
const STALLED_CLIENT: Duration = Duration::from_secs(30);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// `xlsx` (default) or `csv`.
    format: Option<FileFormat>,
    /// The first local day of arrival; without it, from the first traveller.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<NaiveDate>,
    /// The last local day of arrival; without it, up to now.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<NaiveDate>,
    /// The header's language: `zh` (default) or `en`.
    lang: Option<HeaderLanguage>,
}

/// The start of a local day, as an instant.
fn local_midnight(day: NaiveDate) -> ApiResult<Timestamp> {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| ApiError::internal("midnight"))?;
    local_offset()
        .from_local_datetime(&midnight)
        .single()
        .map(|at| Timestamp(at.with_timezone(&chrono::Utc)))
        .ok_or_else(|| ApiError::invalid_field("from", msg!("not_a_day")))
}

/// The roster
///
/// One row per traveller of the caller's jurisdiction who arrived in the period (local days,
/// inclusive; by default every traveller), with the whole chain across the row: the person, the
/// port, the batch, vehicle and driver, both handoffs, status, custodian and exception. Times in
/// local time. XLSX: dates as dates, every string a string cell, frozen header, autofilter. CSV:
/// UTF-8 with a byte-order mark, streamed; a cell beginning with `=`, `+`, `-`, `@`, TAB or CR gets
/// a leading `'`. Every download is recorded as an event `report.exported`. Each instance builds a
/// few rosters at once (`reports.max_concurrent`); beyond them 429 with `Retry-After`.
#[utoipa::path(
    tag = "reports",
    params(RosterQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The roster file", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[get("/reports/roster")]
async fn roster_file(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<RosterQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ReadTravellers)?;
    let query = query.into_inner();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from > to {
            return Err(ApiError::invalid_field("from", msg!("from_after_to")));
        }
    }
    let format = query.format.unwrap_or_default();
    let lang = query.lang.unwrap_or_default();
    let filter = RosterFilter {
        scope: actor.scope,
        from: query.from.map(local_midnight).transpose()?,
        until: query
            .to
            .and_then(|to| to.succ_opt())
            .map(local_midnight)
            .transpose()?,
        registered_by: Timestamp::now(),
    };
    // A roster holds a database connection while it is read: a few at once, and the rest of the
    // service keeps its connections. Refused before anything is recorded.
    let place = state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::rate_limited(BUSY_RETRY_SECS))?;
    // The download is recorded before a byte is sent, with the rows it holds.
    let export = RosterExport {
        extension: format.extension(),
        most_rows: (format == FileFormat::Xlsx).then_some(XLSX_MAX_ROWS),
        from: query.from,
        to: query.to,
    };
    let (who, counted) = (actor.clone(), filter);
    let rows = state
        .write(move |conn| {
            store::write(conn, Lock::Rows, |tx| {
                exports::record_roster(tx, &who, &counted, &export)
            })
        })
        .await?;
    tracing::info!(rows, format = format.extension(), "roster exported");
    match format {
        FileFormat::Xlsx => {
            // The workbook is written on one thread while the database's reads the next page.
            let pages = read_pages(state, filter, lang);
            let body = web::block(move || {
                let mut book = XlsxRoster::new(lang).map_err(ApiError::internal)?;
                each_read(&pages, |page| {
                    for row in &page {
                        book.push(row).map_err(ApiError::internal)?;
                    }
                    Ok(true)
                })?;
                let body = book.finish().map_err(ApiError::internal);
                drop(place);
                body
            })
            .await
            .map_err(ApiError::internal)??;
            Ok(attachment(format, "roster", body))
        }
        FileFormat::Csv => Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, format.content_type()))
            .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"roster.csv\""))
            .streaming(csv_stream(state, filter, lang, place))),
    }
}

/// Hands the roster to `take` a page at a time, from the first page (empty when there is no row)
/// to the last, or until `take` answers false.
fn each_page(
    conn: &mut DbConnection,
    filter: &RosterFilter,
    lang: HeaderLanguage,
    mut take: impl FnMut(Vec<RosterRow>) -> bool,
) -> ApiResult<()> {
    let names = Names::load(conn, lang == HeaderLanguage::Zh)?;
    let mut after: Option<TravellerId> = None;
    loop {
        let page = roster::page(conn, filter, &names, after, PAGE)?;
        let next = match page.last() {
            Some(last) if page.len() as i64 == PAGE => Some(last.traveller.id),
            _ => None,
        };
        if !take(page) || next.is_none() {
            return Ok(());
        }
        after = next;
    }
}

/// What the database's thread hands on: a page, the end, or why it stopped.
type Read = ApiResult<Option<Vec<RosterRow>>>;

/// Reads the roster a page at a time, from one read transaction, on the database's thread, a few
/// pages ahead of whoever takes them, so that writing the file overlaps reading the next page. The
/// reading stops when the receiver is dropped.
fn read_pages(
    state: web::Data<AppState>,
    filter: RosterFilter,
    lang: HeaderLanguage,
) -> std::sync::mpsc::Receiver<Read> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Read>(READ_AHEAD);
    actix_web::rt::spawn(async move {
        let failed = sender.clone();
        let read = state
            .db_within(None, move |conn| {
                read_transaction(conn, |tx| {
                    let mut taken = true;
                    each_page(tx, &filter, lang, |page| {
                        taken = sender.send(Ok(Some(page))).is_ok();
                        taken
                    })?;
                    if taken {
                        let _ = sender.send(Ok(None));
                    }
                    Ok(())
                })
            })
            .await;
        if let Err(error) = read {
            // Never blocks this thread: without room, the taker sees the reading end early.
            let _ = failed.try_send(Err(error));
        }
    });
    receiver
}

/// Hands `take` the pages of `read_pages` until the last, or until it answers false; an error if the
/// reading stopped before the end.
fn each_read(
    pages: &std::sync::mpsc::Receiver<Read>,
    mut take: impl FnMut(Vec<RosterRow>) -> ApiResult<bool>,
) -> ApiResult<()> {
    loop {
        match pages.recv() {
            Ok(Ok(Some(page))) => {
                if !take(page)? {
                    return Ok(());
                }
            }
            Ok(Ok(None)) => return Ok(()),
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(ApiError::unavailable(msg!("roster_interrupted"))),
        }
    }
}

type Chunk = Result<web::Bytes, ApiError>;

/// Hands a chunk to the response within `limit`: false when the client is gone or has not taken
/// anything for that long.
fn send_within(sender: &tokio::sync::mpsc::Sender<Chunk>, mut chunk: Chunk, limit: Duration) -> bool {
    use tokio::sync::mpsc::error::TrySendError;
    let deadline = Instant::now() + limit;
    loop {
        match sender.try_send(chunk) {
            Ok(()) => return true,
            Err(TrySendError::Closed(_)) => return false,
            Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                chunk = back;
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(TrySendError::Full(_)) => return false,
        }
    }
}

/// The CSV roster as it is written, a page at a time, from one read transaction: the first bytes
/// go out before the last page is read.
fn csv_stream(
    state: web::Data<AppState>,
    filter: RosterFilter,
    lang: HeaderLanguage,
    place: tokio::sync::OwnedSemaphorePermit,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
    let failed = sender.clone();
    let pages = read_pages(state, filter, lang);
    actix_web::rt::spawn(async move {
        // Formatting a page overlaps reading the next.
        let written = web::block(move || {
            let mut csv = CsvRoster::new(lang);
            each_read(&pages, |page| {
                let chunk = csv.chunk(&page).map_err(ApiError::internal)?;
                // The client went away, or stopped reading: stop.
                let taken = send_within(&sender, Ok(chunk.into()), STALLED_CLIENT);
                if !taken {
                    tracing::warn!("the roster's client stopped reading");
                }
                Ok(taken)
            })
        })
        .await
        .map_err(ApiError::internal)
        .and_then(|written| written);
        // The roster is read and handed on: another may start.
        drop(place);
        if let Err(error) = written {
            tracing::warn!(error = %error, "the roster stopped before its end");
            let _ = failed.send(Err(error)).await;
        }
    });
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((chunk.map_err(actix_web::Error::from), receiver))
    })
}
