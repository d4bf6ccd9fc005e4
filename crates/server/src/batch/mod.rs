//! Group commit, shared by the autosave writer (`delivery::writer`) and the
//! event writer (`proctoring::writer`). Requests hand a job to one worker
//! through a bounded queue and wait; the worker takes whatever is waiting (up
//! to `batch_max` jobs, `recv_many`), writes it in one transaction through a
//! [`BatchWrite`], and only then answers each job: a job is acknowledged only
//! after its transaction committed. A full queue refuses at once
//! ([`BatchError::Overloaded`], 503 with `Retry-After`) instead of growing
//! memory.
//!
//! One bad job never refuses the others: when a batch fails, each job is
//! written on its own; a job the database refuses for its data gets 422 (it
//! would fail again), a transient failure 503.
//!
//! On shutdown (the token is cancelled) the worker refuses new jobs and
//! writes everything already queued before it stops; the worker is the future
//! [`Batcher::start`] returns, run by `state::Background` with the other
//! long-running tasks on one `TaskTracker`.

pub mod admission;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use invigil_store::StoreError;

pub use admission::{Admission, overloaded};

use crate::http::error::ApiError;

/// What one kind of batch writes, and how.
pub trait BatchWrite: Send + Sync + 'static {
    /// What a request hands over.
    type Job: Send + Sync + 'static;
    /// What a stored job answers with.
    type Done: Send + Sync + 'static;
    /// Why a job is refused on its own merits (the batch still commits).
    type Refusal: Send + Sync + 'static;

    /// The kind named in logs and metrics (`autosave`, `events`).
    const KIND: &'static str;

    /// How much of [`BatchOptions::max_weight`] a job takes.
    fn weight(&self, _job: &Self::Job) -> usize {
        1
    }

    /// The request field a job is reported under when the database refuses it.
    fn field(&self, job: &Self::Job) -> &'static str;

    /// Writes `jobs` in one transaction: one result per job, in order. An
    /// `Err` means nothing was committed.
    fn write(
        &self,
        jobs: &[Self::Job],
    ) -> impl Future<Output = Written<Self::Done, Self::Refusal>> + Send;

    /// Runs after a batch is written and before its jobs are answered.
    fn settled(
        &self,
        _jobs: &[Self::Job],
        _results: &[Result<Self::Done, BatchError<Self::Refusal>>],
    ) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// What a batch write answers: one result per job, or a failed transaction.
pub type Written<D, R> = Result<Vec<Result<D, R>>, StoreError>;

/// How the worker groups jobs.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Most jobs taken from the queue at once.
    pub batch_max: usize,
    /// A transaction takes jobs while their weight is below this.
    pub max_weight: usize,
    /// Room in the queue.
    pub capacity: usize,
    /// Requests of this kind admitted at once ([`Admission`]).
    pub max_in_flight: usize,
}

/// Why a job was not stored.
#[derive(Debug, thiserror::Error)]
pub enum BatchError<R> {
    /// The queue is full, the writer stopped or the write failed for a
    /// passing reason: try again (503).
    #[error("the writer cannot take this now")]
    Overloaded,
    /// The database refused this job's data; sending it again will not help.
    #[error("the database refused the data of `{field}`")]
    Refused { field: &'static str },
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// The writer's own verdict on the job.
    #[error("refused")]
    Job(R),
}

impl<R: Into<ApiError>> From<BatchError<R>> for ApiError {
    fn from(e: BatchError<R>) -> Self {
        match e {
            BatchError::Overloaded => overloaded(),
            BatchError::Refused { field } => ApiError::field(
                field,
                "the database refused to store this; sending it again will not help",
            ),
            BatchError::NotFound => ApiError::NotFound,
            BatchError::Conflict(detail) => ApiError::conflict(detail),
            BatchError::Job(r) => r.into(),
        }
    }
}

impl<R: Into<ApiError>> IntoResponse for BatchError<R> {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// The answer to a job whose write failed on its own.
fn single_failure<R>(kind: &str, field: &'static str, e: &StoreError) -> BatchError<R> {
    match e {
        StoreError::Db(db) if invigil_store::db::is_data_error(db) => {
            tracing::warn!(error = %e, kind, "write refused by the database; answered 422");
            BatchError::Refused { field }
        }
        StoreError::NotFound => BatchError::NotFound,
        StoreError::Conflict(detail) => BatchError::Conflict(detail.clone()),
        _ => {
            tracing::error!(error = %e, kind, "write failed; not acknowledged");
            BatchError::Overloaded
        }
    }
}

/// A pause of a writer between batches, for tests that need work to wait
/// (e.g. a save arriving before a deadline and committed after it).
/// Dropping it lets the writer go on.
pub struct WriterHold {
    _guard: OwnedRwLockWriteGuard<()>,
}

/// What the worker and the handles share besides the queue.
#[derive(Clone, Default)]
struct Control {
    gate: Arc<RwLock<()>>,
    queued: Arc<AtomicUsize>,
}

impl Control {
    /// Runs `f` while counting one queued job (uncounted again when `f`
    /// ends or is dropped).
    async fn counted<T>(&self, f: impl Future<Output = T>) -> T {
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
    async fn pass(&self) {
        drop(self.gate.read().await);
    }
}

type Reply<W> =
    oneshot::Sender<Result<<W as BatchWrite>::Done, BatchError<<W as BatchWrite>::Refusal>>>;

/// What travels through the queue: a job, or a marker answered once every
/// job queued before it is written.
enum Msg<W: BatchWrite> {
    Job(W::Job, Reply<W>),
    Flush(oneshot::Sender<()>),
}

/// The handle requests use to queue jobs.
pub struct Batcher<W: BatchWrite> {
    tx: mpsc::Sender<Msg<W>>,
    control: Control,
    /// Bounds the requests of this kind in flight.
    pub admission: Admission,
}

impl<W: BatchWrite> Clone for Batcher<W> {
    fn clone(&self) -> Self {
        Batcher {
            tx: self.tx.clone(),
            control: self.control.clone(),
            admission: self.admission.clone(),
        }
    }
}

impl<W: BatchWrite> Batcher<W> {
    /// The batcher and its worker: the caller spawns the returned future
    /// once (`state::Background::spawn`, which awaits it on shutdown and logs
    /// a crash); it stops, after writing what is queued, when `token` is
    /// cancelled.
    pub fn start(
        writer: W,
        options: BatchOptions,
        token: CancellationToken,
    ) -> (Self, impl Future<Output = ()> + Send + 'static) {
        let (tx, rx) = mpsc::channel(options.capacity.max(1));
        let control = Control::default();
        let worker = Worker {
            writer,
            batch_max: options.batch_max.max(1),
            max_weight: options.max_weight.max(1),
        };
        let run = worker.run(rx, token, control.clone());
        let batcher = Batcher {
            tx,
            control,
            admission: Admission::new(W::KIND, options.max_in_flight),
        };
        (batcher, run)
    }

    /// Queues a job and waits until it is written (or refused).
    pub async fn submit(&self, job: W::Job) -> Result<W::Done, BatchError<W::Refusal>> {
        self.control
            .counted(async {
                let (reply, wait) = oneshot::channel();
                self.tx
                    .try_send(Msg::Job(job, reply))
                    .map_err(|_| BatchError::Overloaded)?;
                wait.await.map_err(|_| BatchError::Overloaded)?
            })
            .await
    }

    /// Waits until every job queued so far is written or refused.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// Test hook: pauses the worker before its next batch until the
    /// returned guard is dropped.
    pub async fn hold(&self) -> WriterHold {
        WriterHold {
            _guard: self.control.gate.clone().write_owned().await,
        }
    }

    /// Jobs handed to the worker and not answered yet.
    pub fn queued(&self) -> usize {
        self.control.queued.load(Ordering::Acquire)
    }
}

struct Worker<W> {
    writer: W,
    batch_max: usize,
    max_weight: usize,
}

impl<W: BatchWrite> Worker<W> {
    async fn run(self, mut rx: mpsc::Receiver<Msg<W>>, token: CancellationToken, control: Control) {
        let mut msgs = Vec::with_capacity(self.batch_max);
        loop {
            let received = tokio::select! {
                n = rx.recv_many(&mut msgs, self.batch_max) => n,
                _ = token.cancelled() => 0,
            };
            if received == 0 {
                break;
            }
            control.pass().await;
            // What arrived while a test held the writer joins this batch.
            while msgs.len() < self.batch_max {
                match rx.try_recv() {
                    Ok(msg) => msgs.push(msg),
                    Err(_) => break,
                }
            }
            self.handle(msgs.drain(..)).await;
        }
        // Shutdown: refuse new jobs, write everything already queued.
        rx.close();
        while rx.recv_many(&mut msgs, self.batch_max).await > 0 {
            self.handle(msgs.drain(..)).await;
        }
    }

    /// Writes the jobs among `msgs` (one transaction per `max_weight`), then
    /// answers the flush markers.
    async fn handle(&self, msgs: impl Iterator<Item = Msg<W>>) {
        let mut jobs = Vec::new();
        let mut replies = Vec::new();
        let mut flushes = Vec::new();
        let mut weight = 0;
        for msg in msgs {
            match msg {
                Msg::Job(job, reply) => {
                    if weight >= self.max_weight {
                        self.commit(std::mem::take(&mut jobs), std::mem::take(&mut replies))
                            .await;
                        weight = 0;
                    }
                    weight += self.writer.weight(&job);
                    jobs.push(job);
                    replies.push(reply);
                }
                Msg::Flush(done) => flushes.push(done),
            }
        }
        if !jobs.is_empty() {
            self.commit(jobs, replies).await;
        }
        for done in flushes {
            let _ = done.send(());
        }
    }

    async fn commit(&self, jobs: Vec<W::Job>, replies: Vec<Reply<W>>) {
        let results: Vec<Result<W::Done, BatchError<W::Refusal>>> = match self
            .writer
            .write(&jobs)
            .await
        {
            Ok(results) => results
                .into_iter()
                .map(|r| r.map_err(BatchError::Job))
                .collect(),
            Err(e) if jobs.len() > 1 => {
                // One bad job must not take its neighbours down: write
                // each on its own, so only the failing one is refused.
                tracing::warn!(error = %e, kind = W::KIND, jobs = jobs.len(), "batch failed; retrying its jobs one by one");
                let mut results = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    results.push(match self.writer.write(std::slice::from_ref(job)).await {
                        Ok(mut r) => match r.pop() {
                            Some(r) => r.map_err(BatchError::Job),
                            None => Err(BatchError::Overloaded),
                        },
                        Err(e) => Err(single_failure(W::KIND, self.writer.field(job), &e)),
                    });
                }
                results
            }
            Err(e) => jobs
                .iter()
                .map(|job| Err(single_failure(W::KIND, self.writer.field(job), &e)))
                .collect(),
        };
        self.writer.settled(&jobs, &results).await;
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records each transaction's jobs; a transaction holding a job above
    /// 100 fails as a whole, a job of 0 is refused on its own.
    #[derive(Default)]
    struct Fake {
        commits: Arc<Mutex<Vec<Vec<u32>>>>,
    }

    impl BatchWrite for Fake {
        type Job = u32;
        type Done = u32;
        type Refusal = &'static str;
        const KIND: &'static str = "test";

        fn weight(&self, job: &u32) -> usize {
            usize::try_from(*job).unwrap_or(1).clamp(1, 10)
        }

        fn field(&self, _job: &u32) -> &'static str {
            "n"
        }

        async fn write(&self, jobs: &[u32]) -> Written<u32, &'static str> {
            if jobs.iter().any(|j| *j > 100) {
                return Err(StoreError::Conflict("too big".into()));
            }
            self.commits.lock().unwrap().push(jobs.to_vec());
            Ok(jobs
                .iter()
                .map(|j| if *j == 0 { Err("zero") } else { Ok(j * 2) })
                .collect())
        }
    }

    fn options(max_weight: usize) -> BatchOptions {
        BatchOptions {
            batch_max: 100,
            max_weight,
            capacity: 100,
            max_in_flight: 100,
        }
    }

    #[tokio::test]
    async fn one_transaction_per_weight_and_one_bad_job_refused_alone() {
        let fake = Fake::default();
        let commits = fake.commits.clone();
        let token = CancellationToken::new();
        let (batcher, stopped) = Batcher::start(fake, options(12), token.clone());
        let stopped = tokio::spawn(stopped);
        let hold = batcher.hold().await;
        let jobs = [5, 5, 5, 0, 200, 1];
        let waits: Vec<_> = jobs
            .iter()
            .map(|j| {
                let b = batcher.clone();
                let j = *j;
                tokio::spawn(async move { b.submit(j).await })
            })
            .collect();
        while batcher.queued() < jobs.len() {
            tokio::task::yield_now().await;
        }
        drop(hold);
        let mut answers = Vec::new();
        for w in waits {
            answers.push(w.await.unwrap());
        }
        let by_job: Vec<(u32, String)> = jobs
            .iter()
            .zip(&answers)
            .map(|(j, a)| {
                let a = match a {
                    Ok(v) => v.to_string(),
                    Err(BatchError::Job(r)) => (*r).to_owned(),
                    Err(BatchError::Conflict(d)) => format!("conflict {d}"),
                    Err(e) => e.to_string(),
                };
                (*j, a)
            })
            .collect();
        assert!(by_job.contains(&(5, "10".into())), "{by_job:?}");
        assert!(by_job.contains(&(0, "zero".into())), "{by_job:?}");
        assert!(
            by_job.contains(&(200, "conflict too big".into())),
            "{by_job:?}"
        );
        assert!(by_job.contains(&(1, "2".into())), "{by_job:?}");
        // Every transaction stays within the weight (a job of 200 weighs 10).
        for c in commits.lock().unwrap().iter() {
            let w: u32 = c.iter().map(|j| (*j).clamp(1, 10)).sum();
            assert!(w <= 12 + 10, "{c:?}");
        }
        token.cancel();
        stopped.await.unwrap();
        assert!(matches!(
            batcher.submit(1).await,
            Err(BatchError::Overloaded)
        ));
    }

    #[tokio::test]
    async fn shutdown_writes_what_is_queued_and_flush_waits() {
        let fake = Fake::default();
        let commits = fake.commits.clone();
        let token = CancellationToken::new();
        let (batcher, stopped) = Batcher::start(fake, options(usize::MAX), token.clone());
        let stopped = tokio::spawn(stopped);
        assert_eq!(batcher.submit(3).await.unwrap(), 6);
        batcher.flush().await;
        let hold = batcher.hold().await;
        let b = batcher.clone();
        let queued = tokio::spawn(async move { b.submit(4).await });
        while batcher.queued() < 1 {
            tokio::task::yield_now().await;
        }
        token.cancel();
        drop(hold);
        assert_eq!(queued.await.unwrap().unwrap(), 8);
        stopped.await.unwrap();
        let all: Vec<u32> = commits.lock().unwrap().concat();
        assert_eq!(all, vec![3, 4]);
    }
}
