//! Shared application state and the background-task registry that graceful
//! shutdown drains.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use invigil_store::Db;

use crate::clock::Clock;
use crate::config::Config;
use crate::delivery::writer::AnswerWriter;
use crate::identity::crypto::Hasher;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

pub struct StateInner {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub background: Background,
    pub hasher: Arc<Hasher>,
    /// The group-commit writer of answer saves.
    pub answers: AnswerWriter,
    /// Proctoring: the event writer and the live-feed hub.
    pub proctoring: crate::proctoring::Proctoring,
    /// What the autosave path keeps in memory between saves.
    pub hot: crate::delivery::hot::HotCache,
    /// The question pools exam starts draw from, per bank version.
    pub pools: crate::delivery::pool::PoolCache,
    /// Turns for exam starts and submits (`sessions_max_in_flight`).
    pub sessions: crate::batch::Admission,
    /// Where uploaded files and evidence frames are kept.
    pub blobs: crate::files::blob::Blobs,
    /// Single sign-on: the providers' discovery documents and keys.
    pub sso: crate::sso::cache::ProviderCache,
}

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.inner
    }
}

impl AppState {
    /// Builds the state and starts its writer tasks (needs a Tokio runtime).
    pub fn new(db: Db, config: Config, clock: Arc<dyn Clock>) -> Self {
        let background = Background::default();
        let (answers, writer) = AnswerWriter::new(
            db.clone(),
            clock.clone(),
            config.grace(),
            config.autosave_batch_max,
            config.autosave_queue_capacity,
            config.autosave_max_in_flight,
            background.token(),
        );
        background.spawn("answer-writer", writer);
        let proctoring =
            crate::proctoring::Proctoring::new(&db, &config, clock.clone(), &background);
        let hot = crate::delivery::hot::HotCache::new(
            std::time::Duration::from_millis(config.hot_cache_ttl_ms),
            config.hot_cache_capacity,
        );
        let sessions = crate::batch::Admission::new("sessions", config.sessions_max_in_flight);
        // `app::start_state` checks the configuration's store first; a
        // state made another way (tests, benches) falls back to local disk.
        let blobs = crate::files::blob::Blobs::from_config(&config).unwrap_or_else(|e| {
            tracing::error!(error = %e, "blob store unavailable: using local disk");
            crate::files::blob::Blobs::local(&config.data_dir)
        });
        AppState {
            inner: Arc::new(StateInner {
                db,
                config: Arc::new(config),
                clock,
                background,
                // One hashing at a time: at most one core for password work.
                hasher: Hasher::owasp(1),
                answers,
                proctoring,
                hot,
                pools: Default::default(),
                sessions,
                blobs,
                sso: crate::sso::cache::ProviderCache::default(),
            }),
        }
    }

    /// A turn for a session start or submit: waits up to
    /// `sessions_admission_wait_ms`, then 503 `overloaded` + `Retry-After`.
    /// Hold it until the transaction is done.
    pub async fn session_turn(
        &self,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, crate::http::error::ApiError> {
        let wait = std::time::Duration::from_millis(self.config.sessions_admission_wait_ms);
        self.sessions.admit_within(wait).await
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Long-running tasks (write batchers, job loops). On shutdown the token is
/// cancelled and every task is awaited, so batched writes are flushed before
/// the process exits.
#[derive(Default)]
pub struct Background {
    token: CancellationToken,
    tasks: TaskTracker,
}

impl Background {
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub fn spawn<F>(&self, name: &str, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(fut);
        let name = name.to_owned();
        // The tracker waits for the task's end and reports a crash by name.
        self.tasks.spawn(async move {
            if let Err(e) = handle.await {
                tracing::error!(task = %name, error = %e, "background task failed");
            }
        });
    }

    /// Cancels every task and waits for each to finish its current work.
    pub async fn shutdown(&self) {
        self.token.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }
}
