//! Background jobs. Each job runs on an interval while this replica holds its
//! lease in the database, so two replicas never run the same job at once.

use std::future::Future;
use std::time::Duration;

use chrono::Duration as ChronoDuration;

use crate::state::AppState;

/// Starts every job of the application.
pub fn spawn_all(_state: &AppState) {}

/// Runs `job` every `every` while holding the lease `name`.
#[allow(dead_code)]
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
