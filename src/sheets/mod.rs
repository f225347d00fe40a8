//! Spreadsheets: reading the files officers receive into the rows the service checks.

pub mod manifest;
