//! The one timing policy (DESIGN.md "Timing"), on the server's clock.
//!
//! * **Start**: a new session may start only while the exam is ACTIVE and
//!   `now` lies in the candidate's effective window `[start, end)` (override
//!   bounds replace the exam's, bound by bound; see
//!   [`crate::exams::Window::overridden_by`]). See [`check_start`].
//! * **Extra time**: the enrollment override's percent if set (even
//!   `Some(0)`), else the candidate profile's ([`effective_extra_percent`]).
//! * **Deadline**: `started_at + duration × (1 + extra/100) + extensions +
//!   time paused`, where time paused includes an ongoing pause (`now −
//!   paused_since`): while paused the deadline moves with `now`. The scaled
//!   duration is computed in whole milliseconds, rounded down. For a
//!   candidate **without** extra time (`None` or `0`), the whole deadline —
//!   extensions and pauses included — is capped at the effective
//!   `scheduled_end_at` ([`SessionClock::window_end`]); **with** extra time it
//!   is not capped.
//! * **Grace** (default [`DEFAULT_GRACE`], 30 s): a save or submit received
//!   at instant `t` is accepted iff `t < deadline + grace` (strictly), so
//!   `deadline + grace − 1 ms` is accepted and `deadline + grace` itself is
//!   not. The sweeper's auto-submit is due from `deadline + grace` on
//!   (`t >= deadline + grace`, the exact complement), and records the finish
//!   time as the deadline. A paused clock is never due.
//! * **Remaining**: `max(0, deadline − now)` in whole seconds, rounded down.
//!
//! Everything derives from the persisted [`SessionClock`] fields (instants
//! and durations), never from when a process started, so a restart never
//! moves a deadline. The clock is a snapshot taken at start: later changes
//! of the exam or of overrides do not move a running session's deadline;
//! only pauses and extensions (admin actions) do.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::exams::{EnrollmentOverrides, ExamSettings, ExamStatus, Window};

/// Default grace after the deadline during which saves and submits are still
/// accepted (network latency), and after which the sweeper auto-submits.
pub const DEFAULT_GRACE: TimeDelta = TimeDelta::seconds(30);

/// Why a new session may not start (or, for attempts, see
/// [`crate::delivery::session::ensure_attempt_left`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum StartError {
    /// The exam is not ACTIVE.
    #[error("the exam is not open (it is {status:?})")]
    ExamNotOpen { status: ExamStatus },
    /// The candidate's window has not opened yet.
    #[error("the exam opens at {opens_at}")]
    NotYetOpen { opens_at: DateTime<Utc> },
    /// The candidate's window has closed.
    #[error("the exam closed at {closed_at}")]
    WindowClosed { closed_at: DateTime<Utc> },
    /// No attempts left.
    #[error("no attempts left")]
    AttemptsExhausted,
}

impl StartError {
    /// Stable machine code for the HTTP layer (409): `exam_not_open` or
    /// `attempts_exhausted`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::ExamNotOpen { .. } | Self::NotYetOpen { .. } | Self::WindowClosed { .. } => {
                "exam_not_open"
            }
            Self::AttemptsExhausted => "attempts_exhausted",
        }
    }
}

/// Whether a **new** session may start at `now`: the exam must be ACTIVE and
/// `now` inside `window` (`start <= now < end`, each bound only when set).
/// `window` is the candidate's effective window (exam window overridden by
/// the enrollment's). Resuming an existing IN_PROGRESS/PAUSED session does
/// not go through this check.
pub fn check_start(
    now: DateTime<Utc>,
    exam_status: ExamStatus,
    window: Window,
) -> Result<(), StartError> {
    if exam_status != ExamStatus::Active {
        return Err(StartError::ExamNotOpen {
            status: exam_status,
        });
    }
    if let Some(opens_at) = window.start
        && now < opens_at
    {
        return Err(StartError::NotYetOpen { opens_at });
    }
    if let Some(closed_at) = window.end
        && now >= closed_at
    {
        return Err(StartError::WindowClosed { closed_at });
    }
    Ok(())
}

/// The extra-time percent that applies: the enrollment override's if set
/// (`Some(0)` included: an explicit "no extra time"), else the profile's.
#[must_use]
pub fn effective_extra_percent(
    override_percent: Option<u32>,
    profile_percent: Option<u32>,
) -> Option<u32> {
    override_percent.or(profile_percent)
}

/// Everything the start of a **new** session decides, in one place: the
/// exam must be open for this candidate ([`check_start`] on the effective
/// window), an attempt must be left
/// ([`crate::delivery::session::attempts_left`]), and the returned clock
/// snapshots the effective duration, extra time and window end at `now`.
///
/// Callers resume an existing IN_PROGRESS/PAUSED session instead of calling
/// this.
pub fn plan_new_session(
    now: DateTime<Utc>,
    exam_status: ExamStatus,
    exam: &ExamSettings,
    overrides: &EnrollmentOverrides,
    profile_extra_percent: Option<u32>,
    attempts_used: u32,
) -> Result<SessionClock, StartError> {
    let window = overrides.effective_window(exam.window);
    check_start(now, exam_status, window)?;
    let left =
        super::session::attempts_left(exam.max_attempts, overrides.max_attempts, attempts_used);
    super::session::ensure_attempt_left(left)?;
    let minutes = overrides.effective_duration_minutes(exam.duration_minutes);
    Ok(SessionClock::new(
        now,
        TimeDelta::minutes(i64::from(minutes)),
        effective_extra_percent(overrides.extra_time_percent, profile_extra_percent),
        window.end,
    ))
}

/// `t + d`, saturating at the ends of `DateTime`'s range instead of panicking.
fn add(t: DateTime<Utc>, d: TimeDelta) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < TimeDelta::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `a + b` for non-negative durations, saturating at `TimeDelta::MAX`.
fn sum(a: TimeDelta, b: TimeDelta) -> TimeDelta {
    a.checked_add(&b).unwrap_or(TimeDelta::MAX)
}

fn non_negative(d: TimeDelta) -> TimeDelta {
    d.max(TimeDelta::zero())
}

/// The persisted timing facts of one session, from which every deadline is
/// recomputed. Negative durations are treated as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClock {
    /// When the session started (server time).
    pub started_at: DateTime<Utc>,
    /// The candidate's duration before extra time (override or exam), in
    /// milliseconds when serialized.
    #[serde(with = "super::millis")]
    pub base_duration: TimeDelta,
    /// Effective extra-time percent ([`effective_extra_percent`]); `None` or
    /// `Some(0)` means no extra time, and then `window_end` caps the deadline.
    pub extra_percent: Option<u32>,
    /// The candidate's effective `scheduled_end_at`, if any. It caps the
    /// deadline only for candidates without extra time.
    pub window_end: Option<DateTime<Utc>>,
    /// Sum of time extensions granted by staff, in milliseconds when
    /// serialized.
    #[serde(with = "super::millis")]
    pub extensions: TimeDelta,
    /// Sum of completed pauses, in milliseconds when serialized.
    #[serde(with = "super::millis")]
    pub paused_total: TimeDelta,
    /// Start of the ongoing pause, if paused.
    pub paused_since: Option<DateTime<Utc>>,
}

impl SessionClock {
    /// The clock of a session starting at `started_at`, not paused, without
    /// extensions.
    #[must_use]
    pub fn new(
        started_at: DateTime<Utc>,
        base_duration: TimeDelta,
        extra_percent: Option<u32>,
        window_end: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            started_at,
            base_duration,
            extra_percent,
            window_end,
            extensions: TimeDelta::zero(),
            paused_total: TimeDelta::zero(),
            paused_since: None,
        }
    }

    /// Whether the candidate has extra time (a percent above zero).
    #[must_use]
    pub fn has_extra_time(&self) -> bool {
        self.extra_percent.unwrap_or(0) > 0
    }

    /// `base_duration × (100 + extra) / 100`, in whole milliseconds rounded
    /// down.
    #[must_use]
    pub fn scaled_duration(&self) -> TimeDelta {
        let base_ms = i128::from(non_negative(self.base_duration).num_milliseconds());
        let factor = 100 + i128::from(self.extra_percent.unwrap_or(0));
        let ms = i64::try_from(base_ms * factor / 100).unwrap_or(i64::MAX);
        TimeDelta::try_milliseconds(ms).unwrap_or(TimeDelta::MAX)
    }

    /// Total time paused up to `now`, the ongoing pause included.
    #[must_use]
    pub fn paused_until(&self, now: DateTime<Utc>) -> TimeDelta {
        let ongoing = self
            .paused_since
            .map_or(TimeDelta::zero(), |since| non_negative(now - since));
        sum(non_negative(self.paused_total), ongoing)
    }

    /// The deadline as seen at `now` (it moves with `now` only while paused).
    #[must_use]
    pub fn deadline(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let budget = sum(
            sum(self.scaled_duration(), non_negative(self.extensions)),
            self.paused_until(now),
        );
        let deadline = add(self.started_at, budget);
        match self.window_end {
            Some(cap) if !self.has_extra_time() => deadline.min(cap),
            _ => deadline,
        }
    }

    /// Whether a save or submit received at `now` is on time:
    /// `now < deadline + grace` (strict).
    #[must_use]
    pub fn accepts_write(&self, now: DateTime<Utc>, grace: TimeDelta) -> bool {
        now < add(self.deadline(now), non_negative(grace))
    }

    /// Whether the sweeper should auto-submit at `now`: not paused and
    /// `now >= deadline + grace` (the complement of [`Self::accepts_write`]).
    #[must_use]
    pub fn auto_submit_due(&self, now: DateTime<Utc>, grace: TimeDelta) -> bool {
        self.paused_since.is_none() && !self.accepts_write(now, grace)
    }

    /// `max(0, deadline − now)` in whole seconds, rounded down.
    #[must_use]
    pub fn remaining_seconds(&self, now: DateTime<Utc>) -> u64 {
        u64::try_from((self.deadline(now) - now).num_seconds()).unwrap_or(0)
    }

    /// The clock with a pause starting at `now` (unchanged if already paused).
    #[must_use]
    pub fn paused_at(self, now: DateTime<Utc>) -> Self {
        Self {
            paused_since: self.paused_since.or(Some(now)),
            ..self
        }
    }

    /// The clock with the ongoing pause ended at `now`: its length (never
    /// negative) is added to `paused_total`. Unchanged if not paused.
    #[must_use]
    pub fn resumed_at(self, now: DateTime<Utc>) -> Self {
        Self {
            paused_total: self.paused_until(now),
            paused_since: None,
            ..self
        }
    }

    /// The clock with `extension` (never negative) added to `extensions`.
    #[must_use]
    pub fn extended_by(self, extension: TimeDelta) -> Self {
        Self {
            extensions: sum(non_negative(self.extensions), non_negative(extension)),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
    }
    fn at(minutes: i64) -> DateTime<Utc> {
        t0() + TimeDelta::minutes(minutes)
    }
    fn clock(extra: Option<u32>, cap: Option<DateTime<Utc>>) -> SessionClock {
        SessionClock::new(t0(), TimeDelta::minutes(60), extra, cap)
    }

    #[test]
    fn start_requires_active_exam() {
        for status in [
            ExamStatus::Draft,
            ExamStatus::Scheduled,
            ExamStatus::Completed,
            ExamStatus::Cancelled,
            ExamStatus::Archived,
        ] {
            let err = check_start(t0(), status, Window::default()).unwrap_err();
            assert_eq!(err, StartError::ExamNotOpen { status });
            assert_eq!(err.code(), "exam_not_open");
        }
        assert_eq!(
            check_start(t0(), ExamStatus::Active, Window::default()),
            Ok(())
        );
    }

    #[test]
    fn start_window_is_half_open() {
        let w = Window::new(Some(at(0)), Some(at(120)));
        let start = |now| check_start(now, ExamStatus::Active, w);
        assert_eq!(
            start(at(-1)),
            Err(StartError::NotYetOpen { opens_at: at(0) })
        );
        assert_eq!(start(at(0)), Ok(()));
        assert_eq!(start(at(120) - TimeDelta::milliseconds(1)), Ok(()));
        assert_eq!(
            start(at(120)),
            Err(StartError::WindowClosed { closed_at: at(120) })
        );
        assert_eq!(StartError::AttemptsExhausted.code(), "attempts_exhausted");
    }

    #[test]
    fn override_window_replaces_exam_window() {
        let exam = Window::new(Some(at(0)), Some(at(60)));
        let effective = exam.overridden_by(Window::new(None, Some(at(180))));
        assert!(check_start(at(90), ExamStatus::Active, exam).is_err());
        assert_eq!(check_start(at(90), ExamStatus::Active, effective), Ok(()));
    }

    #[test]
    fn plan_new_session_composes_the_rules() {
        let exam = ExamSettings {
            duration_minutes: 60,
            passing_score: 50,
            max_attempts: 2,
            window: Window::new(Some(at(0)), Some(at(120))),
            source: crate::exams::QuestionSource::Bank {
                question_bank_id: uuid::Uuid::nil(),
            },
            randomize_questions: false,
            randomize_options: false,
            enable_proctoring: false,
            proctoring_sensitivity: crate::exams::Sensitivity::Medium,
        };
        let none = EnrollmentOverrides::default();
        let plan = |now, status, o: &EnrollmentOverrides, profile, used| {
            plan_new_session(now, status, &exam, o, profile, used)
        };
        let clock = plan(at(10), ExamStatus::Active, &none, Some(25), 1).unwrap();
        assert_eq!(clock.started_at, at(10));
        assert_eq!(clock.extra_percent, Some(25));
        assert_eq!(clock.window_end, Some(at(120)));
        assert_eq!(clock.deadline(at(10)), at(85));
        assert_eq!(
            plan(at(10), ExamStatus::Active, &none, None, 2),
            Err(StartError::AttemptsExhausted)
        );
        assert_eq!(
            plan(at(130), ExamStatus::Active, &none, None, 0),
            Err(StartError::WindowClosed { closed_at: at(120) })
        );
        // Window closed wins over attempts exhausted.
        assert_eq!(
            plan(at(130), ExamStatus::Active, &none, None, 9)
                .unwrap_err()
                .code(),
            "exam_not_open"
        );
        let o = EnrollmentOverrides {
            window: Window::new(None, Some(at(180))),
            duration_minutes: Some(90),
            max_attempts: Some(3),
            extra_time_percent: Some(0),
        };
        let clock = plan(at(130), ExamStatus::Active, &o, Some(50), 2).unwrap();
        assert_eq!(clock.extra_percent, Some(0));
        // 130 + 90 = 220, capped at the overridden window end.
        assert_eq!(clock.deadline(at(130)), at(180));
        assert_eq!(
            plan(at(10), ExamStatus::Scheduled, &o, None, 0),
            Err(StartError::ExamNotOpen {
                status: ExamStatus::Scheduled
            })
        );
    }

    #[test]
    fn extra_time_override_wins() {
        assert_eq!(effective_extra_percent(Some(0), Some(50)), Some(0));
        assert_eq!(effective_extra_percent(Some(25), Some(50)), Some(25));
        assert_eq!(effective_extra_percent(None, Some(50)), Some(50));
        assert_eq!(effective_extra_percent(None, None), None);
    }

    #[test]
    fn deadline_scales_with_extra_time() {
        assert_eq!(clock(None, None).deadline(t0()), at(60));
        assert_eq!(clock(Some(0), None).deadline(t0()), at(60));
        assert_eq!(clock(Some(50), None).deadline(t0()), at(90));
        assert_eq!(clock(Some(400), None).deadline(t0()), at(300));
        // 7 minutes x 1.33 = 9.31 min = 558.6 s -> 558_600 ms exactly.
        let c = SessionClock::new(t0(), TimeDelta::minutes(7), Some(33), None);
        assert_eq!(c.deadline(t0()), t0() + TimeDelta::milliseconds(558_600));
        // 1 ms x 1.5 rounds down to 1 ms.
        let c = SessionClock::new(t0(), TimeDelta::milliseconds(1), Some(50), None);
        assert_eq!(c.scaled_duration(), TimeDelta::milliseconds(1));
    }

    #[test]
    fn cap_applies_only_without_extra_time() {
        let cap = Some(at(45));
        assert_eq!(clock(None, cap).deadline(t0()), at(45));
        assert_eq!(clock(Some(0), cap).deadline(t0()), at(45));
        assert_eq!(clock(Some(10), cap).deadline(t0()), at(66));
        // A cap later than the natural deadline changes nothing.
        assert_eq!(clock(None, Some(at(600))).deadline(t0()), at(60));
        // Extensions and pauses cannot go past the cap either.
        let extended = clock(None, cap).extended_by(TimeDelta::minutes(30));
        assert_eq!(extended.deadline(t0()), at(45));
        let extended = clock(None, Some(at(80))).extended_by(TimeDelta::minutes(30));
        assert_eq!(extended.deadline(t0()), at(80));
    }

    #[test]
    fn extensions_and_pauses_push_the_deadline() {
        let c = clock(None, None).extended_by(TimeDelta::minutes(10));
        assert_eq!(c.deadline(t0()), at(70));
        let paused = c.paused_at(at(20));
        // While paused, the deadline moves with now.
        assert_eq!(paused.deadline(at(20)), at(70));
        assert_eq!(paused.deadline(at(25)), at(75));
        assert_eq!(paused.remaining_seconds(at(25)), 50 * 60);
        // Pausing twice keeps the first pause start.
        assert_eq!(paused.paused_at(at(22)), paused);
        let resumed = paused.resumed_at(at(25));
        assert_eq!(resumed.paused_total, TimeDelta::minutes(5));
        assert_eq!(resumed.paused_since, None);
        assert_eq!(resumed.deadline(at(90)), at(75));
        // Resuming when not paused changes nothing; negative inputs count as zero.
        assert_eq!(resumed.resumed_at(at(99)), resumed);
        assert_eq!(resumed.extended_by(TimeDelta::minutes(-5)), resumed);
        let skewed = clock(None, None).paused_at(at(10)).resumed_at(at(5));
        assert_eq!(skewed.paused_total, TimeDelta::zero());
    }

    #[test]
    fn grace_boundary_is_strict() {
        let c = clock(None, None);
        let grace = DEFAULT_GRACE;
        let deadline = at(60);
        let ms = TimeDelta::milliseconds;
        assert!(c.accepts_write(deadline, grace));
        assert!(c.accepts_write(deadline + grace - TimeDelta::seconds(1), grace));
        assert!(c.accepts_write(deadline + grace - ms(1), grace));
        assert!(!c.accepts_write(deadline + grace, grace));
        assert!(!c.accepts_write(deadline + grace + TimeDelta::seconds(1), grace));
        assert!(!c.auto_submit_due(deadline + grace - ms(1), grace));
        assert!(c.auto_submit_due(deadline + grace, grace));
        // Zero grace: the deadline itself is already too late.
        assert!(!c.accepts_write(deadline, TimeDelta::zero()));
    }

    #[test]
    fn paused_clock_is_never_due() {
        let c = clock(None, Some(at(30))).paused_at(at(10));
        // The cap stops the deadline, so the time is long over, yet not due.
        assert!(!c.accepts_write(at(100), DEFAULT_GRACE));
        assert!(!c.auto_submit_due(at(100), DEFAULT_GRACE));
        assert!(
            c.resumed_at(at(100))
                .auto_submit_due(at(100), DEFAULT_GRACE)
        );
    }

    #[test]
    fn remaining_seconds_floors_and_clamps() {
        let c = clock(None, None);
        assert_eq!(c.remaining_seconds(t0()), 3600);
        assert_eq!(c.remaining_seconds(t0() + TimeDelta::milliseconds(1)), 3599);
        assert_eq!(
            c.remaining_seconds(at(60) - TimeDelta::milliseconds(999)),
            0
        );
        assert_eq!(c.remaining_seconds(at(60)), 0);
        assert_eq!(c.remaining_seconds(at(600)), 0);
    }

    #[test]
    fn extreme_values_saturate_instead_of_panicking() {
        let c = SessionClock {
            extensions: TimeDelta::MAX,
            paused_total: TimeDelta::MAX,
            ..SessionClock::new(t0(), TimeDelta::MAX, Some(u32::MAX), None)
        };
        assert_eq!(c.deadline(t0()), DateTime::<Utc>::MAX_UTC);
        assert!(c.accepts_write(t0(), TimeDelta::MAX));
        let _ = c.remaining_seconds(DateTime::<Utc>::MIN_UTC);
        let neg = SessionClock::new(t0(), TimeDelta::minutes(-5), None, None);
        assert_eq!(neg.deadline(t0()), t0());
    }

    #[test]
    fn serde_round_trip_keeps_the_deadline() {
        let c = clock(Some(25), Some(at(30)))
            .extended_by(TimeDelta::minutes(3))
            .paused_at(at(5))
            .resumed_at(at(7))
            .paused_at(at(9));
        let json = serde_json::to_value(c).unwrap();
        assert_eq!(json["base_duration"], 3_600_000);
        assert_eq!(json["extensions"], 180_000);
        let back: SessionClock = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.deadline(at(20)), c.deadline(at(20)));
    }
}
