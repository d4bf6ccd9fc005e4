//! The reminder job: `live_reminder_minutes` before a live class starts,
//! every participant gets one `live_session_reminder` notification. The
//! participant's `reminded_at` is set in the same transaction as the
//! notification, only where it is still empty, so a reminder is never sent
//! twice: not by a second run, not after a restart, not by another replica.

use chrono::Duration;

use invigil_domain::notify::live::reminder_due;
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_store::live as store;

use super::service::{LEARNER_PAGE, when};
use crate::notify::{Notice, Vars};
use crate::state::AppState;

/// Most reminders one run sends (the next run sends the rest).
const BATCH: u64 = 500;

/// Sends the reminders due now; how many were sent.
pub async fn send_due(state: &AppState) -> anyhow::Result<u64> {
    let now = state.now();
    let lead = i64::try_from(state.config.live_reminder_minutes).unwrap_or(i64::MAX / 2);
    let until = now + Duration::minutes(lead);
    let due = store::due_reminders(state.db.read(), now, until, BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let tx = state.db.begin().await?;
    let mut sent = 0;
    for (p, s) in due {
        if !reminder_due(s.status, s.scheduled_at, lead, now)
            || !store::mark_reminded(&tx, p.id, now).await?
        {
            continue;
        }
        let minutes = (s.scheduled_at - now).num_seconds().div_euclid(60) + 1;
        crate::notify::send(
            &tx,
            state,
            Notice {
                org_id: Some(s.org_id),
                user_id: p.user_id,
                kind: NoticeKind::LiveSession,
                priority: Priority::High,
                template_key: "live_session_reminder",
                vars: Vars::new()
                    .set("title", s.title.clone())
                    .set("starts_at", when(s.scheduled_at))
                    .set("minutes", minutes.min(lead).to_string()),
                link: Some(LEARNER_PAGE.into()),
            },
        )
        .await?;
        sent += 1;
    }
    tx.commit().await?;
    if sent > 0 {
        tracing::info!(sent, "live session reminders sent");
    }
    Ok(sent)
}
