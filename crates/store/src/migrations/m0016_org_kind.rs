//! An organization's kind (seed 002): INSTITUTION (teaches and examines, the
//! default for every existing one) or COMPANY (hires through job postings).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Kind,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(
                    ColumnDef::new(Organizations::Kind)
                        .text()
                        .not_null()
                        .default("INSTITUTION"),
                )
                .to_owned(),
        )
        .await
    }
}
