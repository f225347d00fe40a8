//! The storage layer: rows, queries and the writes of each resource. Every write takes the unit of
//! work of a transaction opened by the caller (`Tx`), which also carries its statistics and events.

pub mod batches;
pub mod counts;
pub mod events;
pub mod handoffs;
pub mod idempotency;
pub mod loose_ends;
pub mod pending;
pub mod ports;
pub mod roster;
pub mod statements;
pub mod travellers;
pub mod tx;
pub mod units;
pub mod users;
pub mod vehicles;

pub use tx::{write, Committed, Tx};

use crate::db::types::Id;

/// New ids are UUIDv7: time-ordered, so ordering by id is ordering by creation, and keyset
/// pagination by id is stable.
pub fn new_id() -> Id {
    Id::new()
}

/// One page of a list, fetched as `limit + 1` rows to know whether another page follows.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_after: Option<Id>,
}

impl<T> Page<T> {
    pub fn from_rows<I: Into<Id>>(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> I) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_after = if more {
            rows.last().map(|row| id_of(row).into())
        } else {
            None
        };
        Page {
            items: rows,
            next_after,
        }
    }
}
