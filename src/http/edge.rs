//! What every request passes through before its handler: the method checked against the route
//! table (405 with `Allow`, `HEAD` served as `GET`), the bearer token checked before the path and
//! the query are read (so a caller without a token learns nothing from 404 or 400), control
//! characters refused in the query, every problem written in the language `Accept-Language`
//! prefers, and the security headers added to every answer.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;

use crate::catalogue::Lang;
use crate::domain::message::msg;
use crate::error::{ApiError, ProblemCode};
use crate::state::AppState;

/// Every route of the service with its methods, read once from the OpenAPI document, which is
/// generated from the handlers.
pub struct RouteTable {
    routes: Vec<Route>,
}

struct Route {
    segments: Vec<Segment>,
    methods: BTreeSet<&'static str>,
    /// Needs `Authorization: Bearer`.
    secured: bool,
}

enum Segment {
    Literal(String),
    Parameter,
}

impl RouteTable {
    pub fn from_document(document: &utoipa::openapi::OpenApi) -> Self {
        let routes = document
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = BTreeSet::new();
                let mut secured = false;
                for (method, operation) in [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ] {
                    if let Some(operation) = operation {
                        methods.insert(method);
                        secured |= operation.security.as_ref().is_some_and(|s| !s.is_empty());
                    }
                }
                if methods.contains("GET") {
                    methods.insert("HEAD");
                }
                Route {
                    segments: path
                        .trim_matches('/')
                        .split('/')
                        .map(|s| {
                            if s.starts_with('{') {
                                Segment::Parameter
                            } else {
                                Segment::Literal(s.to_owned())
                            }
                        })
                        .collect(),
                    methods,
                    secured,
                }
            })
            .collect();
        Self { routes }
    }

    /// The route a path names; a literal segment wins over a parameter (`/travellers/import`
    /// over `/travellers/{id}`).
    fn find(&self, path: &str) -> Option<&Route> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.routes
            .iter()
            .filter(|r| r.segments.len() == parts.len())
            .filter_map(|r| {
                let mut literals = 0;
                for (segment, part) in r.segments.iter().zip(&parts) {
                    match segment {
                        Segment::Literal(l) if l == part => literals += 1,
                        Segment::Literal(_) => return None,
                        Segment::Parameter => {}
                    }
                }
                Some((literals, r))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, r)| r)
    }
}

/// Characters no text field or query parameter may hold: U+0000 to U+001F and U+007F.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_ascii_control()
}

fn query_has_control_characters(query: &str) -> bool {
    match web::Query::<Vec<(String, String)>>::from_query(query) {
        Ok(pairs) => pairs
            .iter()
            .any(|(k, v)| k.chars().chain(v.chars()).any(is_forbidden_control)),
        // Not even decodable: the handler's own parsing answers 400.
        Err(_) => false,
    }
}

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = Lang::preferred(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let routes = req.app_data::<web::Data<RouteTable>>().cloned();
    let refusal = state
        .as_ref()
        .zip(routes.as_ref())
        .and_then(|(state, routes)| refuse_early(&req, state, routes));
    // HEAD runs the GET handler; the connection sends its headers without the body.
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let mut res = match refusal {
        Some(error) => req.into_response(error.response_in(lang)),
        None => {
            let res = next.call(req).await?.map_into_boxed_body();
            // A handler's problem is written in English by `ResponseError`; the reader's
            // language replaces it here, where the request is known.
            let translated = (lang != Lang::En)
                .then(|| res.response().error().and_then(|e| e.as_error::<ApiError>()))
                .flatten()
                .map(|e| serde_json::to_vec(&e.problem(lang)).unwrap_or_default());
            match translated {
                Some(body) => res.map_body(|_, _| BoxBody::new(body)),
                None => res,
            }
        }
    };
    add_security_headers(&mut res);
    Ok(res)
}

/// The answer a request gets before any handler reads its path, query or body, if any.
fn refuse_early(req: &ServiceRequest, state: &AppState, routes: &RouteTable) -> Option<ApiError> {
    if !state.database_ready() && req.path().starts_with("/api/v1/") {
        return Some(ApiError::unavailable(msg!("database_not_ready")));
    }
    let route = routes.find(req.path())?;
    let method = req.method().as_str();
    if !route.methods.contains(method) {
        let allow = route.methods.iter().copied().collect::<Vec<_>>().join(", ");
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ProblemCode::MethodNotAllowed,
            msg!("method_not_allowed", method = method, allow = allow.clone()),
        );
        error.allow = Some(allow.into());
        return Some(error);
    }
    if route.secured {
        if let Err(error) = super::caller::bearer_claims(req.request(), state) {
            return Some(error);
        }
    }
    if query_has_control_characters(req.query_string()) {
        return Some(ApiError::bad_request(msg!("query_control_characters")));
    }
    None
}

fn add_security_headers<B>(res: &mut ServiceResponse<B>) {
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let is_api = res.request().path().starts_with("/api/v1/");
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                 img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
                 base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        );
    }
    // Answers of the API may carry personal data: nothing keeps them, unless the handler chose
    // otherwise (the statistics revalidate with their ETags).
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Shared by the app and the tests of the route table.
pub fn route_table() -> Arc<RouteTable> {
    Arc::new(RouteTable::from_document(super::docs::openapi_document()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        let table = route_table();
        let import = table.find("/api/v1/travellers/import").unwrap();
        assert!(import.methods.contains("POST") && !import.methods.contains("GET"));
        let one = table
            .find(&format!("/api/v1/travellers/{}", uuid::Uuid::nil()))
            .unwrap();
        assert!(one.methods.contains("GET") && one.methods.contains("HEAD"));
        assert!(table.find("/api/v1/nothing/here/at/all").is_none());
        assert!(!table.find("/api/v1/auth/login").unwrap().secured);
        assert!(table.find("/api/v1/me").unwrap().secured);
    }

    #[test]
    fn control_characters_in_a_query_are_found_after_decoding() {
        assert!(query_has_control_characters("q=%00"));
        assert!(query_has_control_characters("q=a%0Ab"));
        assert!(query_has_control_characters("q%7F=1"));
        assert!(!query_has_control_characters("q=Li%20Wei&status=received"));
        assert!(!query_has_control_characters("q=%E6%9D%8E"));
    }
}
