//! `invigil load`: the exam-day load generator.
//!
//! Simulates candidates against running servers over HTTP (loopback), in a
//! paced mode (think times as in a real exam) or saturated (as fast as a
//! bounded number of connections allows), optionally measures the same
//! writes straight through the store (`--baseline`), then reads every
//! acknowledged answer and event back from the database (`lost: N`).
//!
//! This crate is not in the server's request path: the `invigil` binary
//! calls [`run`] from its command line, handing over a [`Harness`] for what
//! needs the server's own code (seeding candidates with real access tokens,
//! the group-commit writers for the baseline).

pub mod baseline;
pub mod client;
pub mod histogram;
pub mod report;
mod run;
pub mod verify;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use invigil_store::Db;
use invigil_store::delivery::AnswerSave;
use invigil_store::proctoring::Event;

pub use report::Report;
pub use run::run;

/// A boxed future, for the [`Harness`] trait's methods.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `invigil load` options.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Base URL of a server, e.g. http://127.0.0.1:8080 (repeatable: the
    /// candidates are spread over the servers in turn).
    #[arg(long = "url", required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Simulated candidates (1..=100000).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub candidates: u32,
    /// Length of the run in seconds (1..=3600); every candidate submits at the end.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub duration: u32,
    /// Create an organization, an approved bank, an active exam and the
    /// enrolled candidates (with access tokens) in the database first.
    #[arg(long)]
    pub prepare: bool,
    /// Where the prepared candidates are written (with --prepare) or read
    /// from (without it). Holds access tokens: a file for a test database.
    #[arg(long, value_name = "FILE")]
    pub prepared: Option<PathBuf>,
    /// No think times: start everyone, then drive autosaves (first half of
    /// the duration) and event batches (second half) as fast as
    /// --connections allow.
    #[arg(long)]
    pub saturate: bool,
    /// Also write the same autosaves and events straight through the
    /// server's store code and group-commit writers, without HTTP.
    #[arg(long)]
    pub baseline: bool,
    /// Length of the baseline in seconds (half autosaves, half events).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=600))]
    pub baseline_duration: u32,
    /// Write the JSON report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Paced mode: candidates start spread evenly over this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub start_spread: f64,
    /// Paced mode: seconds between a candidate's autosaves.
    #[arg(long, default_value_t = 15.0)]
    pub autosave_every: f64,
    /// Paced mode: proctoring events per minute per candidate.
    #[arg(long, default_value_t = 6.0)]
    pub events_per_minute: f64,
    /// Events per request.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub event_batch: u32,
    /// Paced mode: seconds between a candidate's heartbeats.
    #[arg(long, default_value_t = 15.0)]
    pub heartbeat_every: f64,
    /// Saturated mode and baseline: requests in flight at once (connections).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub connections: u32,
    /// Candidates who sign in with a password (measured as `login`; argon2);
    /// the others use access tokens issued by --prepare.
    #[arg(long, default_value_t = 10)]
    pub logins: u32,
    /// Seconds before a request counts as failed (status 0).
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
}

impl LoadArgs {
    /// Defaults for the given servers (tests).
    pub fn new(urls: Vec<String>, candidates: u32, duration: u32) -> Self {
        LoadArgs {
            urls,
            candidates,
            duration,
            prepare: true,
            prepared: None,
            saturate: false,
            baseline: false,
            baseline_duration: 10,
            report: None,
            start_spread: 10.0,
            autosave_every: 15.0,
            events_per_minute: 6.0,
            event_batch: 10,
            heartbeat_every: 15.0,
            connections: 64,
            logins: 10,
            timeout: 30,
        }
    }

    /// Checks what clap's ranges cannot.
    pub fn check(&self) -> Result<(), String> {
        let positive = [
            ("--start-spread", self.start_spread, true),
            ("--autosave-every", self.autosave_every, false),
            ("--events-per-minute", self.events_per_minute, false),
            ("--heartbeat-every", self.heartbeat_every, false),
        ];
        for (name, v, zero_ok) in positive {
            if !v.is_finite() || v < 0.0 || (!zero_ok && v == 0.0) || v > 86_400.0 {
                return Err(format!(
                    "{name} must be a number of seconds (or per minute) above 0"
                ));
            }
        }
        for u in &self.urls {
            if !(u.starts_with("http://")) {
                return Err(format!(
                    "--url {u}: only http:// URLs (loopback) are supported"
                ));
            }
        }
        if !self.prepare && self.prepared.is_none() {
            return Err(
                "nothing to run against: pass --prepare (and optionally --prepared FILE to keep the candidates), or --prepared FILE from an earlier --prepare".into(),
            );
        }
        Ok(())
    }
}

/// A prepared exam, ready to be started by its candidates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadExam {
    pub org_id: Uuid,
    pub org_slug: String,
    pub bank_id: Uuid,
    pub exam_id: Uuid,
    pub candidates: Vec<LoadCandidate>,
}

/// One enrolled, signed-in candidate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadCandidate {
    pub user_id: Uuid,
    pub email: String,
    /// Bearer token for the API.
    pub access_token: String,
    /// Set for the candidates who sign in with a password (`login`).
    pub password: Option<String>,
}

/// What a raw write came to.
#[derive(Debug)]
pub enum RawOutcome {
    Stored,
    /// The writer's queue is full: try again.
    Busy,
    Failed(String),
}

/// What the load generator needs from the server's own code.
pub trait Harness: Send + Sync {
    /// The database the servers use.
    fn db(&self) -> &Db;
    /// Seeds an exam with `candidates` enrolled candidates, each with an
    /// access token; the first `logins` of them also get a password.
    fn prepare(&self, candidates: usize, logins: usize) -> BoxFut<'_, anyhow::Result<LoadExam>>;
    /// Stores one answer through the server's autosave writer.
    fn save_raw(&self, save: AnswerSave) -> BoxFut<'_, RawOutcome>;
    /// Stores one batch of events through the server's event writer.
    fn events_raw(&self, events: Vec<Event>) -> BoxFut<'_, RawOutcome>;
}
