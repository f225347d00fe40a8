//! End-to-end tests: each runs the real server against its own fresh database (see `helpers`).

mod audit;
mod auth;
mod browser;
mod cli;
mod closed_loop;
mod console;
mod day;
mod edge;
mod helpers;
mod live;
mod logins;
mod openapi;
mod operations;
mod ordering;
mod outages;
mod polls;
mod ports;
mod registration;
mod replays;
mod retention;
mod sheets;
mod stats;
mod units;
mod users;
mod vehicles;
mod world;
