//! Tables owned by proctoring: events, heartbeats, phone pairings, evidence
//! frames and flags.

pub mod event {
    use sea_orm::entity::prelude::*;

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
        /// LAPTOP, MOBILE or SYSTEM.
        pub source: String,
        pub event_type: String,
        /// 1..=10.
        pub severity: i32,
        pub occurred_at: DateTimeUtc,
        pub received_at: DateTimeUtc,
        /// JSON object.
        pub meta: Option<String>,
        pub frame_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod heartbeat {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "heartbeats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub source: String,
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
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evidence_frames")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        pub source: String,
        pub content_type: String,
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
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "flags")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_id: Uuid,
        pub session_id: Uuid,
        pub rule_id: String,
        pub dedupe_key: String,
        /// Seed 000 flag type.
        pub flag_type: String,
        /// LOW, MEDIUM or HIGH.
        pub severity: String,
        /// TECHNICAL or BEHAVIOURAL.
        pub cause: String,
        pub weight: i32,
        /// JSON array of the event ids behind the flag.
        pub event_ids: String,
        pub first_at: DateTimeUtc,
        pub last_at: DateTimeUtc,
        pub description: String,
        pub created_at: DateTimeUtc,
        pub resolved_by: Option<Uuid>,
        pub resolved_at: Option<DateTimeUtc>,
        pub resolution: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
