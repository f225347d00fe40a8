//! A traveller's way through the loop: `awaiting_transfer` → `assigned` → `boarded` →
//! `in_transit` → `arrived` (city custody) → `at_district` → `received` (loop closed), or
//! `exception` from any status that is not terminal.

use super::{word_enum, Refusal, UnitLevel};
use serde::{Deserialize, Serialize};

word_enum!(
    TravellerStatus {
        AwaitingTransfer => "awaiting_transfer",
        Assigned => "assigned",
        Boarded => "boarded",
        InTransit => "in_transit",
        Arrived => "arrived",
        AtDistrict => "at_district",
        Received => "received",
        Exception => "exception",
    }
);

word_enum!(
    DocumentType { Passport => "passport", IdCard => "id_card", TravelPermit => "travel_permit", Other => "other" }
);

word_enum!(
    ExceptionKind {
        NoShow => "no_show",
        Hospitalised => "hospitalised",
        Absconded => "absconded",
        TransferredOut => "transferred_out",
        Refused => "refused",
    }
);

word_enum!(Language { Zh => "zh", En => "en", Ja => "ja", Ko => "ko" });

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TravellerEvent {
    /// Put into a planned batch.
    Assign,
    /// Taken out of a batch before departure (removed, or the batch cancelled).
    Unassign,
    Board,
    Depart,
    Arrive,
    /// Received by the district.
    ReceiveAtDistrict,
    /// Received by the community: the loop closes.
    ReceiveAtCommunity,
    /// A recorded exception: no-show, hospitalised, absconded, transferred out, refused.
    RecordException,
}

impl TravellerStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, TravellerStatus::Received | TravellerStatus::Exception)
    }

    /// The level of the unit that holds the traveller in this status (`None` once out of the loop
    /// by an exception, when the custodian stays whoever held the traveller last).
    pub fn custody_level(self) -> Option<UnitLevel> {
        use TravellerStatus::*;
        match self {
            AwaitingTransfer | Assigned | Boarded | InTransit | Arrived => Some(UnitLevel::City),
            AtDistrict => Some(UnitLevel::District),
            Received => Some(UnitLevel::Community),
            Exception => None,
        }
    }
}

impl TravellerEvent {
    fn verb(self) -> &'static str {
        match self {
            Self::Assign => "join_batch",
            Self::Unassign => "leave_batch",
            Self::Board => "board",
            Self::Depart => "depart",
            Self::Arrive => "arrive",
            Self::ReceiveAtDistrict => "receive_at_district",
            Self::ReceiveAtCommunity => "receive_at_community",
            Self::RecordException => "record_exception",
        }
    }
}

pub fn transition(status: TravellerStatus, event: TravellerEvent) -> Result<TravellerStatus, Refusal> {
    use TravellerEvent::*;
    use TravellerStatus::*;
    match (status, event) {
        (AwaitingTransfer, Assign) => Ok(Assigned),
        (Assigned | Boarded, Unassign) => Ok(AwaitingTransfer),
        (Assigned, Board) => Ok(Boarded),
        (Boarded, Depart) => Ok(InTransit),
        (InTransit, Arrive) => Ok(Arrived),
        (Arrived, ReceiveAtDistrict) => Ok(AtDistrict),
        (AtDistrict, ReceiveAtCommunity) => Ok(Received),
        (s, RecordException) if !s.is_terminal() => Ok(Exception),
        _ => Err(Refusal::WrongStatus {
            subject: "traveller",
            status: status.as_str(),
            step: event.verb(),
        }),
    }
}

/// An arrival time as people type it or spreadsheets store it: RFC 3339, or a date and time with
/// `-` or `/` between the parts, a space or `T` before the time, seconds optional, and with or
/// without a zone. A time without a zone is local time at `offset`.
pub fn parse_time(text: &str, offset: chrono::FixedOffset) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let normal: String = text
        .replace('/', "-")
        .replacen('T', " ", 1)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for zoned in [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%d %H:%M:%S%.f %:z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(&normal, zoned) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for local in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(&normal, local) {
            return offset
                .from_local_datetime(&at)
                .single()
                .map(|at| at.with_timezone(&Utc));
        }
    }
    None
}

/// Nationality: an ISO 3166-1 alpha-3 code, three capital letters.
pub fn valid_nationality(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())
}

/// Flight numbers: two to ten capital letters and digits, e.g. `MU5001`.
pub fn valid_flight_no(flight: &str) -> bool {
    (2..=10).contains(&flight.len())
        && flight
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Phone numbers: digits with an optional leading `+`, spaces and dashes, 5 to 32 characters.
pub fn valid_phone(phone: &str) -> bool {
    (5..=32).contains(&phone.len())
        && phone
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (i == 0 && c == '+'))
}

/// Documents are compared in one spelling: capitals, no spaces.
pub fn normalize_document_no(no: &str) -> Result<String, super::message::Message> {
    let cleaned: String = no
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    if cleaned.is_empty() {
        // An empty document number is one missing, not one of the wrong length.
        Err(super::message::msg!("required"))
    } else if cleaned.len() > 64 {
        Err(super::message::msg!("too_long", max_length = 64))
    } else if !cleaned.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Err(super::message::msg!("document_no_characters"))
    } else {
        Ok(cleaned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TravellerEvent::*;
    use TravellerStatus::*;

    const EVENTS: [TravellerEvent; 8] = [
        Assign,
        Unassign,
        Board,
        Depart,
        Arrive,
        ReceiveAtDistrict,
        ReceiveAtCommunity,
        RecordException,
    ];

    #[test]
    fn every_transition_allowed_or_refused() {
        let allowed = [
            (AwaitingTransfer, Assign, Assigned),
            (Assigned, Unassign, AwaitingTransfer),
            (Boarded, Unassign, AwaitingTransfer),
            (Assigned, Board, Boarded),
            (Boarded, Depart, InTransit),
            (InTransit, Arrive, Arrived),
            (Arrived, ReceiveAtDistrict, AtDistrict),
            (AtDistrict, ReceiveAtCommunity, Received),
            (AwaitingTransfer, RecordException, Exception),
            (Assigned, RecordException, Exception),
            (Boarded, RecordException, Exception),
            (InTransit, RecordException, Exception),
            (Arrived, RecordException, Exception),
            (AtDistrict, RecordException, Exception),
        ];
        for status in TravellerStatus::ALL {
            for event in EVENTS {
                let want = allowed
                    .iter()
                    .find(|(s, e, _)| s == status && *e == event)
                    .map(|(_, _, to)| *to);
                assert_eq!(transition(*status, event).ok(), want, "{status} {event:?}");
            }
        }
    }

    #[test]
    fn terminal_statuses_are_final() {
        for event in EVENTS {
            assert!(transition(Received, event).is_err());
            assert!(transition(Exception, event).is_err());
        }
    }

    #[test]
    fn custody_follows_the_status() {
        assert_eq!(InTransit.custody_level(), Some(UnitLevel::City));
        assert_eq!(Arrived.custody_level(), Some(UnitLevel::City));
        assert_eq!(AtDistrict.custody_level(), Some(UnitLevel::District));
        assert_eq!(Received.custody_level(), Some(UnitLevel::Community));
        assert_eq!(Exception.custody_level(), None);
    }

    #[test]
    fn arrival_times_in_the_forms_people_type() {
        let cst = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let want = "2020-03-07T00:30:00Z";
        for text in [
            "2020-03-07T08:30:00+08:00",
            "2020-03-07T00:30:00Z",
            "2020-03-07 08:30",
            "2020-03-07 08:30:00",
            "2020/3/7 8:30",
            "2020-03-07T08:30:00",
            " 2020-03-07  08:30:00.000 ",
            "2020-03-07 09:30:00+09:00",
        ] {
            let at = parse_time(text, cst).unwrap_or_else(|| panic!("{text:?} not read"));
            assert_eq!(
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                want,
                "{text:?}"
            );
        }
        for text in [
            "",
            "2020-03-07",
            "07/03/2020 08:30",
            "yesterday",
            "2020-13-01 08:00",
        ] {
            assert!(parse_time(text, cst).is_none(), "{text:?} read");
        }
    }

    #[test]
    fn identity_fields() {
        assert!(valid_nationality("CHN") && !valid_nationality("CN") && !valid_nationality("chn"));
        assert!(valid_flight_no("MU5001") && !valid_flight_no("mu 5001"));
        assert!(valid_phone("+86 138-0000-0000") && !valid_phone("call me") && !valid_phone("12+34"));
        assert_eq!(normalize_document_no(" e 1234 5678 ").unwrap(), "E12345678");
        assert!(normalize_document_no("  ").is_err());
        assert!(normalize_document_no("A/B").is_err());
    }
}
