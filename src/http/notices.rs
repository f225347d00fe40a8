//! `/travellers/{id}/notice` and `/batches/{id}/notices`: the printable notices handed to
//! travellers at the port, each in the traveller's own language.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::docs::{BadRequest, Forbidden, NotFound, Unauthorized, Unavailable};
use crate::auth::{Actor, Permission};
use crate::db::types::{BatchId, Id, TravellerId, UnitId, VehicleId};
use crate::db::{read_transaction, DbConnection};
use crate::domain::traveller::Language;
use crate::error::{ApiError, ApiResult};
use crate::notices::NoticeData;
use crate::state::AppState;
use crate::store::travellers::{self, Traveller};
use crate::store::{batches, units, vehicles};
use crate::transfer::batches as trips;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(traveller_notice).service(batch_notices);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeQuery {
    /// `zh`, `en`, `ja` or `ko`; by default the traveller's language, else `zh`.
    lang: Option<Language>,
}

/// What the notices of these travellers say, read in a fixed number of queries.
fn notice_data(
    conn: &mut DbConnection,
    list: &[Traveller],
    lang: Option<Language>,
) -> ApiResult<Vec<NoticeData>> {
    let batch_ids: Vec<BatchId> = list.iter().filter_map(|t| t.batch_id).collect();
    let trips: HashMap<BatchId, batches::Batch> = batches::by_ids(conn, &batch_ids)?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let vehicle_ids: Vec<VehicleId> = trips.values().filter_map(|b| b.vehicle_id).collect();
    let plates: HashMap<VehicleId, String> = vehicles::by_ids(conn, &vehicle_ids)?
        .into_iter()
        .map(|v| (v.id, v.plate))
        .collect();
    let unit_ids: Vec<UnitId> = list
        .iter()
        .flat_map(|t| {
            [
                Some(t.destination_city_id),
                Some(t.destination_district_id),
                t.destination_community_id,
            ]
        })
        .flatten()
        .collect();
    let places: HashMap<UnitId, units::Unit> = units::by_ids(conn, &unit_ids)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    Ok(list
        .iter()
        .map(|t| {
            let trip = t.batch_id.and_then(|b| trips.get(&b));
            let language = lang.or(t.language).unwrap_or(Language::Zh);
            let name = |id: UnitId| {
                places
                    .get(&id)
                    .map(|u| u.name_in(language == Language::Zh).to_owned())
                    .unwrap_or_default()
            };
            NoticeData {
                language,
                name: t.full_name.clone(),
                batch_code: trip.map(|b| b.code.clone()),
                vehicle_plate: trip
                    .and_then(|b| b.vehicle_id)
                    .and_then(|v| plates.get(&v).cloned()),
                district: name(t.destination_district_id),
                community: t.destination_community_id.map(name),
                city: name(t.destination_city_id),
                hotline: places.get(&t.destination_city_id).and_then(|c| c.hotline.clone()),
            }
        })
        .collect())
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

/// A traveller's notice
///
/// One printable A4 page: the traveller's name, batch code, vehicle plate, destination district
/// and community, what happens on the way and on arrival, and the destination city's 24-hour
/// hotline, in the language asked for (by default the traveller's, else Chinese).
#[utoipa::path(
    tag = "travellers",
    params(("id" = Id, Path, description = "The traveller's id"), NoticeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The notice, as printable HTML", body = String, content_type = "text/html"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/travellers/{id}/notice")]
async fn traveller_notice(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<TravellerId>,
    query: web::Query<NoticeQuery>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ReadTravellers)?;
    let (id, scope, lang) = (id.into_inner(), actor.scope, query.lang);
    let data = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let t = travellers::find(tx, scope, id)?.ok_or_else(|| ApiError::not_found("traveller"))?;
                notice_data(tx, &[t], lang)
            })
        })
        .await?;
    Ok(html(state.notices.document(&data)))
}

/// The notices of a batch
///
/// Every traveller of the batch who is still to travel with it, one page each, each in that
/// traveller's own language: printed at the port before boarding.
#[utoipa::path(
    tag = "batches",
    params(("id" = Id, Path, description = "The batch's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The notices, as one printable HTML document", body = String, content_type = "text/html"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 503, response = Unavailable),
    )
)]
#[get("/batches/{id}/notices")]
async fn batch_notices(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<BatchId>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::RunBatches)?;
    let id = id.into_inner();
    let data = state
        .db(move |conn| {
            read_transaction(conn, |tx| {
                let b = trips::load(tx, &actor, id)?;
                // A no-show is not on this vehicle: they get their notice with their next batch.
                let ids: Vec<TravellerId> = batches::members(tx, b.id)?
                    .into_iter()
                    .filter(|m| m.boarded != Some(false))
                    .map(|m| m.traveller_id)
                    .collect();
                let list: Vec<Traveller> = travellers::find_many(tx, actor.scope, &ids)?
                    .into_iter()
                    .flatten()
                    .filter(|t| t.batch_id == Some(b.id))
                    .collect();
                notice_data(tx, &list, None)
            })
        })
        .await?;
    Ok(html(state.notices.document(&data)))
}
