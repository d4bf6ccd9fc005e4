//! Enrollments: status rules and per-candidate overrides (window, duration,
//! attempts, extra time) with their validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::Window;
use super::settings::{DURATION_MINUTES, FieldError, MAX_ATTEMPTS, check_range, check_window};

/// Largest extra-time percent an override (or a candidate profile) may give.
pub const MAX_EXTRA_TIME_PERCENT: u32 = 400;
const EXTRA_TIME_PERCENT: std::ops::RangeInclusive<i64> = 0..=400;

crate::stored_enum! {
    /// Status of a candidate's enrollment in an exam.
    pub enum EnrollmentStatus {
        /// A new person who has not accepted their invitation yet.
        Invited = "INVITED",
        /// Ready to take the exam.
        Accepted = "ACCEPTED",
        /// A session is running (IN_PROGRESS or PAUSED).
        InProgress = "IN_PROGRESS",
        /// The last session ended (another attempt may still be allowed).
        Completed = "COMPLETED",
    }
}

/// Errors of the enrollment status rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EnrollmentError {
    /// The candidate has not accepted the invitation yet.
    #[error("the invitation has not been accepted yet")]
    NotAccepted,
    /// The change does not apply to the current status.
    #[error("the enrollment is {0:?}")]
    InvalidStatus(EnrollmentStatus),
}

impl EnrollmentError {
    /// Stable machine code for the HTTP layer (409).
    #[must_use]
    pub fn code(&self) -> &'static str {
        "conflict"
    }
}

impl EnrollmentStatus {
    /// The invitation was accepted: INVITED -> ACCEPTED. Accepting again is a
    /// no-op (ACCEPTED and later statuses stay as they are).
    #[must_use]
    pub fn accept(self) -> Self {
        match self {
            Self::Invited => Self::Accepted,
            other => other,
        }
    }

    /// A session was started or resumed: ACCEPTED | IN_PROGRESS | COMPLETED
    /// -> IN_PROGRESS (COMPLETED for a further attempt; whether one is left
    /// is [`crate::delivery::session::attempts_left`]'s business).
    pub fn start_session(self) -> Result<Self, EnrollmentError> {
        match self {
            Self::Invited => Err(EnrollmentError::NotAccepted),
            Self::Accepted | Self::InProgress | Self::Completed => Ok(Self::InProgress),
        }
    }

    /// The running session ended (submitted, auto-submitted or terminated):
    /// IN_PROGRESS -> COMPLETED.
    pub fn finish_session(self) -> Result<Self, EnrollmentError> {
        match self {
            Self::InProgress => Ok(Self::Completed),
            other => Err(EnrollmentError::InvalidStatus(other)),
        }
    }
}

/// Per-candidate overrides as received
/// (`PUT /orgs/{org}/exams/{exam}/enrollments/{user_id}`). Every field is
/// optional; an absent field keeps the exam's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentOverridesInput {
    #[serde(default)]
    pub window_start_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub window_end_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub duration_minutes: Option<i64>,
    #[serde(default)]
    pub max_attempts: Option<i64>,
    #[serde(default)]
    pub extra_time_percent: Option<i64>,
}

/// Validated per-candidate overrides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentOverrides {
    /// Replaces the exam's window bound by bound ([`Window::overridden_by`]).
    pub window: Window,
    /// Replaces the exam's duration; 1..=1440.
    pub duration_minutes: Option<u32>,
    /// Replaces the exam's max attempts; 1..=100.
    pub max_attempts: Option<u32>,
    /// Replaces the candidate profile's extra time; 0..=400. `Some(0)`
    /// explicitly removes the profile's extra time for this exam.
    pub extra_time_percent: Option<u32>,
}

impl EnrollmentOverridesInput {
    /// Validates the overrides against the exam's own window.
    ///
    /// Rules: `duration_minutes` 1..=1440, `max_attempts` 1..=100,
    /// `extra_time_percent` 0..=400, and the candidate's effective window
    /// (override bounds replacing the exam's, bound by bound) must have
    /// `start < end` when both are set (error on `window_end_at`).
    pub fn validate(&self, exam_window: Window) -> Result<EnrollmentOverrides, Vec<FieldError>> {
        let mut errors = Vec::new();
        let duration_minutes = self
            .duration_minutes
            .and_then(|d| check_range(&mut errors, "duration_minutes", d, &DURATION_MINUTES));
        let max_attempts = self
            .max_attempts
            .and_then(|a| check_range(&mut errors, "max_attempts", a, &MAX_ATTEMPTS));
        let extra_time_percent = self
            .extra_time_percent
            .and_then(|p| check_range(&mut errors, "extra_time_percent", p, &EXTRA_TIME_PERCENT));
        let window = Window::new(self.window_start_at, self.window_end_at);
        let effective = exam_window.overridden_by(window);
        check_window(&mut errors, "window_end_at", effective.start, effective.end);
        if errors.is_empty() {
            Ok(EnrollmentOverrides {
                window,
                duration_minutes,
                max_attempts,
                extra_time_percent,
            })
        } else {
            Err(errors)
        }
    }
}

impl EnrollmentOverrides {
    /// The window that applies to this candidate.
    #[must_use]
    pub fn effective_window(&self, exam_window: Window) -> Window {
        exam_window.overridden_by(self.window)
    }

    /// The duration in minutes that applies to this candidate.
    #[must_use]
    pub fn effective_duration_minutes(&self, exam_duration_minutes: u32) -> u32 {
        self.duration_minutes.unwrap_or(exam_duration_minutes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, h, 0, 0).unwrap()
    }

    fn fields(result: Result<EnrollmentOverrides, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn status_flow() {
        use EnrollmentStatus as E;
        assert_eq!(E::Invited.accept(), E::Accepted);
        assert_eq!(E::Completed.accept(), E::Completed);
        assert_eq!(
            E::Invited.start_session(),
            Err(EnrollmentError::NotAccepted)
        );
        assert_eq!(E::Accepted.start_session(), Ok(E::InProgress));
        assert_eq!(E::Completed.start_session(), Ok(E::InProgress));
        assert_eq!(E::InProgress.start_session(), Ok(E::InProgress));
        assert_eq!(E::InProgress.finish_session(), Ok(E::Completed));
        assert_eq!(
            E::Accepted.finish_session(),
            Err(EnrollmentError::InvalidStatus(E::Accepted))
        );
        assert_eq!(EnrollmentError::NotAccepted.code(), "conflict");
        assert_eq!(
            serde_json::to_string(&E::InProgress).unwrap(),
            "\"IN_PROGRESS\""
        );
    }

    #[test]
    fn empty_overrides_are_valid() {
        let o = EnrollmentOverridesInput::default()
            .validate(Window::default())
            .unwrap();
        assert_eq!(o, EnrollmentOverrides::default());
        assert_eq!(o.effective_duration_minutes(45), 45);
    }

    #[test]
    fn ranges() {
        let exam = Window::default();
        for (p, ok) in [(-1, false), (0, true), (400, true), (401, false)] {
            let input = EnrollmentOverridesInput {
                extra_time_percent: Some(p),
                ..Default::default()
            };
            assert_eq!(input.validate(exam).is_ok(), ok, "extra {p}");
        }
        for (d, ok) in [(0, false), (1, true), (1440, true), (1441, false)] {
            let input = EnrollmentOverridesInput {
                duration_minutes: Some(d),
                ..Default::default()
            };
            assert_eq!(input.validate(exam).is_ok(), ok, "duration {d}");
        }
        for (a, ok) in [(0, false), (1, true), (100, true), (101, false)] {
            let input = EnrollmentOverridesInput {
                max_attempts: Some(a),
                ..Default::default()
            };
            assert_eq!(input.validate(exam).is_ok(), ok, "attempts {a}");
        }
        let all_bad = EnrollmentOverridesInput {
            duration_minutes: Some(0),
            max_attempts: Some(0),
            extra_time_percent: Some(999),
            ..Default::default()
        };
        assert_eq!(
            fields(all_bad.validate(exam)),
            ["duration_minutes", "max_attempts", "extra_time_percent"]
        );
    }

    #[test]
    fn window_checked_against_effective_window() {
        let exam = Window::new(Some(t(9)), Some(t(12)));
        let later_end = EnrollmentOverridesInput {
            window_end_at: Some(t(14)),
            ..Default::default()
        };
        let o = later_end.validate(exam).unwrap();
        assert_eq!(
            o.effective_window(exam),
            Window::new(Some(t(9)), Some(t(14)))
        );
        // An override start after the exam's end makes an empty window.
        let late_start = EnrollmentOverridesInput {
            window_start_at: Some(t(13)),
            ..Default::default()
        };
        assert_eq!(fields(late_start.validate(exam)), ["window_end_at"]);
        let both = EnrollmentOverridesInput {
            window_start_at: Some(t(13)),
            window_end_at: Some(t(15)),
            ..Default::default()
        };
        assert!(both.validate(exam).is_ok());
    }
}
