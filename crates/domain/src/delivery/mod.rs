//! Delivery rules: when a session may start and when it ends ([`timing`]),
//! the session's delivery state machine ([`session`]), answer revisions
//! ([`answers`]) and the reproducible question draw ([`draw`]).
//!
//! The server owns the clock: every rule takes `now` from the caller and
//! derives deadlines only from instants and durations stored with the
//! session, so a restart never moves a deadline.

pub mod answers;
pub mod draw;
pub mod session;
pub mod timing;

pub use answers::{RevisionDecision, RevisionError, apply_revision, clamp_latency_ms};
pub use draw::{
    CandidateQuestion, DrawError, DrawOptions, Selection, ServedQuestion, SplitMix64,
    draw_questions,
};
pub use session::{
    DeliveryState, DeliveryStatus, SessionAction, SessionError, SubmitOutcome, attempts_left,
    ensure_attempt_left,
};
pub use timing::{
    DEFAULT_GRACE, SessionClock, StartError, check_start, effective_extra_percent, plan_new_session,
};

/// Serde helper: a `chrono::TimeDelta` as whole milliseconds (`i64`).
/// Sub-millisecond parts are dropped, like a database column of
/// milliseconds would drop them.
pub(crate) mod millis {
    use chrono::TimeDelta;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &TimeDelta, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_milliseconds())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
        let ms = i64::deserialize(d)?;
        TimeDelta::try_milliseconds(ms)
            .ok_or_else(|| serde::de::Error::custom("duration out of range"))
    }
}
