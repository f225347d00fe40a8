//! Personal data that expires: once a traveller's loop has been closed (received, or an
//! exception) for `privacy.retain_days`, their name, document number, phone, address and notes
//! are erased (PIPL art. 47: delete once the purpose is met). What remains keeps every statistic,
//! the trace and the event log valid: events never carry personal data, so the hash chains hold.

use std::collections::BTreeMap;

use serde_json::json;

use crate::db::types::{Timestamp, TravellerId, UnitId};
use crate::error::ApiResult;
use crate::store::events::EventPlace;
use crate::store::travellers as traveller_store;
use crate::store::Tx;

/// Travellers erased in one round, per destination city.
#[derive(Debug, Default)]
pub struct Erased {
    pub by_city: BTreeMap<UnitId, Vec<TravellerId>>,
}

impl Erased {
    pub fn count(&self) -> usize {
        self.by_city.values().map(Vec::len).sum()
    }
}

/// Erases the personal data of up to `limit` travellers whose loop closed before `closed_before`,
/// inside the caller's write transaction, and records one event per city naming them (by id).
pub fn erase_expired(
    conn: &mut Tx<'_>,
    closed_before: Timestamp,
    limit: i64,
    retain_days: u64,
) -> ApiResult<Erased> {
    let now = Timestamp::now();
    let mut erased = Erased::default();
    let expired = traveller_store::expired_personal_data(conn.conn()?, closed_before, limit)?;
    if expired.is_empty() {
        return Ok(erased);
    }
    let ids: Vec<TravellerId> = expired.iter().map(|(id, _)| *id).collect();
    traveller_store::erase_personal_data(conn.conn()?, &ids, now)?;
    for (id, city) in expired {
        erased.by_city.entry(city).or_default().push(id);
    }
    for (city, travellers) in &erased.by_city {
        conn.event(
            None,
            "privacy.personal_data_erased",
            "unit",
            *city,
            EventPlace {
                city_id: Some(*city),
                ..EventPlace::default()
            },
            json!({
                "travellers": travellers,
                "count": travellers.len(),
                "fields": ["full_name", "document_no", "phone", "address", "notes"],
                "retain_days": retain_days,
                "closed_before": closed_before,
            }),
        );
    }
    Ok(erased)
}
