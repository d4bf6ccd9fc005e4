//! Admission: bounds the requests of one kind (autosave, events, session
//! starts and submits) in flight in this process before they touch the
//! database. `try_admit` never waits: over the limit a request gets 503
//! `overloaded` with `Retry-After`. `admit_within` waits a bounded time for a
//! turn first (a short queue in front of heavy transactions), then the same 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::error::ApiError;

/// Seconds a refused client is asked to wait.
pub const RETRY_AFTER_SECS: u64 = 1;
/// Overload is logged at most once per this interval, with a count.
const OVERLOAD_LOG_EVERY: Duration = Duration::from_secs(10);

/// 503 `overloaded` with `Retry-After`.
pub fn overloaded() -> ApiError {
    ApiError::Overloaded {
        retry_after_secs: RETRY_AFTER_SECS,
    }
}

/// Counts refusals and logs them once per interval instead of per request.
struct OverloadLog {
    refused: AtomicU64,
    last: std::sync::Mutex<Option<Instant>>,
}

/// Bounds how many requests of one kind are in flight (see the module docs).
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
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| self.refuse())
    }

    /// A permit, waiting at most `wait` for one; then 503.
    pub async fn admit_within(&self, wait: Duration) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        match tokio::time::timeout(wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out (or the semaphore closed, which it never is).
            _ => Err(self.refuse()),
        }
    }

    /// Counts and logs a refusal; the 503 to answer.
    fn refuse(&self) -> ApiError {
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
    }

    /// Permits free now (tests, metrics).
    pub fn available(&self) -> usize {
        self.permits.available_permits()
    }
}
