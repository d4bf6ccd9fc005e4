//! Pending audit entries (issue 14): a change's transaction writes its audit
//! entry here, without touching the chain head; the linker moves pending
//! entries onto their chain (seq, previous hash, hash) in batches, taking
//! each head's lock once per batch instead of once per change. Before this,
//! every audited change of an organization (exam starts, submits) queued on
//! the one head row until the previous one committed.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditPending {
    Table,
    Id,
    Chain,
    OrgId,
    ActorId,
    Action,
    ResourceType,
    ResourceId,
    Ip,
    UserAgent,
    Details,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // No foreign keys, like audit_log: entries outlive what they describe.
        m.create_table(
            Table::create()
                .table(AuditPending::Table)
                .col(uuid_pk(AuditPending::Id))
                .col(text(AuditPending::Chain))
                .col(uuid_null(AuditPending::OrgId))
                .col(uuid_null(AuditPending::ActorId))
                .col(text(AuditPending::Action))
                .col(text(AuditPending::ResourceType))
                .col(text_null(AuditPending::ResourceId))
                .col(text_null(AuditPending::Ip))
                .col(text_null(AuditPending::UserAgent))
                .col(text(AuditPending::Details))
                .col(ts(AuditPending::CreatedAt))
                .to_owned(),
        )
        .await
    }
}
