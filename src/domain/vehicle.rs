//! The vehicle's trip cycle: `available` → `assigned` (to a planned batch) → `in_transit` →
//! `needs_disinfection` (after arrival) → `available` only through a recorded disinfection.
//! Out of service is a flag beside the status: it blocks assignment.

use super::{word_enum, Refusal};
use serde::{Deserialize, Serialize};

word_enum!(
    VehicleStatus {
        Available => "available",
        Assigned => "assigned",
        InTransit => "in_transit",
        NeedsDisinfection => "needs_disinfection",
    }
);

/// What can happen to a vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VehicleEvent {
    /// Assigned to a planned batch.
    Assign,
    /// Released by its planned batch (cancelled, or another vehicle chosen).
    Release,
    /// Its batch departs.
    Depart,
    /// Its batch arrives.
    Arrive,
    /// Disinfected after a trip.
    Disinfect,
}

impl VehicleEvent {
    fn verb(self) -> &'static str {
        match self {
            Self::Assign => "assign",
            Self::Release => "release",
            Self::Depart => "depart",
            Self::Arrive => "arrive",
            Self::Disinfect => "disinfect",
        }
    }
}

/// The status after `event`, or why it cannot happen.
pub fn transition(
    status: VehicleStatus,
    out_of_service: bool,
    event: VehicleEvent,
) -> Result<VehicleStatus, Refusal> {
    use VehicleEvent::*;
    use VehicleStatus::*;
    if event == Assign && out_of_service {
        return Err(Refusal::OutOfService);
    }
    match (status, event) {
        (Available, Assign) => Ok(Assigned),
        (Assigned, Release) => Ok(Available),
        (Assigned, Depart) => Ok(InTransit),
        (InTransit, Arrive) => Ok(NeedsDisinfection),
        (NeedsDisinfection, Disinfect) => Ok(Available),
        _ => Err(Refusal::WrongStatus {
            subject: "vehicle",
            status: status.as_str(),
            step: event.verb(),
        }),
    }
}

/// Seats and service can change only while the vehicle is not committed to a trip.
pub fn can_edit(status: VehicleStatus) -> bool {
    matches!(
        status,
        VehicleStatus::Available | VehicleStatus::NeedsDisinfection
    )
}

pub const MAX_SEATS: i32 = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use VehicleEvent::*;
    use VehicleStatus::*;

    const EVENTS: [VehicleEvent; 5] = [Assign, Release, Depart, Arrive, Disinfect];

    #[test]
    fn every_transition_allowed_or_refused() {
        let allowed = [
            (Available, Assign, Assigned),
            (Assigned, Release, Available),
            (Assigned, Depart, InTransit),
            (InTransit, Arrive, NeedsDisinfection),
            (NeedsDisinfection, Disinfect, Available),
        ];
        for status in VehicleStatus::ALL {
            for event in EVENTS {
                let expected = allowed
                    .iter()
                    .find(|(s, e, _)| s == status && *e == event)
                    .map(|(_, _, to)| *to);
                match (transition(*status, false, event), expected) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{status} {event:?}"),
                    (Err(Refusal::WrongStatus { .. }), None) => {}
                    (got, want) => panic!("{status} {event:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn out_of_service_blocks_assignment_only() {
        assert_eq!(transition(Available, true, Assign), Err(Refusal::OutOfService));
        assert_eq!(transition(NeedsDisinfection, true, Disinfect), Ok(Available));
        assert_eq!(transition(InTransit, true, Arrive), Ok(NeedsDisinfection));
    }

    #[test]
    fn edits_only_off_trip() {
        assert!(can_edit(Available));
        assert!(can_edit(NeedsDisinfection));
        assert!(!can_edit(Assigned));
        assert!(!can_edit(InTransit));
    }
}
