//! Group commit for proctoring events and heartbeats, through the shared
//! batcher ([`crate::batch`]) like autosaves: the writer stores whatever is
//! waiting in one transaction (whole requests, up to [`EVENTS_PER_BATCH`]
//! events), runs the risk engine over every session that gained events, and
//! then answers each request. An event batch is acknowledged only after its
//! transaction committed; a full queue answers 503 with `Retry-After`; on
//! shutdown the queue is drained. One bad job never refuses the others.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_store::proctoring::{self as store, Beat, Event};
use invigil_store::{Db, StoreError};

use super::live::LiveHub;
use super::risk;
use crate::batch::{BatchError, BatchOptions, BatchWrite, Batcher};
use crate::clock::Clock;
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
pub const EVENTS_PER_BATCH: usize = 5000;

/// What one request asks the writer to store.
#[derive(Debug, Clone)]
pub enum Work {
    /// Events of one session (a client's batch, or the server's SYSTEM events).
    Events(Vec<Event>),
    Heartbeat(Beat),
}

/// How many events were new and how many were already stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stored {
    pub accepted: u64,
    pub duplicates: u64,
}

/// The event writer never refuses a job on its own merits: only the
/// database does.
#[derive(Debug)]
pub enum NoRefusal {}

impl From<NoRefusal> for ApiError {
    fn from(never: NoRefusal) -> Self {
        match never {}
    }
}

/// The group-commit writer of events and heartbeats.
pub type EventWriter = Batcher<EventBatch>;

/// The event batch: inserts and heartbeats in one transaction, then the
/// risk engine.
pub struct EventBatch {
    db: Db,
    clock: Arc<dyn Clock>,
    live: LiveHub,
}

impl EventWriter {
    /// Starts the writer; it stops (after draining) when `token` is
    /// cancelled. The returned future ends with the worker.
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
        let options = BatchOptions {
            batch_max,
            max_weight: EVENTS_PER_BATCH,
            capacity,
            max_in_flight,
        };
        Batcher::start(EventBatch { db, clock, live }, options, token)
    }
}

impl BatchWrite for EventBatch {
    type Job = Work;
    type Done = Stored;
    type Refusal = NoRefusal;
    const KIND: &'static str = "events";

    fn weight(&self, work: &Work) -> usize {
        match work {
            Work::Events(e) => e.len().max(1),
            Work::Heartbeat(_) => 1,
        }
    }

    /// The request field a refused job is reported under.
    fn field(&self, work: &Work) -> &'static str {
        match work {
            Work::Events(_) => "events",
            Work::Heartbeat(_) => "source",
        }
    }

    /// Every event of the batch in one chunked multi-row INSERT (the ids it
    /// returns tell whose events were new) and every heartbeat in one
    /// multi-row upsert, in one transaction.
    async fn write(&self, batch: &[Work]) -> Result<Vec<Result<Stored, NoRefusal>>, StoreError> {
        let mut events: Vec<&Event> = Vec::new();
        let mut beats: Vec<&Beat> = Vec::new();
        for work in batch {
            match work {
                Work::Events(e) => events.extend(e),
                Work::Heartbeat(b) => beats.push(b),
            }
        }
        let tx = self.db.begin().await?;
        let inserted = store::insert_events_returning(&tx, &events).await?;
        store::upsert_heartbeats(&tx, &beats).await?;
        tx.commit().await?;
        Ok(batch
            .iter()
            .map(|work| {
                Ok(match work {
                    Work::Events(events) => {
                        let accepted = events.iter().filter(|e| inserted.contains(&e.id)).count();
                        let accepted = u64::try_from(accepted).unwrap_or(u64::MAX);
                        let total = u64::try_from(events.len()).unwrap_or(u64::MAX);
                        Stored {
                            accepted,
                            duplicates: total.saturating_sub(accepted),
                        }
                    }
                    Work::Heartbeat(_) => Stored::default(),
                })
            })
            .collect())
    }

    /// Risk engine: every session that gained events, together in one
    /// transaction, before the requests are answered (so an acknowledged
    /// batch has been judged).
    async fn settled(&self, batch: &[Work], results: &[Result<Stored, BatchError<NoRefusal>>]) {
        let sessions: Vec<Uuid> = batch
            .iter()
            .zip(results)
            .filter_map(|(work, r)| match (work, r) {
                (Work::Events(e), Ok(r)) if r.accepted > 0 => e.first().map(|e| e.session_id),
                _ => None,
            })
            .collect();
        if sessions.is_empty() {
            return;
        }
        if let Err(e) =
            risk::evaluate_sessions(&self.db, &self.live, &sessions, self.clock.now()).await
        {
            tracing::warn!(sessions = sessions.len(), error = %e, "risk evaluation failed; the events are stored");
        }
    }
}
