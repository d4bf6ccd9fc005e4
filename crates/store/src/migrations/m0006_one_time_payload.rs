//! One-time tokens carry a small JSON payload (expand: one nullable column).
//! Invitations keep the roles they grant there until they are accepted (so an
//! invited person is not a member before accepting), and an email change
//! keeps the session that asked for it (kept signed in when it applies).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Payload,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(OneTimeTokens::Table)
                .add_column(text_null(OneTimeTokens::Payload))
                .to_owned(),
        )
        .await
    }
}
