//! Registering travellers (one by one or a flight's manifest at once) and recording exceptions.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{acts_for, record_step, step_traveller, unit_place, Step};
use crate::auth::{Actor, Scope};
use crate::db::types::{PortId, Timestamp, TravellerId, UnitId};
use crate::db::DbConnection;
use crate::domain::message::{msg, Message};
use crate::domain::traveller::{
    normalize_document_no, parse_time, transition, valid_flight_no, valid_nationality, valid_phone,
    DocumentType, ExceptionKind, Language, TravellerEvent, TravellerStatus,
};
use crate::domain::{clean_text, multi_line_problem, written_key, UnitLevel};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::store::counts::local_offset;
use crate::store::travellers::{self, Traveller};
use crate::store::Tx;
use crate::store::{ports, units};

/// A traveller as typed by a dispatcher or read from a manifest row, before the checks of its
/// values. Closed sets arrive as what they are: a word the reader did not know is kept as written.
#[derive(Debug, Clone)]
pub struct RawTraveller {
    pub full_name: String,
    pub document_type: Result<DocumentType, String>,
    pub document_no: String,
    pub nationality: String,
    pub phone: Option<String>,
    pub flight_no: Option<String>,
    pub arrived_at: String,
    pub address: Option<String>,
    pub language: Option<Result<Language, String>>,
    pub notes: Option<String>,
}

/// A traveller whose fields passed every check that needs no database.
#[derive(Debug, Clone)]
pub struct CheckedTraveller {
    pub full_name: String,
    pub document_type: DocumentType,
    pub document_no: String,
    pub nationality: String,
    pub phone: Option<String>,
    pub flight_no: Option<String>,
    pub arrived_at: Timestamp,
    pub address: Option<String>,
    pub language: Option<Language>,
    pub notes: Option<String>,
}

fn optional(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Checks every field, reporting all problems at once.
pub fn check(raw: &RawTraveller, now: DateTime<Utc>) -> Result<CheckedTraveller, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: Message| errors.push(FieldError::new(field, message));
    let full_name = clean_text(&raw.full_name, 200)
        .map_err(|m| bad("full_name", m))
        .ok();
    let document_type = raw.document_type.as_ref().ok().copied();
    if document_type.is_none() {
        bad(
            "document_type",
            msg!(
                "one_of",
                allowed = DocumentType::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>()
            ),
        );
    }
    let document_no = normalize_document_no(&raw.document_no)
        .map_err(|m| bad("document_no", m))
        .ok();
    let nationality = raw.nationality.trim().to_uppercase();
    if !valid_nationality(&nationality) {
        bad("nationality", msg!("nationality_format"));
    }
    let phone = optional(&raw.phone);
    if phone.as_deref().is_some_and(|p| !valid_phone(p)) {
        bad("phone", msg!("phone_format_plus"));
    }
    let flight_no = optional(&raw.flight_no).map(|f| f.replace(' ', "").to_uppercase());
    if flight_no.as_deref().is_some_and(|f| !valid_flight_no(f)) {
        bad("flight_no", msg!("flight_no_format"));
    }
    let arrived_at = match parse_time(&raw.arrived_at, local_offset()) {
        Some(at) if at > now + Duration::minutes(5) => {
            bad("arrived_at", msg!("in_future"));
            None
        }
        Some(at) => Some(Timestamp(at)),
        None => {
            bad("arrived_at", msg!("time_format"));
            None
        }
    };
    let address = optional(&raw.address);
    if let Some(Err(m)) = address.as_deref().map(|a| multi_line_problem(a, 500)) {
        bad("address", m);
    }
    let parsed_language = raw.language.clone().map(|l| l.ok());
    if parsed_language == Some(None) {
        bad(
            "language",
            msg!(
                "one_of",
                allowed = Language::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>()
            ),
        );
    }
    let notes = optional(&raw.notes);
    if let Some(Err(m)) = notes.as_deref().map(|n| multi_line_problem(n, 2000)) {
        bad("notes", m);
    }
    match (full_name, document_type, document_no, arrived_at) {
        (Some(full_name), Some(document_type), Some(document_no), Some(arrived_at)) if errors.is_empty() => {
            Ok(CheckedTraveller {
                full_name,
                document_type,
                document_no,
                nationality,
                phone,
                flight_no,
                arrived_at,
                address,
                language: parsed_language.flatten(),
                notes,
            })
        }
        _ => Err(errors),
    }
}

fn new_traveller(
    actor: &Actor,
    c: CheckedTraveller,
    port_id: PortId,
    dest: &crate::auth::UnitPlace,
) -> Traveller {
    let now = Timestamp::now();
    Traveller {
        id: TravellerId::new(),
        full_name: c.full_name,
        document_type: c.document_type,
        document_no: c.document_no,
        nationality: c.nationality,
        phone: c.phone,
        flight_no: c.flight_no,
        port_id,
        arrived_at: c.arrived_at,
        destination_city_id: dest.city_id,
        destination_district_id: dest.district_id.unwrap_or(dest.city_id),
        destination_community_id: Some(dest.id),
        address: c.address,
        language: c.language,
        notes: c.notes,
        status: TravellerStatus::AwaitingTransfer,
        custodian_unit_id: dest.city_id,
        batch_id: None,
        handoff_id: None,
        missing: false,
        exception_kind: None,
        exception_reason: None,
        exception_facility: None,
        exception_at: None,
        exception_by: None,
        registered_by: actor.id,
        created_at: now,
        updated_at: now,
        version: 1,
        origin_district_id: dest.district_id,
        origin_community_id: Some(dest.id),
        received_at: None,
        erased_at: None,
        exception_message: None,
        missing_since: None,
    }
}

fn insert_registered(conn: &mut Tx<'_>, actor: &Actor, traveller: &Traveller, via: &str) -> ApiResult<()> {
    conn.insert_traveller(traveller)?;
    record_registered(conn, actor, traveller, via)
}

fn record_registered(conn: &mut Tx<'_>, actor: &Actor, traveller: &Traveller, via: &str) -> ApiResult<()> {
    record_step(
        conn,
        actor,
        traveller,
        "registered",
        Step {
            unit_id: Some(traveller.destination_city_id),
            detail: json!({"via": via, "port_id": traveller.port_id, "flight_no": traveller.flight_no,
                "destination_community_id": traveller.destination_community_id}),
            ..Step::default()
        },
    )
}

/// Registers one arrival. The traveller starts in the custody of its destination city.
pub fn register(
    conn: &mut Tx<'_>,
    actor: &Actor,
    c: CheckedTraveller,
    port_id: PortId,
    community_id: UnitId,
) -> ApiResult<Traveller> {
    let mut errors = Vec::new();
    let facts = travellers::registration_facts(
        conn.conn()?,
        actor.scope,
        community_id,
        port_id,
        c.document_type.as_str(),
        &c.document_no,
    )?;
    if !facts.port_known {
        errors.push(FieldError::new("port_id", msg!("no_such_port")));
    }
    let dest = match facts.destination {
        Some(unit) if unit.level == UnitLevel::Community => Some(unit.place()),
        _ => {
            errors.push(FieldError::new(
                "destination_community_id",
                msg!("not_a_community_of_yours"),
            ));
            None
        }
    };
    let Some(dest) = dest.filter(|_| errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    if facts.document_open {
        return Err(ApiError::conflict(msg!(
            "document_open_transfer",
            document_type = c.document_type.as_str(),
            document_no = c.document_no
        )));
    }
    let traveller = new_traveller(actor, c, port_id, &dest);
    insert_registered(conn, actor, &traveller, "api")?;
    Ok(traveller)
}

/// A manifest row: the traveller's fields, checked as they were read, with the port and community
/// given by code.
pub struct ManifestRow {
    pub line: usize,
    /// The fields once checked, or every problem they have (`check`).
    pub traveller: Result<CheckedTraveller, Vec<FieldError>>,
    pub port_code: String,
    pub community_code: String,
}

impl ManifestRow {
    /// A row as read, its fields checked by the rules of every other path: by the reader of a
    /// manifest, on its own thread, while the transaction writes what was read before.
    pub fn read(line: usize, raw: &RawTraveller, port_code: String, community_code: String) -> Self {
        ManifestRow {
            line,
            traveller: check(raw, Utc::now()).map_err(|errors| errors.into_iter().map(as_written).collect()),
            port_code,
            community_code,
        }
    }
}

/// A manifest reads document types and countries as people write them: its problems say so, in
/// the words it reads, where the API's say the codes.
fn as_written(mut error: FieldError) -> FieldError {
    error.message = match (error.field.as_str(), error.message.id) {
        ("document_type", "one_of") => msg!(
            "document_type_written",
            allowed = DocumentType::ALL.iter().map(|d| d.as_str()).collect::<Vec<_>>()
        ),
        ("nationality", "nationality_format") => msg!("nationality_written"),
        _ => error.message,
    };
    error
}

/// The most rows of one manifest: a long-haul flight's passengers many times over.
pub const MAX_MANIFEST_ROWS: usize = 50_000;

/// Where a manifest's rows may name their port and community: by code, or by name (a community
/// of the caller's subtree also by its name without 社区, or its English name).
struct Places {
    ports: HashMap<String, Vec<(String, PortId)>>,
    communities: HashMap<String, Vec<(String, crate::auth::UnitPlace)>>,
}

impl Places {
    fn load(conn: &mut DbConnection, scope: Scope) -> ApiResult<Places> {
        let mut ports: HashMap<String, Vec<(String, PortId)>> = HashMap::new();
        for port in ports::list(conn, None, 100_000)? {
            for key in [written_key(&port.code), written_key(&port.name)] {
                let list = ports.entry(key).or_default();
                if !list.iter().any(|(code, _)| *code == port.code) {
                    list.push((port.code.clone(), port.id));
                }
            }
        }
        let mut communities: HashMap<String, Vec<(String, crate::auth::UnitPlace)>> = HashMap::new();
        for unit in units::of_level(conn, scope, UnitLevel::Community)? {
            let short = unit.name.strip_suffix("社区").unwrap_or(&unit.name).to_owned();
            let mut keys = vec![
                written_key(&unit.code),
                written_key(&unit.name),
                written_key(&short),
            ];
            keys.extend(unit.name_en.as_deref().map(written_key));
            for key in keys.into_iter().filter(|k| !k.is_empty()) {
                let list = communities.entry(key).or_default();
                if !list.iter().any(|(code, _)| *code == unit.code) {
                    list.push((unit.code.clone(), unit.place()));
                }
            }
        }
        Ok(Places { ports, communities })
    }

    /// The one thing `written` names, or the problem: none, or several (their codes).
    fn one<T: Copy>(
        list: Option<&Vec<(String, T)>>,
        written: &str,
        none: impl FnOnce() -> Message,
    ) -> Result<T, Message> {
        match list.map(Vec::as_slice) {
            Some([(_, one)]) => Ok(*one),
            Some(many) if !many.is_empty() => {
                let mut codes: Vec<&str> = many.iter().map(|(code, _)| code.as_str()).collect();
                codes.sort();
                Err(msg!("name_matches_several", value = written, codes = codes))
            }
            _ => Err(none()),
        }
    }

    fn port(&self, written: &str) -> Result<PortId, Message> {
        Self::one(self.ports.get(&written_key(written)), written, || {
            msg!("no_port_with_code", code = written)
        })
    }

    fn community(&self, written: &str) -> Result<crate::auth::UnitPlace, Message> {
        Self::one(self.communities.get(&written_key(written)), written, || {
            msg!("no_community_with_code", code = written)
        })
    }
}

/// Imports a whole manifest, read and checked before: every row is checked against the database
/// too (its port, its community, its document), and then all rows are written, or, when any row
/// has a problem, none, and the answer lists the problems (`ApiError::row_problems`).
/// `column` orders the grouped problems by the column of their field.
pub fn import(
    conn: &mut Tx<'_>,
    actor: &Actor,
    rows: Vec<ManifestRow>,
    column: impl Fn(&str) -> usize,
) -> ApiResult<usize> {
    let places = Places::load(conn.conn()?, actor.scope)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut documents = HashSet::new();
    let mut accepted = Vec::with_capacity(rows.len());
    for row in rows {
        let mut row_errors = Vec::new();
        let checked = row.traveller.map_err(|e| row_errors.extend(e)).ok();
        let port_id = places
            .port(row.port_code.trim())
            .map_err(|m| row_errors.push(FieldError::new("port_code", m)))
            .ok();
        let dest = places
            .community(row.community_code.trim())
            .map_err(|m| row_errors.push(FieldError::new("destination_community_code", m)))
            .ok();
        if let Some(c) = &checked {
            if !documents.insert((c.document_type, c.document_no.clone())) {
                row_errors.push(FieldError::new("document_no", msg!("document_twice_in_manifest")));
            }
        }
        match (checked, port_id, dest) {
            (Some(c), Some(port_id), Some(dest)) if row_errors.is_empty() => {
                accepted.push((row.line, new_traveller(actor, c, port_id, &dest)))
            }
            _ => errors.extend(row_errors.into_iter().map(|e| FieldError {
                row: Some(row.line),
                ..e
            })),
        }
    }
    // Documents with an open transfer, a thousand a query.
    let asked: Vec<(DocumentType, String)> = accepted
        .iter()
        .map(|(_, t)| (t.document_type, t.document_no.clone()))
        .collect();
    let open = travellers::open_documents(conn.conn()?, &asked)?;
    for (line, t) in &accepted {
        if open.contains(&(t.document_type, t.document_no.clone())) {
            errors.push(FieldError {
                row: Some(*line),
                ..FieldError::new("document_no", msg!("open_transfer"))
            });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::row_problems(errors, column));
    }
    let accepted: Vec<Traveller> = accepted.into_iter().map(|(_, t)| t).collect();
    conn.insert_travellers(&accepted)?;
    for traveller in &accepted {
        record_registered(conn, actor, traveller, "manifest")?;
    }
    Ok(accepted.len())
}

/// Records a terminal exception for a traveller, by the officer of the unit that holds them.
pub fn record_exception(
    conn: &mut Tx<'_>,
    actor: &Actor,
    id: TravellerId,
    kind: ExceptionKind,
    reason: String,
    facility: Option<String>,
) -> ApiResult<Traveller> {
    let mut traveller =
        travellers::find(conn.conn()?, actor.scope, id)?.ok_or_else(|| ApiError::not_found("traveller"))?;
    let custodian = unit_place(conn, traveller.custodian_unit_id)?;
    if !acts_for(actor, &custodian) {
        return Err(ApiError::invalid_state(msg!("traveller_not_in_custody")));
    }
    let status = traveller.status;
    transition(status, TravellerEvent::RecordException)?;
    if traveller.handoff_id.is_some() {
        return Err(ApiError::invalid_state(msg!("traveller_offered_pending")));
    }
    let step = Step {
        batch_id: traveller.batch_id,
        detail: json!({"kind": kind, "reason": reason, "facility": facility, "previous_status": status}),
        ..Step::default()
    };
    let event = Some(TravellerEvent::RecordException);
    step_traveller(conn, actor, &mut traveller, event, "exception", step, |t| {
        t.exception_kind = Some(kind);
        t.exception_reason = Some(reason.clone());
        t.exception_facility = facility.clone();
        t.exception_at = Some(Timestamp::now());
        t.exception_by = Some(actor.id);
        t.missing = false;
    })?;
    if let Some(batch_id) = traveller.batch_id {
        // Someone who leaves the loop before departure does not travel with the batch.
        if status == TravellerStatus::Assigned || status == TravellerStatus::Boarded {
            crate::store::batches::set_boarded(conn.conn()?, batch_id, traveller.id, false)?;
        }
        super::batches::close_if_done(conn, actor, batch_id)?;
    }
    Ok(traveller)
}

/// Where a traveller is allowed to be seen by this scope (used for the custody checks of others).
pub fn visible(conn: &mut DbConnection, scope: Scope, id: TravellerId) -> ApiResult<Traveller> {
    travellers::find(conn, scope, id)?.ok_or_else(|| ApiError::not_found("traveller"))
}
