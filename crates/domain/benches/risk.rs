//! The risk engine over 10,000 events (issue 14, point 4).
//!
//! `cargo bench -p invigil-domain --bench risk`
//!
//! One candidate's generated, deterministic event log of a 3-hour exam:
//! 10,000 events of every type, in bursts the way browsers and the mobile
//! app send them (tab switches and blurs in runs, no-face and looking-away
//! episodes with `duration_ms`, network and device drops with their
//! returns, SYSTEM heartbeat misses naming a device), handed over out of
//! order. `evaluate_10k` runs the default rule set at MEDIUM (sort, every
//! rule, drafts); `score_10k` keeps the new drafts against the half
//! already stored (`select_new_flags`) and scores them (`violation_score`),
//! the rest of what the server does after each batch.

mod common;

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use invigil_domain::proctoring::{
    EventSource, EventType, EventView, ExistingFlag, FlagView, Sensitivity, default_rules,
    evaluate, select_new_flags, violation_score,
};
use serde_json::json;
use uuid::Uuid;

use common::Rng;

const EVENTS: usize = 10_000;

fn events() -> Vec<EventView> {
    use EventType as T;
    let mut rng = Rng::new(0x215C_0000);
    let start = DateTime::<Utc>::from_timestamp(1_796_000_000, 0).unwrap_or_default();
    let exam_ms = 3 * 3600 * 1000;
    let mut out = Vec::with_capacity(EVENTS);
    let push = |rng: &mut Rng, out: &mut Vec<EventView>, t: T, source, ms: u64, meta| {
        out.push(EventView {
            id: Uuid::from_u64_pair(rng.next_u64(), rng.next_u64()),
            source,
            event_type: t,
            severity: t.default_severity(),
            occurred_at: start + TimeDelta::milliseconds(ms.min(exam_ms) as i64),
            meta,
        });
    };
    while out.len() < EVENTS {
        let at = rng.below(exam_ms as usize) as u64;
        match rng.below(100) {
            // A run of tab switches or blurs a few seconds apart.
            0..30 => {
                let t = if rng.chance(0.5) {
                    T::TabSwitch
                } else {
                    T::WindowBlur
                };
                for k in 0..1 + rng.below(6) as u64 {
                    push(
                        &mut rng,
                        &mut out,
                        t,
                        EventSource::Laptop,
                        at + k * 4000,
                        None,
                    );
                }
            }
            // Face and gaze episodes with their length.
            30..55 => {
                let t = if rng.chance(0.5) {
                    T::NoFaceDetected
                } else {
                    T::LookingAway
                };
                let ms = 1000 + rng.below(40_000);
                let src = if rng.chance(0.8) {
                    EventSource::Laptop
                } else {
                    EventSource::Mobile
                };
                push(
                    &mut rng,
                    &mut out,
                    t,
                    src,
                    at,
                    Some(json!({"duration_ms": ms})),
                );
            }
            // A connection drop and its return.
            55..65 => {
                let (down, up) = if rng.chance(0.5) {
                    (T::NetworkOffline, T::NetworkOnline)
                } else {
                    (T::DeviceDisconnected, T::DeviceReconnected)
                };
                let src = if rng.chance(0.5) {
                    EventSource::Laptop
                } else {
                    EventSource::Mobile
                };
                push(&mut rng, &mut out, down, src, at, None);
                let back = at + 2000 + rng.below(90_000) as u64;
                push(&mut rng, &mut out, up, src, back, None);
            }
            // The server noticing missed heartbeats of a device.
            65..80 => {
                let device = if rng.chance(0.5) { "LAPTOP" } else { "MOBILE" };
                for k in 0..1 + rng.below(3) as u64 {
                    push(
                        &mut rng,
                        &mut out,
                        T::HeartbeatMissed,
                        EventSource::System,
                        at + k * 15_000,
                        Some(json!({"device": device})),
                    );
                }
            }
            // Everything else, one at a time.
            r => {
                let t = [
                    T::CopyPaste,
                    T::FullscreenExit,
                    T::AudioDetected,
                    T::MultipleFaces,
                    T::PhoneDetected,
                    T::ScreenshotAttempt,
                    T::SuspiciousActivity,
                    T::Other,
                    T::SecondDeviceLogin,
                ][r % 9];
                push(&mut rng, &mut out, t, EventSource::Laptop, at, None);
            }
        }
    }
    out.truncate(EVENTS);
    out
}

fn bench(c: &mut Criterion) {
    let rules = default_rules();
    let events = events();
    let drafts = evaluate(&rules, Sensitivity::Medium, &events);
    // Half of the flags were stored by earlier batches.
    let existing: Vec<ExistingFlag> = drafts
        .iter()
        .step_by(2)
        .map(|d| ExistingFlag {
            rule_id: d.rule_id.clone(),
            dedupe_key: d.dedupe_key.clone(),
            event_ids: d.event_ids.clone(),
        })
        .collect();
    let score = violation_score(
        &drafts.iter().map(FlagView::from).collect::<Vec<_>>(),
        &rules.thresholds,
        Sensitivity::Medium,
    );
    println!(
        "risk: {} events -> {} flags, score {} (threshold {})",
        events.len(),
        drafts.len(),
        score.total,
        score.threshold
    );
    let mut g = c.benchmark_group("risk");
    g.throughput(Throughput::Elements(EVENTS as u64));
    g.bench_function("evaluate_10k", |b| {
        b.iter(|| black_box(evaluate(&rules, Sensitivity::Medium, black_box(&events))))
    });
    g.bench_function("score_10k", |b| {
        b.iter(|| {
            let new = select_new_flags(black_box(drafts.clone()), black_box(&existing));
            let views: Vec<FlagView> = drafts.iter().map(FlagView::from).collect();
            black_box((
                new.len(),
                violation_score(&views, &rules.thresholds, Sensitivity::Medium),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
