//! Answer saves: the client revision rule and the latency clamp.
//!
//! Each answer (session, question) carries the client's revision. A save
//! applies only when its revision is strictly higher than the stored one, so
//! duplicated, reordered or retried saves never move an answer backwards and
//! a repeat of the same save is idempotent (it answers 200 with the stored
//! revision).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest latency kept, in milliseconds (24 h). Client clocks and
/// measurement bugs should not poison statistics.
pub const MAX_LATENCY_MS: i64 = 24 * 60 * 60 * 1000;

/// What to do with an incoming answer save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RevisionDecision {
    /// Store the incoming answer (no stored answer, or a strictly higher
    /// revision).
    Apply,
    /// Keep the stored answer and answer 200 with its revision: the incoming
    /// revision is lower than or equal to it.
    KeepStored(i64),
}

/// An invalid revision (422 `validation_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RevisionError {
    /// Revisions start at 0.
    #[error("revision must not be negative, got {0}")]
    Negative(i64),
}

impl RevisionError {
    /// Stable machine code for the HTTP layer.
    #[must_use]
    pub fn code(&self) -> &'static str {
        "validation_failed"
    }

    /// The request field at fault.
    #[must_use]
    pub fn field(&self) -> &'static str {
        "revision"
    }
}

/// Decides whether an incoming revision overwrites the stored one: only a
/// strictly higher revision does. Negative incoming revisions are rejected.
pub fn apply_revision(
    stored: Option<i64>,
    incoming: i64,
) -> Result<RevisionDecision, RevisionError> {
    if incoming < 0 {
        return Err(RevisionError::Negative(incoming));
    }
    match stored {
        Some(stored) if incoming <= stored => Ok(RevisionDecision::KeepStored(stored)),
        _ => Ok(RevisionDecision::Apply),
    }
}

/// The client-reported latency, kept within `0..=MAX_LATENCY_MS`
/// (negative becomes 0, larger becomes the cap; `None` stays `None`).
#[must_use]
pub fn clamp_latency_ms(latency_ms: Option<i64>) -> Option<i64> {
    latency_ms.map(|ms| ms.clamp(0, MAX_LATENCY_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_save_applies() {
        assert_eq!(apply_revision(None, 0), Ok(RevisionDecision::Apply));
        assert_eq!(apply_revision(None, 7), Ok(RevisionDecision::Apply));
    }

    #[test]
    fn only_higher_revisions_apply() {
        assert_eq!(apply_revision(Some(3), 4), Ok(RevisionDecision::Apply));
        assert_eq!(
            apply_revision(Some(3), 3),
            Ok(RevisionDecision::KeepStored(3))
        );
        assert_eq!(
            apply_revision(Some(3), 0),
            Ok(RevisionDecision::KeepStored(3))
        );
        assert_eq!(
            apply_revision(Some(i64::MAX), i64::MAX),
            Ok(RevisionDecision::KeepStored(i64::MAX))
        );
    }

    #[test]
    fn negative_revisions_rejected() {
        let err = apply_revision(Some(3), -1).unwrap_err();
        assert_eq!(err, RevisionError::Negative(-1));
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(err.field(), "revision");
        assert!(apply_revision(None, i64::MIN).is_err());
    }

    #[test]
    fn latency_clamped() {
        assert_eq!(clamp_latency_ms(None), None);
        assert_eq!(clamp_latency_ms(Some(-5)), Some(0));
        assert_eq!(clamp_latency_ms(Some(1234)), Some(1234));
        assert_eq!(clamp_latency_ms(Some(i64::MAX)), Some(MAX_LATENCY_MS));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Replaying any sequence of saves (duplicated, reordered) leaves the
        /// highest revision stored, and the stored revision never decreases.
        #[test]
        fn stored_revision_is_the_running_max(revs in proptest::collection::vec(0i64..50, 0..40)) {
            let mut stored: Option<i64> = None;
            for rev in &revs {
                let before = stored;
                if apply_revision(stored, *rev) == Ok(RevisionDecision::Apply) {
                    stored = Some(*rev);
                }
                prop_assert!(stored >= before);
            }
            prop_assert_eq!(stored, revs.iter().copied().max());
        }
    }
}
