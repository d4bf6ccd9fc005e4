//! One integration-test binary: every test drives the real router against a
//! real database, on SQLite and (with `INVIGIL_TEST_PG_URL`) PostgreSQL.

// Tests unwrap and panic on purpose. clippy.toml's `allow-*-in-tests` only
// covers `#[test]` functions, not the async bodies `both!` wraps or helpers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access_matrix;
mod accounts;
mod audit;
mod audit_export;
mod authz_rules;
mod certificates;
mod common;
mod content;
mod contract;
mod courses;
mod csv_imports;
mod delivery;
mod delivery_model;
mod exams;
mod files;
mod foundation;
mod hiring;
mod identity;
mod input;
mod kill;
mod live;
mod load;
mod notify;
mod openapi;
mod payments;
mod people;
mod pipeline;
mod practice;
mod proctoring;
mod records;
mod reports;
mod results_csv;
mod review;
mod sso;
mod tenancy;
mod web;
mod web_api;
mod web_candidate;
mod web_exam;
mod web_pair;
mod web_people;
mod web_sso;
mod web_staff;
