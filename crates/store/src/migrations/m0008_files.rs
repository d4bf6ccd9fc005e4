//! Files (seed 004's FILES module): uploaded course material. The bytes
//! live in the blob store under `storage_key`; the row keeps what the file
//! is (kind, sniffed content type, size, SHA-256), who uploaded it and what it
//! is attached to (`entity_type`/`entity_id`, plain ids: courses attach
//! lectures later). Deleting sets `deleted_at`.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum Files {
    Table,
    Id,
    OrgId,
    UploadedBy,
    Kind,
    EntityType,
    EntityId,
    OriginalName,
    ContentType,
    Size,
    Sha256,
    StorageKey,
    CreatedAt,
    DeletedAt,
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Files::Table)
                .col(uuid_pk(Files::Id))
                .col(uuid(Files::OrgId))
                .col(uuid(Files::UploadedBy))
                .col(text(Files::Kind))
                .col(text_null(Files::EntityType))
                .col(uuid_null(Files::EntityId))
                .col(text(Files::OriginalName))
                .col(text(Files::ContentType))
                .col(big(Files::Size))
                .col(text(Files::Sha256))
                .col(text(Files::StorageKey))
                .col(ts(Files::CreatedAt))
                .col(ts_null(Files::DeletedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Files::Table, Files::OrgId)
                        .to(Organizations::Table, Organizations::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Files::Table, Files::UploadedBy)
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_files_org_kind")
                .table(Files::Table)
                .col(Files::OrgId)
                .col(Files::Kind)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_files_entity")
                .table(Files::Table)
                .col(Files::OrgId)
                .col(Files::EntityType)
                .col(Files::EntityId)
                .to_owned(),
        )
        .await
    }
}
