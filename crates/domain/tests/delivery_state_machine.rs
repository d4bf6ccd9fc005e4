//! The delivery state machine against a small reference model: random
//! sequences of candidate, staff and sweeper operations at increasing times.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use invigil_domain::delivery::session::{DeliveryState, DeliveryStatus, SubmitOutcome};
use invigil_domain::delivery::timing::SessionClock;
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 8, 0, 0).unwrap()
}
fn at(ms: i64) -> DateTime<Utc> {
    t0() + TimeDelta::milliseconds(ms)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Save,
    Submit,
    Pause,
    Resume,
    Extend(i64),
    Terminate,
    AutoSubmit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    AlreadySubmitted,
    NotDue,
    Refused(&'static str),
}

/// The reference: everything in milliseconds since t0, deadline tracked
/// incrementally rather than derived.
#[derive(Debug, Clone, Copy)]
struct Model {
    status: DeliveryStatus,
    /// Deadline ignoring the cap and any ongoing pause.
    end_ms: i64,
    cap_ms: Option<i64>,
    paused_since: Option<i64>,
    finished: Option<i64>,
    grace_ms: i64,
}

impl Model {
    fn deadline(&self, now: i64) -> i64 {
        let moving = self.paused_since.map_or(0, |s| (now - s).max(0));
        let d = self.end_ms + moving;
        self.cap_ms.map_or(d, |cap| d.min(cap))
    }
    fn expired(&self, now: i64) -> bool {
        self.status == DeliveryStatus::InProgress && now >= self.deadline(now) + self.grace_ms
    }
    fn end_pause(&mut self, now: i64) {
        if let Some(s) = self.paused_since.take() {
            self.end_ms += (now - s).max(0);
        }
    }
    fn finish(&mut self, status: DeliveryStatus, now: i64, at: i64) {
        self.end_pause(now);
        self.status = status;
        self.finished = Some(at);
    }
    fn step(&mut self, op: Op, now: i64) -> Outcome {
        use DeliveryStatus as S;
        let closed = matches!(self.status, S::Submitted | S::AutoSubmitted | S::Terminated)
            || self.expired(now);
        match op {
            Op::AutoSubmit => {
                if self.expired(now) {
                    let d = self.deadline(now);
                    self.finish(S::AutoSubmitted, now, d);
                    Outcome::Ok
                } else {
                    Outcome::NotDue
                }
            }
            Op::Submit if self.status == S::Submitted => Outcome::AlreadySubmitted,
            Op::Extend(m) if !(1..=600).contains(&m) => Outcome::Refused("validation_failed"),
            _ if closed => Outcome::Refused("session_closed"),
            Op::Save if self.status == S::Paused => Outcome::Refused("session_paused"),
            Op::Save => Outcome::Ok,
            Op::Submit if self.status == S::Paused => Outcome::Refused("session_paused"),
            Op::Submit => {
                self.finish(S::Submitted, now, now);
                Outcome::Ok
            }
            Op::Pause if self.status == S::Paused => Outcome::Refused("conflict"),
            Op::Pause => {
                self.status = S::Paused;
                self.paused_since = Some(now);
                Outcome::Ok
            }
            Op::Resume if self.status != S::Paused => Outcome::Refused("conflict"),
            Op::Resume => {
                self.end_pause(now);
                self.status = S::InProgress;
                Outcome::Ok
            }
            Op::Extend(m) => {
                self.end_ms += m * 60_000;
                Outcome::Ok
            }
            Op::Terminate => {
                self.finish(S::Terminated, now, now);
                Outcome::Ok
            }
        }
    }
}

fn apply(state: &mut DeliveryState, op: Op, now: DateTime<Utc>, grace: TimeDelta) -> Outcome {
    let result = match op {
        Op::Save => state.check_save(now, grace).map(|()| Outcome::Ok),
        Op::Submit => state.submit(now, grace).map(|o| match o {
            SubmitOutcome::Submitted(s) => {
                *state = s;
                Outcome::Ok
            }
            SubmitOutcome::AlreadySubmitted => Outcome::AlreadySubmitted,
        }),
        Op::AutoSubmit => Ok(match state.auto_submit(now, grace) {
            Some(s) => {
                *state = s;
                Outcome::Ok
            }
            None => Outcome::NotDue,
        }),
        Op::Pause => state.pause(now, grace).map(|s| {
            *state = s;
            Outcome::Ok
        }),
        Op::Resume => state.resume(now, grace).map(|s| {
            *state = s;
            Outcome::Ok
        }),
        Op::Extend(m) => state.extend_time(m, now, grace).map(|s| {
            *state = s;
            Outcome::Ok
        }),
        Op::Terminate => state.terminate(now, grace).map(|s| {
            *state = s;
            Outcome::Ok
        }),
    };
    result.unwrap_or_else(|e| Outcome::Refused(e.code()))
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Save),
        1 => Just(Op::Submit),
        2 => Just(Op::Pause),
        2 => Just(Op::Resume),
        2 => (-2i64..=620).prop_map(Op::Extend),
        1 => Just(Op::Terminate),
        3 => Just(Op::AutoSubmit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn session_matches_reference_model(
        minutes in 1i64..=90,
        extra in prop::option::of(0u32..=100),
        cap_min in prop::option::of(0i64..=200),
        grace_s in 0i64..=60,
        steps in prop::collection::vec((op(), 0i64..1_200_000), 1..40),
    ) {
        let cap = cap_min.map(|m| m * 60_000);
        let clock = SessionClock::new(t0(), TimeDelta::minutes(minutes), extra, cap.map(at));
        let grace = TimeDelta::seconds(grace_s);
        let mut state = DeliveryState::start(clock);
        let has_extra = extra.unwrap_or(0) > 0;
        let mut model = Model {
            status: DeliveryStatus::InProgress,
            end_ms: minutes * 60_000 * (100 + i64::from(extra.unwrap_or(0))) / 100,
            cap_ms: if has_extra { None } else { cap },
            paused_since: None,
            finished: None,
            grace_ms: grace_s * 1000,
        };
        let mut now = 0i64;
        for (op, after) in steps {
            now += after;
            let before = state;
            let got = apply(&mut state, op, at(now), grace);
            let want = model.step(op, now);
            prop_assert_eq!(got, want, "{:?} at {} ms from {:?}", op, now, before);
            prop_assert_eq!(state.status, model.status);
            prop_assert_eq!(state.finished_at, model.finished.map(at));
            prop_assert_eq!(state.clock.deadline(at(now)), at(model.deadline(now)));
            prop_assert_eq!(state.finished_at.is_some(), state.status.is_terminal());
            // Terminal states are absorbing.
            if before.status.is_terminal() {
                prop_assert_eq!(state, before);
            }
            // Refusals change nothing.
            if matches!(got, Outcome::Refused(_) | Outcome::NotDue | Outcome::AlreadySubmitted) {
                prop_assert_eq!(state, before);
            }
            // An auto-submit records the deadline, never a later instant.
            if state.status == DeliveryStatus::AutoSubmitted {
                prop_assert!(state.finished_at.is_some_and(|f| f <= at(now)));
            }
        }
    }
}
