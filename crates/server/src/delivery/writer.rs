//! Group commit for autosaves. Requests hand their save to one writer task
//! through a bounded queue; the writer commits whatever is waiting (up to
//! `autosave_batch_max`) in one transaction and then answers each request.
//! A save is acknowledged only after its transaction committed. When the
//! queue is full, requests get 503 with `Retry-After` instead of growing
//! memory. On shutdown the writer drains the queue before it stops.
//!
//! Inside the batch transaction each session's state is checked again under
//! a shared row lock (PostgreSQL; SQLite has one writer), so a save is never
//! stored after its session was submitted or its time ran out. The deadline
//! is judged at the save's arrival (`AnswerSave::saved_at`, taken when the
//! request came in, like submit), not at the commit: a save that arrived in
//! time is not refused because the writer was busy.
//!
//! A failed batch is retried save by save; a save the database refuses for
//! its data gets 422, a transient failure 503.
//!
//! [`Admission`] bounds the requests in flight before they touch the
//! database: over the limit a request gets 503 `overloaded` at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{OwnedRwLockWriteGuard, OwnedSemaphorePermit, RwLock, Semaphore, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_store::delivery::{self, AnswerSave};
use invigil_store::{Db, StoreError};

use super::{session_error, state_of};
use crate::clock::Clock;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A stored answer's revision and time, as acknowledged to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub revision: i64,
    pub saved_at: DateTime<Utc>,
}

/// Seconds a refused client is asked to wait.
const RETRY_AFTER_SECS: u64 = 1;
/// Overload is logged at most once per this interval, with a count.
const OVERLOAD_LOG_EVERY: Duration = Duration::from_secs(10);

fn overloaded() -> ApiError {
    ApiError::Overloaded {
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

/// The answer to a job whose write failed on its own: 422 when the database
/// refused its data (it would fail again), 503 otherwise.
pub(crate) fn single_failure(kind: &str, field: &str, e: &StoreError) -> ApiError {
    match e {
        StoreError::Db(db) if invigil_store::db::is_data_error(db) => {
            tracing::warn!(error = %e, kind, "write refused by the database; answered 422");
            ApiError::field(
                field,
                "the database refused to store this; sending it again will not help",
            )
        }
        StoreError::NotFound => ApiError::NotFound,
        StoreError::Conflict(detail) => ApiError::conflict(detail.clone()),
        _ => {
            tracing::error!(error = %e, kind, "write failed; not acknowledged");
            overloaded()
        }
    }
}

/// Counts refusals and logs them once per interval instead of per request.
struct OverloadLog {
    refused: AtomicU64,
    last: std::sync::Mutex<Option<Instant>>,
}

/// Bounds how many requests of one kind (autosave, events) are in flight in
/// this process. `try_admit` never waits: over the limit the request gets
/// 503 `overloaded` with `Retry-After` before it reads anything.
#[derive(Clone)]
pub struct Admission {
    kind: &'static str,
    permits: Arc<Semaphore>,
    log: Arc<OverloadLog>,
}

impl Admission {
    pub fn new(kind: &'static str, limit: usize) -> Self {
        Admission {
            kind,
            permits: Arc::new(Semaphore::new(limit.clamp(1, Semaphore::MAX_PERMITS))),
            log: Arc::new(OverloadLog {
                refused: AtomicU64::new(0),
                last: std::sync::Mutex::new(None),
            }),
        }
    }

    /// A permit held for the request's lifetime, or 503.
    pub fn try_admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits.clone().try_acquire_owned().map_err(|_| {
            metrics::counter!("overloaded_total", "kind" => self.kind).increment(1);
            self.log.refused.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut last) = self.log.last.lock()
                && last.is_none_or(|t| t.elapsed() >= OVERLOAD_LOG_EVERY)
            {
                *last = Some(Instant::now());
                let refused = self.log.refused.swap(0, Ordering::Relaxed);
                tracing::warn!(
                    kind = self.kind,
                    refused,
                    "overloaded: refusing requests with 503 (count since the last report)"
                );
            }
            overloaded()
        })
    }

    /// Permits free now (tests, metrics).
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}

/// Admission of one autosave and the instant it arrived. Listed first among
/// a handler's extractors, it runs before authentication reads anything.
pub struct SaveAdmission {
    pub arrived_at: DateTime<Utc>,
    _permit: OwnedSemaphorePermit,
}

impl FromRequestParts<AppState> for SaveAdmission {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let arrived_at = state.now();
        let permit = state.answers.admission.try_admit()?;
        Ok(SaveAdmission {
            arrived_at,
            _permit: permit,
        })
    }
}

/// A pause of a writer between batches, for tests that need work to wait
/// (e.g. a save arriving before a deadline and committed after it).
/// Dropping it lets the writer go on.
pub struct WriterHold {
    _guard: OwnedRwLockWriteGuard<()>,
}

/// What the writer and its callers share besides the queue.
#[derive(Clone, Default)]
pub(crate) struct Control {
    gate: Arc<RwLock<()>>,
    queued: Arc<AtomicUsize>,
}

impl Control {
    pub(crate) async fn hold(&self) -> WriterHold {
        WriterHold {
            _guard: self.gate.clone().write_owned().await,
        }
    }

    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Runs `f` while counting one queued job (uncounted again when `f`
    /// ends or is dropped).
    pub(crate) async fn counted<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        struct Counted<'a>(&'a AtomicUsize);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        let _counted = Counted(&self.queued);
        f.await
    }

    /// Waits while a test holds the writer.
    pub(crate) async fn pass(&self) {
        drop(self.gate.read().await);
    }
}

struct Job {
    save: AnswerSave,
    reply: oneshot::Sender<Result<Saved, ApiError>>,
}

#[derive(Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Msg>,
    control: Control,
    /// Bounds the autosave requests in flight (`autosave_max_in_flight`).
    pub admission: Admission,
}

impl AnswerWriter {
    /// Starts the writer task; it stops (after draining) when `token` is
    /// cancelled. The returned future must be spawned by the caller.
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        grace: TimeDelta,
        batch_max: usize,
        capacity: usize,
        max_in_flight: usize,
        token: CancellationToken,
    ) -> (
        AnswerWriter,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let control = Control::default();
        let task = run(
            db,
            clock,
            grace,
            batch_max.max(1),
            rx,
            token,
            control.clone(),
        );
        (
            AnswerWriter {
                tx,
                control,
                admission: Admission::new("autosave", max_in_flight),
            },
            task,
        )
    }

    /// Queues a save and waits until it is committed (or refused). The
    /// deadline is judged at `save.saved_at`, the save's arrival.
    pub async fn save(&self, save: AnswerSave) -> Result<Saved, ApiError> {
        self.control
            .counted(async {
                let (reply, wait) = oneshot::channel();
                self.tx
                    .try_send(Msg::Save(Job { save, reply }))
                    .map_err(|_| overloaded())?;
                wait.await.map_err(|_| overloaded())?
            })
            .await
    }

    /// Waits until every save queued so far is committed or refused. The
    /// auto-submit sweep calls it first, so a save that arrived before the
    /// deadline and still waits in the queue is stored before its session
    /// is closed.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Test hook: pauses the writer before its next batch until the
    /// returned guard is dropped.
    pub async fn hold(&self) -> WriterHold {
        self.control.hold().await
    }

    /// Saves handed to the writer and not answered yet.
    pub fn queued(&self) -> usize {
        self.control.queued()
    }
}

/// What travels through the queue: a save, or a marker answered once every
/// save queued before it is committed.
enum Msg {
    Save(Job),
    Flush(oneshot::Sender<()>),
}

async fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    grace: TimeDelta,
    batch_max: usize,
    mut rx: mpsc::Receiver<Msg>,
    token: CancellationToken,
    control: Control,
) {
    loop {
        let first = tokio::select! {
            msg = rx.recv() => msg,
            _ = token.cancelled() => None,
        };
        let Some(first) = first else { break };
        control.pass().await;
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Save(job) => batch.push(job),
                Msg::Flush(done) => flushes.push(done),
            }
            if batch.len() < batch_max {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            commit_batch(&db, clock.as_ref(), grace, batch).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
    // Shutdown: refuse new saves, commit everything already queued.
    rx.close();
    let mut rest = Vec::new();
    let mut flushes = Vec::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Save(job) => rest.push(job),
            Msg::Flush(done) => flushes.push(done),
        }
        if rest.len() >= batch_max {
            commit_batch(&db, clock.as_ref(), grace, std::mem::take(&mut rest)).await;
        }
    }
    if !rest.is_empty() {
        commit_batch(&db, clock.as_ref(), grace, rest).await;
    }
    for done in flushes {
        let _ = done.send(());
    }
}

async fn commit_batch(db: &Db, clock: &dyn Clock, grace: TimeDelta, batch: Vec<Job>) {
    match try_batch(db, clock, grace, &batch).await {
        Ok(results) => {
            for (job, result) in batch.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
        Err(e) if batch.len() > 1 => {
            // One bad save must not take its neighbours down: commit each
            // on its own, so only the failing one is refused.
            tracing::warn!(error = %e, saves = batch.len(), "autosave batch failed; retrying its saves one by one");
            for job in batch {
                let result = match try_batch(db, clock, grace, std::slice::from_ref(&job)).await {
                    Ok(mut r) => r.pop().unwrap_or_else(|| Err(overloaded())),
                    Err(e) => Err(single_failure("autosave", "response", &e)),
                };
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            let error = single_failure("autosave", "response", &e);
            for job in batch {
                let _ = job.reply.send(Err(clone_error(&error)));
            }
        }
    }
}

/// The few errors a failed write answers with, copied per job.
pub(crate) fn clone_error(e: &ApiError) -> ApiError {
    match e {
        ApiError::Validation(v) => ApiError::Validation(v.clone()),
        ApiError::NotFound => ApiError::NotFound,
        ApiError::Conflict { code, detail } => ApiError::Conflict {
            code,
            detail: detail.clone(),
        },
        _ => overloaded(),
    }
}

async fn try_batch(
    db: &Db,
    clock: &dyn Clock,
    grace: TimeDelta,
    batch: &[Job],
) -> Result<Vec<Result<Saved, ApiError>>, StoreError> {
    let tx = db.begin().await?;
    let now = clock.now();
    let mut ids: Vec<Uuid> = batch.iter().map(|j| j.save.session_id).collect();
    ids.sort();
    ids.dedup();
    let sessions: HashMap<Uuid, _> = delivery::sessions_for_save(&tx, ids)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut results: Vec<Option<Result<Saved, ApiError>>> = Vec::with_capacity(batch.len());
    let mut keys = Vec::new();
    for job in batch {
        let verdict = match sessions.get(&job.save.session_id) {
            None => Err(ApiError::NotFound),
            // Judged at arrival (never later than now), like submit.
            Some(s) => state_of(s).and_then(|st| {
                st.check_save(job.save.saved_at.min(now), grace)
                    .map_err(session_error)
            }),
        };
        match verdict {
            Ok(()) => {
                let save = AnswerSave {
                    saved_at: job.save.saved_at.min(now),
                    ..job.save.clone()
                };
                delivery::upsert_answer(&tx, &save).await?;
                keys.push((save.session_id, save.question_id));
                results.push(None);
            }
            Err(e) => results.push(Some(Err(e))),
        }
    }
    let stored = delivery::revisions(&tx, &keys).await?;
    tx.commit().await?;
    Ok(batch
        .iter()
        .zip(results)
        .map(|(job, r)| match r {
            Some(err) => err,
            None => stored
                .iter()
                .find(|(s, q, _, _)| *s == job.save.session_id && *q == job.save.question_id)
                .map(|(_, _, revision, saved_at)| Saved {
                    revision: *revision,
                    saved_at: *saved_at,
                })
                .ok_or_else(|| ApiError::internal("saved answer not found after commit")),
        })
        .collect())
}
