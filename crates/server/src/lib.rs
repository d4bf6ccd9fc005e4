//! The Invigil server: HTTP API, background jobs, configuration and the
//! `invigil` command line.

pub mod app;
pub mod audit;
pub mod authz;
pub mod batch;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod courses;
pub mod delivery;
pub mod demo;
pub mod exams;
pub mod files;
pub mod grading;
pub mod http;
pub mod identity;
pub mod jobs;
pub mod live;
pub mod mail;
pub mod notify;
pub mod payments;
pub mod proctoring;
pub mod progress;
pub mod records;
pub mod reports;
pub mod review;
pub mod sso;
pub mod state;
pub mod telemetry;
pub mod tenancy;
pub mod upload;
pub mod web;
