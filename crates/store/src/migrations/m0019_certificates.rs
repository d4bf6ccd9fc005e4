//! Certificates (issue 16): an exam's certificate setting (opt-in, title,
//! validity) and the certificates issued to candidates whose released
//! result passes. One certificate per organization, exam and candidate; the
//! public verification code is unique.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum ExamCertificateSettings {
    Table,
    ExamId,
    OrgId,
    Enabled,
    Title,
    ValidForDays,
    ShowScore,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    OrgId,
    ExamId,
    UserId,
    SessionId,
    Code,
    Title,
    HolderName,
    Score,
    MaxScore,
    Percent,
    Skills,
    IssuedAt,
    ValidUntil,
    RevokedAt,
    RevokedBy,
    RevokeReason,
    Published,
    UpdatedAt,
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

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Certificates as C;
        use ExamCertificateSettings as S;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(uuid_pk(S::ExamId))
                .col(uuid(S::OrgId))
                .col(bool(S::Enabled))
                .col(text_null(S::Title))
                .col(ColumnDef::new(S::ValidForDays).integer().null())
                .col(bool(S::ShowScore))
                .col(uuid(S::UpdatedBy))
                .col(ts(S::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(S::Table, S::ExamId)
                        .to(Exams::Table, Exams::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(S::Table, S::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(C::Table)
                .col(uuid_pk(C::Id))
                .col(uuid(C::OrgId))
                .col(uuid(C::ExamId))
                .col(uuid(C::UserId))
                .col(uuid(C::SessionId))
                .col(text(C::Code))
                .col(text(C::Title))
                .col(text(C::HolderName))
                .col(ColumnDef::new(C::Score).double().not_null())
                .col(ColumnDef::new(C::MaxScore).double().not_null())
                .col(ColumnDef::new(C::Percent).double().not_null())
                .col(text(C::Skills))
                .col(ts(C::IssuedAt))
                .col(ts_null(C::ValidUntil))
                .col(ts_null(C::RevokedAt))
                .col(uuid_null(C::RevokedBy))
                .col(text_null(C::RevokeReason))
                .col(bool(C::Published))
                .col(ts(C::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(C::Table, C::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(C::Table, C::ExamId)
                        .to(Exams::Table, Exams::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(C::Table, C::UserId)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        // Issuance is idempotent: one certificate per exam and candidate.
        m.create_index(
            Index::create()
                .name("ux_certificates_exam_user")
                .table(C::Table)
                .col(C::OrgId)
                .col(C::ExamId)
                .col(C::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_certificates_code")
                .table(C::Table)
                .col(C::Code)
                .unique()
                .to_owned(),
        )
        .await?;
        // The holder's list.
        m.create_index(
            Index::create()
                .name("ix_certificates_user")
                .table(C::Table)
                .col(C::UserId)
                .col(C::Id)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
