//! Delivery: starting and resuming sessions, autosave through the group
//! commit writer, submit and auto-submit, proctor actions. The timing and
//! state rules are the domain's (`invigil_domain::delivery`); this module
//! persists their outcomes. Grading and results are in [`crate::grading`].

pub mod actions;
pub mod hot;
pub mod pool;
pub mod roster;
pub mod routes;
pub mod service;
pub mod start;
pub mod writer;

use chrono::{DateTime, TimeDelta, Utc};

use invigil_domain::delivery::answers::RevisionError;
use invigil_domain::delivery::session::{DeliveryState, DeliveryStatus, SessionError};
use invigil_domain::delivery::timing::{SessionClock, StartError};
use invigil_store::delivery::Session;

use crate::http::error::ApiError;

fn ms(v: i64) -> TimeDelta {
    TimeDelta::milliseconds(v.max(0))
}

fn to_ms(d: TimeDelta) -> i64 {
    d.num_milliseconds().max(0)
}

/// The timing facts of a stored session.
pub fn clock_of(s: &Session) -> SessionClock {
    SessionClock {
        started_at: s.started_at,
        base_duration: ms(s.base_duration_ms),
        extra_percent: s.extra_percent.and_then(|p| u32::try_from(p).ok()),
        window_end: s.window_end,
        extensions: ms(s.extensions_ms),
        paused_total: ms(s.paused_total_ms),
        paused_since: s.paused_since,
    }
}

/// The delivery state of a stored session.
pub fn state_of(s: &Session) -> DeliveryState {
    DeliveryState {
        status: s.status,
        clock: clock_of(s),
        finished_at: s.finished_at,
    }
}

/// Writes a new delivery state into the row, keeping `deadline_at` (the
/// sweeper's index) in step: the deadline while running, NULL otherwise.
pub fn apply_state(s: &mut Session, st: &DeliveryState, now: DateTime<Utc>) {
    s.status = st.status;
    s.extensions_ms = to_ms(st.clock.extensions);
    s.paused_total_ms = to_ms(st.clock.paused_total);
    s.paused_since = st.clock.paused_since;
    s.finished_at = st.finished_at;
    s.deadline_at = match st.status {
        DeliveryStatus::InProgress => Some(st.clock.deadline(now)),
        _ => None,
    };
    s.updated_at = now;
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Paused => {
                ApiError::conflict_code("session_paused", "the session is paused by a proctor")
            }
            SessionError::Closed => ApiError::conflict_code(
                "session_closed",
                "the session is closed: it was submitted or its time is over",
            ),
            SessionError::Conflict { .. } => ApiError::conflict(e.to_string()),
            SessionError::InvalidMinutes { .. } => ApiError::field("minutes", e.to_string()),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::AttemptsExhausted => {
                ApiError::conflict_code("attempts_exhausted", "no attempts left for this exam")
            }
            _ => ApiError::conflict_code("exam_not_open", e.to_string()),
        }
    }
}

impl From<RevisionError> for ApiError {
    fn from(e: RevisionError) -> Self {
        ApiError::field(e.field(), "must be 0 or more")
    }
}
