//! Proctoring and review: the append-only event stream, heartbeats, phone
//! pairings, encrypted evidence frames, flags, and the review columns of
//! exam sessions (expand: new nullable columns only).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProctoringEvents {
    Table,
    Id,
    OrgId,
    SessionId,
    ClientEventId,
    Source,
    EventType,
    Severity,
    OccurredAt,
    ReceivedAt,
    Meta,
    FrameId,
}

#[derive(DeriveIden)]
enum Heartbeats {
    Table,
    SessionId,
    Source,
    OrgId,
    LastSeenAt,
    MissingSince,
}

#[derive(DeriveIden)]
enum DevicePairings {
    Table,
    Id,
    OrgId,
    SessionId,
    TokenHash,
    ExpiresAt,
    ClaimedAt,
    DeviceFingerprint,
    DeviceAuthSessionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EvidenceFrames {
    Table,
    Id,
    OrgId,
    SessionId,
    Source,
    ContentType,
    Size,
    StorageKey,
    Nonce,
    CapturedAt,
    PurgedAt,
}

#[derive(DeriveIden)]
enum Flags {
    Table,
    Id,
    OrgId,
    SessionId,
    RuleId,
    DedupeKey,
    FlagType,
    Severity,
    Cause,
    Weight,
    EventIds,
    FirstAt,
    LastAt,
    Description,
    CreatedAt,
    ResolvedBy,
    ResolvedAt,
    Resolution,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    ViolationScore,
    ClaimedBy,
    ClaimedAt,
    Decision,
    DecisionNotes,
    DecidedBy,
    DecidedAt,
    AppealText,
    AppealedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProctoringEvents::Table)
                .col(uuid_pk(ProctoringEvents::Id))
                .col(uuid(ProctoringEvents::OrgId))
                .col(uuid(ProctoringEvents::SessionId))
                .col(text_null(ProctoringEvents::ClientEventId))
                .col(text(ProctoringEvents::Source))
                .col(text(ProctoringEvents::EventType))
                .col(int(ProctoringEvents::Severity))
                .col(ts(ProctoringEvents::OccurredAt))
                .col(ts(ProctoringEvents::ReceivedAt))
                .col(text_null(ProctoringEvents::Meta))
                .col(uuid_null(ProctoringEvents::FrameId))
                .to_owned(),
        )
        .await?;
        // Idempotency: one event per client id per session (NULL ids are
        // the server's own SYSTEM events and never collide).
        m.create_index(
            Index::create()
                .name("ux_proctoring_events_client")
                .table(ProctoringEvents::Table)
                .col(ProctoringEvents::SessionId)
                .col(ProctoringEvents::ClientEventId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_proctoring_events_session_time")
                .table(ProctoringEvents::Table)
                .col(ProctoringEvents::SessionId)
                .col(ProctoringEvents::OccurredAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Heartbeats::Table)
                .col(uuid(Heartbeats::SessionId))
                .col(text(Heartbeats::Source))
                .col(uuid(Heartbeats::OrgId))
                .col(ts(Heartbeats::LastSeenAt))
                .col(ts_null(Heartbeats::MissingSince))
                .primary_key(
                    Index::create()
                        .col(Heartbeats::SessionId)
                        .col(Heartbeats::Source),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DevicePairings::Table)
                .col(uuid_pk(DevicePairings::Id))
                .col(uuid(DevicePairings::OrgId))
                .col(uuid(DevicePairings::SessionId))
                .col(text(DevicePairings::TokenHash).unique_key().take())
                .col(ts(DevicePairings::ExpiresAt))
                .col(ts_null(DevicePairings::ClaimedAt))
                .col(text_null(DevicePairings::DeviceFingerprint))
                .col(uuid_null(DevicePairings::DeviceAuthSessionId))
                .col(ts(DevicePairings::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_device_pairings_session")
                .table(DevicePairings::Table)
                .col(DevicePairings::SessionId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_device_pairings_auth")
                .table(DevicePairings::Table)
                .col(DevicePairings::DeviceAuthSessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EvidenceFrames::Table)
                .col(uuid_pk(EvidenceFrames::Id))
                .col(uuid(EvidenceFrames::OrgId))
                .col(uuid(EvidenceFrames::SessionId))
                .col(text(EvidenceFrames::Source))
                .col(text(EvidenceFrames::ContentType))
                .col(big(EvidenceFrames::Size))
                .col(text(EvidenceFrames::StorageKey))
                .col(text(EvidenceFrames::Nonce))
                .col(ts(EvidenceFrames::CapturedAt))
                .col(ts_null(EvidenceFrames::PurgedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_evidence_frames_session")
                .table(EvidenceFrames::Table)
                .col(EvidenceFrames::SessionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Flags::Table)
                .col(uuid_pk(Flags::Id))
                .col(uuid(Flags::OrgId))
                .col(uuid(Flags::SessionId))
                .col(text(Flags::RuleId))
                .col(text(Flags::DedupeKey))
                .col(text(Flags::FlagType))
                .col(text(Flags::Severity))
                .col(text(Flags::Cause))
                .col(int(Flags::Weight))
                .col(text(Flags::EventIds))
                .col(ts(Flags::FirstAt))
                .col(ts(Flags::LastAt))
                .col(text(Flags::Description))
                .col(ts(Flags::CreatedAt))
                .col(uuid_null(Flags::ResolvedBy))
                .col(ts_null(Flags::ResolvedAt))
                .col(text_null(Flags::Resolution))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_flags_dedupe")
                .table(Flags::Table)
                .col(Flags::SessionId)
                .col(Flags::DedupeKey)
                .unique()
                .to_owned(),
        )
        .await?;

        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        let cols = [
            ColumnDef::new(ExamSessions::ViolationScore)
                .integer()
                .not_null()
                .default(0)
                .take(),
            uuid_null(ExamSessions::ClaimedBy),
            ts_null(ExamSessions::ClaimedAt),
            text_null(ExamSessions::Decision),
            text_null(ExamSessions::DecisionNotes),
            uuid_null(ExamSessions::DecidedBy),
            ts_null(ExamSessions::DecidedAt),
            text_null(ExamSessions::AppealText),
            ts_null(ExamSessions::AppealedAt),
        ];
        for mut c in cols {
            m.alter_table(
                Table::alter()
                    .table(ExamSessions::Table)
                    .add_column(&mut c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
