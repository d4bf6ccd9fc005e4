//! Group commit for autosaves. Requests hand their save to one writer task
//! through a bounded queue; the writer commits whatever is waiting (up to
//! `autosave_batch_max`) in one transaction and then answers each request.
//! A save is acknowledged only after its transaction committed. When the
//! queue is full, requests get 503 with `Retry-After` instead of growing
//! memory. On shutdown the writer drains the queue before it stops.
//!
//! Inside the batch transaction each session's state is checked again under
//! a shared row lock (PostgreSQL; SQLite has one writer), so a save is never
//! stored after its session was submitted or its time ran out.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_store::Db;
use invigil_store::delivery::{self, AnswerSave};

use super::{session_error, state_of};
use crate::clock::Clock;
use crate::http::error::ApiError;

/// A stored answer's revision and time, as acknowledged to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub revision: i64,
    pub saved_at: DateTime<Utc>,
}

struct Job {
    save: AnswerSave,
    reply: oneshot::Sender<Result<Saved, ApiError>>,
}

#[derive(Clone)]
pub struct AnswerWriter {
    tx: mpsc::Sender<Job>,
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
        token: CancellationToken,
    ) -> (
        AnswerWriter,
        impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let task = run(db, clock, grace, batch_max.max(1), rx, token);
        (AnswerWriter { tx }, task)
    }

    /// Queues a save and waits until it is committed (or refused).
    pub async fn save(&self, save: AnswerSave) -> Result<Saved, ApiError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .try_send(Job { save, reply })
            .map_err(|_| ApiError::Overloaded {
                retry_after_secs: 1,
            })?;
        wait.await.map_err(|_| ApiError::Overloaded {
            retry_after_secs: 1,
        })?
    }
}

async fn run(
    db: Db,
    clock: Arc<dyn Clock>,
    grace: TimeDelta,
    batch_max: usize,
    mut rx: mpsc::Receiver<Job>,
    token: CancellationToken,
) {
    loop {
        let first = tokio::select! {
            job = rx.recv() => job,
            _ = token.cancelled() => None,
        };
        let Some(first) = first else { break };
        let mut batch = vec![first];
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&db, clock.as_ref(), grace, batch).await;
    }
    // Shutdown: refuse new saves, commit everything already queued.
    rx.close();
    let mut rest = Vec::new();
    while let Some(job) = rx.recv().await {
        rest.push(job);
        if rest.len() >= batch_max {
            commit_batch(&db, clock.as_ref(), grace, std::mem::take(&mut rest)).await;
        }
    }
    if !rest.is_empty() {
        commit_batch(&db, clock.as_ref(), grace, rest).await;
    }
}

async fn commit_batch(db: &Db, clock: &dyn Clock, grace: TimeDelta, batch: Vec<Job>) {
    let outcome = try_batch(db, clock, grace, &batch).await;
    match outcome {
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
                let single = try_batch(db, clock, grace, std::slice::from_ref(&job)).await;
                let result = match single {
                    Ok(mut r) => r.pop().unwrap_or(Err(ApiError::Overloaded {
                        retry_after_secs: 1,
                    })),
                    Err(e) => {
                        tracing::error!(error = %e, "autosave failed; not acknowledged");
                        Err(ApiError::Overloaded {
                            retry_after_secs: 1,
                        })
                    }
                };
                let _ = job.reply.send(result);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "autosave failed; not acknowledged");
            for job in batch {
                let _ = job.reply.send(Err(ApiError::Overloaded {
                    retry_after_secs: 1,
                }));
            }
        }
    }
}

async fn try_batch(
    db: &Db,
    clock: &dyn Clock,
    grace: TimeDelta,
    batch: &[Job],
) -> Result<Vec<Result<Saved, ApiError>>, String> {
    let tx = db.begin().await.map_err(|e| e.to_string())?;
    let now = clock.now();
    let mut ids: Vec<Uuid> = batch.iter().map(|j| j.save.session_id).collect();
    ids.sort();
    ids.dedup();
    let sessions: HashMap<Uuid, _> = delivery::sessions_for_save(&tx, ids)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let mut results: Vec<Option<Result<Saved, ApiError>>> = Vec::with_capacity(batch.len());
    let mut keys = Vec::new();
    for job in batch {
        let verdict = match sessions.get(&job.save.session_id) {
            None => Err(ApiError::NotFound),
            Some(s) => state_of(s).and_then(|st| st.check_save(now, grace).map_err(session_error)),
        };
        match verdict {
            Ok(()) => {
                let save = AnswerSave {
                    saved_at: now,
                    ..job.save.clone()
                };
                delivery::upsert_answer(&tx, &save)
                    .await
                    .map_err(|e| e.to_string())?;
                keys.push((save.session_id, save.question_id));
                results.push(None);
            }
            Err(e) => results.push(Some(Err(e))),
        }
    }
    let stored = delivery::revisions(&tx, &keys)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())?;
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
