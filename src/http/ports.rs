//! `/ports`: ports of entry, reference data every city uses.

use crate::db::types::Id;
use crate::db::types::Timestamp;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{fingerprint, write, Body, IdempotencyKey, List, PageRequest, Problems};
use crate::auth::{Actor, Permission};
use crate::domain::{clean_text, valid_port_code, PortKind};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::events::{self, EventPlace};
use crate::store::ports::{self, Port};
use crate::store::{new_id, Page};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/ports").get(list_ports).post(create_port))
        .service(web::resource("/ports/{id}").get(get_port));
}

#[derive(Serialize)]
pub struct PortView {
    pub id: Id,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub city_name: String,
    pub created_at: Timestamp,
}

impl From<Port> for PortView {
    fn from(p: Port) -> Self {
        PortView {
            id: p.id,
            code: p.code,
            name: p.name,
            kind: p.kind,
            city_name: p.city_name,
            created_at: p.created_at,
        }
    }
}

#[derive(Deserialize)]
pub struct PortQuery {
    limit: Option<i64>,
    cursor: Option<String>,
}

async fn list_ports(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PortQuery>,
) -> ApiResult<web::Json<List<PortView>>> {
    actor.require(Permission::ReadPorts)?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let rows = state
        .db(move |conn| Ok(ports::list(conn, page.after, page.limit)?))
        .await?;
    Ok(web::Json(List::from_page(
        Page::from_rows(rows, page.limit, |p| p.id),
        PortView::from,
    )))
}

async fn get_port(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<Id>,
) -> ApiResult<web::Json<PortView>> {
    actor.require(Permission::ReadPorts)?;
    let id = id.into_inner();
    let port = state.db(move |conn| Ok(ports::find(conn, id)?)).await?;
    port.map(|p| web::Json(p.into()))
        .ok_or_else(|| ApiError::not_found("port"))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePort {
    code: String,
    name: String,
    kind: PortKind,
    city_name: String,
}

async fn create_port(
    state: web::Data<AppState>,
    actor: Actor,
    key: IdempotencyKey,
    req: HttpRequest,
    body: Body<CreatePort>,
) -> ApiResult<HttpResponse> {
    actor.require(Permission::ManagePorts)?;
    let body = body.into_inner()?;
    let print = fingerprint(&req, &body);
    let mut problems = Problems::default();
    let code = body.code.trim().to_owned();
    if !valid_port_code(body.kind, &code) {
        problems.add(
            "code",
            match body.kind {
                PortKind::Airport => "an airport's code is its three-letter IATA code, in capitals",
                _ => "must be 2 to 10 capital letters or digits",
            },
        );
    }
    let name = problems.check("name", clean_text(&body.name, 200));
    let city_name = problems.check("city_name", clean_text(&body.city_name, 100));
    problems.into_result()?;
    let (name, city_name) = (name.unwrap_or_default(), city_name.unwrap_or_default());
    let actor_id = actor.id;
    write(&state, &actor, key, print, StatusCode::CREATED, move |conn| {
        if ports::code_taken(conn, &code)? {
            return Err(ApiError::conflict(format!("port code {code} is already taken")));
        }
        let port = Port {
            id: new_id(),
            code,
            name,
            kind: body.kind.as_str().to_owned(),
            city_name,
            created_at: Timestamp::now(),
        };
        ports::insert(conn, &port)?;
        events::record(
            conn,
            Some(actor_id),
            "port.created",
            "port",
            port.id,
            EventPlace::default(),
            serde_json::json!({"code": port.code, "name": port.name, "kind": port.kind}),
        )?;
        Ok(PortView::from(port))
    })
    .await
}
