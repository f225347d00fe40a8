//! Who is calling and what they may do: tokens, passwords, the caller as the database knows it
//! (`load_actor`; the request extractors are in `http::caller`), role permissions, and the
//! jurisdiction scope every query is filtered by.

pub mod password;
pub mod tokens;

use crate::db::types::Id;
use diesel::prelude::*;

use crate::domain::{Role, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::schema::{units, users};

/// The part of the organisation tree a user may see: its home unit and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    City(Id),
    District(Id),
    Community(Id),
}

impl Scope {
    /// What a user of this role and home unit may see. Only an admin sees everything; any other
    /// role without a home unit of a known level sees nothing (`None`), never everything.
    pub fn of(role: Role, level: Option<UnitLevel>, unit_id: Option<Id>) -> Option<Scope> {
        match (role, level, unit_id) {
            (Role::Admin, _, _) => Some(Scope::All),
            (_, Some(UnitLevel::City), Some(id)) => Some(Scope::City(id)),
            (_, Some(UnitLevel::District), Some(id)) => Some(Scope::District(id)),
            (_, Some(UnitLevel::Community), Some(id)) => Some(Scope::Community(id)),
            _ => None,
        }
    }

    /// Whether a unit, given by its own id and its city and district, lies in this scope.
    pub fn contains(&self, unit: &UnitPlace) -> bool {
        match *self {
            Scope::All => true,
            Scope::City(id) => unit.city_id == id,
            Scope::District(id) => unit.district_id == Some(id),
            Scope::Community(id) => unit.id == id,
        }
    }
}

/// Where a unit sits in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitPlace {
    pub id: Id,
    pub level: UnitLevel,
    pub city_id: Id,
    pub district_id: Option<Id>,
}

/// Everything a role may be allowed to do; `Actor::require` checks one against the role table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadUnits,
    ManageUnits,
    ReadPorts,
    ManagePorts,
    ManageUsers,
    ReadVehicles,
    ManageVehicles,
    ReadEvents,
    ReadTravellers,
    RegisterTravellers,
    RunBatches,
    ReadHandoffs,
    SendHandoffs,
    ConfirmHandoffs,
    RecordExceptions,
    ReadStats,
}

/// The role table: the one place that says which role may do what.
pub fn role_may(role: Role, permission: Permission) -> bool {
    use Permission::*;
    if permission == ReadStats {
        return true;
    }
    match role {
        Role::Admin => true,
        Role::Dispatcher => matches!(
            permission,
            ReadUnits
                | ReadPorts
                | ReadVehicles
                | ManageVehicles
                | ReadEvents
                | ReadTravellers
                | RegisterTravellers
                | RunBatches
                | ReadHandoffs
                | SendHandoffs
                | RecordExceptions
        ),
        Role::DistrictOfficer => matches!(
            permission,
            ReadUnits
                | ReadPorts
                | ReadEvents
                | ReadTravellers
                | ReadHandoffs
                | SendHandoffs
                | ConfirmHandoffs
                | RecordExceptions
        ),
        Role::CommunityOfficer => {
            matches!(
                permission,
                ReadUnits | ReadPorts | ReadEvents | ReadTravellers | ReadHandoffs | ConfirmHandoffs
            )
        }
        Role::Viewer => matches!(permission, ReadUnits | ReadPorts),
    }
}

/// The authenticated caller, as the database knows it now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Id,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<Id>,
    /// The city of the home unit (none for an admin without one).
    pub city_id: Option<Id>,
    pub scope: Scope,
}

impl Actor {
    /// 403 unless the role may do this at all; what it may see is a separate, per-object check.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if role_may(self.role, permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

type UserAuthRow = (String, String, Option<Id>, bool, i32, Option<String>, Option<Id>);

/// The caller as the database knows it now: a deactivated user, or a token issued before a logout
/// or a change of role or unit, is refused here.
pub fn load_actor(conn: &mut crate::db::DbConnection, claims: &tokens::Claims) -> ApiResult<Actor> {
    let user_id = claims.sub;
    let row: Option<UserAuthRow> = users::table
        .left_join(units::table)
        .filter(users::id.eq(user_id))
        .select((
            users::username,
            users::role,
            users::unit_id,
            users::active,
            users::token_version,
            units::level.nullable(),
            units::city_id.nullable(),
        ))
        .first::<UserAuthRow>(conn)
        .optional()?;
    let revoked = || ApiError::unauthorized("the token has been revoked");
    let (username, role, unit_id, active, version, level, city_id) = row.ok_or_else(revoked)?;
    if !active || version != claims.ver {
        return Err(revoked());
    }
    let role = Role::parse(&role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    let level = level.as_deref().and_then(UnitLevel::parse);
    let scope = Scope::of(role, level, unit_id)
        .ok_or_else(|| ApiError::forbidden_because("the account has no usable home unit"))?;
    Ok(Actor {
        id: user_id,
        username,
        role,
        unit_id,
        city_id,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_contain_only_their_subtree() {
        let (city, other_city) = (Id::new(), Id::new());
        let (district, other_district) = (Id::new(), Id::new());
        let community = Id::new();
        let place = UnitPlace {
            id: community,
            level: UnitLevel::Community,
            city_id: city,
            district_id: Some(district),
        };
        assert!(Scope::All.contains(&place));
        assert!(Scope::City(city).contains(&place));
        assert!(!Scope::City(other_city).contains(&place));
        assert!(Scope::District(district).contains(&place));
        assert!(!Scope::District(other_district).contains(&place));
        assert!(Scope::Community(community).contains(&place));
        assert!(!Scope::Community(Id::new()).contains(&place));
        let city_place = UnitPlace {
            id: city,
            level: UnitLevel::City,
            city_id: city,
            district_id: None,
        };
        assert!(!Scope::District(district).contains(&city_place));
    }

    #[test]
    fn a_scope_fails_closed_without_a_known_home_unit() {
        let id = Id::new();
        assert_eq!(Scope::of(Role::Admin, None, None), Some(Scope::All));
        assert_eq!(
            Scope::of(Role::Viewer, Some(UnitLevel::District), Some(id)),
            Some(Scope::District(id))
        );
        for role in Role::ALL.iter().filter(|r| **r != Role::Admin) {
            assert_eq!(Scope::of(*role, None, Some(id)), None, "{role}");
            assert_eq!(Scope::of(*role, Some(UnitLevel::City), None), None, "{role}");
            assert_eq!(Scope::of(*role, None, None), None, "{role}");
        }
    }

    #[test]
    fn only_admins_manage_reference_data() {
        for role in Role::ALL {
            let admin = *role == Role::Admin;
            assert_eq!(role_may(*role, Permission::ManageUnits), admin);
            assert_eq!(role_may(*role, Permission::ManagePorts), admin);
            assert_eq!(role_may(*role, Permission::ManageUsers), admin);
            assert!(role_may(*role, Permission::ReadUnits));
        }
        assert!(role_may(Role::Dispatcher, Permission::ManageVehicles));
        assert!(!role_may(Role::DistrictOfficer, Permission::ReadVehicles));
        assert!(!role_may(Role::Viewer, Permission::ReadEvents));
    }
}
