//! A handoff: an offer of custody from one unit to the next level, confirmed by the receiver with
//! a six-digit code only the sender can read. `pending` → `confirmed` | `rejected` | `cancelled`;
//! five wrong codes lock it.

use std::collections::HashSet;

use super::{word_enum, Refusal};
use crate::db::types::TravellerId;
use serde::{Deserialize, Serialize};

word_enum!(
    HandoffStatus { Pending => "pending", Confirmed => "confirmed", Rejected => "rejected", Cancelled => "cancelled" }
);

word_enum!(
    /// What became of one traveller offered in a handoff.
    HandoffOutcome { Pending => "pending", Received => "received", Missing => "missing", Returned => "returned" }
);

pub const MAX_CODE_ATTEMPTS: i32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoffAction {
    Confirm,
    Reject,
    Cancel,
}

/// Whether the action is possible on a handoff in this state.
pub fn check_action(
    status: HandoffStatus,
    locked: bool,
    action: HandoffAction,
) -> Result<HandoffStatus, Refusal> {
    if status != HandoffStatus::Pending {
        return Err(Refusal::WrongStatus {
            subject: "handoff",
            status: status.as_str(),
            step: match action {
                HandoffAction::Confirm => "confirm",
                HandoffAction::Reject => "reject",
                HandoffAction::Cancel => "cancel",
            },
        });
    }
    match action {
        HandoffAction::Confirm | HandoffAction::Reject if locked => Err(Refusal::Locked),
        HandoffAction::Confirm => Ok(HandoffStatus::Confirmed),
        HandoffAction::Reject => Ok(HandoffStatus::Rejected),
        HandoffAction::Cancel => Ok(HandoffStatus::Cancelled),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Correct,
    Wrong {
        attempts_left: i32,
    },
    /// This wrong code was the last one allowed: the handoff locks now.
    LocksNow,
}

/// Compares codes in constant time and counts the attempt.
pub fn check_code(expected: &str, given: &str, failed_before: i32) -> CodeCheck {
    let same = expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        CodeCheck::Correct
    } else if failed_before + 1 >= MAX_CODE_ATTEMPTS {
        CodeCheck::LocksNow
    } else {
        CodeCheck::Wrong {
            attempts_left: MAX_CODE_ATTEMPTS - failed_before - 1,
        }
    }
}

/// A handoff code from a random number.
pub fn code_from(random: u32) -> String {
    format!("{:06}", random % 1_000_000)
}

/// Splits the offered travellers into received and missing, refusing anyone not offered or
/// named twice.
pub fn split_received(
    offered: &[TravellerId],
    received: &[TravellerId],
) -> Result<(Vec<TravellerId>, Vec<TravellerId>), super::message::Message> {
    let offered_set: HashSet<&TravellerId> = offered.iter().collect();
    let mut seen = HashSet::new();
    for id in received {
        if !offered_set.contains(id) {
            return Err(super::message::msg!(
                "traveller_not_in_handoff",
                traveller_id = id.to_string()
            ));
        }
        if !seen.insert(id) {
            return Err(super::message::msg!(
                "traveller_listed_twice",
                traveller_id = id.to_string()
            ));
        }
    }
    let missing = offered.iter().filter(|id| !seen.contains(id)).copied().collect();
    Ok((received.to_vec(), missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use HandoffAction::*;
    use HandoffStatus::*;

    #[test]
    fn only_pending_handoffs_can_be_acted_on() {
        for status in HandoffStatus::ALL {
            for action in [Confirm, Reject, Cancel] {
                let got = check_action(*status, false, action);
                assert_eq!(got.is_ok(), *status == Pending, "{status} {action:?}");
            }
        }
        assert_eq!(check_action(Pending, false, Confirm), Ok(Confirmed));
        assert_eq!(check_action(Pending, false, Reject), Ok(Rejected));
        assert_eq!(check_action(Pending, false, Cancel), Ok(Cancelled));
    }

    #[test]
    fn a_locked_handoff_can_only_be_cancelled() {
        assert_eq!(check_action(Pending, true, Confirm), Err(Refusal::Locked));
        assert_eq!(check_action(Pending, true, Reject), Err(Refusal::Locked));
        assert_eq!(check_action(Pending, true, Cancel), Ok(Cancelled));
    }

    #[test]
    fn five_wrong_codes_lock() {
        assert_eq!(check_code("123456", "123456", 4), CodeCheck::Correct);
        assert_eq!(
            check_code("123456", "123457", 0),
            CodeCheck::Wrong { attempts_left: 4 }
        );
        assert_eq!(
            check_code("123456", "12345", 3),
            CodeCheck::Wrong { attempts_left: 1 }
        );
        assert_eq!(check_code("123456", "000000", 4), CodeCheck::LocksNow);
        assert_eq!(code_from(42), "000042");
        assert_eq!(code_from(1_234_567), "234567");
    }

    #[test]
    fn received_and_missing_add_up_to_sent() {
        let ids: Vec<TravellerId> = (0..4).map(|_| TravellerId::new()).collect();
        let (received, missing) = split_received(&ids, &ids[..3]).unwrap();
        assert_eq!(received.len() + missing.len(), ids.len());
        assert_eq!(missing, vec![ids[3]]);
        assert!(split_received(&ids, &[TravellerId::new()]).is_err());
        assert!(split_received(&ids, &[ids[0], ids[0]]).is_err());
        let (none, all) = split_received(&ids, &[]).unwrap();
        assert!(none.is_empty() && all.len() == 4);
    }
}
