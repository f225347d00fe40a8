//! The statistics as the dashboards read them: a few indexed rows per request, whatever the size
//! of the history. They are counted as they change by `store::counts`.

pub mod read;

use crate::db::types::Id;

pub use crate::store::counts::{local_day, set_utc_offset_minutes};

/// The scope of the whole system: its numbers are the sum of its cities', added up at read.
pub const GLOBAL: Id = Id(uuid::Uuid::nil());
