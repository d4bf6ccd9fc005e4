//! Login lockout per email and the per-IP fixed-window limiter.

use chrono::{DateTime, Duration, TimeZone, Utc};
use invigil_domain::identity::{LockoutPolicy, RateWindow, Throttle, rate_check};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0)
        .single()
        .unwrap_or_default()
}

fn policy() -> LockoutPolicy {
    LockoutPolicy::default()
}

/// `n` failures one second apart from `start`; returns the state and the time of the last one.
fn fail_n(t: Throttle, start: DateTime<Utc>, n: u32) -> (Throttle, DateTime<Utc>, bool) {
    let p = policy();
    let (mut t, mut now, mut locked) = (t, start, false);
    for i in 0..n {
        now = start + Duration::seconds(i64::from(i));
        let (next, caused) = p.on_failure(&t, now);
        t = next;
        locked |= caused;
    }
    (t, now, locked)
}

#[test]
fn defaults_are_the_contract() {
    let p = policy();
    assert_eq!(p.max_failures, 5);
    assert_eq!(p.window, Duration::minutes(15));
    assert_eq!(p.base_lock, Duration::minutes(15));
    assert_eq!(p.max_lock, Duration::hours(24));
    assert_eq!(p.streak_reset, Duration::hours(24));
}

#[test]
fn the_fifth_failure_locks_for_fifteen_minutes() {
    let p = policy();
    let (t, now, locked) = fail_n(Throttle::default(), t0(), 4);
    assert!(!locked);
    assert_eq!(p.check(&t, now), Ok(()));
    let (t, caused) = p.on_failure(&t, now + Duration::seconds(1));
    assert!(caused);
    let now = now + Duration::seconds(1);
    assert_eq!(p.check(&t, now), Err(900));
    assert_eq!(p.check(&t, now + Duration::milliseconds(899_001)), Err(1));
    assert_eq!(p.check(&t, now + Duration::seconds(900)), Ok(()));
    assert_eq!(t.lock_streak, 1);
    assert_eq!(t.last_locked_at, Some(now));
    assert_eq!(t.failures, 0);
}

#[test]
fn failures_while_locked_are_ignored() {
    let p = policy();
    let (t, now, _) = fail_n(Throttle::default(), t0(), 5);
    let (after, caused) = p.on_failure(&t, now + Duration::minutes(5));
    assert!(!caused);
    assert_eq!(after, t);
}

#[test]
fn locks_double_and_cap_at_a_day() {
    let mut t = Throttle::default();
    let mut now = t0();
    let mut lengths = Vec::new();
    for _ in 0..10 {
        let (next, last, locked) = fail_n(t, now, 5);
        assert!(locked);
        let until = next.locked_until.unwrap_or(last);
        lengths.push((until - last).num_minutes());
        t = next;
        now = until; // the attacker goes on the moment the lock ends
    }
    assert_eq!(lengths, [15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]);
    assert_eq!(t.lock_streak, 10);
}

#[test]
fn the_streak_ends_a_day_after_the_last_lock_ended() {
    let (t, _, _) = fail_n(Throttle::default(), t0(), 5);
    let (t, last, _) = fail_n(t, t.locked_until.unwrap_or_default(), 5);
    assert_eq!(t.lock_streak, 2);
    let end = t.locked_until.unwrap_or(last);
    // Just under a day after the end: the streak goes on.
    let (again, l2, _) = fail_n(t, end + Duration::hours(24) - Duration::seconds(10), 5);
    assert_eq!(again.lock_streak, 3);
    assert_eq!(again.locked_until, Some(l2 + Duration::hours(1)));
    // A day after the end: a fresh start.
    let (fresh, l3, _) = fail_n(t, end + Duration::hours(24), 5);
    assert_eq!(fresh.lock_streak, 1);
    assert_eq!(fresh.locked_until, Some(l3 + Duration::minutes(15)));
}

#[test]
fn failures_outside_the_window_restart_the_count() {
    let p = policy();
    let (t, _, locked) = fail_n(Throttle::default(), t0(), 4);
    assert!(!locked);
    // The fifth failure comes exactly 15 minutes after the first: a new window.
    let (t, caused) = p.on_failure(&t, t0() + Duration::minutes(15));
    assert!(!caused);
    assert_eq!(t.failures, 1);
    assert_eq!(t.window_started_at, Some(t0() + Duration::minutes(15)));
    let (t, _, locked) = fail_n(t, t0() + Duration::minutes(16), 3);
    assert!(!locked);
    let (_, caused) = p.on_failure(&t, t0() + Duration::minutes(17));
    assert!(caused);
}

#[test]
fn success_resets_failures_and_streak() {
    let p = policy();
    let (t, now, _) = fail_n(Throttle::default(), t0(), 4);
    let t = p.on_success(&t);
    assert_eq!(t, Throttle::default());
    let (_, _, locked) = fail_n(t, now + Duration::seconds(1), 4);
    assert!(!locked);

    let (t, _, _) = fail_n(Throttle::default(), t0(), 5);
    let (t, _, _) = fail_n(t, t.locked_until.unwrap_or_default(), 5);
    assert_eq!(t.lock_streak, 2);
    let after = t.locked_until.unwrap_or_default();
    let t = p.on_success(&t);
    let (t, last, _) = fail_n(t, after + Duration::minutes(1), 5);
    assert_eq!(t.lock_streak, 1);
    assert_eq!(t.locked_until, Some(last + Duration::minutes(15)));
}

#[test]
fn odd_policies_stay_sane() {
    let zero = LockoutPolicy {
        max_failures: 0,
        base_lock: Duration::zero(),
        ..policy()
    };
    let (t, caused) = zero.on_failure(&Throttle::default(), t0());
    assert!(caused, "max_failures 0 behaves as 1");
    assert_eq!(
        zero.check(&t, t0()),
        Err(1),
        "a lock lasts at least a second"
    );
    assert_eq!(policy().lock_duration(u32::MAX), Duration::hours(24));
    assert_eq!(policy().lock_duration(0), Duration::minutes(15));
}

#[derive(Debug, Clone)]
enum Op {
    Fail,
    Succeed,
}

fn ops() -> impl Strategy<Value = Vec<(Op, i64)>> {
    // Gaps from a moment to two days, in seconds; mostly short so that locks happen.
    let gap = prop_oneof![4 => 0i64..120, 2 => 0i64..3_600, 1 => 0i64..172_800];
    let op = prop_oneof![9 => Just(Op::Fail), 1 => Just(Op::Succeed)];
    prop::collection::vec((op, gap), 0..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lockout_invariants(seq in ops()) {
        let p = policy();
        let mut t = Throttle::default();
        let mut now = t0();
        // Times of the failures that counted (not ignored while locked) since the last lock or success.
        let mut counted: Vec<DateTime<Utc>> = Vec::new();
        let mut prev_lock: Option<Duration> = None;
        for (op, gap) in seq {
            now += Duration::seconds(gap);
            let was_locked = p.check(&t, now).is_err();
            if let Err(retry) = p.check(&t, now) {
                prop_assert!(retry >= 1);
                prop_assert!(retry <= 86_400);
            }
            match op {
                Op::Succeed => {
                    if !was_locked {
                        t = p.on_success(&t);
                        counted.clear();
                        prev_lock = None;
                    }
                }
                Op::Fail => {
                    let (next, caused) = p.on_failure(&t, now);
                    if was_locked {
                        prop_assert!(!caused);
                        prop_assert_eq!(next, t);
                        continue;
                    }
                    counted.push(now);
                    if caused {
                        // Never locked before five failures within fifteen minutes.
                        prop_assert!(counted.len() >= 5);
                        let fifth_last = counted[counted.len() - 5];
                        prop_assert!(now - fifth_last < Duration::minutes(15));
                        let length = next.locked_until.map(|u| u - now).unwrap_or_default();
                        prop_assert!(length >= Duration::minutes(15));
                        prop_assert!(length <= Duration::hours(24));
                        prop_assert_eq!(length, p.lock_duration(next.lock_streak));
                        if let Some(prev) = prev_lock {
                            // Consecutive locks grow (up to the cap) unless the streak was reset.
                            prop_assert!(length == Duration::minutes(15) || length == (prev * 2).min(Duration::hours(24)));
                        }
                        let retry = p.check(&next, now);
                        prop_assert_eq!(retry, Err(u64::try_from(length.num_seconds()).unwrap_or(0)));
                        prev_lock = Some(length);
                        counted.clear();
                    } else {
                        prop_assert!(p.check(&next, now).is_ok());
                        prop_assert!(next.failures < 5);
                        // Five failures within fifteen minutes of the window's first always lock.
                        if let Some(start) = next.window_started_at {
                            prop_assert!(now - start < Duration::minutes(15));
                        }
                    }
                    t = next;
                }
            }
        }
    }

    #[test]
    fn five_quick_failures_always_lock(gaps in prop::collection::vec(0i64..224, 4), start_streak in 0u32..12) {
        // Gaps sum to at most 4 * 223 s < 15 min.
        let p = policy();
        let mut t = Throttle { lock_streak: start_streak, ..Throttle::default() };
        let mut now = t0();
        let (next, caused) = p.on_failure(&t, now);
        t = next;
        prop_assert!(!caused);
        let mut locked = false;
        for gap in gaps {
            now += Duration::seconds(gap);
            let (next, caused) = p.on_failure(&t, now);
            t = next;
            locked |= caused;
        }
        prop_assert!(locked);
        prop_assert!(p.check(&t, now).is_err());
    }

    #[test]
    fn rate_window_never_exceeds_its_limit(
        gaps in prop::collection::vec(0i64..30_000, 1..200),
        limit in 0u32..10,
        window_ms in 1i64..60_000,
    ) {
        let window = Duration::milliseconds(window_ms);
        let mut w: Option<RateWindow> = None;
        let mut now = t0();
        for gap in gaps {
            now += Duration::milliseconds(gap);
            match rate_check(w.as_ref(), now, window, limit) {
                Ok(next) => {
                    prop_assert!(next.count >= 1 && next.count <= limit);
                    prop_assert!(next.window_start <= now && now < next.window_start + window);
                    w = Some(next);
                }
                Err(retry) => {
                    prop_assert!(retry >= 1);
                    prop_assert!(retry <= 60);
                }
            }
        }
    }
}

#[test]
fn rate_check_boundaries() {
    let minute = Duration::seconds(60);
    let first = rate_check(None, t0(), minute, 3);
    assert_eq!(
        first,
        Ok(RateWindow {
            window_start: t0(),
            count: 1
        })
    );
    let mut w = first.unwrap_or(RateWindow {
        window_start: t0(),
        count: 0,
    });
    for n in 2..=3 {
        w = rate_check(Some(&w), t0() + Duration::seconds(10), minute, 3).unwrap_or(w);
        assert_eq!(w.count, n);
    }
    // The fourth within the window is refused until the window ends, and not counted.
    assert_eq!(
        rate_check(Some(&w), t0() + Duration::seconds(10), minute, 3),
        Err(50)
    );
    assert_eq!(
        rate_check(Some(&w), t0() + Duration::milliseconds(59_001), minute, 3),
        Err(1)
    );
    assert_eq!(
        rate_check(Some(&w), t0() + Duration::milliseconds(59_999), minute, 3),
        Err(1)
    );
    assert_eq!(w.count, 3);
    // At the end of the window a new one opens.
    let end = t0() + minute;
    assert_eq!(
        rate_check(Some(&w), end, minute, 3),
        Ok(RateWindow {
            window_start: end,
            count: 1
        })
    );
    // A limit of zero refuses everything, for the whole window.
    assert_eq!(rate_check(None, t0(), minute, 0), Err(60));
    // A clock that went backwards stays in the current window.
    assert_eq!(
        rate_check(Some(&w), t0() - Duration::seconds(5), minute, 3),
        Err(65)
    );
}
