//! `inbound-transfer bench …`: benchmarks of the service as its users drive it, run by hand on a
//! quiet machine. They belong to the binary, not the library.
//!
//! - `history`: the statistics endpoints over synthetic histories of any size;
//! - `writes`: the write path against pgbench running the same statements, cities side by side,
//!   and many event streams;
//! - `sheets`: importing manifests and exporting rosters;
//! - `hostile`: the hostile workbooks of an attack run, what they cost and whom they hold up;
//! - `desk`: how soon an officer's phone shows the desk on a poor network, cold, warm and offline.

pub mod desk;
pub mod history;
pub mod hostile;
pub mod sheets;
pub mod writes;
