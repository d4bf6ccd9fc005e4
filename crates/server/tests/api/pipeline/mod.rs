//! Hot paths under load and faults (issue 9): saves judged by their arrival,
//! one bad event job refused alone, overload answered 503 before the
//! database, the live feed ending with its token, SQLite housekeeping — on
//! both backends.

mod imports;
mod live_feed;
mod saves;
mod storage;

use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::Request;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use invigil_server::proctoring::writer::Work;
use invigil_store::proctoring::{self as pstore, Event};

use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, qid, save, setup_with, start};

/// Polls `cond` (every 5 ms, at most 10 s).
async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
}
