//! Identity, tenancy, audit and mail: users and credentials, organizations,
//! departments, members and roles, sessions and tokens, login throttles,
//! candidate profiles, the audit hash chains, the mail outbox and
//! idempotency keys.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Email,
    Name,
    Status,
    PasswordHash,
    IsSuperAdmin,
    EmailVerifiedAt,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    Domain,
    Settings,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Departments {
    Table,
    Id,
    OrgId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgMembers {
    Table,
    OrgId,
    UserId,
    Status,
    JoinedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    Id,
    OrgId,
    UserId,
    Role,
    DepartmentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthSessions {
    Table,
    Id,
    UserId,
    Ip,
    UserAgent,
    DeviceFingerprint,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
    RevokeReason,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Hash,
    SessionId,
    Kind,
    ParentHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Hash,
    Id,
    Kind,
    UserId,
    Email,
    OrgId,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginThrottles {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    LockedUntil,
    LockStreak,
    LastLockedAt,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Key,
    WindowStart,
    Count,
}

#[derive(DeriveIden)]
enum CandidateProfiles {
    Table,
    OrgId,
    UserId,
    StudentNumber,
    ClassYear,
    HasAccommodations,
    ExtraTimePercent,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Chain,
    Seq,
    OrgId,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    Ip,
    UserAgent,
    Details,
    CreatedAt,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    Chain,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    ToEmail,
    Subject,
    Body,
    CreatedAt,
    SentAt,
    Attempts,
    NextAttemptAt,
    LastError,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    UserId,
    Key,
    RequestHash,
    Status,
    Body,
    CreatedAt,
}

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid_pk(Users::Id))
                .col(text(Users::Email).unique_key().take())
                .col(text(Users::Name))
                .col(text(Users::Status))
                .col(text_null(Users::PasswordHash))
                .col(bool(Users::IsSuperAdmin).default(false).take())
                .col(ts_null(Users::EmailVerifiedAt))
                .col(ts_null(Users::LastLoginAt))
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(uuid_pk(Organizations::Id))
                .col(text(Organizations::Slug).unique_key().take())
                .col(text(Organizations::Name))
                .col(text_null(Organizations::Domain))
                .col(text(Organizations::Settings))
                .col(ts(Organizations::CreatedAt))
                .col(ts(Organizations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(uuid_pk(Departments::Id))
                .col(uuid(Departments::OrgId))
                .col(text(Departments::Name))
                .col(ts(Departments::CreatedAt))
                .foreign_key(&mut fk(
                    Departments::Table,
                    Departments::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_departments_org_name")
                .table(Departments::Table)
                .col(Departments::OrgId)
                .col(Departments::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OrgMembers::Table)
                .col(uuid(OrgMembers::OrgId))
                .col(uuid(OrgMembers::UserId))
                .col(text(OrgMembers::Status))
                .col(ts(OrgMembers::JoinedAt))
                .col(ts(OrgMembers::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(OrgMembers::OrgId)
                        .col(OrgMembers::UserId),
                )
                .foreign_key(&mut fk(
                    OrgMembers::Table,
                    OrgMembers::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(
                    OrgMembers::Table,
                    OrgMembers::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_org_members_user")
                .table(OrgMembers::Table)
                .col(OrgMembers::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRoles::Table)
                .col(uuid_pk(UserRoles::Id))
                .col(uuid(UserRoles::OrgId))
                .col(uuid(UserRoles::UserId))
                .col(text(UserRoles::Role))
                .col(uuid_null(UserRoles::DepartmentId))
                .col(ts(UserRoles::CreatedAt))
                .foreign_key(&mut fk(
                    UserRoles::Table,
                    UserRoles::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(
                    UserRoles::Table,
                    UserRoles::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .foreign_key(&mut fk(
                    UserRoles::Table,
                    UserRoles::DepartmentId,
                    Departments::Table,
                    Departments::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_user_roles_org_user")
                .table(UserRoles::Table)
                .col(UserRoles::OrgId)
                .col(UserRoles::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthSessions::Table)
                .col(uuid_pk(AuthSessions::Id))
                .col(uuid(AuthSessions::UserId))
                .col(text_null(AuthSessions::Ip))
                .col(text_null(AuthSessions::UserAgent))
                .col(text_null(AuthSessions::DeviceFingerprint))
                .col(ts(AuthSessions::CreatedAt))
                .col(ts(AuthSessions::LastSeenAt))
                .col(ts(AuthSessions::ExpiresAt))
                .col(ts_null(AuthSessions::RevokedAt))
                .col(text_null(AuthSessions::RevokeReason))
                .foreign_key(&mut fk(
                    AuthSessions::Table,
                    AuthSessions::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_auth_sessions_user")
                .table(AuthSessions::Table)
                .col(AuthSessions::UserId)
                .col(AuthSessions::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthTokens::Table)
                .col(
                    ColumnDef::new(AuthTokens::Hash)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(uuid(AuthTokens::SessionId))
                .col(text(AuthTokens::Kind))
                .col(text_null(AuthTokens::ParentHash))
                .col(ts(AuthTokens::CreatedAt))
                .col(ts(AuthTokens::ExpiresAt))
                .col(ts_null(AuthTokens::UsedAt))
                .col(ts_null(AuthTokens::RevokedAt))
                .foreign_key(&mut fk(
                    AuthTokens::Table,
                    AuthTokens::SessionId,
                    AuthSessions::Table,
                    AuthSessions::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_auth_tokens_session")
                .table(AuthTokens::Table)
                .col(AuthTokens::SessionId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_auth_tokens_parent")
                .table(AuthTokens::Table)
                .col(AuthTokens::ParentHash)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeTokens::Table)
                .col(
                    ColumnDef::new(OneTimeTokens::Hash)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(uuid(OneTimeTokens::Id).unique_key().take())
                .col(text(OneTimeTokens::Kind))
                .col(uuid(OneTimeTokens::UserId))
                .col(text_null(OneTimeTokens::Email))
                .col(uuid_null(OneTimeTokens::OrgId))
                .col(ts(OneTimeTokens::CreatedAt))
                .col(ts(OneTimeTokens::ExpiresAt))
                .foreign_key(&mut fk(
                    OneTimeTokens::Table,
                    OneTimeTokens::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_one_time_tokens_expiry")
                .table(OneTimeTokens::Table)
                .col(OneTimeTokens::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LoginThrottles::Table)
                .col(
                    ColumnDef::new(LoginThrottles::Key)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(int(LoginThrottles::Failures))
                .col(ts_null(LoginThrottles::WindowStartedAt))
                .col(ts_null(LoginThrottles::LockedUntil))
                .col(int(LoginThrottles::LockStreak))
                .col(ts_null(LoginThrottles::LastLockedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RateLimits::Table)
                .col(
                    ColumnDef::new(RateLimits::Key)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(ts(RateLimits::WindowStart))
                .col(int(RateLimits::Count))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CandidateProfiles::Table)
                .col(uuid(CandidateProfiles::OrgId))
                .col(uuid(CandidateProfiles::UserId))
                .col(text_null(CandidateProfiles::StudentNumber))
                .col(
                    ColumnDef::new(CandidateProfiles::ClassYear)
                        .integer()
                        .null(),
                )
                .col(bool(CandidateProfiles::HasAccommodations))
                .col(
                    ColumnDef::new(CandidateProfiles::ExtraTimePercent)
                        .integer()
                        .null(),
                )
                .col(ts(CandidateProfiles::CreatedAt))
                .col(ts(CandidateProfiles::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(CandidateProfiles::OrgId)
                        .col(CandidateProfiles::UserId),
                )
                .foreign_key(&mut fk(
                    CandidateProfiles::Table,
                    CandidateProfiles::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(
                    CandidateProfiles::Table,
                    CandidateProfiles::UserId,
                    Users::Table,
                    Users::Id,
                ))
                .to_owned(),
        )
        .await?;

        // Audit entries keep no foreign keys: they outlive what they describe.
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(uuid_pk(AuditLog::Id))
                .col(text(AuditLog::Chain))
                .col(big(AuditLog::Seq))
                .col(uuid_null(AuditLog::OrgId))
                .col(uuid_null(AuditLog::ActorId))
                .col(text(AuditLog::Action))
                .col(text(AuditLog::ResourceType))
                .col(text_null(AuditLog::ResourceId))
                .col(text_null(AuditLog::Ip))
                .col(text_null(AuditLog::UserAgent))
                .col(text(AuditLog::Details))
                .col(ts(AuditLog::CreatedAt))
                .col(text(AuditLog::PrevHash))
                .col(text(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_audit_log_chain_seq")
                .table(AuditLog::Table)
                .col(AuditLog::Chain)
                .col(AuditLog::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditHeads::Table)
                .col(
                    ColumnDef::new(AuditHeads::Chain)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(big(AuditHeads::Seq))
                .col(text(AuditHeads::Hash))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(uuid_pk(Outbox::Id))
                .col(text(Outbox::ToEmail))
                .col(text(Outbox::Subject))
                .col(text(Outbox::Body))
                .col(ts(Outbox::CreatedAt))
                .col(ts_null(Outbox::SentAt))
                .col(int(Outbox::Attempts))
                .col(ts(Outbox::NextAttemptAt))
                .col(text_null(Outbox::LastError))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_pending")
                .table(Outbox::Table)
                .col(Outbox::SentAt)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::UserId))
                .col(text(IdempotencyKeys::Key))
                .col(text(IdempotencyKeys::RequestHash))
                .col(ColumnDef::new(IdempotencyKeys::Status).integer().null())
                .col(text_null(IdempotencyKeys::Body))
                .col(ts(IdempotencyKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::UserId)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
