//! inbound-transfer: the one shared record of every inbound traveller from the port of entry to
//! their community.
//!
//! - `domain`: pure rules and state machines, no I/O;
//! - `db`, `schema`, `store`: storage on PostgreSQL or embedded SQLite;
//! - `auth`: tokens, passwords, roles and jurisdiction;
//! - `transfer`: the loop's operations, each inside one write transaction;
//! - `sheets`: manifests and rosters as spreadsheet files; `notices`: the notices to travellers;
//! - `http`: one module per resource;
//! - `config`, `telemetry`, `startup`, `housekeeping`, `demo`: running it.

pub mod auth;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod feed;
pub mod freshness;
pub mod housekeeping;
pub mod http;
pub mod metrics;
pub mod notices;
pub mod schema;
pub mod sheets;
pub mod startup;
pub mod state;
pub mod stats;
pub mod store;
pub mod telemetry;
pub mod transfer;
