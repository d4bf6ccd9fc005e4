//! The heartbeat watchdog. Every source (LAPTOP, MOBILE) that has sent a
//! heartbeat for an IN_PROGRESS session is watched: when it has been quiet
//! for `heartbeat_timeout_secs`, a SYSTEM `HEARTBEAT_MISSED` (meta
//! `{"device": source}`) is recorded — again after every further timeout it
//! stays quiet — and for the phone, on the first miss, `DEVICE_DISCONNECTED`.
//! When a source declared missing sends a heartbeat again, the next run
//! records `DEVICE_RECONNECTED`. The rows change conditionally (only if no
//! heartbeat arrived meanwhile), so a race never emits twice.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use uuid::Uuid;

use invigil_domain::proctoring::{EventSource, EventType};
use invigil_store::proctoring as store;

use super::ingest::{SystemEvent, record_system_events};
use super::system_meta;
use crate::state::AppState;

/// Rows looked at per run and kind.
const PER_RUN: u64 = 1000;

/// One run; returns the number of SYSTEM events recorded.
pub async fn watchdog(state: &AppState) -> anyhow::Result<usize> {
    let now = state.now();
    let timeout =
        TimeDelta::seconds(i64::try_from(state.config.heartbeat_timeout_secs.max(1)).unwrap_or(45));
    let cutoff = now - timeout;
    let mut by_session: BTreeMap<(Uuid, Uuid), Vec<SystemEvent>> = BTreeMap::new();

    for hb in store::returned_sources(state.db.read(), PER_RUN).await? {
        if store::mark_returned(state.db.write(), &hb).await? {
            by_session
                .entry((hb.org_id, hb.session_id))
                .or_default()
                .push(SystemEvent {
                    event_type: EventType::DeviceReconnected,
                    occurred_at: hb.last_seen_at,
                    meta: system_meta(
                        hb.source,
                        serde_json::json!({ "missing_since": hb.missing_since }),
                    ),
                });
        }
    }
    for hb in store::quiet_sources(state.db.read(), cutoff, PER_RUN).await? {
        if !store::mark_missing(state.db.write(), &hb, now).await? {
            continue;
        }
        let events = by_session.entry((hb.org_id, hb.session_id)).or_default();
        let meta = system_meta(
            hb.source,
            serde_json::json!({ "last_seen_at": hb.last_seen_at }),
        );
        events.push(SystemEvent {
            event_type: EventType::HeartbeatMissed,
            occurred_at: now,
            meta: meta.clone(),
        });
        if hb.missing_since.is_none() && hb.source == EventSource::Mobile {
            events.push(SystemEvent {
                event_type: EventType::DeviceDisconnected,
                occurred_at: now,
                meta,
            });
        }
    }

    let mut recorded = 0;
    for ((org_id, session_id), events) in by_session {
        match record_system_events(state, org_id, session_id, events).await {
            Ok(n) => recorded += usize::try_from(n).unwrap_or(0),
            Err(e) => {
                tracing::warn!(session_id = %session_id, error = %e, "watchdog events not recorded")
            }
        }
    }
    if recorded > 0 {
        tracing::info!(recorded, "heartbeat watchdog recorded events");
    }
    Ok(recorded)
}
