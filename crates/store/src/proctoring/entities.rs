//! Tables owned by proctoring: events, heartbeats, phone pairings, evidence
//! frames and flags.
//!
//! JSON kept in TEXT columns (an event's `meta`, a flag's `event_ids`) has a
//! typed field: a row that does not decode is a read error naming the type,
//! never a silently empty value.

use std::fmt;
use std::str::FromStr;

use sea_orm::DeriveValueType;
use uuid::Uuid;

/// An event's `meta`: a JSON object, stored as its compact text.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct EventMeta(pub serde_json::Map<String, serde_json::Value>);

impl FromStr for EventMeta {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map(EventMeta)
    }
}

impl fmt::Display for EventMeta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(&self.0).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

/// The event ids behind a flag: a JSON array of UUIDs, stored as its text.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveValueType)]
#[sea_orm(value_type = "String")]
pub struct EventIds(pub Vec<Uuid>);

impl FromStr for EventIds {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map(EventIds)
    }
}

impl fmt::Display for EventIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(&self.0).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

pub mod event {
    use invigil_domain::proctoring::{EventSource, EventType};
    use sea_orm::entity::prelude::*;

    use super::EventMeta;

    /// Append-only: never updated, never deleted (except by retention).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "proctoring_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        /// The client's id for idempotency; NULL for SYSTEM events.
        pub client_event_id: Option<String>,
        pub source: EventSource,
        pub event_type: EventType,
        /// 1..=10.
        pub severity: i32,
        pub occurred_at: DateTimeUtc,
        pub received_at: DateTimeUtc,
        pub meta: Option<EventMeta>,
        pub frame_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod heartbeat {
    use invigil_domain::proctoring::EventSource;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "heartbeats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub source: EventSource,
        pub org_id: Uuid,
        pub last_seen_at: DateTimeUtc,
        /// Set when the watchdog declared the source missing; cleared when it
        /// comes back.
        pub missing_since: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod pairing {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "device_pairings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        /// SHA-256 of the one-time pairing token.
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub claimed_at: Option<DateTimeUtc>,
        pub device_fingerprint: Option<String>,
        /// The auth session holding the phone's DEVICE credential.
        pub device_auth_session_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod frame {
    use invigil_domain::proctoring::EventSource;
    use invigil_domain::review::ImageType;
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evidence_frames")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        /// LAPTOP or MOBILE.
        pub source: EventSource,
        pub content_type: ImageType,
        /// Plaintext size in bytes.
        pub size: i64,
        /// Where the ciphertext is stored (the hash of the ciphertext).
        pub storage_key: String,
        /// AES-GCM nonce, hex.
        pub nonce: String,
        pub captured_at: DateTimeUtc,
        pub purged_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod flag {
    use invigil_domain::proctoring::{Cause, FlagSeverity, FlagType};
    use invigil_domain::review::DecisionType;
    use sea_orm::entity::prelude::*;

    use super::EventIds;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "flags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        pub rule_id: String,
        pub dedupe_key: String,
        pub flag_type: FlagType,
        pub severity: FlagSeverity,
        pub cause: Cause,
        pub weight: i32,
        pub event_ids: EventIds,
        pub first_at: DateTimeUtc,
        pub last_at: DateTimeUtc,
        pub description: String,
        pub created_at: DateTimeUtc,
        pub resolved_by: Option<Uuid>,
        pub resolved_at: Option<DateTimeUtc>,
        /// The decision that resolved the flag.
        pub resolution: Option<DecisionType>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
