//! `--baseline`: the same autosaves and event batches as the HTTP run,
//! handed straight to the server's group-commit writers (the project's own
//! store code and batching) by `--connections` tasks at once, no HTTP: the
//! database's own limit on this machine, for the HTTP/raw ratio.
//!
//! It runs on its own cohort (`--connections` candidates of a freshly
//! prepared exam, started over HTTP, unmeasured), before the HTTP run, so the
//! two do not disturb each other.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DurationRound, TimeDelta, Utc};
use hyper::Method;
use tokio::sync::watch;
use uuid::Uuid;

use invigil_domain::proctoring::{EventSource, EventType};
use invigil_store::delivery::AnswerSave;
use invigil_store::proctoring::Event;
use invigil_store::proctoring::entities::EventMeta;

use crate::client::Client;
use crate::report::Rate;
use crate::run::{Started, answer_payload, event_id, parse_started};
use crate::{Harness, LoadArgs, RawOutcome};

/// One raw writer's session.
struct Seat {
    idx: usize,
    org_id: Uuid,
    started: Started,
}

pub async fn run(
    args: &LoadArgs,
    harness: &dyn Harness,
    client: &Client,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<BTreeMap<String, Rate>> {
    let cohort = args.connections as usize;
    eprintln!("baseline: preparing {cohort} sessions ...");
    let exam = harness.prepare(cohort, 0).await?;
    let mut seats = Vec::with_capacity(cohort);
    for (idx, c) in exam.candidates.iter().enumerate() {
        let base = args
            .urls
            .get(idx % args.urls.len().max(1))
            .map_or("", |u| u.trim_end_matches('/'));
        let url = format!("{base}/api/v1/exams/{}/sessions", exam.exam_id);
        let a = client
            .send(Method::POST, &url, Some(&c.access_token), None)
            .await;
        let started = a
            .json()
            .and_then(|v| parse_started(&v))
            .with_context(|| format!("baseline: starting a session answered {}", a.status))?;
        seats.push(Seat {
            idx,
            org_id: exam.org_id,
            started,
        });
    }
    let phase = Duration::from_secs(u64::from(args.baseline_duration)) / 2;
    let mut rates = BTreeMap::new();
    for kind in ["autosave", "events"] {
        let per_s = drive(kind, args, harness, &seats, phase, &stop).await;
        eprintln!("baseline {kind}: {per_s:.0}/s");
        rates.insert(kind.to_owned(), Rate { per_s });
    }
    Ok(rates)
}

/// Every seat writes as fast as its writer answers until `phase` is over;
/// answers the stored writes (saves or event batches) per second.
async fn drive(
    kind: &'static str,
    args: &LoadArgs,
    harness: &dyn Harness,
    seats: &[Seat],
    phase: Duration,
    stop: &watch::Receiver<bool>,
) -> f64 {
    let stored = Arc::new(AtomicU64::new(0));
    let t = Instant::now();
    let end = t + phase;
    let batch = u64::from(args.event_batch);
    let writers = seats.iter().map(|seat| {
        let stored = stored.clone();
        async move {
            let mut n: u64 = 0;
            while Instant::now() < end && !*stop.borrow() {
                n += 1;
                let outcome = if kind == "autosave" {
                    harness.save_raw(save_of(seat, n)).await
                } else {
                    harness.events_raw(events_of(seat, n, batch)).await
                };
                match outcome {
                    RawOutcome::Stored => {
                        stored.fetch_add(1, Ordering::Relaxed);
                    }
                    RawOutcome::Busy => tokio::time::sleep(Duration::from_millis(1)).await,
                    RawOutcome::Failed(e) => {
                        tracing::warn!(kind, error = %e, "baseline write failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
        }
    });
    // Concurrent on this task: the writers wait on the batchers, which run
    // on their own tasks.
    join_all(writers).await;
    stored.load(Ordering::Relaxed) as f64 / t.elapsed().as_secs_f64().max(0.001)
}

async fn join_all<F: std::future::Future<Output = ()>>(futs: impl Iterator<Item = F>) {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futs.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

fn save_of(seat: &Seat, n: u64) -> AnswerSave {
    let rev = i64::try_from(n).unwrap_or(i64::MAX);
    let q = &seat.started.questions;
    let (qid, kind, options) = q
        .get(usize::try_from(n).unwrap_or(0) % q.len().max(1))
        .cloned()
        .unwrap_or((Uuid::nil(), String::new(), 0));
    AnswerSave {
        session_id: seat.started.session_id,
        question_id: qid,
        org_id: seat.org_id,
        response: answer_payload(&kind, options, seat.idx, rev),
        revision: rev,
        latency_ms: Some(1500),
        saved_at: Utc::now(),
    }
}

fn events_of(seat: &Seat, n: u64, batch: u64) -> Vec<Event> {
    let now = Utc::now();
    let at = (now - TimeDelta::seconds(1))
        .duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now);
    (0..batch)
        .map(|k| {
            let i = n * batch + k;
            let mut meta = serde_json::Map::new();
            meta.insert("load".into(), true.into());
            meta.insert("n".into(), i.into());
            Event {
                id: Uuid::now_v7(),
                org_id: seat.org_id,
                session_id: seat.started.session_id,
                client_event_id: Some(event_id(seat.idx, i)),
                source: EventSource::Laptop,
                event_type: EventType::TabSwitch,
                severity: i32::from(EventType::TabSwitch.default_severity().get()),
                occurred_at: at,
                received_at: now,
                meta: Some(EventMeta(meta)),
                frame_id: None,
            }
        })
        .collect()
}
