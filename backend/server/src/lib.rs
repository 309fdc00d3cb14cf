//! The minqing binary's parts: configuration, telemetry, start-up, the portal mount, and the
//! shell subcommands. `main.rs` only parses the command line.
pub mod admin;
pub mod bench;
pub mod bench_demands;
pub mod config;
pub mod jobs;
pub mod keys;
pub mod ledger;
pub mod portal;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::Server;
