//! The statistics as the dashboards read them: a few indexed rows per request, whatever the size
//! of the history. They are counted as they change by `store::counts`.

pub mod read;

pub use crate::domain::access::GLOBAL;
pub use crate::store::counts::{local_day, set_utc_offset_minutes};
