//! Group commit for proctoring events and heartbeats, like the autosave
//! writer (`delivery::writer`): requests hand their work to one writer task
//! through a bounded queue; the writer stores whatever is waiting in one
//! transaction, runs the risk engine over every session that gained events,
//! and then answers each request. An event batch is acknowledged only after
//! its transaction committed. When the queue is full, requests get 503 with
//! `Retry-After`. On shutdown the writer drains the queue before it stops.
//!
//! One bad job never refuses the others: when a batch fails, each job is
//! committed on its own; a job the database refuses for its data gets 422
//! (it would fail again), a transient failure 503.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_store::proctoring::{self as store, Beat, Event};
use invigil_store::{Db, StoreError};

use super::live::LiveHub;
use super::risk;
use crate::clock::Clock;
use crate::delivery::writer::{Admission, Control, WriterHold, clone_error, single_failure};
use crate::http::error::ApiError;
use crate::state::AppState;

/// Admission of one events or heartbeat request (`events_max_in_flight`).
/// Listed first among a handler's extractors, it runs before
/// authentication reads anything.
pub struct EventAdmission {
    _permit: OwnedSemaphorePermit,
}

impl FromRequestParts<AppState> for EventAdmission {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(EventAdmission {
            _permit: state.proctoring.events.admission.try_admit()?,
        })
    }
}

/// Most events stored in one transaction (a batch holds whole requests).
const EVENTS_PER_BATCH: usize = 5000;

/// What one request asks the writer to store.
#[derive(Debug, Clone)]
pub enum Work {
    /// Events of one session (a client's batch, or the server's SYSTEM events).
    Events(Vec<Event>),
    Heartbeat(Beat),
}

impl Work {
    fn size(&self) -> usize {
        match self {
            Work::Events(e) => e.len().max(1),
            Work::Heartbeat(_) => 1,
        }
    }
}

/// How many events were new and how many were already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub accepted: u64,
    pub duplicates: u64,
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Stored, ApiError>>,
}

#[derive(Clone)]
pub struct EventWriter {
    tx: mpsc::Sender<Job>,
    control: Control,
    /// Bounds the event and heartbeat requests in flight.
    pub admission: Admission,
}

impl EventWriter {
    /// Starts the writer; it stops (after draining) when `token` is
    /// cancelled. The returned future must be spawned by the caller.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        live: LiveHub,
        batch_max: usize,
        capacity: usize,
        max_in_flight: usize,
        token: CancellationToken,
    ) -> (
        EventWriter,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let control = Control::default();
        let task = run(
            db,
            clock,
            live,
            batch_max.max(1),
            rx,
            token,
            control.clone(),
        );
        (
            EventWriter {
                tx,
                control,
                admission: Admission::new("events", max_in_flight),
            },
            task,
        )
    }

    /// Queues work and waits until it is committed (and the risk engine ran).
    pub async fn submit(&self, work: Work) -> Result<Stored, ApiError> {
        self.control
            .counted(async {
                let (reply, wait) = oneshot::channel();
                self.tx
                    .try_send(Job { work, reply })
                    .map_err(|_| ApiError::Overloaded {
                        retry_after_secs: 1,
                    })?;
                wait.await.map_err(|_| ApiError::Overloaded {
                    retry_after_secs: 1,
                })?
            })
            .await
    }

    /// Test hook: pauses the writer before its next batch until the
    /// returned guard is dropped.
    pub async fn hold(&self) -> WriterHold {
        self.control.hold().await
    }

    /// Jobs handed to the writer and not answered yet.
    pub fn queued(&self) -> usize {
        self.control.queued()
    }
}

struct Ctx {
    db: Db,
    clock: Arc<dyn Clock>,
    live: LiveHub,
}

async fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    live: LiveHub,
    batch_max: usize,
    mut rx: mpsc::Receiver<Job>,
    token: CancellationToken,
    control: Control,
) {
    let ctx = Ctx { db, clock, live };
    loop {
        let first = tokio::select! {
            job = rx.recv() => job,
            _ = token.cancelled() => None,
        };
        let Some(first) = first else { break };
        control.pass().await;
        let mut size = first.work.size();
        let mut batch = vec![first];
        while batch.len() < batch_max && size < EVENTS_PER_BATCH {
            match rx.try_recv() {
                Ok(job) => {
                    size += job.work.size();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        commit_batch(&ctx, batch).await;
    }
    // Shutdown: refuse new work, commit everything already queued.
    rx.close();
    let mut rest = Vec::new();
    while let Some(job) = rx.recv().await {
        rest.push(job);
        if rest.len() >= batch_max {
            commit_batch(&ctx, std::mem::take(&mut rest)).await;
        }
    }
    if !rest.is_empty() {
        commit_batch(&ctx, rest).await;
    }
}

async fn commit_batch(ctx: &Ctx, batch: Vec<Job>) {
    let results: Vec<Result<Stored, ApiError>> = match try_batch(&ctx.db, &batch).await {
        Ok(results) => results.into_iter().map(Ok).collect(),
        Err(e) if batch.len() > 1 => {
            // One bad job must not take its neighbours down: commit each on
            // its own, so only the failing one is refused.
            tracing::warn!(error = %e, jobs = batch.len(), "event batch failed; retrying its jobs one by one");
            let mut results = Vec::with_capacity(batch.len());
            for job in &batch {
                results.push(match try_batch(&ctx.db, std::slice::from_ref(job)).await {
                    Ok(mut r) => r.pop().ok_or(ApiError::Overloaded {
                        retry_after_secs: 1,
                    }),
                    Err(e) => Err(single_failure("events", field_of(job), &e)),
                });
            }
            results
        }
        Err(e) => {
            let error = single_failure("events", batch.first().map_or("events", field_of), &e);
            batch.iter().map(|_| Err(clone_error(&error))).collect()
        }
    };
    // Risk engine: once per session that gained events, before the requests
    // are answered (so an acknowledged batch has been judged).
    let mut sessions: Vec<Uuid> = batch
        .iter()
        .zip(&results)
        .filter_map(|(job, r)| match (&job.work, r) {
            (Work::Events(e), Ok(r)) if r.accepted > 0 => e.first().map(|e| e.session_id),
            _ => None,
        })
        .collect();
    sessions.sort();
    sessions.dedup();
    for id in sessions {
        if let Err(e) = risk::evaluate_session(&ctx.db, &ctx.live, id, ctx.clock.now()).await {
            tracing::warn!(session_id = %id, error = %e, "risk evaluation failed; the events are stored");
        }
    }
    for (job, result) in batch.into_iter().zip(results) {
        let _ = job.reply.send(result);
    }
}

/// The request field a refused job is reported under.
fn field_of(job: &Job) -> &'static str {
    match job.work {
        Work::Events(_) => "events",
        Work::Heartbeat(_) => "source",
    }
}

async fn try_batch(db: &Db, batch: &[Job]) -> Result<Vec<Stored>, StoreError> {
    let tx = db.begin().await?;
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let stored = match &job.work {
            Work::Events(events) => {
                let accepted = store::insert_events(&tx, events).await?;
                let total = u64::try_from(events.len()).unwrap_or(u64::MAX);
                Stored {
                    accepted,
                    duplicates: total.saturating_sub(accepted),
                }
            }
            Work::Heartbeat(beat) => {
                store::upsert_heartbeat(&tx, beat).await?;
                Stored::default()
            }
        };
        results.push(stored);
    }
    tx.commit().await?;
    Ok(results)
}
