//! The demo data set: city CZ (Changzhou) with three districts and six communities, the ports PVG,
//! SHA and NKG, four vehicles and one user of each role. Loading it twice changes nothing.

use crate::db::types::{PortId, Timestamp, UnitId, UserId, VehicleId};
use diesel::prelude::*;

use crate::auth::password;
use crate::db::{DbConnection, Lock};
use crate::domain::vehicle::VehicleStatus;
use crate::domain::{PortKind, Role, UnitLevel, VehicleKind};
use crate::schema::{ports, units, users, vehicles};
use crate::store;
use crate::store::events::EventPlace;
use crate::store::ports::Port;
use crate::store::units::Unit;
use crate::store::users::User;
use crate::store::vehicles::Vehicle;

pub mod motion;

/// (username, password, display name, role, unit code): the README lists the same.
pub const DEMO_USERS: &[(&str, &str, &str, Role, Option<&str>)] = &[
    (
        "admin",
        "admin-demo-pass",
        "System Administrator",
        Role::Admin,
        None,
    ),
    (
        "cz.dispatcher",
        "dispatch-demo-pass",
        "Changzhou Transfer Team",
        Role::Dispatcher,
        Some("CZ"),
    ),
    (
        "tn.officer",
        "district-demo-pass",
        "Tianning District Officer",
        Role::DistrictOfficer,
        Some("CZ-TN"),
    ),
    (
        "tn.hongmei.officer",
        "community-demo-pass",
        "Hongmei Community Officer",
        Role::CommunityOfficer,
        Some("CZ-TN-HM"),
    ),
    (
        "cz.viewer",
        "viewer-demo-pass",
        "Changzhou Dashboard",
        Role::Viewer,
        Some("CZ"),
    ),
];

/// Units: code, name in Chinese, name in English.
const CITY: (&str, &str, &str) = ("CZ", "常州市", "Changzhou");
const DISTRICTS: &[(&str, &str, &str)] = &[
    ("CZ-TN", "天宁区", "Tianning District"),
    ("CZ-ZL", "钟楼区", "Zhonglou District"),
    ("CZ-WJ", "武进区", "Wujin District"),
];
const COMMUNITIES: &[(&str, &str, &str, &str)] = &[
    ("CZ-TN", "CZ-TN-HM", "红梅社区", "Hongmei Community"),
    ("CZ-TN", "CZ-TN-QL", "青龙社区", "Qinglong Community"),
    ("CZ-ZL", "CZ-ZL-XC", "新闸社区", "Xinzha Community"),
    ("CZ-ZL", "CZ-ZL-NY", "南苑社区", "Nanyuan Community"),
    ("CZ-WJ", "CZ-WJ-HL", "湖塘社区", "Hutang Community"),
    ("CZ-WJ", "CZ-WJ-NX", "牛塘社区", "Niutang Community"),
];
const PORTS: &[(&str, &str, &str)] = &[
    ("PVG", "Shanghai Pudong International Airport", "Shanghai"),
    ("SHA", "Shanghai Hongqiao International Airport", "Shanghai"),
    ("NKG", "Nanjing Lukou International Airport", "Nanjing"),
];
const VEHICLES: &[(&str, VehicleKind, i32)] = &[
    ("苏D·Z0001", VehicleKind::Bus, 45),
    ("苏D·Z0002", VehicleKind::Bus, 33),
    ("苏D·Z0003", VehicleKind::Minibus, 14),
    ("苏D·Z0004", VehicleKind::Ambulance, 4),
];

fn unit_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Unit>> {
    units::table
        .filter(units::code.eq(code))
        .select(Unit::as_select())
        .first(conn)
        .optional()
}

fn ensure_unit(
    conn: &mut store::Tx<'_>,
    code: &str,
    (name, name_en): (&str, &str),
    level: UnitLevel,
    parent: Option<&Unit>,
) -> QueryResult<Unit> {
    if let Some(unit) = unit_by_code(conn.conn()?, code)? {
        return Ok(unit);
    }
    let id = UnitId::new();
    let (city_id, district_id) = match (level, parent) {
        (UnitLevel::District, Some(p)) => (p.id, Some(id)),
        (UnitLevel::Community, Some(p)) => (p.city_id, Some(p.id)),
        _ => (id, None),
    };
    let unit = Unit {
        id,
        name: name.to_owned(),
        code: code.to_owned(),
        level,
        parent_id: parent.map(|p| p.id),
        city_id,
        district_id,
        created_at: Timestamp::now(),
        // The city's 24-hour government service line, shown on travellers' notices.
        hotline: (level == UnitLevel::City).then(|| "0519-12345".to_owned()),
        address: None,
        name_en: Some(name_en.to_owned()),
    };
    crate::store::units::insert(conn.conn()?, &unit)?;
    conn.event(
        None,
        "unit.created",
        "unit",
        id,
        EventPlace::from(&unit.place()),
        serde_json::json!({"code": code, "seed": "demo"}),
    );
    Ok(unit)
}

/// Loads the demo data set, adding only what is missing.
pub fn seed(conn: &mut DbConnection) -> Result<(), String> {
    // Hash outside the transaction: it is slow, and the write lock should not wait for it.
    let mut hashes = Vec::new();
    for (username, pass, ..) in DEMO_USERS {
        let exists: bool = diesel::select(diesel::dsl::exists(
            users::table.filter(users::username.eq(*username)),
        ))
        .get_result(conn)
        .map_err(|e| e.to_string())?;
        hashes.push(if exists {
            None
        } else {
            Some(password::hash_blocking(pass)?)
        });
    }
    store::write(conn, Lock::Everything, |tx| -> QueryResult<()> {
        let city = ensure_unit(tx, CITY.0, (CITY.1, CITY.2), UnitLevel::City, None)?;
        let mut by_code = vec![(city.code.clone(), city.clone())];
        for (code, name, name_en) in DISTRICTS {
            let district = ensure_unit(tx, code, (name, name_en), UnitLevel::District, Some(&city))?;
            by_code.push((district.code.clone(), district));
        }
        for (district_code, code, name, name_en) in COMMUNITIES {
            let district = by_code
                .iter()
                .find(|(c, _)| c == district_code)
                .map(|(_, u)| u.clone());
            let community = ensure_unit(tx, code, (name, name_en), UnitLevel::Community, district.as_ref())?;
            by_code.push((community.code.clone(), community));
        }
        for (code, name, city_name) in PORTS {
            let exists: bool =
                diesel::select(diesel::dsl::exists(ports::table.filter(ports::code.eq(*code))))
                    .get_result(tx.conn()?)?;
            if !exists {
                let port = Port {
                    id: PortId::new(),
                    code: (*code).into(),
                    name: (*name).into(),
                    kind: PortKind::Airport,
                    city_name: (*city_name).into(),
                    created_at: Timestamp::now(),
                };
                crate::store::ports::insert(tx.conn()?, &port)?;
            }
        }
        for (plate, kind, seats) in VEHICLES {
            let exists: bool = diesel::select(diesel::dsl::exists(
                vehicles::table.filter(vehicles::plate.eq(*plate)),
            ))
            .get_result(tx.conn()?)?;
            if !exists {
                let now = Timestamp::now();
                tx.insert_vehicle(&Vehicle {
                    id: VehicleId::new(),
                    plate: (*plate).into(),
                    kind: *kind,
                    seats: *seats,
                    unit_id: city.id,
                    status: VehicleStatus::Available,
                    out_of_service: false,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                })?;
            }
        }
        for ((username, _, display_name, role, unit_code), hash) in DEMO_USERS.iter().zip(hashes) {
            let Some(password_hash) = hash else { continue };
            let unit_id: Option<UnitId> =
                unit_code.and_then(|c| by_code.iter().find(|(code, _)| code == c).map(|(_, u)| u.id));
            let now = Timestamp::now();
            crate::store::users::insert(
                tx.conn()?,
                &User {
                    id: UserId::new(),
                    username: (*username).into(),
                    password_hash,
                    display_name: (*display_name).into(),
                    role: *role,
                    unit_id,
                    active: true,
                    token_version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
        }
        Ok(())
    })
    .map_err(|e| format!("cannot load demo data: {e}"))?;
    tracing::info!("demo data loaded");
    Ok(())
}
