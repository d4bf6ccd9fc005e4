//! Group commit for autosaves, through the shared batcher
//! ([`crate::batch`]): a save is acknowledged only after its transaction
//! committed; a full queue answers 503 with `Retry-After`; on shutdown the
//! queue is drained. [`SaveAdmission`] bounds the saves in flight before
//! they touch the database.
//!
//! A batch is one statement in the common case: the upsert itself reads
//! each save's session (under a shared row lock on PostgreSQL; SQLite has
//! one writer) and writes only the saves of sessions that are surely live
//! (`store::delivery::upsert_live_answers`). Whatever it did not write - a
//! stale revision, a paused, finished or expired session - gets the full
//! check in a transaction of its own: the state read again and judged by the
//! domain rule, the save upserted or refused. Either way a save is never
//! stored after its session was submitted or its time ran out. The deadline
//! is judged at the save's arrival (`AnswerSave::saved_at`, taken when the
//! request came in, like submit), not at the commit: a save that arrived in
//! time is not refused because the writer was busy.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_domain::delivery::session::SessionError;
use invigil_store::delivery::{self, AnswerSave, StoredRevision};
use invigil_store::{Db, StoreError};

use super::state_of;
use crate::batch::{BatchError, BatchOptions, BatchWrite, Batcher};
use crate::clock::Clock;
use crate::http::error::ApiError;
use crate::state::AppState;

/// A stored answer's revision and time, as acknowledged to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub revision: i64,
    pub saved_at: DateTime<Utc>,
}

/// Why the writer refused one save.
#[derive(Debug, thiserror::Error)]
pub enum SaveRefusal {
    #[error("no such session")]
    NoSession,
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("the saved answer was not found after the commit")]
    Vanished,
    /// Not stored this time (the batch's full check failed after its fast
    /// path committed other saves): try again.
    #[error("the writer cannot take this now")]
    Busy,
}

impl From<SaveRefusal> for ApiError {
    fn from(e: SaveRefusal) -> Self {
        match e {
            SaveRefusal::NoSession => ApiError::NotFound,
            SaveRefusal::Session(e) => e.into(),
            SaveRefusal::Vanished => ApiError::internal(e),
            SaveRefusal::Busy => crate::batch::overloaded(),
        }
    }
}

/// The group-commit writer of answer saves.
pub type AnswerWriter = Batcher<Autosave>;

/// The autosave batch: saves of any sessions, checked and upserted in one
/// statement (the common case) or one transaction (the rest).
pub struct Autosave {
    db: Db,
    clock: Arc<dyn Clock>,
    grace: TimeDelta,
}

impl AnswerWriter {
    /// Starts the writer; it stops (after draining) when `token` is
    /// cancelled. The returned future ends with the worker.
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
        let options = BatchOptions {
            batch_max,
            max_weight: usize::MAX,
            capacity,
            max_in_flight,
        };
        Batcher::start(Autosave { db, clock, grace }, options, token)
    }

    /// Queues a save and waits until it is committed (or refused). The
    /// deadline is judged at `save.saved_at`, the save's arrival.
    pub async fn save(&self, save: AnswerSave) -> Result<Saved, BatchError<SaveRefusal>> {
        self.submit(save).await
    }
}

impl BatchWrite for Autosave {
    type Job = AnswerSave;
    type Done = Saved;
    type Refusal = SaveRefusal;
    const KIND: &'static str = "autosave";

    fn field(&self, _job: &AnswerSave) -> &'static str {
        "response"
    }

    async fn write(
        &self,
        batch: &[AnswerSave],
    ) -> Result<Vec<Result<Saved, SaveRefusal>>, StoreError> {
        let now = self.clock.now();
        // Judged at arrival (never later than now), like submit.
        let jobs: Vec<(&AnswerSave, DateTime<Utc>)> =
            batch.iter().map(|j| (j, j.saved_at.min(now))).collect();
        if jobs.len() > delivery::LIVE_CHUNK {
            // More than one statement: atomic only in a transaction.
            return self.write_all_checked(&jobs).await;
        }
        // The common case in one statement: every save whose session the
        // statement itself finds surely live. It writes the newest save of
        // each answer; another save of that answer shares its answer only if
        // it arrived no later (the same session, so surely in time too).
        let written: HashMap<(Uuid, Uuid), Saved> =
            delivery::upsert_live_answers(self.db.write(), &jobs, self.grace)
                .await?
                .into_iter()
                .map(by_key)
                .collect();
        let newest_arrival: HashMap<(Uuid, Uuid), DateTime<Utc>> = delivery::newest(&jobs)
            .into_iter()
            .map(|i| (key_of(jobs[i].0), jobs[i].1))
            .collect();
        let mut results: Vec<Option<Result<Saved, SaveRefusal>>> = jobs
            .iter()
            .map(|&(job, at)| {
                let key = key_of(job);
                written
                    .get(&key)
                    .filter(|_| newest_arrival.get(&key).is_some_and(|n| at <= *n))
                    .map(|saved| Ok(*saved))
            })
            .collect();
        // The others (rare: a stale revision, a session not surely live) get
        // the full check.
        let rest: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
        if rest.is_empty() {
            return Ok(results.into_iter().flatten().collect());
        }
        let checked: Vec<(&AnswerSave, DateTime<Utc>)> = rest.iter().map(|&i| jobs[i]).collect();
        match self.write_all_checked(&checked).await {
            Ok(verdicts) => {
                for (i, verdict) in rest.into_iter().zip(verdicts) {
                    results[i] = Some(verdict);
                }
            }
            // Nothing of this batch committed: the batcher may try again.
            Err(e) if written.is_empty() => return Err(e),
            // The statement committed some saves: those are answered; the
            // others are not stored and get 503 (try again).
            Err(e) => {
                tracing::warn!(error = %e, "autosave full check failed; answered 503");
                for i in rest {
                    results[i] = Some(Err(SaveRefusal::Busy));
                }
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or(Err(SaveRefusal::Vanished)))
            .collect())
    }
}

fn key_of(job: &AnswerSave) -> (Uuid, Uuid) {
    (job.session_id, job.question_id)
}

fn by_key((s, q, revision, saved_at): StoredRevision) -> ((Uuid, Uuid), Saved) {
    ((s, q), Saved { revision, saved_at })
}

impl Autosave {
    /// Saves judged in one transaction with the full check: each session's
    /// state is read (under a shared row lock on PostgreSQL) and judged by
    /// the domain rule; accepted saves are upserted and an answer whose
    /// stored revision won is read back. One result per job, in order.
    async fn write_all_checked(
        &self,
        jobs: &[(&AnswerSave, DateTime<Utc>)],
    ) -> Result<Vec<Result<Saved, SaveRefusal>>, StoreError> {
        let tx = self.db.begin().await?;
        let mut ids: Vec<Uuid> = jobs.iter().map(|(j, _)| j.session_id).collect();
        ids.sort();
        ids.dedup();
        let sessions: HashMap<Uuid, _> = delivery::sessions_for_save(&tx, ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut refusals = Vec::with_capacity(jobs.len());
        let mut accepted = Vec::with_capacity(jobs.len());
        for &(job, saved_at) in jobs {
            let verdict = match sessions.get(&job.session_id) {
                Some(s) if s.org_id == job.org_id => state_of(s)
                    .check_save(saved_at, self.grace)
                    .map_err(SaveRefusal::from),
                _ => Err(SaveRefusal::NoSession),
            };
            match verdict {
                Ok(()) => {
                    accepted.push((job, saved_at));
                    refusals.push(None);
                }
                Err(e) => refusals.push(Some(e)),
            }
        }
        // One multi-row upsert answering what it wrote; the stored revision
        // of an answer it did not write (a stale revision: the stored one
        // won) is read, only then.
        let mut stored: HashMap<(Uuid, Uuid), Saved> = delivery::upsert_answers(&tx, &accepted)
            .await?
            .into_iter()
            .map(by_key)
            .collect();
        let mut missing: Vec<(Uuid, Uuid)> = accepted
            .iter()
            .map(|(job, _)| key_of(job))
            .filter(|k| !stored.contains_key(k))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        if !missing.is_empty() {
            stored.extend(
                delivery::revisions(&tx, &missing)
                    .await?
                    .into_iter()
                    .map(by_key),
            );
        }
        tx.commit().await?;
        Ok(jobs
            .iter()
            .zip(refusals)
            .map(|(&(job, _), refusal)| match refusal {
                Some(e) => Err(e),
                None => stored
                    .get(&key_of(job))
                    .copied()
                    .ok_or(SaveRefusal::Vanished),
            })
            .collect())
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
