//! Invigil's test kit, a dev-only crate (`publish = false`): what the
//! integration tests (`crates/server/tests/api`) and the benches share.
//!
//! - [`TestApp`] ([`app`]): the real router on a fresh database per test,
//!   SQLite or PostgreSQL (copied from a migrated template), with a builder
//!   for special configurations, and [`run`] that cleans up after a test;
//! - [`fixtures`]: organizations, users with roles and signed-in sessions,
//!   the [`World`] of one of everything, made straight through the store;
//! - [`browser`]: a miniature browser (cookies, forms with CSRF, the
//!   pages' `/web-api/v1` calls) for tests of the web UI;
//! - [`logs`]: per-test log capture;
//! - [`pgadmin`]: creating and dropping PostgreSQL databases;
//! - [`loadgen`]: a seeded exam for many candidates and a minimal HTTP
//!   client, for the autosave bench and the kill test.

// Test helpers fail loudly: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod browser;
pub mod fixtures;
pub mod loadgen;
pub mod logs;
pub mod pgadmin;

/// Which database a [`TestApp`] runs on (the store's own enum).
pub use invigil_store::Backend;

pub use app::{
    CI_ENV, Cleanup, PG_ENV, REAPER_TEST, RequestBuilder, TestApp, TestAppBuilder, TestResponse,
    pg_unavailable, run, template_reaper,
};
pub use fixtures::{PASSWORD, TestUser, World};
