//! Results recorded outside Invigil (seed 003's student exams: a USMLE Step 1
//! score, a shelf exam taken elsewhere), per candidate and exam type: the
//! score on its own scale and/or a pass mark, when it was taken and where it
//! came from. One row per candidate, exam type and date (a re-import of the
//! same file updates rather than duplicates).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum ExternalResults {
    Table,
    Id,
    OrgId,
    UserId,
    ExamTypeId,
    Score,
    MaxScore,
    Passed,
    TakenOn,
    Source,
    Notes,
    RecordedBy,
    CreatedAt,
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
enum ExamTypes {
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
        m.create_table(
            Table::create()
                .table(ExternalResults::Table)
                .col(uuid_pk(ExternalResults::Id))
                .col(uuid(ExternalResults::OrgId))
                .col(uuid(ExternalResults::UserId))
                .col(uuid(ExternalResults::ExamTypeId))
                .col(ColumnDef::new(ExternalResults::Score).double().null())
                .col(ColumnDef::new(ExternalResults::MaxScore).double().null())
                .col(ColumnDef::new(ExternalResults::Passed).boolean().null())
                .col(ColumnDef::new(ExternalResults::TakenOn).date().not_null())
                .col(text(ExternalResults::Source))
                .col(text_null(ExternalResults::Notes))
                .col(uuid(ExternalResults::RecordedBy))
                .col(ts(ExternalResults::CreatedAt))
                .col(ts(ExternalResults::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ExternalResults::Table, ExternalResults::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ExternalResults::Table, ExternalResults::UserId)
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ExternalResults::Table, ExternalResults::ExamTypeId)
                        .to(ExamTypes::Table, ExamTypes::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_external_results_user_type_day")
                .table(ExternalResults::Table)
                .col(ExternalResults::OrgId)
                .col(ExternalResults::UserId)
                .col(ExternalResults::ExamTypeId)
                .col(ExternalResults::TakenOn)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_external_results_type")
                .table(ExternalResults::Table)
                .col(ExternalResults::OrgId)
                .col(ExternalResults::ExamTypeId)
                .to_owned(),
        )
        .await
    }
}
