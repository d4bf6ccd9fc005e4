//! A question bank's revision (issue 14): a counter moved on by every change
//! of the bank row (edit, every status transition). Exam starts keep a
//! bank's parsed question pool in process and use it only while the bank
//! row still has the revision it was read under: a counter, unlike
//! `updated_at`, moves on even when two changes carry the same clock reading
//! (replicas with skewed clocks, a test clock that stands still).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuestionBanks {
    Table,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(QuestionBanks::Table)
                .add_column(
                    ColumnDef::new(QuestionBanks::Revision)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
    }
}
