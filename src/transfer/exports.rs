//! Exports of personal data: rosters hold it by the thousand, so every download is recorded as a
//! `report.exported` event, with the rows it holds, before a byte of it is sent.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::{Actor, Scope};
use crate::db::types::Id;
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::store::roster::{self, RosterFilter};
use crate::store::{units, Tx};

/// A roster about to be downloaded.
pub struct RosterExport {
    /// The file's kind, as its extension.
    pub extension: &'static str,
    /// The most rows a file of this kind holds, if it is bounded.
    pub most_rows: Option<i64>,
    /// The period asked for, as the caller gave it.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Counts the roster's rows and records its download by `actor`; 422 when the file's kind cannot
/// hold that many. Returns the number of rows.
pub fn record_roster(
    tx: &mut Tx<'_>,
    actor: &Actor,
    filter: &RosterFilter,
    export: &RosterExport,
) -> ApiResult<i64> {
    let rows = roster::count(tx.conn()?, filter)?;
    if let Some(most) = export.most_rows.filter(|most| rows > *most) {
        return Err(ApiError::invalid_field(
            "format",
            msg!("too_many_rows_for_xlsx", rows = rows, max_rows = most),
        ));
    }
    let place = units::event_place(tx.conn()?, actor.unit_id)?;
    let data = json!({
        "format": export.extension,
        "scope": scope_word(actor.scope),
        "from": export.from,
        "to": export.to,
        "rows": rows,
    });
    tx.event(
        Some(actor.id),
        "report.exported",
        "report",
        Id::new(),
        place,
        data,
    );
    Ok(rows)
}

/// The scope a roster covers, as its event names it.
fn scope_word(scope: Scope) -> serde_json::Value {
    match scope {
        Scope::All => json!({"level": "all"}),
        Scope::City(id) => json!({"level": "city", "unit_id": id}),
        Scope::District(id) => json!({"level": "district", "unit_id": id}),
        Scope::Community(id) => json!({"level": "community", "unit_id": id}),
    }
}
