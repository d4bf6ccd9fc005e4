//! Cache epochs (issue 14): a counter per in-process cache that every
//! replica polls, so a change made on one replica (a sign-out, a revoked
//! role) empties the caches of all within a second instead of waiting out
//! their time to live.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CacheEpochs {
    Table,
    Name,
    Epoch,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CacheEpochs::Table)
                .col(
                    ColumnDef::new(CacheEpochs::Name)
                        .text()
                        .not_null()
                        .primary_key(),
                )
                .col(big(CacheEpochs::Epoch))
                .to_owned(),
        )
        .await
    }
}
