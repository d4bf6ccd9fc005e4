//! Foundation: job leases, so that several replicas never run the same
//! background job at once.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    LeasedUntil,
    LastRunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(
                    ColumnDef::new(JobLeases::Name)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(text(JobLeases::Holder))
                .col(ts(JobLeases::LeasedUntil))
                .col(ts_null(JobLeases::LastRunAt))
                .to_owned(),
        )
        .await
    }
}
