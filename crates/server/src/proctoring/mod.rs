//! Proctoring: event ingest, heartbeats and the watchdog, phone pairing,
//! the risk engine's flags, and the live feed.
//!
//! - [`ingest`]: `POST /sessions/{s}/events` and `/heartbeat` through the
//!   group-commit [`writer`]; SYSTEM events of the server go the same way.
//! - [`risk`]: after every committed batch, the org's rules over each
//!   affected session's events: new flags, the violation score, FLAGGED.
//! - [`pairing`]: the phone as a second camera (one-time token, DEVICE
//!   credential bound to one session); [`auth::DeviceOrCandidate`] accepts it.
//! - [`watchdog`]: sources of running sessions that went quiet.
//! - [`live`]: the proctors' live feed (broadcast in process, LISTEN/NOTIFY
//!   across replicas on PostgreSQL).
//!
//! Late events: a finished session (SUBMITTED, AUTO_SUBMITTED, TERMINATED)
//! still accepts events and heartbeats for `grace_seconds` after it
//! finished, so a client can flush what it queued while offline; later ones
//! get 409 `session_closed`.

pub mod auth;
pub mod ingest;
pub mod live;
pub mod pairing;
pub mod risk;
pub mod routes;
pub mod watchdog;
pub mod writer;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use invigil_domain::proctoring::EventSource;
use invigil_store::Db;
use invigil_store::delivery::Session;
use invigil_store::proctoring::entities::EventMeta;
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::Config;
use crate::http::error::ApiError;
use crate::state::{AppState, Background};

pub use ingest::second_device_login;
pub use live::{LiveHub, publish_session_change};

/// The proctoring parts of the application state: the event writer, the
/// heartbeat writer and the live hub.
#[derive(Clone)]
pub struct Proctoring {
    pub events: writer::EventWriter,
    /// Heartbeats have a writer of their own, so they never wait behind the
    /// risk engine judging a batch of events. Admission is the events'
    /// (`events_max_in_flight` bounds both).
    pub beats: writer::EventWriter,
    pub live: LiveHub,
}

impl Proctoring {
    /// Starts the event writer and, on PostgreSQL, the live-feed listener.
    pub fn new(db: &Db, config: &Config, clock: Arc<dyn Clock>, background: &Background) -> Self {
        let live = LiveHub::new(db, background);
        let writer = |name: &'static str| {
            let (writer, task) = writer::EventWriter::new(
                db.clone(),
                Arc::clone(&clock),
                live.clone(),
                config.autosave_batch_max,
                config.autosave_queue_capacity,
                config.events_max_in_flight,
                background.token(),
            );
            background.spawn(name, task);
            writer
        };
        let events = writer("event-writer");
        let beats = writer("heartbeat-writer");
        Proctoring {
            events,
            beats,
            live,
        }
    }
}

/// Whether a session still takes events and heartbeats at `now`: while it
/// runs (IN_PROGRESS or PAUSED), and for `grace` after it finished.
pub fn check_open(s: &Session, now: DateTime<Utc>, grace: TimeDelta) -> Result<(), ApiError> {
    match s.finished_at {
        Some(f) if now > f + grace => Err(ApiError::conflict_code(
            "session_closed",
            "the session is over; it takes no more events",
        )),
        _ => Ok(()),
    }
}

/// The configured skew allowed for `occurred_at` in the future.
pub fn skew(state: &AppState) -> TimeDelta {
    TimeDelta::seconds(i64::try_from(state.config.event_skew_secs).unwrap_or(30))
}

/// The value of `key` in an organization's settings (a JSON object in
/// TEXT); `None` when absent or null. Settings that are not JSON are logged
/// with the organization's id (and read as empty, so its defaults apply).
pub fn org_setting(org_id: Uuid, settings: &str, key: &str) -> Option<serde_json::Value> {
    org_settings(org_id, settings)
        .get(key)
        .filter(|v| !v.is_null())
        .cloned()
}

/// An organization's settings object; `null` (every default) when the
/// stored text is not JSON, which is logged.
pub fn org_settings(org_id: Uuid, settings: &str) -> serde_json::Value {
    serde_json::from_str(settings).unwrap_or_else(|e| {
        tracing::error!(%org_id, error = %e, "organization settings are not JSON; using the defaults");
        serde_json::Value::Null
    })
}

/// `{"device": source}` plus `extra`, the meta of the server's SYSTEM events.
pub fn system_meta(device: EventSource, extra: serde_json::Value) -> EventMeta {
    let mut map = serde_json::Map::new();
    map.insert(
        "device".into(),
        serde_json::Value::String(device.name().to_owned()),
    );
    if let serde_json::Value::Object(extra) = extra {
        for (k, v) in extra {
            map.entry(k).or_insert(v);
        }
    }
    EventMeta(map)
}
