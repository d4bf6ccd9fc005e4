//! Login throttling (API.md "Identity"): failures are counted per normalised email, whether or
//! not an account exists, and a fixed-window limiter serves per-IP limits.
//!
//! A [`Throttle`] is the stored state of one email; [`LockoutPolicy`] moves it on. The caller:
//! 1. loads the throttle of the email (or the default) and calls [`LockoutPolicy::check`]; while
//!    locked it answers 429 `account_locked` with `Retry-After` *without* looking at the
//!    password;
//! 2. otherwise verifies the credentials and stores [`LockoutPolicy::on_failure`] or
//!    [`LockoutPolicy::on_success`].
//!
//! Rules, with the default policy:
//! - the fifth failure within 15 minutes of the first failure of the window locks the email;
//!   a failure after the window has run out starts a new window (counting 1);
//! - the first lock lasts 15 minutes, each consecutive lock twice as long as the one before,
//!   at most 24 hours (15 m, 30 m, 1 h, 2 h, 4 h, 8 h, 16 h, 24 h, 24 h, ...);
//! - the streak of consecutive locks ends with a successful login, or when 24 hours have passed
//!   since the last lock *ended* without a new one (measured from the end, so that a 24 h lock
//!   is not followed by a 15 m one);
//! - a lock starts a fresh failure count; failures reported while locked are ignored (the
//!   password was not checked, and an attacker must not be able to extend a lock).

use chrono::{DateTime, Duration, Utc};

/// The stored login-throttling state of one normalised email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Throttle {
    /// Failures in the current window (reset to 0 by a lock).
    pub failures: u32,
    /// When the first failure of the current window happened.
    pub window_started_at: Option<DateTime<Utc>>,
    /// The end of the latest lock; the email is locked while `now < locked_until`. Kept after
    /// the lock ran out, to tell when the lock streak ends.
    pub locked_until: Option<DateTime<Utc>>,
    /// Consecutive locks so far (1 during and after the first lock).
    pub lock_streak: u32,
    /// When the latest lock began.
    pub last_locked_at: Option<DateTime<Utc>>,
}

impl Throttle {
    /// Whether the email is locked at `now`.
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }
}

/// The lockout parameters. [`LockoutPolicy::default`] is the API contract's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within `window` that lock the email (5).
    pub max_failures: u32,
    /// The counting window, from the window's first failure (15 minutes).
    pub window: Duration,
    /// The first lock's length (15 minutes).
    pub base_lock: Duration,
    /// The longest lock (24 hours).
    pub max_lock: Duration,
    /// Time after the end of the last lock after which the streak starts again (24 hours).
    pub streak_reset: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: Duration::minutes(15),
            base_lock: Duration::minutes(15),
            max_lock: Duration::hours(24),
            streak_reset: Duration::hours(24),
        }
    }
}

/// Whole seconds until `until`, rounded up, at least 1 (for `Retry-After`).
fn retry_after_secs(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let left = until.signed_duration_since(now);
    let millis = left.num_milliseconds().max(0);
    let secs = millis.saturating_add(999) / 1000;
    u64::try_from(secs).unwrap_or(u64::MAX).max(1)
}

impl LockoutPolicy {
    /// `Ok(())` when a login attempt may go ahead; `Err(retry_after_secs)` (at least 1) while
    /// the email is locked.
    pub fn check(&self, t: &Throttle, now: DateTime<Utc>) -> Result<(), u64> {
        match t.locked_until {
            Some(until) if now < until => Err(retry_after_secs(until, now)),
            _ => Ok(()),
        }
    }

    /// The length of the `streak`-th consecutive lock (1-based): `base_lock` doubled for each
    /// lock before it, capped at `max_lock`, and never under one second.
    pub fn lock_duration(&self, streak: u32) -> Duration {
        let one_second = Duration::seconds(1);
        let cap = self.max_lock.max(one_second);
        let mut d = self.base_lock.max(one_second).min(cap);
        // 64 doublings exceed any cap a Duration can hold.
        for _ in 1..streak.min(64) {
            d = d.checked_add(&d).unwrap_or(cap).min(cap);
            if d == cap {
                break;
            }
        }
        d
    }

    /// The lock streak as it stands at `now`: 0 once `streak_reset` has passed since the last
    /// lock ended.
    fn current_streak(&self, t: &Throttle, now: DateTime<Utc>) -> u32 {
        match t.locked_until {
            Some(until)
                if until
                    .checked_add_signed(self.streak_reset)
                    .is_some_and(|reset_at| now < reset_at) =>
            {
                t.lock_streak
            }
            _ => 0,
        }
    }

    /// Records a failed attempt at `now`. Returns the new state and whether this failure
    /// started a new lock (worth an audit entry). A failure while locked changes nothing.
    pub fn on_failure(&self, t: &Throttle, now: DateTime<Utc>) -> (Throttle, bool) {
        if t.is_locked(now) {
            return (*t, false);
        }
        let mut next = *t;
        let in_window = t
            .window_started_at
            .is_some_and(|start| t.failures > 0 && now.signed_duration_since(start) < self.window);
        if in_window {
            next.failures = t.failures.saturating_add(1);
        } else {
            next.failures = 1;
            next.window_started_at = Some(now);
        }
        if next.failures < self.max_failures.max(1) {
            return (next, false);
        }
        let streak = self.current_streak(t, now).saturating_add(1);
        let until = now
            .checked_add_signed(self.lock_duration(streak))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let locked = Throttle {
            failures: 0,
            window_started_at: None,
            locked_until: Some(until),
            lock_streak: streak,
            last_locked_at: Some(now),
        };
        (locked, true)
    }

    /// Records a successful login: the failure count and the lock streak start again. Only
    /// meaningful after [`LockoutPolicy::check`] allowed the attempt.
    pub fn on_success(&self, _t: &Throttle) -> Throttle {
        Throttle::default()
    }
}

/// A fixed-window counter for one key (e.g. a client IP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RateWindow {
    /// When the current window began.
    pub window_start: DateTime<Utc>,
    /// Requests counted in it.
    pub count: u32,
}

/// Counts one request at `now` against at most `limit` requests per `window`.
///
/// Returns the updated window to store (the request counted), or `Err(retry_after_secs)` (at
/// least 1, until the window ends) when the limit is reached; a refused request is not counted.
/// A window covers `[window_start, window_start + window)`; a request at or after its end opens
/// a new window. A `limit` of 0 refuses everything.
pub fn rate_check(
    w: Option<&RateWindow>,
    now: DateTime<Utc>,
    window: Duration,
    limit: u32,
) -> Result<RateWindow, u64> {
    let current = w.and_then(|w| {
        let end = w.window_start.checked_add_signed(window)?;
        (now < end).then_some((w, end))
    });
    match current {
        Some((w, _)) if w.count < limit => Ok(RateWindow {
            window_start: w.window_start,
            count: w.count.saturating_add(1),
        }),
        Some((_, end)) => Err(retry_after_secs(end, now)),
        None if limit == 0 => Err(retry_after_secs(
            now.checked_add_signed(window).unwrap_or(now),
            now,
        )),
        None => Ok(RateWindow {
            window_start: now,
            count: 1,
        }),
    }
}
