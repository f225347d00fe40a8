//! Who may see and do what: the jurisdiction scope every query is filtered by, where a unit sits
//! in the tree, and the role table.

use crate::db::types::UnitId;

use super::{Role, UnitLevel};

/// The part of the organisation tree a user may see: its home unit and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    City(UnitId),
    District(UnitId),
    Community(UnitId),
}

impl Scope {
    /// What a user of this role and home unit may see. Only an admin sees everything; any other
    /// role without a home unit of a known level sees nothing (`None`), never everything.
    pub fn of(role: Role, level: Option<UnitLevel>, unit_id: Option<UnitId>) -> Option<Scope> {
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
    pub id: UnitId,
    pub level: UnitLevel,
    pub city_id: UnitId,
    pub district_id: Option<UnitId>,
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

impl Scope {
    /// The unit whose numbers the scope reads: the whole system's (`GLOBAL`) for `All`.
    pub fn unit(self) -> UnitId {
        match self {
            Scope::All => GLOBAL,
            Scope::City(id) | Scope::District(id) | Scope::Community(id) => id,
        }
    }
}

/// The scope of the whole system: its numbers are the sum of its cities', added up at read.
pub const GLOBAL: UnitId = UnitId(uuid::Uuid::nil());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_contain_only_their_subtree() {
        let (city, other_city) = (UnitId::new(), UnitId::new());
        let (district, other_district) = (UnitId::new(), UnitId::new());
        let community = UnitId::new();
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
        assert!(!Scope::Community(UnitId::new()).contains(&place));
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
        let id = UnitId::new();
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
