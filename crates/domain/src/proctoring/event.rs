//! Proctoring events: the closed type list, sources, flag types and ingest validation.
//!
//! Who may post which source:
//! - a candidate's own credential ([`ClientKind::Candidate`]) posts `LAPTOP` events only;
//! - the paired phone's session-bound credential ([`ClientKind::PairedPhone`]) posts `MOBILE`
//!   events only (a laptop claiming to be the phone would make the second camera worthless);
//! - `SYSTEM` events are the server's own (heartbeat watchdog, admin actions) and are never
//!   accepted from a client.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::FieldError;

/// Largest batch accepted by `POST /sessions/{session}/events`.
pub const MAX_BATCH_EVENTS: usize = 500;
/// Largest serialized size of an event's `meta` object, in bytes.
pub const MAX_META_BYTES: usize = 4096;
/// Longest `client_event_id`, in characters.
pub const MAX_CLIENT_EVENT_ID_CHARS: usize = 128;
/// Suggested default for `max_skew`: how far in the future `occurred_at` may be (client clocks).
pub const DEFAULT_MAX_SKEW_SECS: i64 = 30;
/// Largest accepted `meta.duration_ms` (24 h).
pub const MAX_DURATION_MS: u64 = 86_400_000;

crate::stored_enum! {
    /// Where an event was observed.
    #[derive(PartialOrd, Ord)]
    pub enum EventSource {
        Laptop = "LAPTOP",
        Mobile = "MOBILE",
        System = "SYSTEM",
    }
}

crate::stored_enum! {
    /// The closed list of event types of API.md ("Taking an exam").
    #[derive(PartialOrd, Ord)]
    pub enum EventType {
        NoFaceDetected = "NO_FACE_DETECTED",
        MultipleFaces = "MULTIPLE_FACES",
        LookingAway = "LOOKING_AWAY",
        PhoneDetected = "PHONE_DETECTED",
        TabSwitch = "TAB_SWITCH",
        CopyPaste = "COPY_PASTE",
        ScreenshotAttempt = "SCREENSHOT_ATTEMPT",
        SuspiciousActivity = "SUSPICIOUS_ACTIVITY",
        Other = "OTHER",
        FullscreenExit = "FULLSCREEN_EXIT",
        WindowBlur = "WINDOW_BLUR",
        AudioDetected = "AUDIO_DETECTED",
        NetworkOffline = "NETWORK_OFFLINE",
        NetworkOnline = "NETWORK_ONLINE",
        DeviceDisconnected = "DEVICE_DISCONNECTED",
        DeviceReconnected = "DEVICE_RECONNECTED",
        HeartbeatMissed = "HEARTBEAT_MISSED",
        SecondDeviceLogin = "SECOND_DEVICE_LOGIN",
    }
}

crate::stored_enum! {
    /// Flag types (seed 000's `FlagType`).
    #[derive(PartialOrd, Ord)]
    pub enum FlagType {
        NoFaceDetected = "NO_FACE_DETECTED",
        MultipleFaces = "MULTIPLE_FACES",
        LookingAway = "LOOKING_AWAY",
        PhoneDetected = "PHONE_DETECTED",
        TabSwitch = "TAB_SWITCH",
        CopyPaste = "COPY_PASTE",
        ScreenshotAttempt = "SCREENSHOT_ATTEMPT",
        SuspiciousActivity = "SUSPICIOUS_ACTIVITY",
        Other = "OTHER",
    }
}

crate::stored_enum! {
    /// A flag's severity (seed 000: LOW, MEDIUM, HIGH).
    #[derive(PartialOrd, Ord)]
    pub enum FlagSeverity {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
    }
}

impl EventType {
    /// The severity recorded when a client omits `severity`.
    ///
    /// | type | default |
    /// |---|---|
    /// | SECOND_DEVICE_LOGIN | 9 |
    /// | MULTIPLE_FACES, PHONE_DETECTED | 8 |
    /// | NO_FACE_DETECTED, SCREENSHOT_ATTEMPT | 6 |
    /// | TAB_SWITCH, COPY_PASTE, SUSPICIOUS_ACTIVITY | 5 |
    /// | LOOKING_AWAY, FULLSCREEN_EXIT, AUDIO_DETECTED, DEVICE_DISCONNECTED | 4 |
    /// | OTHER, WINDOW_BLUR, NETWORK_OFFLINE, HEARTBEAT_MISSED | 3 |
    /// | NETWORK_ONLINE, DEVICE_RECONNECTED | 1 |
    pub fn default_severity(self) -> EventSeverity {
        let v = match self {
            EventType::SecondDeviceLogin => 9,
            EventType::MultipleFaces | EventType::PhoneDetected => 8,
            EventType::NoFaceDetected | EventType::ScreenshotAttempt => 6,
            EventType::TabSwitch | EventType::CopyPaste | EventType::SuspiciousActivity => 5,
            EventType::LookingAway
            | EventType::FullscreenExit
            | EventType::AudioDetected
            | EventType::DeviceDisconnected => 4,
            EventType::Other
            | EventType::WindowBlur
            | EventType::NetworkOffline
            | EventType::HeartbeatMissed => 3,
            EventType::NetworkOnline | EventType::DeviceReconnected => 1,
        };
        EventSeverity(v)
    }
}

/// An event severity, 1..=10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct EventSeverity(u8);

impl EventSeverity {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 10;

    pub fn new(v: i64) -> Option<Self> {
        u8::try_from(v)
            .ok()
            .filter(|v| (Self::MIN..=Self::MAX).contains(v))
            .map(EventSeverity)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for EventSeverity {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        EventSeverity::new(i64::from(v)).ok_or_else(|| "severity must be between 1 and 10".into())
    }
}

impl From<EventSeverity> for u8 {
    fn from(s: EventSeverity) -> u8 {
        s.0
    }
}

crate::stored_enum! {
    /// Which credential posts the events.
    pub enum ClientKind {
        /// The candidate's own access token or session cookie: `LAPTOP` only.
        Candidate = "CANDIDATE",
        /// The paired phone's session-bound token: `MOBILE` only.
        PairedPhone = "PAIRED_PHONE",
    }
}

impl ClientKind {
    /// The one source this credential may post.
    pub fn allowed_source(self) -> EventSource {
        match self {
            ClientKind::Candidate => EventSource::Laptop,
            ClientKind::PairedPhone => EventSource::Mobile,
        }
    }
}

/// One event as a client sends it. Enum fields and the time are plain strings here so that a bad
/// value is reported against its field instead of failing the whole body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientEventInput {
    pub client_event_id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub severity: Option<i64>,
    pub occurred_at: String,
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// A validated client event, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidEvent {
    pub client_event_id: String,
    pub source: EventSource,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub severity: EventSeverity,
    pub occurred_at: DateTime<Utc>,
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A stored event as the risk engine reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub id: Uuid,
    pub source: EventSource,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub severity: EventSeverity,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

/// Checks the number of events in one batch: 1..=500.
pub fn validate_batch(len: usize) -> Result<(), Vec<FieldError>> {
    if len == 0 {
        Err(vec![FieldError::new(
            "events",
            "at least one event is required",
        )])
    } else if len > MAX_BATCH_EVENTS {
        Err(vec![FieldError::new(
            "events",
            format!("at most {MAX_BATCH_EVENTS} events per batch"),
        )])
    } else {
        Ok(())
    }
}

/// Validates a whole batch: its size, then every event; errors name `events[i].field`.
pub fn validate_client_events(
    inputs: &[ClientEventInput],
    now: DateTime<Utc>,
    max_skew: TimeDelta,
    posting_as: ClientKind,
) -> Result<Vec<ValidEvent>, Vec<FieldError>> {
    validate_batch(inputs.len())?;
    let mut valid = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        match validate_client_event(input, now, max_skew, posting_as) {
            Ok(ev) => valid.push(ev),
            Err(errs) => {
                let prefix = format!("events[{i}]");
                errors.extend(errs.into_iter().map(|e| e.prefixed(&prefix)));
            }
        }
    }
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(errors)
    }
}

/// Validates one client event. All problems are reported at once, each against its field.
pub fn validate_client_event(
    input: &ClientEventInput,
    now: DateTime<Utc>,
    max_skew: TimeDelta,
    posting_as: ClientKind,
) -> Result<ValidEvent, Vec<FieldError>> {
    let mut errors = Vec::new();

    let id_chars = input.client_event_id.chars().count();
    if id_chars == 0 || id_chars > MAX_CLIENT_EVENT_ID_CHARS {
        errors.push(FieldError::new(
            "client_event_id",
            format!("must be 1 to {MAX_CLIENT_EVENT_ID_CHARS} characters"),
        ));
    }

    let source = match EventSource::parse(&input.source) {
        Some(EventSource::System) => {
            errors.push(FieldError::new(
                "source",
                "SYSTEM events are recorded by the server only",
            ));
            None
        }
        Some(s) if s != posting_as.allowed_source() => {
            errors.push(FieldError::new(
                "source",
                format!(
                    "this credential may only post {} events",
                    posting_as.allowed_source()
                ),
            ));
            None
        }
        Some(s) => Some(s),
        None => {
            errors.push(FieldError::new("source", "must be LAPTOP or MOBILE"));
            None
        }
    };

    let event_type = EventType::parse(&input.event_type);
    if event_type.is_none() {
        errors.push(FieldError::new("type", "unknown event type"));
    }

    let severity = match input.severity {
        None => event_type.map(EventType::default_severity),
        Some(v) => {
            let s = EventSeverity::new(v);
            if s.is_none() {
                errors.push(FieldError::new("severity", "must be between 1 and 10"));
            }
            s
        }
    };

    let occurred_at = match DateTime::parse_from_rfc3339(&input.occurred_at) {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            if t > now + max_skew {
                errors.push(FieldError::new("occurred_at", "is in the future"));
                None
            } else {
                Some(t)
            }
        }
        Err(_) => {
            errors.push(FieldError::new("occurred_at", "must be an RFC 3339 time"));
            None
        }
    };

    let meta = match &input.meta {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(map)) => {
            let size = serde_json::to_vec(map)
                .map(|b| b.len())
                .unwrap_or(usize::MAX);
            if size > MAX_META_BYTES {
                errors.push(FieldError::new(
                    "meta",
                    format!("must be at most {MAX_META_BYTES} bytes as JSON"),
                ));
            }
            if let Some(d) = map.get("duration_ms")
                && d.as_u64().is_none_or(|d| d > MAX_DURATION_MS)
            {
                errors.push(FieldError::new(
                    "meta.duration_ms",
                    format!("must be a whole number of milliseconds, 0 to {MAX_DURATION_MS}"),
                ));
            }
            Some(map.clone())
        }
        Some(_) => {
            errors.push(FieldError::new("meta", "must be a JSON object"));
            None
        }
    };

    match (source, event_type, severity, occurred_at) {
        (Some(source), Some(event_type), Some(severity), Some(occurred_at))
            if errors.is_empty() =>
        {
            Ok(ValidEvent {
                client_event_id: input.client_event_id.clone(),
                source,
                event_type,
                severity,
                occurred_at,
                meta,
            })
        }
        _ => Err(errors),
    }
}
