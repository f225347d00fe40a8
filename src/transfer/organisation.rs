//! The organisation the loop runs through: units of the city → district → community tree and the
//! ports of entry. An admin's changes, each in the caller's write transaction, recorded in the log
//! and marking the dashboards that list the unit or port.

use serde_json::json;

use crate::auth::{Actor, Scope};
use crate::db::types::{PortId, Timestamp, UnitId};
use crate::domain::message::msg;
use crate::domain::{PortKind, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::store::events::EventPlace;
use crate::store::ports::{self, Port};
use crate::store::units::{self, Unit};
use crate::store::{counts, Tx};

/// A unit to create, its fields checked.
pub struct NewUnit {
    pub name: String,
    pub name_en: Option<String>,
    pub code: String,
    pub level: UnitLevel,
    pub parent_id: Option<UnitId>,
    pub hotline: Option<String>,
    pub address: Option<String>,
}

/// Adds a unit below a parent of the level above (a city has none).
pub fn create_unit(tx: &mut Tx<'_>, actor: &Actor, new: NewUnit) -> ApiResult<Unit> {
    let id = UnitId::new();
    let (city_id, district_id) = match (new.level, new.parent_id) {
        (UnitLevel::City, _) => (id, None),
        (level, Some(parent_id)) => {
            let wanted = level.parent_level().unwrap_or(UnitLevel::City);
            let parent = units::find(tx.conn()?, Scope::All, parent_id)?
                .filter(|p| p.level == wanted)
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "parent_id",
                        msg!("not_an_existing_unit", level = wanted.as_str()),
                    )
                })?;
            match level {
                UnitLevel::District => (parent.city_id, Some(id)),
                _ => (parent.city_id, Some(parent.id)),
            }
        }
        (_, None) => return Err(ApiError::invalid_field("parent_id", msg!("missing"))),
    };
    if units::code_taken(tx.conn()?, &new.code)? {
        return Err(ApiError::conflict(msg!("unit_code_taken", code = new.code)));
    }
    let unit = Unit {
        id,
        name: new.name,
        code: new.code,
        level: new.level,
        parent_id: new.parent_id,
        city_id,
        district_id,
        created_at: Timestamp::now(),
        hotline: new.hotline,
        address: new.address,
        name_en: new.name_en,
    };
    units::insert(tx.conn()?, &unit)?;
    touch_dashboards(tx, &unit);
    let data = json!({"name": unit.name, "name_en": unit.name_en, "code": unit.code, "level": unit.level,
        "parent_id": unit.parent_id, "hotline": unit.hotline, "address": unit.address});
    tx.event(
        Some(actor.id),
        "unit.created",
        "unit",
        unit.id,
        EventPlace::from(&unit.place()),
        data,
    );
    Ok(unit)
}

/// Changes to a unit: `None` keeps a field, `Some(None)` clears an optional one.
pub struct UnitChanges {
    pub name: Option<String>,
    pub name_en: Option<Option<String>>,
    pub hotline: Option<Option<String>>,
    pub address: Option<Option<String>>,
}

/// Renames a unit, or changes the hotline and address shown on notices and to the other side of a
/// handoff.
pub fn update_unit(tx: &mut Tx<'_>, actor: &Actor, id: UnitId, changes: UnitChanges) -> ApiResult<Unit> {
    let mut unit = units::find(tx.conn()?, Scope::All, id)?.ok_or_else(|| ApiError::not_found("unit"))?;
    unit.name = changes.name.unwrap_or(unit.name);
    unit.name_en = changes.name_en.unwrap_or(unit.name_en);
    unit.hotline = changes.hotline.unwrap_or(unit.hotline);
    unit.address = changes.address.unwrap_or(unit.address);
    units::update_contacts(tx.conn()?, &unit)?;
    touch_dashboards(tx, &unit);
    let data = json!({"name": unit.name, "name_en": unit.name_en, "hotline": unit.hotline,
        "address": unit.address});
    tx.event(
        Some(actor.id),
        "unit.updated",
        "unit",
        unit.id,
        EventPlace::from(&unit.place()),
        data,
    );
    Ok(unit)
}

/// Units are listed, by name, in the dashboards of the whole system (the sum of its cities'),
/// their city and their district: those versions move on when a unit is added or changed.
fn touch_dashboards(tx: &mut Tx<'_>, unit: &Unit) {
    let place = unit.place();
    let mut listing = vec![place.city_id];
    listing.extend(place.district_id);
    counts::touch(&mut tx.counts, &listing);
}

/// A port of entry to create, its fields checked.
pub struct NewPort {
    pub code: String,
    pub name: String,
    pub kind: PortKind,
    pub city_name: String,
}

/// Adds a port of entry, which every dashboard lists.
pub fn create_port(tx: &mut Tx<'_>, actor: &Actor, new: NewPort) -> ApiResult<Port> {
    if ports::code_taken(tx.conn()?, &new.code)? {
        return Err(ApiError::conflict(msg!("port_code_taken", code = new.code)));
    }
    let port = Port {
        id: PortId::new(),
        code: new.code,
        name: new.name,
        kind: new.kind,
        city_name: new.city_name,
        created_at: Timestamp::now(),
    };
    ports::insert(tx.conn()?, &port)?;
    let everyone = units::all_ids(tx.conn()?)?;
    counts::touch(&mut tx.counts, &everyone);
    let data = json!({"code": port.code, "name": port.name, "kind": port.kind});
    tx.event(
        Some(actor.id),
        "port.created",
        "port",
        port.id,
        EventPlace::default(),
        data,
    );
    Ok(port)
}
