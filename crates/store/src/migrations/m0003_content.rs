//! Content: question banks, questions and their immutable versions, and
//! who edited each bank (for the two-person review rule).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuestionBanks {
    Table,
    Id,
    OrgId,
    DepartmentId,
    Title,
    Description,
    Tags,
    Status,
    AuthorId,
    RejectReason,
    ReviewedBy,
    ReviewedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BankEditors {
    Table,
    BankId,
    UserId,
    OrgId,
    FirstEditAt,
}

#[derive(DeriveIden)]
enum Questions {
    Table,
    Id,
    OrgId,
    BankId,
    CurrentVersion,
    Status,
    QuestionType,
    Difficulty,
    Tags,
    SearchText,
    Points,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuestionVersions {
    Table,
    Id,
    OrgId,
    QuestionId,
    Version,
    Body,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
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
                .table(QuestionBanks::Table)
                .col(uuid_pk(QuestionBanks::Id))
                .col(uuid(QuestionBanks::OrgId))
                .col(uuid_null(QuestionBanks::DepartmentId))
                .col(text(QuestionBanks::Title))
                .col(text_null(QuestionBanks::Description))
                .col(text(QuestionBanks::Tags))
                .col(text(QuestionBanks::Status))
                .col(uuid(QuestionBanks::AuthorId))
                .col(text_null(QuestionBanks::RejectReason))
                .col(uuid_null(QuestionBanks::ReviewedBy))
                .col(ts_null(QuestionBanks::ReviewedAt))
                .col(ts(QuestionBanks::CreatedAt))
                .col(ts(QuestionBanks::UpdatedAt))
                .foreign_key(&mut fk(
                    (QuestionBanks::Table, QuestionBanks::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (QuestionBanks::Table, QuestionBanks::DepartmentId),
                    (Departments::Table, Departments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_question_banks_org")
                .table(QuestionBanks::Table)
                .col(QuestionBanks::OrgId)
                .col(QuestionBanks::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BankEditors::Table)
                .col(uuid(BankEditors::BankId))
                .col(uuid(BankEditors::UserId))
                .col(uuid(BankEditors::OrgId))
                .col(ts(BankEditors::FirstEditAt))
                .primary_key(
                    Index::create()
                        .col(BankEditors::BankId)
                        .col(BankEditors::UserId),
                )
                .foreign_key(&mut fk(
                    (BankEditors::Table, BankEditors::BankId),
                    (QuestionBanks::Table, QuestionBanks::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Questions::Table)
                .col(uuid_pk(Questions::Id))
                .col(uuid(Questions::OrgId))
                .col(uuid(Questions::BankId))
                .col(int(Questions::CurrentVersion))
                .col(text(Questions::Status))
                .col(text(Questions::QuestionType))
                .col(text(Questions::Difficulty))
                .col(text(Questions::Tags))
                .col(text(Questions::SearchText))
                .col(ColumnDef::new(Questions::Points).double().not_null())
                .col(uuid(Questions::CreatedBy))
                .col(ts(Questions::CreatedAt))
                .col(ts(Questions::UpdatedAt))
                .foreign_key(&mut fk(
                    (Questions::Table, Questions::BankId),
                    (QuestionBanks::Table, QuestionBanks::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_questions_bank")
                .table(Questions::Table)
                .col(Questions::BankId)
                .col(Questions::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(QuestionVersions::Table)
                .col(uuid_pk(QuestionVersions::Id))
                .col(uuid(QuestionVersions::OrgId))
                .col(uuid(QuestionVersions::QuestionId))
                .col(int(QuestionVersions::Version))
                .col(text(QuestionVersions::Body))
                .col(uuid(QuestionVersions::CreatedBy))
                .col(ts(QuestionVersions::CreatedAt))
                .foreign_key(&mut fk(
                    (QuestionVersions::Table, QuestionVersions::QuestionId),
                    (Questions::Table, Questions::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_question_versions")
                .table(QuestionVersions::Table)
                .col(QuestionVersions::QuestionId)
                .col(QuestionVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
