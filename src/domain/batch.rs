//! A batch: one trip of one dedicated vehicle from a port to the city. `planned` → `boarding` →
//! `in_transit` → `arrived` → `closed` (when every traveller is received or an exception), or
//! `cancelled` before departure.

use super::{word_enum, Refusal};
use serde::{Deserialize, Serialize};

word_enum!(
    BatchStatus {
        Planned => "planned",
        Boarding => "boarding",
        InTransit => "in_transit",
        Arrived => "arrived",
        Closed => "closed",
        Cancelled => "cancelled",
    }
);

word_enum!(CrewRole { Driver => "driver", Escort => "escort" });

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchEvent {
    EditTravellers,
    AssignVehicle,
    RecordBoarding,
    Depart,
    Arrive,
    /// Every traveller is received or an exception.
    Close,
    Cancel,
}

impl BatchStatus {
    /// Open batches hold their travellers: a traveller is never in two of them.
    pub fn is_open(self) -> bool {
        !matches!(self, BatchStatus::Closed | BatchStatus::Cancelled)
    }
}

pub fn transition(status: BatchStatus, event: BatchEvent) -> Result<BatchStatus, Refusal> {
    use BatchEvent::*;
    use BatchStatus::*;
    match (status, event) {
        (Planned, EditTravellers | AssignVehicle) => Ok(Planned),
        (Planned, RecordBoarding) => Ok(Boarding),
        (Boarding, Depart) => Ok(InTransit),
        (InTransit, Arrive) => Ok(Arrived),
        // A batch whose every traveller was a no-show closes at boarding.
        (Boarding | Arrived, Close) => Ok(Closed),
        (Planned | Boarding, Cancel) => Ok(Cancelled),
        _ => Err(Refusal::WrongStatus {
            subject: "batch",
            status: status.as_str(),
            step: verb(event),
        }),
    }
}

fn verb(event: BatchEvent) -> &'static str {
    match event {
        BatchEvent::EditTravellers => "edit_travellers",
        BatchEvent::AssignVehicle => "assign_vehicle",
        BatchEvent::RecordBoarding => "record_boarding",
        BatchEvent::Depart => "depart",
        BatchEvent::Arrive => "arrive",
        BatchEvent::Close => "close",
        BatchEvent::Cancel => "cancel",
    }
}

/// Whether a vehicle has a seat for every traveller and every crew member.
pub fn seats_suffice(seats: i32, travellers: usize, crew: usize) -> bool {
    i64::from(seats) >= (travellers + crew) as i64
}

/// `PORTCODE-YYYYMMDD-NNN`: the port, the day, and the batch's number that day at that port.
pub fn batch_code(port_code: &str, day: chrono::NaiveDate, number: i64) -> String {
    format!("{port_code}-{}-{number:03}", day.format("%Y%m%d"))
}

pub const MAX_TRAVELLERS_PER_BATCH: usize = 100;
pub const MAX_CREW: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use BatchEvent::*;
    use BatchStatus::*;

    #[test]
    fn every_transition_allowed_or_refused() {
        let allowed = [
            (Planned, EditTravellers, Planned),
            (Planned, AssignVehicle, Planned),
            (Planned, RecordBoarding, Boarding),
            (Boarding, Depart, InTransit),
            (InTransit, Arrive, Arrived),
            (Boarding, Close, Closed),
            (Arrived, Close, Closed),
            (Planned, Cancel, Cancelled),
            (Boarding, Cancel, Cancelled),
        ];
        let events = [
            EditTravellers,
            AssignVehicle,
            RecordBoarding,
            Depart,
            Arrive,
            Close,
            Cancel,
        ];
        for status in BatchStatus::ALL {
            for event in events {
                let want = allowed
                    .iter()
                    .find(|(s, e, _)| s == status && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(transition(*status, event).ok(), want, "{status} {event:?}");
            }
        }
    }

    #[test]
    fn open_batches_and_seats_and_codes() {
        assert!(Planned.is_open() && InTransit.is_open() && Arrived.is_open());
        assert!(!Closed.is_open() && !Cancelled.is_open());
        assert!(seats_suffice(14, 12, 2));
        assert!(!seats_suffice(14, 13, 2));
        let day = chrono::NaiveDate::from_ymd_opt(2020, 3, 7).unwrap();
        assert_eq!(batch_code("PVG", day, 7), "PVG-20200307-007");
    }
}

word_enum!(
    /// What became of a batch's traveller: `boarded`, `no_show`, or `missing` (boarded, then left
    /// out at a handoff and not yet handed again or given an exception).
    TravellerOutcome { Boarded => "boarded", NoShow => "no_show", Missing => "missing" }
);

/// A batch traveller's outcome from the boarding record and the missing flag; none before
/// boarding is recorded.
pub fn traveller_outcome(boarded: Option<bool>, missing: bool) -> Option<TravellerOutcome> {
    match (boarded, missing) {
        (Some(false), _) => Some(TravellerOutcome::NoShow),
        (_, true) => Some(TravellerOutcome::Missing),
        (Some(true), false) => Some(TravellerOutcome::Boarded),
        (None, false) => None,
    }
}
