//! Manifests as the airports send them: one traveller a row under a header row of field names.
//! Reading a file only maps cells to fields; every rule is checked by the one path that also
//! checks JSON registrations (`transfer::travellers`).

use crate::error::{ApiError, ApiResult, FieldError};
use crate::transfer::travellers::{ManifestRow, RawTraveller, MAX_MANIFEST_ROWS};

pub const MANIFEST_COLUMNS: &[&str] = &[
    "full_name",
    "document_type",
    "document_no",
    "nationality",
    "phone",
    "flight_no",
    "port_code",
    "arrived_at",
    "destination_community_code",
    "address",
    "language",
    "notes",
];
pub const REQUIRED_COLUMNS: &[&str] = &[
    "full_name",
    "document_type",
    "document_no",
    "nationality",
    "port_code",
    "arrived_at",
    "destination_community_code",
];

/// Reads a CSV manifest: a header row of field names, then one traveller a row. Row numbers are
/// the spreadsheet's, the header being row 1.
pub fn read_csv(body: &[u8]) -> ApiResult<Vec<ManifestRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::bad_request(format!("unreadable CSV header: {e}")))?
        .clone();
    let mut problems = Vec::new();
    for h in headers.iter() {
        if !MANIFEST_COLUMNS.contains(&h) {
            problems.push(FieldError {
                row: Some(1),
                ..FieldError::new(h, "unknown column")
            });
        }
    }
    for required in REQUIRED_COLUMNS {
        if !headers.iter().any(|h| h == *required) {
            problems.push(FieldError {
                row: Some(1),
                ..FieldError::new(*required, "required column is missing")
            });
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(problems));
    }
    let column = |name: &str| headers.iter().position(|h| h == name);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| {
            ApiError::invalid(vec![FieldError {
                row: Some(line),
                ..FieldError::new("row", format!("unreadable: {e}"))
            }])
        })?;
        let get = |name: &str| column(name).and_then(|c| record.get(c)).unwrap_or("").to_owned();
        let opt = |name: &str| Some(get(name)).filter(|v| !v.is_empty());
        rows.push(ManifestRow {
            line,
            raw: RawTraveller {
                full_name: get("full_name"),
                document_type: get("document_type"),
                document_no: get("document_no"),
                nationality: get("nationality"),
                phone: opt("phone"),
                flight_no: opt("flight_no"),
                arrived_at: get("arrived_at"),
                address: opt("address"),
                language: opt("language"),
                notes: opt("notes"),
            },
            port_code: get("port_code"),
            community_code: get("destination_community_code"),
        });
        if rows.len() > MAX_MANIFEST_ROWS {
            return Err(ApiError::invalid_field(
                "body",
                format!("at most {} rows per manifest", MAX_MANIFEST_ROWS),
            ));
        }
    }
    if rows.is_empty() {
        return Err(ApiError::invalid_field("body", "the manifest has no rows"));
    }
    Ok(rows)
}
