//! Notifications (issue 15, seed 004): in-app notifications, each
//! organization's template overrides, each user's preferences per kind, and
//! live sessions with their participants. `live_sessions.course_id` is a
//! plain uuid (the courses module comes separately).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    OrgId,
    Kind,
    Priority,
    Title,
    Body,
    Link,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NotificationTemplates {
    Table,
    Id,
    OrgId,
    Key,
    Channel,
    Subject,
    Body,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NotificationPreferences {
    Table,
    UserId,
    Kind,
    InApp,
    Mail,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LiveSessions {
    Table,
    Id,
    OrgId,
    CourseId,
    HostId,
    Title,
    Description,
    ScheduledAt,
    DurationMinutes,
    Status,
    JoinUrl,
    RecordingUrl,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LiveSessionParticipants {
    Table,
    Id,
    LiveSessionId,
    UserId,
    Role,
    JoinedAt,
    LeftAt,
    Attended,
    RemindedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk_user<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .to_owned()
}

fn fk_org<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Organizations::Table, Organizations::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use LiveSessionParticipants as P;
        use LiveSessions as L;
        use NotificationPreferences as NP;
        use NotificationTemplates as NT;
        use Notifications as N;
        m.create_table(
            Table::create()
                .table(N::Table)
                .col(uuid_pk(N::Id))
                .col(uuid(N::UserId))
                .col(uuid_null(N::OrgId))
                .col(text(N::Kind))
                .col(text(N::Priority))
                .col(text(N::Title))
                .col(text(N::Body))
                .col(text_null(N::Link))
                .col(ts_null(N::ReadAt))
                .col(ts(N::CreatedAt))
                .foreign_key(&mut fk_user(N::Table, N::UserId))
                .foreign_key(&mut fk_org(N::Table, N::OrgId))
                .to_owned(),
        )
        .await?;
        // A user's page (newest id first) and unread count.
        m.create_index(
            Index::create()
                .name("ix_notifications_user")
                .table(N::Table)
                .col(N::UserId)
                .col(N::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_notifications_user_unread")
                .table(N::Table)
                .col(N::UserId)
                .col(N::ReadAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NT::Table)
                .col(uuid_pk(NT::Id))
                .col(uuid(NT::OrgId))
                .col(text(NT::Key))
                .col(text(NT::Channel))
                .col(text(NT::Subject))
                .col(text(NT::Body))
                .col(uuid(NT::UpdatedBy))
                .col(ts(NT::UpdatedAt))
                .foreign_key(&mut fk_org(NT::Table, NT::OrgId))
                .foreign_key(&mut fk_user(NT::Table, NT::UpdatedBy))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_notification_templates_key")
                .table(NT::Table)
                .col(NT::OrgId)
                .col(NT::Key)
                .col(NT::Channel)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(NP::Table)
                .col(uuid(NP::UserId))
                .col(text(NP::Kind))
                .col(bool(NP::InApp))
                .col(bool(NP::Mail))
                .col(ts(NP::UpdatedAt))
                .primary_key(Index::create().col(NP::UserId).col(NP::Kind))
                .foreign_key(&mut fk_user(NP::Table, NP::UserId))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(L::Table)
                .col(uuid_pk(L::Id))
                .col(uuid(L::OrgId))
                .col(uuid_null(L::CourseId))
                .col(uuid(L::HostId))
                .col(text(L::Title))
                .col(text_null(L::Description))
                .col(ts(L::ScheduledAt))
                .col(int(L::DurationMinutes))
                .col(text(L::Status))
                .col(text(L::JoinUrl))
                .col(text_null(L::RecordingUrl))
                .col(uuid(L::CreatedBy))
                .col(ts(L::CreatedAt))
                .col(ts(L::UpdatedAt))
                .foreign_key(&mut fk_org(L::Table, L::OrgId))
                .foreign_key(&mut fk_user(L::Table, L::HostId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_live_sessions_org_start")
                .table(L::Table)
                .col(L::OrgId)
                .col(L::ScheduledAt)
                .to_owned(),
        )
        .await?;
        // The reminder job: scheduled sessions by start.
        m.create_index(
            Index::create()
                .name("ix_live_sessions_status_start")
                .table(L::Table)
                .col(L::Status)
                .col(L::ScheduledAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(P::Table)
                .col(uuid_pk(P::Id))
                .col(uuid(P::LiveSessionId))
                .col(uuid(P::UserId))
                .col(text(P::Role))
                .col(ts_null(P::JoinedAt))
                .col(ts_null(P::LeftAt))
                .col(bool(P::Attended))
                .col(ts_null(P::RemindedAt))
                .col(ts(P::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(P::Table, P::LiveSessionId)
                        .to(L::Table, L::Id),
                )
                .foreign_key(&mut fk_user(P::Table, P::UserId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_live_session_participants_user")
                .table(P::Table)
                .col(P::LiveSessionId)
                .col(P::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_live_session_participants_user")
                .table(P::Table)
                .col(P::UserId)
                .to_owned(),
        )
        .await
    }
}
