//! The delivery state machine of one exam session.
//!
//! States: IN_PROGRESS, PAUSED, SUBMITTED, AUTO_SUBMITTED, TERMINATED (the
//! last three are terminal and absorbing). Every operation is a pure
//! function of the current [`DeliveryState`], `now` and the grace period; it
//! returns the new state (to persist) or a [`SessionError`] with a stable
//! code.
//!
//! "Expired" below means an IN_PROGRESS session whose write window is over:
//! `now >= deadline + grace` ([`SessionClock::accepts_write`] is false). An
//! expired session is logically closed: only the sweeper still acts on it,
//! to record AUTO_SUBMITTED.
//!
//! | operation    | IN_PROGRESS              | expired            | PAUSED                   | SUBMITTED         | AUTO_SUBMITTED, TERMINATED |
//! |--------------|--------------------------|--------------------|--------------------------|-------------------|----------------------------|
//! | save         | ok                       | `session_closed`   | `session_paused`         | `session_closed`  | `session_closed`           |
//! | submit       | SUBMITTED, finish = now  | `session_closed`   | `session_paused`         | 200 again         | `session_closed`           |
//! | auto_submit  | not due                  | AUTO_SUBMITTED, finish = deadline | not due   | not due           | not due                    |
//! | pause        | PAUSED, since = now      | `session_closed`   | `conflict`               | `session_closed`  | `session_closed`           |
//! | resume       | `conflict`               | `session_closed`   | IN_PROGRESS, pause added | `session_closed`  | `session_closed`           |
//! | extend_time  | extensions += minutes    | `session_closed`   | extensions += minutes    | `session_closed`  | `session_closed`           |
//! | terminate    | TERMINATED, finish = now | `session_closed`   | TERMINATED, finish = now | `session_closed`  | `session_closed`           |
//!
//! Decisions:
//! * **A PAUSED session is never expired and never auto-submitted while
//!   paused.** Its deadline moves with `now` during the pause, except that a
//!   candidate without extra time stays capped at the window end; such a
//!   session waits for staff to resume (after which it may be due at once,
//!   and the sweeper records finish = the capped deadline) or to terminate.
//! * A candidate cannot submit while paused (`session_paused`), as for saves:
//!   a pause freezes the candidate's side.
//! * Resume, terminate and any other terminal transition close out the
//!   ongoing pause into `paused_total`, so the stored clock is final.
//! * An extension for a candidate without extra time cannot move the deadline
//!   past the window end (the cap of DESIGN.md "Timing").
//! * Staff actions on an expired session answer `session_closed`: the
//!   candidate's time is over and the sweeper will auto-submit it.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::timing::{SessionClock, StartError};

/// Allowed minutes of one time extension.
pub const EXTEND_MINUTES: std::ops::RangeInclusive<i64> = 1..=600;

crate::stored_enum! {
    /// Delivery status of a session (the integrity status is separate).
    pub enum DeliveryStatus {
        InProgress = "IN_PROGRESS",
        Paused = "PAUSED",
        Submitted = "SUBMITTED",
        AutoSubmitted = "AUTO_SUBMITTED",
        Terminated = "TERMINATED",
    }
}

impl DeliveryStatus {
    /// SUBMITTED, AUTO_SUBMITTED and TERMINATED: nothing changes them.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Submitted | Self::AutoSubmitted | Self::Terminated
        )
    }
}

/// The operations of the state machine (the staff ones match the
/// `actions` endpoint's types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionAction {
    Save,
    Submit,
    AutoSubmit,
    Pause,
    Resume,
    ExtendTime,
    Terminate,
}

/// Why an operation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SessionError {
    /// The session is PAUSED (409 `session_paused`).
    #[error("the session is paused")]
    Paused,
    /// The session is over: a terminal state, or past deadline + grace
    /// (409 `session_closed`).
    #[error("the session is closed")]
    Closed,
    /// The action does not apply to the current state, e.g. pausing a paused
    /// session (409 `conflict`).
    #[error("cannot {action:?} a session that is {status:?}")]
    Conflict {
        action: SessionAction,
        status: DeliveryStatus,
    },
    /// Extension minutes outside 1..=600 (422 `validation_failed`).
    #[error("minutes must be between 1 and 600, got {minutes}")]
    InvalidMinutes { minutes: i64 },
}

impl SessionError {
    /// Stable machine code for the HTTP layer.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Paused => "session_paused",
            Self::Closed => "session_closed",
            Self::Conflict { .. } => "conflict",
            Self::InvalidMinutes { .. } => "validation_failed",
        }
    }
}

/// The outcome of a submit that is not refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmitOutcome {
    /// Newly submitted: persist this state.
    Submitted(DeliveryState),
    /// The session was already SUBMITTED: answer 200 again, change nothing.
    AlreadySubmitted,
}

/// The persisted delivery state of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryState {
    pub status: DeliveryStatus,
    pub clock: SessionClock,
    /// When the session ended; set exactly when the status is terminal.
    pub finished_at: Option<DateTime<Utc>>,
}

impl DeliveryState {
    /// A session that has just started (IN_PROGRESS).
    #[must_use]
    pub fn start(clock: SessionClock) -> Self {
        Self {
            status: DeliveryStatus::InProgress,
            clock,
            finished_at: None,
        }
    }

    /// Whether this is an IN_PROGRESS session past deadline + grace.
    #[must_use]
    pub fn is_expired(&self, now: DateTime<Utc>, grace: TimeDelta) -> bool {
        self.status == DeliveryStatus::InProgress && !self.clock.accepts_write(now, grace)
    }

    /// `Closed` for terminal states (but `Submitted` is left to the caller)
    /// and expired sessions.
    fn ensure_live(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<(), SessionError> {
        if self.status.is_terminal() || self.is_expired(now, grace) {
            Err(SessionError::Closed)
        } else {
            Ok(())
        }
    }

    fn finished(self, status: DeliveryStatus, now: DateTime<Utc>, at: DateTime<Utc>) -> Self {
        Self {
            status,
            clock: self.clock.resumed_at(now),
            finished_at: Some(at),
        }
    }

    /// Whether a candidate's answer save received at `now` is accepted.
    pub fn check_save(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<(), SessionError> {
        self.ensure_live(now, grace)?;
        match self.status {
            DeliveryStatus::Paused => Err(SessionError::Paused),
            _ => Ok(()),
        }
    }

    /// The candidate submits at `now`. A repeated submit of a SUBMITTED
    /// session is [`SubmitOutcome::AlreadySubmitted`] (200 again).
    pub fn submit(
        &self,
        now: DateTime<Utc>,
        grace: TimeDelta,
    ) -> Result<SubmitOutcome, SessionError> {
        if self.status == DeliveryStatus::Submitted {
            return Ok(SubmitOutcome::AlreadySubmitted);
        }
        self.check_save(now, grace)?;
        Ok(SubmitOutcome::Submitted(self.finished(
            DeliveryStatus::Submitted,
            now,
            now,
        )))
    }

    /// The sweeper's decision at `now`: `Some(AUTO_SUBMITTED state)` with
    /// finish = the deadline when the session is IN_PROGRESS and
    /// `now >= deadline + grace`; `None` otherwise (PAUSED sessions included).
    #[must_use]
    pub fn auto_submit(&self, now: DateTime<Utc>, grace: TimeDelta) -> Option<Self> {
        if self.is_expired(now, grace) && self.clock.auto_submit_due(now, grace) {
            let deadline = self.clock.deadline(now);
            Some(self.finished(DeliveryStatus::AutoSubmitted, now, deadline))
        } else {
            None
        }
    }

    /// Staff pause at `now`: IN_PROGRESS -> PAUSED.
    pub fn pause(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<Self, SessionError> {
        self.ensure_live(now, grace)?;
        match self.status {
            DeliveryStatus::InProgress => Ok(Self {
                status: DeliveryStatus::Paused,
                clock: self.clock.paused_at(now),
                finished_at: None,
            }),
            status => Err(SessionError::Conflict {
                action: SessionAction::Pause,
                status,
            }),
        }
    }

    /// Staff resume at `now`: PAUSED -> IN_PROGRESS, the pause's length added
    /// to `paused_total`. The result may already be expired (a capped
    /// candidate paused past the window end); the sweeper then closes it.
    pub fn resume(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<Self, SessionError> {
        self.ensure_live(now, grace)?;
        match self.status {
            DeliveryStatus::Paused => Ok(Self {
                status: DeliveryStatus::InProgress,
                clock: self.clock.resumed_at(now),
                finished_at: None,
            }),
            status => Err(SessionError::Conflict {
                action: SessionAction::Resume,
                status,
            }),
        }
    }

    /// Staff extension by `minutes` (1..=600) at `now`, IN_PROGRESS or PAUSED.
    pub fn extend_time(
        &self,
        minutes: i64,
        now: DateTime<Utc>,
        grace: TimeDelta,
    ) -> Result<Self, SessionError> {
        if !EXTEND_MINUTES.contains(&minutes) {
            return Err(SessionError::InvalidMinutes { minutes });
        }
        self.ensure_live(now, grace)?;
        Ok(Self {
            clock: self.clock.extended_by(TimeDelta::minutes(minutes)),
            ..*self
        })
    }

    /// Staff termination at `now`: IN_PROGRESS | PAUSED -> TERMINATED,
    /// finish = now.
    pub fn terminate(&self, now: DateTime<Utc>, grace: TimeDelta) -> Result<Self, SessionError> {
        self.ensure_live(now, grace)?;
        Ok(self.finished(DeliveryStatus::Terminated, now, now))
    }
}

/// Attempts a candidate has left: the override's max attempts if set, else
/// the exam's, minus the attempts used (never below zero). Every session
/// created counts as one attempt used, however it ended.
#[must_use]
pub fn attempts_left(max_attempts: u32, override_max_attempts: Option<u32>, used: u32) -> u32 {
    override_max_attempts
        .unwrap_or(max_attempts)
        .saturating_sub(used)
}

/// `Err(StartError::AttemptsExhausted)` (409 `attempts_exhausted`) when no
/// attempt is left. Check it after [`super::timing::check_start`], and only
/// when no IN_PROGRESS/PAUSED session exists to resume.
pub fn ensure_attempt_left(attempts_left: u32) -> Result<(), StartError> {
    if attempts_left == 0 {
        Err(StartError::AttemptsExhausted)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::timing::DEFAULT_GRACE;
    use chrono::TimeZone;

    const G: TimeDelta = DEFAULT_GRACE;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
    }
    fn at(minutes: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(minutes)
    }
    fn live() -> DeliveryState {
        DeliveryState::start(SessionClock::new(t0(), TimeDelta::minutes(60), None, None))
    }
    fn with_status(status: DeliveryStatus) -> DeliveryState {
        DeliveryState {
            status,
            finished_at: status.is_terminal().then_some(at(10)),
            ..live()
        }
    }
    /// Just past deadline + grace.
    fn late() -> DateTime<Utc> {
        at(60) + G
    }

    #[test]
    fn save_rules() {
        assert_eq!(live().check_save(at(10), G), Ok(()));
        assert_eq!(
            live().check_save(at(60) + G - TimeDelta::seconds(1), G),
            Ok(())
        );
        assert_eq!(live().check_save(late(), G), Err(SessionError::Closed));
        let paused = live().pause(at(10), G).unwrap();
        assert_eq!(paused.check_save(at(11), G), Err(SessionError::Paused));
        assert_eq!(paused.check_save(at(500), G), Err(SessionError::Paused));
        for status in [
            DeliveryStatus::Submitted,
            DeliveryStatus::AutoSubmitted,
            DeliveryStatus::Terminated,
        ] {
            assert_eq!(
                with_status(status).check_save(at(10), G),
                Err(SessionError::Closed)
            );
        }
    }

    #[test]
    fn submit_rules() {
        let Ok(SubmitOutcome::Submitted(done)) = live().submit(at(20), G) else {
            panic!("expected a submit");
        };
        assert_eq!(done.status, DeliveryStatus::Submitted);
        assert_eq!(done.finished_at, Some(at(20)));
        // Repeating is 200, even after the deadline.
        assert_eq!(done.submit(at(21), G), Ok(SubmitOutcome::AlreadySubmitted));
        assert_eq!(done.submit(at(500), G), Ok(SubmitOutcome::AlreadySubmitted));
        // Inside the grace period the finish time is the real time.
        let Ok(SubmitOutcome::Submitted(graced)) =
            live().submit(at(60) + TimeDelta::seconds(10), G)
        else {
            panic!("expected a submit");
        };
        assert_eq!(graced.finished_at, Some(at(60) + TimeDelta::seconds(10)));
        assert_eq!(live().submit(late(), G), Err(SessionError::Closed));
        let paused = live().pause(at(10), G).unwrap();
        assert_eq!(paused.submit(at(11), G), Err(SessionError::Paused));
        for status in [DeliveryStatus::AutoSubmitted, DeliveryStatus::Terminated] {
            assert_eq!(
                with_status(status).submit(at(10), G),
                Err(SessionError::Closed)
            );
        }
    }

    #[test]
    fn auto_submit_records_the_deadline() {
        assert_eq!(
            live().auto_submit(late() - TimeDelta::milliseconds(1), G),
            None
        );
        let done = live().auto_submit(at(75), G).unwrap();
        assert_eq!(done.status, DeliveryStatus::AutoSubmitted);
        assert_eq!(done.finished_at, Some(at(60)));
        assert_eq!(done.auto_submit(at(90), G), None);
        for status in [DeliveryStatus::Submitted, DeliveryStatus::Terminated] {
            assert_eq!(with_status(status).auto_submit(at(500), G), None);
        }
    }

    #[test]
    fn paused_sessions_are_not_auto_submitted() {
        let capped = DeliveryState::start(SessionClock::new(
            t0(),
            TimeDelta::minutes(60),
            None,
            Some(at(30)),
        ));
        let paused = capped.pause(at(20), G).unwrap();
        assert_eq!(paused.auto_submit(at(500), G), None);
        // Resuming after the cap: closed at once, finish = the capped deadline.
        let resumed = paused.resume(at(500), G).unwrap();
        assert_eq!(resumed.check_save(at(500), G), Err(SessionError::Closed));
        let done = resumed.auto_submit(at(500), G).unwrap();
        assert_eq!(done.finished_at, Some(at(30)));
    }

    #[test]
    fn pause_and_resume() {
        let paused = live().pause(at(10), G).unwrap();
        assert_eq!(paused.status, DeliveryStatus::Paused);
        assert_eq!(paused.clock.paused_since, Some(at(10)));
        assert_eq!(
            paused.pause(at(11), G),
            Err(SessionError::Conflict {
                action: SessionAction::Pause,
                status: DeliveryStatus::Paused
            })
        );
        let resumed = paused.resume(at(25), G).unwrap();
        assert_eq!(resumed.status, DeliveryStatus::InProgress);
        assert_eq!(resumed.clock.paused_total, TimeDelta::minutes(15));
        assert_eq!(resumed.clock.deadline(at(30)), at(75));
        let err = resumed.resume(at(26), G).unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert_eq!(live().pause(late(), G), Err(SessionError::Closed));
        assert_eq!(live().resume(late(), G), Err(SessionError::Closed));
    }

    #[test]
    fn extend_time_rules() {
        let extended = live().extend_time(15, at(10), G).unwrap();
        assert_eq!(extended.clock.deadline(at(10)), at(75));
        assert_eq!(extended.status, DeliveryStatus::InProgress);
        let paused = live()
            .pause(at(10), G)
            .unwrap()
            .extend_time(600, at(11), G)
            .unwrap();
        assert_eq!(paused.status, DeliveryStatus::Paused);
        for minutes in [0, -1, 601] {
            let err = live().extend_time(minutes, at(10), G).unwrap_err();
            assert_eq!(err, SessionError::InvalidMinutes { minutes });
            assert_eq!(err.code(), "validation_failed");
        }
        assert_eq!(live().extend_time(5, late(), G), Err(SessionError::Closed));
        assert_eq!(
            with_status(DeliveryStatus::Submitted).extend_time(5, at(10), G),
            Err(SessionError::Closed)
        );
    }

    #[test]
    fn terminate_rules() {
        let done = live().terminate(at(10), G).unwrap();
        assert_eq!(done.status, DeliveryStatus::Terminated);
        assert_eq!(done.finished_at, Some(at(10)));
        let paused_done = live()
            .pause(at(10), G)
            .unwrap()
            .terminate(at(12), G)
            .unwrap();
        assert_eq!(paused_done.clock.paused_since, None);
        assert_eq!(paused_done.clock.paused_total, TimeDelta::minutes(2));
        assert_eq!(done.terminate(at(11), G), Err(SessionError::Closed));
        assert_eq!(live().terminate(late(), G), Err(SessionError::Closed));
    }

    #[test]
    fn error_codes() {
        assert_eq!(SessionError::Paused.code(), "session_paused");
        assert_eq!(SessionError::Closed.code(), "session_closed");
        assert_eq!(
            serde_json::to_string(&DeliveryStatus::AutoSubmitted).unwrap(),
            "\"AUTO_SUBMITTED\""
        );
        assert_eq!(
            serde_json::to_string(&SessionAction::ExtendTime).unwrap(),
            "\"EXTEND_TIME\""
        );
    }

    #[test]
    fn attempts() {
        assert_eq!(attempts_left(3, None, 0), 3);
        assert_eq!(attempts_left(3, None, 2), 1);
        assert_eq!(attempts_left(3, Some(5), 4), 1);
        assert_eq!(attempts_left(3, Some(1), 2), 0);
        assert_eq!(attempts_left(1, None, 9), 0);
        assert_eq!(ensure_attempt_left(0), Err(StartError::AttemptsExhausted));
        assert_eq!(ensure_attempt_left(1), Ok(()));
    }
}
