//! Property tests of the timing policy (DESIGN.md "Timing").

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use invigil_domain::delivery::timing::{DEFAULT_GRACE, SessionClock};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0).unwrap()
}

/// A clock operation, applied `after_ms` after the previous one.
#[derive(Debug, Clone)]
enum Op {
    Pause,
    Resume,
    Extend(i64),
}

fn op() -> impl Strategy<Value = (Op, i64)> {
    (
        prop_oneof![
            Just(Op::Pause),
            Just(Op::Resume),
            (1i64..=600).prop_map(Op::Extend)
        ],
        0i64..7_200_000,
    )
}

fn clock() -> impl Strategy<Value = SessionClock> {
    (
        1i64..=1440,
        prop::option::of(0u32..=400),
        prop::option::of(-60i64..3000),
    )
        .prop_map(|(minutes, extra, cap)| {
            SessionClock::new(
                t0(),
                TimeDelta::minutes(minutes),
                extra,
                cap.map(|m| t0() + TimeDelta::minutes(m)),
            )
        })
}

fn apply(clock: SessionClock, op: &Op, now: DateTime<Utc>) -> SessionClock {
    match op {
        Op::Pause => clock.paused_at(now),
        Op::Resume => clock.resumed_at(now),
        Op::Extend(m) => clock.extended_by(TimeDelta::minutes(*m)),
    }
}

proptest! {
    #[test]
    fn deadline_bounds_and_monotonicity(start in clock(), ops in prop::collection::vec(op(), 0..12)) {
        let base_end = t0() + start.base_duration;
        let mut clock = start;
        let mut now = t0();
        for (op, after_ms) in &ops {
            now += TimeDelta::milliseconds(*after_ms);
            let before = clock.deadline(now);
            clock = apply(clock, op, now);
            let after = clock.deadline(now);
            // Pauses, resumes and extensions never pull the deadline earlier.
            prop_assert!(after >= before, "{op:?}: {before} -> {after}");
            for probe in [now, now + TimeDelta::minutes(5), now + TimeDelta::hours(30)] {
                let d = clock.deadline(probe);
                if clock.has_extra_time() {
                    prop_assert!(d >= base_end);
                    prop_assert!(d >= t0() + clock.scaled_duration());
                } else if let Some(cap) = clock.window_end {
                    prop_assert!(d <= cap);
                }
                // Time never pulls the deadline earlier either.
                prop_assert!(clock.deadline(probe + TimeDelta::seconds(1)) >= d);
            }
        }
    }

    #[test]
    fn grace_boundary(start in clock(), ops in prop::collection::vec(op(), 0..8), grace_s in 0i64..=120) {
        let mut clock = start;
        let mut now = t0();
        for (op, after_ms) in &ops {
            now += TimeDelta::milliseconds(*after_ms);
            clock = apply(clock, op, now);
        }
        let clock = clock.resumed_at(now);
        let grace = TimeDelta::seconds(grace_s);
        let deadline = clock.deadline(now);
        let limit = deadline + grace;
        let second = TimeDelta::seconds(1);
        prop_assert!(clock.accepts_write(limit - second, grace));
        prop_assert!(!clock.accepts_write(limit, grace));
        prop_assert!(!clock.accepts_write(limit + second, grace));
        prop_assert!(!clock.auto_submit_due(limit - second, grace));
        prop_assert!(clock.auto_submit_due(limit, grace));
        prop_assert!(clock.auto_submit_due(limit + second, grace));
        // The default grace is 30 s.
        prop_assert!(clock.accepts_write(deadline + TimeDelta::seconds(29), DEFAULT_GRACE));
        prop_assert!(!clock.accepts_write(deadline + TimeDelta::seconds(31), DEFAULT_GRACE));
    }

    #[test]
    fn remaining_seconds_is_floor_of_time_left(start in clock(), offset_ms in -10_000_000i64..200_000_000) {
        let now = t0() + TimeDelta::milliseconds(offset_ms);
        let left_ms = (start.deadline(now) - now).num_milliseconds();
        let expected = if left_ms <= 0 { 0 } else { (left_ms / 1000) as u64 };
        prop_assert_eq!(start.remaining_seconds(now), expected);
    }

    #[test]
    fn paused_clock_keeps_its_distance_to_the_deadline(start in clock(), pause_at_ms in 0i64..3_600_000, wait_ms in 0i64..86_400_000) {
        let pause_at = t0() + TimeDelta::milliseconds(pause_at_ms);
        let paused = start.paused_at(pause_at);
        let later = pause_at + TimeDelta::milliseconds(wait_ms);
        let uncapped = start.has_extra_time() || start.window_end.is_none();
        if uncapped {
            prop_assert_eq!(paused.remaining_seconds(later), start.remaining_seconds(pause_at));
        }
        prop_assert!(!paused.auto_submit_due(later, DEFAULT_GRACE));
    }

    #[test]
    fn serde_round_trip_never_moves_the_deadline(start in clock(), ops in prop::collection::vec(op(), 0..8), probe_ms in 0i64..200_000_000) {
        let mut clock = start;
        let mut now = t0();
        for (op, after_ms) in &ops {
            now += TimeDelta::milliseconds(*after_ms);
            clock = apply(clock, op, now);
        }
        let stored = serde_json::to_string(&clock).unwrap();
        let restored: SessionClock = serde_json::from_str(&stored).unwrap();
        let probe = now + TimeDelta::milliseconds(probe_ms);
        prop_assert_eq!(restored.deadline(probe), clock.deadline(probe));
    }
}
