//! The Invigil server: HTTP API, background jobs, configuration and the
//! `invigil` command line.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod http;
pub mod jobs;
pub mod state;
pub mod telemetry;
