//! The OpenAPI document and the docs page: served without a token, listing exactly the routes the
//! server serves, with the bearer scheme on every route that needs a token, and describing what the
//! server really answers.
//!
//! The server's routes and the document's operations come from one registration per handler
//! (`http::routes`); every documented route is probed on the running server.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::world::World;

/// `(METHOD, path)`, e.g. `("GET", "/api/v1/units/{id}")`.
type Route = (String, String);

/// The routes that need no token.
const PUBLIC: [(&str, &str); 13] = [
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/api-docs/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/assets/{name}"),
    // The console's page and files: it signs in through the API.
    ("GET", "/console"),
    ("GET", "/console/"),
    ("GET", "/console/assets/{version}/{name}"),
    ("GET", "/console/sw.js"),
    ("GET", "/console/manifest.webmanifest"),
];

const METHODS: [&str; 8] = [
    "get", "post", "put", "patch", "delete", "head", "options", "trace",
];

async fn document(app: &TestApp) -> Value {
    let res = app
        .send("GET", "/api-docs/openapi.json", None, None, &[])
        .await
        .expect(200);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        "the document is JSON"
    );
    assert!(res.body.is_object(), "the document: {}", res.body);
    res.body
}

fn documented_routes(doc: &Value) -> BTreeSet<Route> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn show(routes: &BTreeSet<Route>) -> String {
    routes
        .iter()
        .map(|(m, p)| format!("  {m} {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A concrete path for a documented one: every `{param}` becomes a fresh UUID.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("closing brace") + open;
        out.push_str(&rest[..open]);
        out.push_str(&uuid::Uuid::new_v4().to_string());
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

fn is_unrouted(res: &Response) -> bool {
    res.status.as_u16() == 405 || (res.status.as_u16() == 404 && res.body["detail"] == "route not found")
}

#[actix_web::test]
async fn the_document_lists_exactly_the_served_routes() {
    // Routes are registered by their handlers, which give the document its operations too
    // (`http::routes`); the running server is probed for each documented one.
    let app = spawn_app().await;
    let doc = document(&app).await;
    let documented = documented_routes(&doc);
    assert!(
        documented.contains(&("GET".into(), "/api/v1/units/{id}".into()))
            && documented.contains(&("GET".into(), "/healthz".into()))
            && documented.len() > 50,
        "the document lists the routes:\n{}",
        show(&documented)
    );

    let unknown = app.send("GET", "/api/v1/nowhere", None, None, &[]).await;
    assert!(is_unrouted(&unknown), "an unknown path is not routed");
    let wrong_method = app.send("DELETE", "/api/v1/units", None, None, &[]).await;
    assert!(is_unrouted(&wrong_method), "an unknown method is not routed");
    for (method, path) in &documented {
        let res = app.send(method, &concrete(path), None, None, &[]).await;
        assert!(
            !is_unrouted(&res),
            "{method} {path} is documented but the server does not route it: {} {}",
            res.status,
            res.body
        );
    }
}

#[actix_web::test]
async fn every_route_but_the_public_ones_requires_the_bearer_token() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    assert_eq!(scheme["bearerFormat"], "JWT", "{scheme}");
    assert_eq!(
        doc["paths"]["/api/v1/units"]["get"]["security"],
        json!([{"bearer": []}])
    );
    assert!(
        doc.get("security").is_none(),
        "no global requirement: each route says"
    );
    let public: BTreeSet<Route> = PUBLIC
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    for (method, path) in documented_routes(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let route = (method.clone(), path.clone());
        if public.contains(&route) {
            assert!(
                operation.get("security").is_none(),
                "{method} {path} needs no token"
            );
            continue;
        }
        assert_eq!(
            operation["security"],
            json!([{"bearer": []}]),
            "{method} {path} requires the bearer token"
        );
        assert!(
            operation["responses"].get("401").is_some(),
            "{method} {path} documents its 401"
        );
        let res = app.send(&method, &concrete(&path), None, None, &[]).await;
        res.expect_problem(401, "unauthorized");
    }
}

#[actix_web::test]
async fn every_operation_is_described_with_problem_responses() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    // Every reference names a schema the document holds.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "the document refers to a schema it lacks: {name}"
        );
    }
    let problem = &doc["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "code", "params", "errors"] {
        assert!(problem["properties"].get(field).is_some(), "Problem.{field}");
    }
    // `code` is a documented enum holding at least the contract's codes.
    let codes = &doc["components"]["schemas"]["ProblemCode"]["enum"];
    for code in [
        "validation_failed",
        "unauthorized",
        "forbidden",
        "not_found",
        "conflict",
        "invalid_state",
        "capacity_exceeded",
        "vehicle_unavailable",
        "invalid_handoff_code",
        "rate_limited",
        "unavailable",
    ] {
        assert!(
            codes.as_array().is_some_and(|c| c.contains(&json!(code))),
            "ProblemCode lacks {code}: {codes}"
        );
    }
    let entry = &doc["components"]["schemas"]["ProblemEntry"]["properties"];
    for field in ["row", "rows", "field", "code", "params", "message"] {
        assert!(entry.get(field).is_some(), "ProblemEntry.{field}");
    }
    for (method, path) in documented_routes(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let responses = operation["responses"].as_object().expect("responses");
        assert!(
            responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')),
            "{method} {path} documents its success (or where it moved)"
        );
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                let response = resolve(&doc, response);
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status} is problem+json"
                );
            }
        }
        let params = operation["parameters"].as_array().cloned().unwrap_or_default();
        let mut at = 0;
        while let Some(open) = path[at..].find('{') {
            let close = path[at + open..].find('}').unwrap() + at + open;
            let name = &path[at + open + 1..close];
            assert!(
                params.iter().any(|p| p["name"] == name && p["in"] == "path"),
                "{method} {path} documents its path parameter {name}"
            );
            at = close;
        }
        assert!(operation["tags"].as_array().is_some_and(|t| !t.is_empty()));
        assert!(operation["summary"].is_string(), "{method} {path} has a summary");
    }
    let import = &doc["paths"]["/api/v1/travellers/import"]["post"];
    assert!(import["requestBody"]["content"]["text/csv"].is_object());
    for word in ["validation_failed", "invalid_state", "conflict"] {
        assert!(doc.to_string().contains(word));
    }
}

#[actix_web::test]
async fn the_docs_page_is_html_without_a_token() {
    let app = spawn_app().await;
    let res = app.send("GET", "/docs", None, None, &[]).await.expect(200);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        res.header("content-type")
    );
    let html = res.body.as_str().expect("an HTML page");
    assert!(html.contains("<html") && html.contains("inbound-transfer"));
}

// --- the answers match the document ------------------------------------------------------------

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(r) => {
            let pointer = r.strip_prefix('#').expect("a local $ref");
            resolve(
                doc,
                doc.pointer(pointer).unwrap_or_else(|| panic!("dangling {r}")),
            )
        }
        None => node,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("unknown type {other}"),
    }
}

/// Why `value` does not fit `schema` (empty when it does): types, enums, required and unknown
/// properties, items.
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        let fits = variants.iter().any(|v| mismatches(doc, v, value, at).is_empty());
        return if fits {
            vec![]
        } else {
            vec![format!(
                "{at}: {value} fits none of {}",
                Value::Array(variants.clone())
            )]
        };
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().flat_map(|s| mismatches(doc, s, value, at)).collect();
    }
    let mut problems = Vec::new();
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        return vec![format!("{at}: {value} is not {types:?}")];
    }
    if let Some(words) = schema["enum"].as_array() {
        if !words.contains(value) {
            problems.push(format!("{at}: {value} is not one of {words:?}"));
        }
    }
    if let Value::Object(map) = value {
        let properties = schema["properties"].as_object();
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !map.contains_key(name) {
                problems.push(format!("{at}: required {name} is missing"));
            }
        }
        for (key, v) in map {
            match properties.and_then(|p| p.get(key)) {
                Some(s) => problems.extend(mismatches(doc, s, v, &format!("{at}.{key}"))),
                None => match &schema["additionalProperties"] {
                    Value::Object(_) => problems.extend(mismatches(
                        doc,
                        &schema["additionalProperties"],
                        v,
                        &format!("{at}.{key}"),
                    )),
                    Value::Bool(true) => {}
                    _ if properties.is_some() => problems.push(format!("{at}.{key} is not documented")),
                    _ => {}
                },
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (value, schema.get("items")) {
        for (n, v) in items.iter().enumerate() {
            problems.extend(mismatches(doc, item, v, &format!("{at}[{n}]")));
        }
    }
    problems
}

/// Asserts that an answer is documented for its route and status, and fits the documented schema.
#[track_caller]
fn assert_documented(doc: &Value, method: &str, template: &str, res: &Response) {
    let operation = &doc["paths"][template][method.to_lowercase()];
    assert!(operation.is_object(), "{method} {template} is documented");
    let status = res.status.as_u16().to_string();
    let response = resolve(doc, &operation["responses"][&status]);
    assert!(
        response.is_object(),
        "{method} {template} documents status {status} (body {})",
        res.body
    );
    let content_type = res.header("content-type").unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let Some(schema) = response["content"][&media].get("schema") else {
        assert!(
            res.body.is_null(),
            "{method} {template} {status}: undocumented {media} body {}",
            res.body
        );
        return;
    };
    let problems = mismatches(doc, schema, &res.body, "body");
    assert!(
        problems.is_empty(),
        "{method} {template} {status} does not fit the document:\n  {}\nbody: {}",
        problems.join("\n  "),
        res.body
    );
}

#[actix_web::test]
async fn the_answers_fit_the_document() {
    let world = World::new().await;
    let app = &world.app;
    let doc = document(app).await;
    let check = |method: &'static str, template: &'static str, res: Response| {
        assert_documented(&doc, method, template, &res);
        res
    };
    let (admin, dispatcher) = (world.admin.as_str(), world.dispatcher.as_str());

    check(
        "GET",
        "/healthz",
        app.send("GET", "/healthz", None, None, &[]).await,
    );
    check(
        "GET",
        "/readyz",
        app.send("GET", "/readyz", None, None, &[]).await,
    );
    check(
        "POST",
        "/api/v1/auth/login",
        app.login_response(ADMIN.0, ADMIN.1).await,
    );
    check(
        "POST",
        "/api/v1/auth/login",
        app.login_response(ADMIN.0, "wrong-password").await,
    );
    check("GET", "/api/v1/me", app.get("/api/v1/me", dispatcher).await);
    check(
        "GET",
        "/api/v1/me",
        app.send("GET", "/api/v1/me", None, None, &[]).await,
    );

    let units = check("GET", "/api/v1/units", app.get("/api/v1/units", admin).await);
    let unit = units.body["items"][0]["id"].as_str().unwrap().to_owned();
    check(
        "GET",
        "/api/v1/units/{id}",
        app.get(&format!("/api/v1/units/{unit}"), admin).await,
    );
    check(
        "GET",
        "/api/v1/units/{id}",
        app.get(&format!("/api/v1/units/{}", uuid::Uuid::new_v4()), admin)
            .await,
    );
    check(
        "POST",
        "/api/v1/units",
        app.post(
            "/api/v1/units",
            admin,
            json!({"name": "", "code": "x", "level": "district"}),
        )
        .await,
    );
    check(
        "POST",
        "/api/v1/units",
        app.post("/api/v1/units", dispatcher, json!({})).await,
    );
    let ports = check("GET", "/api/v1/ports", app.get("/api/v1/ports", admin).await);
    let port = ports.body["items"][0]["id"].as_str().unwrap().to_owned();
    check(
        "GET",
        "/api/v1/ports/{id}",
        app.get(&format!("/api/v1/ports/{port}"), admin).await,
    );
    let users = check("GET", "/api/v1/users", app.get("/api/v1/users", admin).await);
    let user = users.body["items"][0]["id"].as_str().unwrap().to_owned();
    check(
        "GET",
        "/api/v1/users/{id}",
        app.get(&format!("/api/v1/users/{user}"), admin).await,
    );

    // One trip, so that the lists, the trace and the contacts have something in them.
    let first = world.register("PVG", "CZ-TN-HM", "MU5101").await;
    let second = world.register("PVG", "CZ-TN-HM", "MU5101").await;
    let vehicle = world.new_vehicle("OPENAPI 1", 10).await;
    check(
        "GET",
        "/api/v1/vehicles/{id}",
        app.get(&format!("/api/v1/vehicles/{vehicle}"), dispatcher).await,
    );
    let batch = world
        .run_batch("PVG", &[first.clone(), second.clone()], &vehicle, &[])
        .await;
    let batch = batch["id"].as_str().unwrap().to_owned();
    world.confirm_all_to("CZ-TN").await;
    check(
        "POST",
        "/api/v1/vehicles/{id}/disinfections",
        app.post(
            &format!("/api/v1/vehicles/{vehicle}/disinfections"),
            dispatcher,
            json!({"note": "after the trip"}),
        )
        .await,
    );
    check(
        "GET",
        "/api/v1/vehicles",
        app.get("/api/v1/vehicles", dispatcher).await,
    );
    check(
        "GET",
        "/api/v1/travellers",
        app.get("/api/v1/travellers", admin).await,
    );
    check(
        "GET",
        "/api/v1/travellers/{id}",
        app.get(&format!("/api/v1/travellers/{first}"), admin).await,
    );
    check(
        "GET",
        "/api/v1/travellers/{id}/trace",
        app.get(&format!("/api/v1/travellers/{first}/trace"), admin).await,
    );
    check(
        "GET",
        "/api/v1/travellers/{id}/contacts",
        app.get(&format!("/api/v1/travellers/{first}/contacts"), admin)
            .await,
    );
    check(
        "GET",
        "/api/v1/batches",
        app.get("/api/v1/batches", dispatcher).await,
    );
    check(
        "GET",
        "/api/v1/batches/{id}",
        app.get(&format!("/api/v1/batches/{batch}"), dispatcher).await,
    );
    check(
        "POST",
        "/api/v1/batches/{id}/depart",
        app.post(&format!("/api/v1/batches/{batch}/depart"), dispatcher, json!({}))
            .await,
    );
    check(
        "GET",
        "/api/v1/handoffs",
        app.get("/api/v1/handoffs", admin).await,
    );
    let pending = world.pending_to("CZ-TN-HM").await;
    let handoff = pending[0]["id"].as_str().unwrap().to_owned();
    for (sender, token) in [(true, world.officer("CZ-TN")), (false, world.officer("CZ-TN-HM"))] {
        let res = check(
            "GET",
            "/api/v1/handoffs/{id}",
            app.get(&format!("/api/v1/handoffs/{handoff}"), token).await,
        );
        assert_eq!(
            res.body["code"].is_string(),
            sender,
            "only the sender sees the code"
        );
    }
    check(
        "POST",
        "/api/v1/handoffs/{id}/confirm",
        app.post(
            &format!("/api/v1/handoffs/{handoff}/confirm"),
            world.officer("CZ-TN-HM"),
            json!({"code": "000000x", "received_traveller_ids": []}),
        )
        .await,
    );
    check("GET", "/api/v1/events", app.get("/api/v1/events", admin).await);
    for (template, path) in [
        ("/api/v1/stats/overview", "/api/v1/stats/overview"),
        ("/api/v1/stats/ports", "/api/v1/stats/ports"),
        ("/api/v1/stats/districts", "/api/v1/stats/districts"),
        (
            "/api/v1/stats/daily",
            "/api/v1/stats/daily?from=2020-03-01&to=2020-03-10",
        ),
    ] {
        let res = check("GET", template, app.get(path, admin).await);
        let tag = res.header("etag").expect("an ETag");
        check(
            "GET",
            template,
            app.send("GET", path, Some(admin), None, &[("if-none-match", &tag)])
                .await,
        );
    }
    check(
        "GET",
        "/api/v1/stats/daily",
        app.get("/api/v1/stats/daily?from=2020-03-10&to=2020-03-01", admin)
            .await,
    );
}

/// The lengths the document states for a traveller's and a vehicle's fields are the server's: a
/// value at the limit is taken, one beyond it refused, each read from the document itself.
#[actix_web::test]
async fn the_documents_lengths_are_the_servers() {
    let world = World::new().await;
    let app = &world.app;
    let doc = document(app).await;
    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].clone();
    let traveller = schema("RegisterTraveller");
    for field in ["full_name", "address", "notes"] {
        let max = traveller[field]["maxLength"]
            .as_u64()
            .unwrap_or_else(|| panic!("{field} states its length"));
        for (n, status) in [(max, 201), (max + 1, 422)] {
            let mut body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
            body[field] = json!("x".repeat(n as usize));
            let res = app.post("/api/v1/travellers", &world.dispatcher, body).await;
            assert_eq!(res.status.as_u16(), status, "{field} of {n}: {}", res.body);
            if status == 422 {
                assert_eq!(res.body["errors"][0]["field"], field);
            }
        }
    }
    // A field's pattern is stated where the server has a rule beyond its length.
    for field in ["document_no", "nationality", "phone", "flight_no"] {
        assert!(traveller[field]["pattern"].is_string(), "{field}");
    }
    let vehicle = schema("CreateVehicle");
    let (min, max) = (
        vehicle["plate"]["minLength"].as_u64().unwrap(),
        vehicle["plate"]["maxLength"].as_u64().unwrap(),
    );
    for (n, status) in [(min - 1, 422), (min, 201), (max, 201), (max + 1, 422)] {
        // At least one character: the minimum is stated as 2.
        let plate = format!("P{}", "7".repeat(n as usize - 1));
        let res = app
            .post(
                "/api/v1/vehicles",
                &world.dispatcher,
                json!({"plate": plate, "kind": "bus", "seats": 9, "unit_id": app.unit("CZ")}),
            )
            .await;
        assert_eq!(res.status.as_u16(), status, "a plate of {n}: {}", res.body);
    }
}

/// Every operation refuses a control character in its query with 400, and every JSON body beyond
/// `server.max_body_bytes` with 413, and the document says so for each.
#[actix_web::test]
async fn the_early_refusals_of_every_operation_are_documented() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let admin = app.login(ADMIN).await;
    let too_large = json!({ "x": "a".repeat(app.settings.server.max_body_bytes) });
    for (method, path) in documented_routes(&doc) {
        let operation = &doc["paths"][&path][method.to_lowercase()];
        let documented = |status: &str| operation["responses"].get(status).is_some();
        let res = app
            .send(
                &method,
                &format!("{}?x=%01", concrete(&path)),
                Some(&admin),
                None,
                &[],
            )
            .await;
        assert_eq!(res.status.as_u16(), 400, "{method} {path}: {}", res.body);
        assert!(documented("400"), "{method} {path} documents 400");
        if operation
            .pointer("/requestBody/content/application~1json")
            .is_some()
        {
            let res = app
                .send(&method, &concrete(&path), Some(&admin), Some(&too_large), &[])
                .await;
            assert_eq!(res.status.as_u16(), 413, "{method} {path}: {}", res.body);
            assert!(documented("413"), "{method} {path} documents 413");
        }
    }
}
