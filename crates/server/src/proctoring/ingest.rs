//! Event ingest and heartbeats: validate with the domain, then hand the rows
//! to the group-commit writer. The server's own SYSTEM events (watchdog,
//! second device) take the same path, so the risk engine sees them too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::proctoring::{
    ClientEventInput, EventSource, EventType, ValidEvent, validate_client_events,
};
use invigil_store::delivery::Session;
use invigil_store::proctoring::entities::EventMeta;
use invigil_store::proctoring::{Beat, Event};

use super::auth::DeviceOrCandidate;
use super::writer::{NoRefusal, Stored, Work};
use super::{check_open, skew, system_meta};
use crate::batch::BatchError;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

/// One event as a client sends it (documentation of `ClientEventInput`).
#[derive(Debug, ToSchema)]
pub struct EventInput {
    /// The client's id of the event, 1..=128 characters; a repeat is a duplicate.
    pub client_event_id: String,
    /// LAPTOP (the candidate's credential) or MOBILE (the paired phone's).
    pub source: String,
    /// One of the 18 event types.
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1..=10; the type's default when absent.
    pub severity: Option<i64>,
    /// RFC 3339; at most `event_skew_secs` in the future.
    pub occurred_at: DateTime<Utc>,
    /// A JSON object of at most 4096 bytes.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub meta: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EventsBody {
    /// 1..=500 events.
    #[schema(value_type = Vec<EventInput>)]
    pub events: Vec<ClientEventInput>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsAccepted {
    /// Events stored by this request.
    pub accepted: u64,
    /// Events whose `client_event_id` was stored before (not stored again).
    pub duplicates: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct HeartbeatBody {
    /// LAPTOP or MOBILE: the source of the credential.
    pub source: String,
}

fn to_fields(errs: Vec<invigil_domain::proctoring::FieldError>) -> ApiError {
    ApiError::Validation(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.message))
            .collect(),
    )
}

fn row(s: &Session, e: ValidEvent, received_at: DateTime<Utc>) -> Event {
    Event {
        id: Uuid::now_v7(),
        org_id: s.org_id,
        session_id: s.id,
        client_event_id: Some(e.client_event_id),
        source: e.source,
        event_type: e.event_type,
        severity: i32::from(e.severity.get()),
        occurred_at: crate::clock::truncate(e.occurred_at),
        received_at,
        meta: e.meta.map(EventMeta),
        frame_id: None,
    }
}

/// `POST /sessions/{s}/events`.
#[tracing::instrument(skip_all, err, fields(session_id = %who.session.id))]
pub async fn post_events(
    state: &AppState,
    who: &DeviceOrCandidate,
    body: EventsBody,
) -> Result<EventsAccepted, ApiError> {
    let now = state.now();
    let valid =
        validate_client_events(&body.events, now, skew(state), who.kind).map_err(to_fields)?;
    check_open(&who.session, now, state.config.grace())?;
    let rows = valid
        .into_iter()
        .map(|e| row(&who.session, e, now))
        .collect();
    let Stored {
        accepted,
        duplicates,
    } = state.proctoring.events.submit(Work::Events(rows)).await?;
    metrics::counter!("proctoring_events_total", "outcome" => "accepted").increment(accepted);
    metrics::counter!("proctoring_events_total", "outcome" => "duplicate").increment(duplicates);
    Ok(EventsAccepted {
        accepted,
        duplicates,
    })
}

/// `POST /sessions/{s}/heartbeat`.
pub async fn heartbeat(
    state: &AppState,
    who: &DeviceOrCandidate,
    body: HeartbeatBody,
) -> Result<(), ApiError> {
    match EventSource::parse(body.source.trim()) {
        Some(s) if s == who.source => {}
        Some(EventSource::System) => {
            return Err(ApiError::field(
                "source",
                "SYSTEM is recorded by the server only",
            ));
        }
        Some(_) => {
            return Err(ApiError::field(
                "source",
                format!("this credential may only send {} heartbeats", who.source),
            ));
        }
        None => return Err(ApiError::field("source", "must be LAPTOP or MOBILE")),
    }
    let now = state.now();
    check_open(&who.session, now, state.config.grace())?;
    state
        .proctoring
        .beats
        .submit(Work::Heartbeat(Beat {
            session_id: who.session.id,
            org_id: who.session.org_id,
            source: who.source,
            at: now,
        }))
        .await?;
    Ok(())
}

/// A SYSTEM event to record.
#[derive(Debug, Clone)]
pub struct SystemEvent {
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    pub meta: EventMeta,
}

/// Records the server's own events of one session through the writer (and
/// so through the risk engine). Jobs call it (the heartbeat watchdog): it
/// answers the writer's error, not an HTTP one.
pub async fn record_system_events(
    state: &AppState,
    org_id: Uuid,
    session_id: Uuid,
    events: Vec<SystemEvent>,
) -> Result<u64, BatchError<NoRefusal>> {
    if events.is_empty() {
        return Ok(0);
    }
    let now = state.now();
    let rows = events
        .into_iter()
        .map(|e| Event {
            id: Uuid::now_v7(),
            org_id,
            session_id,
            client_event_id: None,
            source: EventSource::System,
            event_type: e.event_type,
            severity: i32::from(e.event_type.default_severity().get()),
            occurred_at: e.occurred_at,
            received_at: now,
            meta: Some(e.meta),
            frame_id: None,
        })
        .collect();
    Ok(state
        .proctoring
        .events
        .submit(Work::Events(rows))
        .await?
        .accepted)
}

/// Records a SYSTEM `SECOND_DEVICE_LOGIN` event for `session` (`meta` says
/// what was seen; `device` defaults to LAPTOP). Never fails its caller: a
/// problem is logged.
pub async fn second_device_login(state: &AppState, session: &Session, meta: serde_json::Value) {
    let event = SystemEvent {
        event_type: EventType::SecondDeviceLogin,
        occurred_at: state.now(),
        meta: system_meta(EventSource::Laptop, meta),
    };
    if let Err(e) = record_system_events(state, session.org_id, session.id, vec![event]).await {
        tracing::warn!(session_id = %session.id, error = %e, "cannot record SECOND_DEVICE_LOGIN");
    }
}
