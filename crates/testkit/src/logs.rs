//! Log capture for tests, deterministic under parallel tests.
//!
//! Why not `future.with_subscriber(fmt().finish())`: tracing caches, per
//! callsite and process-wide, whether any subscriber wants its events. With
//! one scoped subscriber alive, a callsite first reached on *another* thread
//! (another test, a spawned task) is asked of that thread's default, the
//! no-op subscriber, and cached as "never"; and the global maximum level is
//! recomputed from whichever scoped subscribers are alive when the next one is
//! created. Whether the capture saw an event then depended on which test ran
//! first on which thread (the flaky `tokens_never_appear_in_logs`).
//!
//! Here one global subscriber, installed once before any app runs, is
//! interested in every callsite at every level, so nothing is cached as
//! "never". Its only layer formats an event only while a [`capture`]d future
//! is being polled on the current thread, into that future's own buffer.
//! Events of spawned tasks and of other tests go nowhere.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll};

use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context as LayerContext, Filter, SubscriberExt};

type Sink = Arc<Mutex<Vec<u8>>>;

thread_local! {
    static CURRENT: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

fn capturing() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// Writes into the buffer of the capture running on this thread.
struct ThreadSink;

impl std::io::Write for ThreadSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CURRENT.with(|c| {
            if let Some(sink) = c.borrow().as_ref() {
                sink.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Enables everything while a capture runs on this thread. Its interest is
/// "sometimes" for every callsite, so nothing is cached either way (unlike
/// `filter_fn`, which caches its first answer per callsite).
struct WhileCapturing;

impl<S: Subscriber> Filter<S> for WhileCapturing {
    fn enabled(&self, _: &Metadata<'_>, _: &LayerContext<'_, S>) -> bool {
        capturing()
    }
    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
}

static INSTALL: Once = Once::new();

/// Installs the process-wide capturing subscriber (idempotent). Called when
/// any test app is made, so it is in place before the first request.
pub fn install() {
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_writer(|| ThreadSink)
            .with_ansi(false)
            .with_target(true)
            .with_filter(WhileCapturing);
        let subscriber = tracing_subscriber::registry().with(layer);
        if tracing::subscriber::set_global_default(subscriber).is_ok() {
            // A callsite registered by another thread while the global
            // default was being set may have cached "never": ask again.
            tracing::callsite::rebuild_interest_cache();
        }
    });
}

/// Polls the inner future with this thread's capture set to its buffer.
struct Capturing<F> {
    inner: Pin<Box<F>>,
    sink: Sink,
}

impl<F: Future> Future for Capturing<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let sink = self.sink.clone();
        let previous = CURRENT.with(|c| c.replace(Some(sink)));
        let out = self.inner.as_mut().poll(cx);
        CURRENT.with(|c| c.replace(previous));
        out
    }
}

/// Runs `fut` and returns its output with every log line (all levels,
/// without colours) that it emitted on its own task.
pub async fn capture<F: Future>(fut: F) -> (Vec<String>, F::Output) {
    install();
    let sink: Sink = Arc::default();
    let out = Capturing {
        inner: Box::pin(fut),
        sink: sink.clone(),
    }
    .await;
    let text = String::from_utf8_lossy(&sink.lock().unwrap()).into_owned();
    (text.lines().map(str::to_owned).collect(), out)
}
