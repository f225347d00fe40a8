//! End-to-end tests: each runs the real server against its own fresh database (see `helpers`).

mod auth;
mod helpers;
mod operations;
mod ports;
mod units;
mod users;
mod vehicles;
