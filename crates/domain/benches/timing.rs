//! The timing policy (issue 14, point 4): the checks on the autosave hot
//! path and the sweeper's scan.
//!
//! `cargo bench -p invigil-domain --bench timing`
//!
//! 10,000 generated, deterministic session clocks of one 90-minute exam
//! with a window: a quarter with extra time (25-100 %), some with
//! extensions, some paused now, some paused earlier, start times spread
//! over 20 minutes. `start` times `plan_new_session` (window, attempts,
//! overrides, extra time); `save_check` one save's checks
//! (`accepts_write` and `remaining_seconds`); `sweep_10k` the sweeper's
//! pass over 10,000 running sessions (`auto_submit_due` and `deadline`).

mod common;

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invigil_domain::delivery::{DEFAULT_GRACE, SessionClock, plan_new_session};
use invigil_domain::exams::{
    EnrollmentOverrides, ExamSettings, ExamStatus, QuestionSource, Window,
};
use uuid::Uuid;

use common::Rng;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_796_000_000 + secs, 0).unwrap_or_default()
}

fn clocks(n: usize) -> Vec<SessionClock> {
    let mut rng = Rng::new(0x71_31_1C);
    let window_end = Some(at(3 * 3600));
    (0..n)
        .map(|_| {
            let start = at(rng.below(20 * 60) as i64);
            let extra = rng.chance(0.25).then(|| 25 * (1 + rng.below(4) as u32));
            let mut c = SessionClock::new(start, TimeDelta::minutes(90), extra, window_end);
            if rng.chance(0.1) {
                c = c.extended_by(TimeDelta::minutes(10));
            }
            if rng.chance(0.05) {
                c = c.paused_at(at(1800)).resumed_at(at(1800 + 120));
            }
            if rng.chance(0.02) {
                c = c.paused_at(at(3600));
            }
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let exam = ExamSettings {
        duration_minutes: 90,
        passing_score: 60,
        max_attempts: 2,
        window: Window::new(Some(at(0)), Some(at(3 * 3600))),
        source: QuestionSource::Bank {
            question_bank_id: Uuid::from_u128(1),
        },
        randomize_questions: true,
        randomize_options: true,
        enable_proctoring: true,
        proctoring_sensitivity: Default::default(),
    };
    let overrides = EnrollmentOverrides {
        window: Window::new(None, Some(at(4 * 3600))),
        duration_minutes: None,
        max_attempts: Some(3),
        extra_time_percent: Some(50),
    };
    let clocks = clocks(10_000);
    // Late in the exam, when the sweeper has work to do.
    let now = at(5700);
    println!(
        "timing: {} of {} sessions due at +95 min",
        clocks
            .iter()
            .filter(|c| c.auto_submit_due(now, DEFAULT_GRACE))
            .count(),
        clocks.len()
    );
    let mut g = c.benchmark_group("timing");
    g.bench_function("start", |b| {
        b.iter(|| {
            black_box(plan_new_session(
                black_box(at(600)),
                ExamStatus::Active,
                black_box(&exam),
                black_box(&overrides),
                Some(25),
                1,
            ))
        })
    });
    let one = clocks[7];
    g.bench_function("save_check", |b| {
        b.iter(|| {
            let c = black_box(&one);
            black_box((
                c.accepts_write(now, DEFAULT_GRACE),
                c.remaining_seconds(now),
            ))
        })
    });
    g.throughput(Throughput::Elements(clocks.len() as u64));
    g.bench_function("sweep_10k", |b| {
        b.iter(|| {
            black_box(&clocks)
                .iter()
                .filter(|c| c.auto_submit_due(now, DEFAULT_GRACE))
                .map(|c| c.deadline(now).timestamp())
                .fold(0i64, i64::wrapping_add)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
