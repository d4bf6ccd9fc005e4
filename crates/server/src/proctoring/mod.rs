//! Proctoring: event ingest, heartbeats and the watchdog, phone pairing,
//! the risk engine's flags, and the live feed.

pub mod routes;
