//! Background jobs. Each job runs on an interval while this replica holds its
//! lease in the database, so two replicas never run the same job at once. The
//! job bodies are plain functions, so tests call them directly.

use std::future::Future;
use std::time::Duration;

use chrono::Duration as ChronoDuration;

use invigil_store::identity::{one_time, sessions, throttle};
use invigil_store::outbox;

use crate::state::AppState;

/// Starts every job of the application.
pub fn spawn_all(state: &AppState) {
    // Not leased: every replica empties its own cache.
    crate::delivery::hot::watch_epoch(state);
    // Not leased either: linking is safe on several replicas at once.
    link_audit(state);
    spawn_leased(state, "cleanup", Duration::from_secs(600), |s| async move {
        cleanup(&s).await.map(|_| ())
    });
    spawn_leased(
        state,
        "auto-submit",
        Duration::from_secs(state.config.sweep_interval_secs),
        |s| async move { crate::delivery::service::sweep(&s).await.map(|_| ()) },
    );
    spawn_leased(
        state,
        "heartbeat-watchdog",
        Duration::from_secs(state.config.watchdog_interval_secs),
        |s| async move { crate::proctoring::watchdog::watchdog(&s).await.map(|_| ()) },
    );
    spawn_leased(
        state,
        "evidence-purge",
        Duration::from_secs(3600),
        |s| async move { crate::review::evidence::purge(&s).await.map(|_| ()) },
    );
    spawn_leased(
        state,
        "live-reminders",
        Duration::from_secs(60),
        |s| async move { crate::live::reminders::send_due(&s).await.map(|_| ()) },
    );
    spawn_leased(
        state,
        "practice-purge",
        Duration::from_secs(3600),
        |s| async move { crate::practice::service::purge(&s).await.map(|_| ()) },
    );
    // A persistence matter the store answers (SQLite keeps a WAL file).
    if state.db.has_wal() {
        spawn_leased(
            state,
            "wal-checkpoint",
            Duration::from_secs(state.config.wal_checkpoint_interval_secs),
            |s| async move { wal_checkpoint(&s).await.map(|_| ()) },
        );
    }
    if state.config.smtp_url.is_some() {
        spawn_leased(
            state,
            "outbox",
            Duration::from_secs(5),
            crate::mail::deliver_due,
        );
    }
}

/// How often the audit linker looks for pending entries.
const AUDIT_LINK_INTERVAL: Duration = Duration::from_millis(200);

/// Puts committed audit entries on their chains a moment after their change
/// (readers of the log link first anyway, so they never miss one).
fn link_audit(state: &AppState) {
    let s = state.clone();
    let token = state.background.token();
    state.background.spawn("audit-linker", async move {
        let mut tick = tokio::time::interval(AUDIT_LINK_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => {}
            }
            if let Err(e) = invigil_store::audit::link_pending(&s.db).await {
                tracing::warn!(error = %e, "linking audit entries failed; retrying");
            }
        }
    });
}

/// What a clean-up run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CleanupReport {
    pub sessions: u64,
    pub one_time_tokens: u64,
    pub throttles: u64,
    pub mails: u64,
    pub idempotency_keys: u64,
    /// Single sign-ons started and never finished.
    pub sso_states: u64,
}

/// Deletes expired sessions and tokens (seed 003: sessions past `expires_at`
/// are removed), stale login throttles, delivered mails older than a week
/// and abandoned single sign-ons.
pub async fn cleanup(state: &AppState) -> anyhow::Result<CleanupReport> {
    let now = state.now();
    let db = state.db.write();
    let report = CleanupReport {
        sessions: sessions::delete_expired(db, now, ChronoDuration::days(7)).await?,
        one_time_tokens: one_time::delete_expired(db, now).await?,
        throttles: throttle::cleanup(db, now - ChronoDuration::days(1)).await?,
        mails: outbox::delete_sent_before(db, now - ChronoDuration::days(7)).await?,
        idempotency_keys: invigil_store::idempotency::delete_before(
            db,
            now - ChronoDuration::days(1),
        )
        .await?,
        sso_states: invigil_store::sso::delete_expired_states(db, now).await?,
    };
    tracing::info!(?report, "clean-up done");
    Ok(report)
}

/// SQLite housekeeping: checkpoints the WAL and truncates it to zero bytes
/// when no reader is behind, so it does not grow without bound. Never waits
/// for the writer (autosaves) for more than a moment: a busy round is
/// skipped and the next one tries again. Nothing to do on PostgreSQL.
pub async fn wal_checkpoint(
    state: &AppState,
) -> anyhow::Result<Option<invigil_store::db::WalCheckpoint>> {
    let done = state.db.checkpoint_wal().await?;
    if let Some(c) = &done {
        tracing::debug!(?c, "WAL checkpoint");
        if !c.truncated && c.wal_bytes_after > 256 * 1024 * 1024 {
            tracing::warn!(
                wal_bytes = c.wal_bytes_after,
                "the SQLite WAL stays large: a long-running reader keeps it from being truncated"
            );
        }
    }
    Ok(done)
}

/// Runs `job` every `every` while holding the lease `name`.
pub fn spawn_leased<F, Fut>(state: &AppState, name: &'static str, every: Duration, job: F)
where
    F: Fn(AppState) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let holder = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4());
    let token = state.background.token();
    let st = state.clone();
    state.background.spawn(name, async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                _ = tick.tick() => {}
            }
            let now = st.now();
            let lease = ChronoDuration::from_std(every * 4)
                .unwrap_or(ChronoDuration::minutes(1))
                .max(ChronoDuration::seconds(30));
            match invigil_store::jobs::try_lease(&st.db, name, &holder, now, now + lease).await {
                Ok(true) => {
                    if let Err(e) = job(st.clone()).await {
                        tracing::warn!(job = name, error = %e, "job failed");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(job = name, error = %e, "cannot take job lease"),
            }
        }
        let _ = invigil_store::jobs::release(&st.db, name, &holder, st.now()).await;
    });
}
