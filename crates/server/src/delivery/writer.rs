//! Group commit for autosaves, through the shared batcher
//! ([`crate::batch`]): a save is acknowledged only after its transaction
//! committed; a full queue answers 503 with `Retry-After`; on shutdown the
//! queue is drained. [`SaveAdmission`] bounds the saves in flight before
//! they touch the database.
//!
//! Inside the batch transaction each session's state is checked again under
//! a shared row lock (PostgreSQL; SQLite has one writer), so a save is never
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
use invigil_store::delivery::{self, AnswerSave};
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
}

impl From<SaveRefusal> for ApiError {
    fn from(e: SaveRefusal) -> Self {
        match e {
            SaveRefusal::NoSession => ApiError::NotFound,
            SaveRefusal::Session(e) => e.into(),
            SaveRefusal::Vanished => ApiError::internal(e),
        }
    }
}

/// The group-commit writer of answer saves.
pub type AnswerWriter = Batcher<Autosave>;

/// The autosave batch: saves of any sessions, checked and upserted in one
/// transaction.
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
        let tx = self.db.begin().await?;
        let now = self.clock.now();
        let mut ids: Vec<Uuid> = batch.iter().map(|j| j.session_id).collect();
        ids.sort();
        ids.dedup();
        let sessions: HashMap<Uuid, _> = delivery::sessions_for_save(&tx, ids)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut refusals: Vec<Option<SaveRefusal>> = Vec::with_capacity(batch.len());
        let mut accepted = Vec::with_capacity(batch.len());
        for job in batch {
            // Judged at arrival (never later than now), like submit.
            let saved_at = job.saved_at.min(now);
            let verdict = match sessions.get(&job.session_id) {
                None => Err(SaveRefusal::NoSession),
                Some(s) => state_of(s)
                    .check_save(saved_at, self.grace)
                    .map_err(SaveRefusal::from),
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
        let by_key = |(s, q, revision, saved_at)| ((s, q), Saved { revision, saved_at });
        let mut stored: HashMap<(Uuid, Uuid), Saved> = delivery::upsert_answers(&tx, &accepted)
            .await?
            .into_iter()
            .map(by_key)
            .collect();
        let mut missing: Vec<(Uuid, Uuid)> = accepted
            .iter()
            .map(|(job, _)| (job.session_id, job.question_id))
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
        Ok(batch
            .iter()
            .zip(refusals)
            .map(|(job, refusal)| match refusal {
                Some(e) => Err(e),
                None => stored
                    .get(&(job.session_id, job.question_id))
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
