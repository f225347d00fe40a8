//! What the OpenAPI document states beyond what the handlers' annotations say, applied to the
//! generated document before it is served, from the rules the server itself enforces:
//! - text fields and parameters refuse control characters (see `Body` and `edge`): a `pattern`
//!   on every free string of a request, with tabs and line breaks in `MULTI_LINE_FIELDS`;
//! - list cursors (`CURSOR_PATTERN`), the event log's numeric cursor and `Idempotency-Key`;
//! - every operation with a body may answer 415, with a JSON body 413, and every operation 400
//!   (a control character in its query);
//! - links between the operations of the main flows (create → get, batch → boarding → depart
//!   → arrive → handoff), so that a client or a stateful test can follow them.

use serde_json::{json, Map, Value};

use super::{CURSOR_PATTERN, MULTI_LINE_FIELDS};

/// No control characters (U+0000 to U+001F, U+007F).
pub const SINGLE_LINE_PATTERN: &str = r"^[^\u0000-\u001F\u007F]*$";
/// No control characters but TAB, LF and CR.
pub const MULTI_LINE_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$";
/// The event log's cursor: a sequence number.
pub const EVENT_CURSOR_PATTERN: &str = "^[0-9]{0,18}$";
/// 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

pub fn state_constraints(document: &mut Value) {
    let mut request_schemas = Vec::new();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (_, operation) in item.iter_mut() {
                let Some(operation) = operation.as_object_mut() else {
                    continue;
                };
                for parameter in operation
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    constrain_parameter(path, parameter);
                }
                let has_body = operation.contains_key("requestBody");
                let json_body = operation
                    .get("requestBody")
                    .and_then(|body| body.pointer("/content/application~1json"))
                    .is_some();
                if let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) {
                    let mut may_answer = |status: &str, response: &str| {
                        responses
                            .entry(status)
                            .or_insert_with(|| json!({"$ref": format!("#/components/responses/{response}")}));
                    };
                    // A control character in any query is refused before the handler (`edge`).
                    may_answer("400", "BadRequest");
                    if json_body {
                        // Beyond `server.max_body_bytes` (see `Body`).
                        may_answer("413", "PayloadTooLarge");
                    }
                    if has_body {
                        may_answer("415", "UnsupportedMediaType");
                    }
                }
                if let Some(body) = operation.get_mut("requestBody") {
                    for (_, media) in body
                        .get_mut("content")
                        .and_then(Value::as_object_mut)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(schema) = media.get_mut("schema") {
                            collect_refs(schema, &mut request_schemas);
                            constrain_schema(schema, "");
                        }
                    }
                }
            }
        }
    }
    // The components that requests are made of, and everything they refer to.
    let mut seen = std::collections::BTreeSet::new();
    while let Some(name) = request_schemas.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = document.pointer_mut(&format!("/components/schemas/{name}")) {
            collect_refs(schema, &mut request_schemas);
            constrain_schema(schema, "");
        }
    }
}

fn collect_refs(schema: &Value, into: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                if let Some(name) = reference.strip_prefix("#/components/schemas/") {
                    into.push(name.to_owned());
                }
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

fn is_free_string(schema: &Map<String, Value>) -> bool {
    let is_string = match schema.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    // A password is free text too; the other formats (uuid, date-time, ...) have rules of their own.
    let free_format = schema.get("format").is_none_or(|f| f == "password");
    is_string
        && free_format
        && !["enum", "pattern", "const"]
            .iter()
            .any(|k| schema.contains_key(*k))
}

/// Adds the control-character pattern to every free string of a request schema.
fn constrain_schema(schema: &mut Value, field: &str) {
    let Some(map) = schema.as_object_mut() else { return };
    if is_free_string(map) {
        let pattern = if MULTI_LINE_FIELDS.contains(&field) {
            MULTI_LINE_PATTERN
        } else {
            SINGLE_LINE_PATTERN
        };
        map.insert("pattern".into(), json!(pattern));
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for (name, property) in properties.iter_mut() {
            constrain_schema(property, name);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = map.get_mut(key) {
            constrain_schema(inner, field);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for inner in map
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            constrain_schema(inner, field);
        }
    }
}

fn constrain_parameter(path: &str, parameter: &mut Value) {
    let name = parameter
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    // Headers other than Idempotency-Key are read leniently: an If-None-Match that matches no
    // ETag is simply not matched.
    if parameter["in"] == "header" && name != "Idempotency-Key" {
        return;
    }
    let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut) else {
        return;
    };
    if !is_free_string(schema) {
        return;
    }
    let pattern = match name.as_str() {
        "cursor" if path.ends_with("/events") => EVENT_CURSOR_PATTERN,
        "cursor" => CURSOR_PATTERN,
        "Idempotency-Key" => IDEMPOTENCY_KEY_PATTERN,
        _ => SINGLE_LINE_PATTERN,
    };
    schema.insert("pattern".into(), json!(pattern));
}

/// `(from path, method, status, link name, to operationId, parameter, value)`.
const LINKS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "/api/v1/travellers",
        "post",
        "201",
        "GetTraveller",
        "get_traveller",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/travellers",
        "post",
        "201",
        "TraceTraveller",
        "trace",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/travellers",
        "post",
        "201",
        "TravellerContacts",
        "contacts",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/travellers",
        "post",
        "201",
        "RecordException",
        "record_exception",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches",
        "post",
        "201",
        "GetBatch",
        "get_batch",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches",
        "post",
        "201",
        "AssignVehicle",
        "assign_vehicle",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches",
        "post",
        "201",
        "EditTravellers",
        "edit_travellers",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches",
        "post",
        "201",
        "RecordBoarding",
        "record_boarding",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches",
        "post",
        "201",
        "CancelBatch",
        "cancel_batch",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches/{id}/boarding",
        "post",
        "200",
        "Depart",
        "depart",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches/{id}/depart",
        "post",
        "200",
        "Arrive",
        "arrive",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/batches/{id}/arrive",
        "post",
        "200",
        "GetHandoff",
        "get_handoff",
        "id",
        "$response.body#/handoffs/0/id",
    ),
    (
        "/api/v1/batches/{id}/arrive",
        "post",
        "200",
        "ConfirmHandoff",
        "confirm",
        "id",
        "$response.body#/handoffs/0/id",
    ),
    (
        "/api/v1/batches/{id}/arrive",
        "post",
        "200",
        "RejectHandoff",
        "reject",
        "id",
        "$response.body#/handoffs/0/id",
    ),
    (
        "/api/v1/handoffs",
        "post",
        "201",
        "GetHandoff",
        "get_handoff",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/handoffs",
        "post",
        "201",
        "ConfirmHandoff",
        "confirm",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/handoffs",
        "post",
        "201",
        "RejectHandoff",
        "reject",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/handoffs",
        "post",
        "201",
        "CancelHandoff",
        "cancel_handoff",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/vehicles",
        "post",
        "201",
        "GetVehicle",
        "get_vehicle",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/vehicles",
        "post",
        "201",
        "UpdateVehicle",
        "update_vehicle",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/vehicles",
        "post",
        "201",
        "Disinfect",
        "record_disinfection",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/units",
        "post",
        "201",
        "GetUnit",
        "get_unit",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/ports",
        "post",
        "201",
        "GetPort",
        "get_port",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/users",
        "post",
        "201",
        "GetUser",
        "get_user",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/users",
        "post",
        "201",
        "UpdateUser",
        "update_user",
        "id",
        "$response.body#/id",
    ),
    (
        "/api/v1/users",
        "post",
        "201",
        "SetPassword",
        "reset_password",
        "id",
        "$response.body#/id",
    ),
];

/// Adds the links of the main flows; a link whose target operation is not in the document is
/// left out (the document test checks that none is).
pub fn add_links(document: &mut Value) {
    let operation_ids: std::collections::BTreeSet<String> = document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    for (path, method, status, name, target, parameter, value) in LINKS {
        if !operation_ids.contains(*target) {
            continue;
        }
        let pointer = format!(
            "/paths/{}/{method}/responses/{status}",
            path.replace('~', "~0").replace('/', "~1")
        );
        let Some(response) = document.pointer_mut(&pointer).and_then(Value::as_object_mut) else {
            continue;
        };
        let links = response
            .entry("links")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("links are an object");
        links.insert(
            (*name).to_owned(),
            json!({"operationId": target, "parameters": {*parameter: value}}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        serde_json::from_str(crate::http::docs::document_json()).unwrap()
    }

    #[test]
    fn operation_ids_are_unique_and_every_link_names_one() {
        let doc = document();
        let mut ids = Vec::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    ids.push(id.to_owned());
                }
            }
        }
        let unique: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate operationIds: {ids:?}");
        for (path, method, status, name, target, _, _) in LINKS {
            assert!(unique.contains(&target.to_string()), "{target} is no operation");
            let link = &doc["paths"][path][method]["responses"][status]["links"][name];
            assert_eq!(link["operationId"], *target, "{path} {method} {status} {name}");
        }
    }

    #[test]
    fn request_strings_state_the_control_character_rule() {
        let doc = document();
        let register = &doc["components"]["schemas"]["RegisterTraveller"]["properties"];
        assert_eq!(register["full_name"]["pattern"], SINGLE_LINE_PATTERN);
        assert_eq!(register["address"]["pattern"], MULTI_LINE_PATTERN);
        assert!(
            register["port_id"].get("pattern").is_none(),
            "uuids keep their format"
        );
        let boarding = &doc["paths"]["/api/v1/batches/{id}/boarding"]["post"];
        assert!(boarding["responses"]["415"].is_object());
        let list = doc["paths"]["/api/v1/travellers"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .clone();
        let param = |name: &str| list.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
        assert_eq!(param("cursor")["pattern"], CURSOR_PATTERN);
        assert_eq!(param("q")["pattern"], SINGLE_LINE_PATTERN);
    }
}
