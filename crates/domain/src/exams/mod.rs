//! Exam rules: the exam lifecycle, which statuses allow editing, exam settings
//! validation ([`settings`]) and enrollments with per-candidate overrides
//! ([`enrollment`]).
//!
//! Everything here is pure: callers pass data in and get a decision or a
//! validated value back.

pub mod enrollment;
pub mod settings;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use enrollment::{
    EnrollmentError, EnrollmentOverrides, EnrollmentOverridesInput, EnrollmentStatus,
    MAX_EXTRA_TIME_PERCENT,
};
pub use settings::{
    DrawRule, DrawRuleInput, ExamSettings, ExamSettingsInput, FieldError, QuestionSource,
};

crate::stored_enum! {
    /// Lifecycle status of an exam.
    pub enum ExamStatus {
        /// Being prepared; editable, not visible to candidates.
        Draft = "DRAFT",
        /// Planned for its window; still editable.
        Scheduled = "SCHEDULED",
        /// Open: candidates may start sessions (inside the window, see
        /// [`crate::delivery::timing::check_start`]).
        Active = "ACTIVE",
        /// Closed by the coordinator; no new sessions.
        Completed = "COMPLETED",
        /// Called off; no new sessions.
        Cancelled = "CANCELLED",
        /// Put away; read-only.
        Archived = "ARCHIVED",
    }
}

impl ExamStatus {
    /// Whether the exam's fields (title, settings, window, question source)
    /// may still be edited: only while DRAFT or SCHEDULED.
    #[must_use]
    pub fn allows_editing(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled)
    }
}

/// A lifecycle action (`POST /orgs/{org}/exams/{exam}/{action}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExamAction {
    /// DRAFT -> SCHEDULED
    Schedule,
    /// DRAFT | SCHEDULED -> ACTIVE
    Open,
    /// ACTIVE -> COMPLETED
    Close,
    /// DRAFT | SCHEDULED | ACTIVE -> CANCELLED
    Cancel,
    /// COMPLETED | CANCELLED -> ARCHIVED
    Archive,
}

impl ExamAction {
    /// Every action, in lifecycle order.
    pub const ALL: [Self; 5] = [
        Self::Schedule,
        Self::Open,
        Self::Close,
        Self::Cancel,
        Self::Archive,
    ];

    /// The action's path segment (`schedule`, `open`, ...).
    #[must_use]
    pub fn as_path_segment(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Open => "open",
            Self::Close => "close",
            Self::Cancel => "cancel",
            Self::Archive => "archive",
        }
    }

    /// Parses a path segment produced by [`Self::as_path_segment`].
    #[must_use]
    pub fn from_path_segment(segment: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_path_segment() == segment)
    }
}

crate::stored_enum! {
    /// Proctoring sensitivity of an exam.
    #[derive(Default)]
    pub enum Sensitivity {
        Low = "LOW",
        /// The default (seed 000).
        #[default]
        Medium = "MEDIUM",
        High = "HIGH",
    }
}

/// Errors of the exam lifecycle rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExamError {
    /// The action is not allowed from the current status.
    #[error("cannot {action:?} an exam that is {from:?}")]
    InvalidTransition {
        from: ExamStatus,
        action: ExamAction,
    },
    /// The exam's fields can no longer be edited in this status.
    #[error("an exam that is {status:?} cannot be edited")]
    NotEditable { status: ExamStatus },
}

impl ExamError {
    /// Stable machine code for the HTTP layer (409).
    #[must_use]
    pub fn code(&self) -> &'static str {
        "conflict"
    }
}

/// Applies a lifecycle action to an exam status.
///
/// | action   | from                      | to        |
/// |----------|---------------------------|-----------|
/// | schedule | DRAFT                     | SCHEDULED |
/// | open     | DRAFT, SCHEDULED          | ACTIVE    |
/// | close    | ACTIVE                    | COMPLETED |
/// | cancel   | DRAFT, SCHEDULED, ACTIVE  | CANCELLED |
/// | archive  | COMPLETED, CANCELLED      | ARCHIVED  |
///
/// Anything else (including repeating an action, e.g. `open` on ACTIVE) is
/// [`ExamError::InvalidTransition`].
pub fn transition(status: ExamStatus, action: ExamAction) -> Result<ExamStatus, ExamError> {
    use ExamAction as A;
    use ExamStatus as S;
    match (status, action) {
        (S::Draft, A::Schedule) => Ok(S::Scheduled),
        (S::Draft | S::Scheduled, A::Open) => Ok(S::Active),
        (S::Active, A::Close) => Ok(S::Completed),
        (S::Draft | S::Scheduled | S::Active, A::Cancel) => Ok(S::Cancelled),
        (S::Completed | S::Cancelled, A::Archive) => Ok(S::Archived),
        (from, action) => Err(ExamError::InvalidTransition { from, action }),
    }
}

/// Returns `Ok(())` when the exam's fields may be edited in `status`.
pub fn ensure_editable(status: ExamStatus) -> Result<(), ExamError> {
    if status.allows_editing() {
        Ok(())
    } else {
        Err(ExamError::NotEditable { status })
    }
}

/// A half-open time window `[start, end)`; either bound may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First instant inside the window (inclusive), if bounded.
    pub start: Option<DateTime<Utc>>,
    /// First instant after the window (exclusive), if bounded.
    pub end: Option<DateTime<Utc>>,
}

impl Window {
    /// A window with the given bounds.
    #[must_use]
    pub fn new(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>) -> Self {
        Self { start, end }
    }

    /// The window that applies to one candidate: each bound of the override
    /// replaces the exam's bound when it is set (bound by bound, so an
    /// override of only the end keeps the exam's start).
    #[must_use]
    pub fn overridden_by(self, overrides: Window) -> Self {
        Self {
            start: overrides.start.or(self.start),
            end: overrides.end.or(self.end),
        }
    }

    /// Whether `now` lies in `[start, end)`.
    #[must_use]
    pub fn contains(self, now: DateTime<Utc>) -> bool {
        self.start.is_none_or(|start| now >= start) && self.end.is_none_or(|end| now < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExamAction as A;
    use ExamStatus as S;

    const ALL_STATUSES: [ExamStatus; 6] = [
        S::Draft,
        S::Scheduled,
        S::Active,
        S::Completed,
        S::Cancelled,
        S::Archived,
    ];

    #[test]
    fn transition_matrix() {
        let allowed = [
            (S::Draft, A::Schedule, S::Scheduled),
            (S::Draft, A::Open, S::Active),
            (S::Scheduled, A::Open, S::Active),
            (S::Active, A::Close, S::Completed),
            (S::Draft, A::Cancel, S::Cancelled),
            (S::Scheduled, A::Cancel, S::Cancelled),
            (S::Active, A::Cancel, S::Cancelled),
            (S::Completed, A::Archive, S::Archived),
            (S::Cancelled, A::Archive, S::Archived),
        ];
        for from in ALL_STATUSES {
            for action in ExamAction::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(transition(from, action), Ok(to)),
                    None => assert_eq!(
                        transition(from, action),
                        Err(ExamError::InvalidTransition { from, action })
                    ),
                }
            }
        }
    }

    #[test]
    fn archived_is_absorbing() {
        for action in ExamAction::ALL {
            assert!(transition(S::Archived, action).is_err());
        }
    }

    #[test]
    fn editing_only_in_draft_and_scheduled() {
        for status in ALL_STATUSES {
            let editable = matches!(status, S::Draft | S::Scheduled);
            assert_eq!(status.allows_editing(), editable);
            assert_eq!(ensure_editable(status).is_ok(), editable);
        }
        assert_eq!(
            ensure_editable(S::Active),
            Err(ExamError::NotEditable { status: S::Active })
        );
        assert_eq!(
            ExamError::NotEditable { status: S::Active }.code(),
            "conflict"
        );
    }

    #[test]
    fn serde_uses_screaming_snake() {
        assert_eq!(
            serde_json::to_string(&S::Scheduled).unwrap(),
            "\"SCHEDULED\""
        );
        assert_eq!(
            serde_json::from_str::<Sensitivity>("\"HIGH\"").unwrap(),
            Sensitivity::High
        );
        assert_eq!(Sensitivity::default(), Sensitivity::Medium);
        assert!(serde_json::from_str::<S>("\"draft\"").is_err());
    }

    #[test]
    fn path_segments_round_trip() {
        for action in ExamAction::ALL {
            assert_eq!(
                ExamAction::from_path_segment(action.as_path_segment()),
                Some(action)
            );
        }
        assert_eq!(ExamAction::from_path_segment("reopen"), None);
    }

    #[test]
    fn window_override_replaces_bound_by_bound() {
        let t = |h: u32| chrono::TimeZone::with_ymd_and_hms(&Utc, 2030, 1, 1, h, 0, 0).unwrap();
        let exam = Window::new(Some(t(9)), Some(t(12)));
        let only_end = Window::new(None, Some(t(14)));
        assert_eq!(
            exam.overridden_by(only_end),
            Window::new(Some(t(9)), Some(t(14)))
        );
        assert_eq!(exam.overridden_by(Window::default()), exam);
        assert!(exam.contains(t(9)));
        assert!(exam.contains(t(11)));
        assert!(!exam.contains(t(12)));
        assert!(!exam.contains(t(8)));
        assert!(Window::default().contains(t(1)));
    }
}
