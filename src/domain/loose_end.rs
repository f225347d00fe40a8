//! Loose ends: what keeps the loop open, each with the unit that must act on it.

use serde::{Deserialize, Serialize};

use super::word_enum;

word_enum!(
    /// What keeps the loop open: travellers `missing` from a confirmed handoff or `rejected` with
    /// one, still with the sender; a pending handoff `locked` by wrong codes, or `overdue`;
    /// travellers `waiting` at a port for too long.
    LooseEndKind {
        Missing => "missing",
        Rejected => "rejected",
        Locked => "locked",
        Overdue => "overdue",
        Waiting => "waiting",
    }
);
