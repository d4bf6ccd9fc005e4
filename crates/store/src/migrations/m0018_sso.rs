//! Single sign-on and self sign-up (issue 16): each organization's OpenID
//! Connect configuration (the client secret sealed with AES-GCM), its
//! self sign-up settings, the pending sign-ins (hashed state, nonce, PKCE
//! verifier; 10 minutes, single use) and the external accounts linked to
//! users (seed 002's `accounts`: provider = issuer, provider_account_id =
//! `sub`, unique together).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum SsoConfigs {
    Table,
    OrgId,
    IssuerUrl,
    ClientId,
    SecretNonce,
    SecretSealed,
    DisplayName,
    Enabled,
    AllowedDomains,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SignUpSettings {
    Table,
    OrgId,
    Enabled,
    AllowedDomains,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SsoStates {
    Table,
    Id,
    StateHash,
    OrgId,
    Nonce,
    PkceVerifier,
    NextPath,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    UserId,
    OrgId,
    Type,
    Provider,
    ProviderAccountId,
    CreatedAt,
    LastLoginAt,
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

fn fk_org<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Organizations::Table, Organizations::Id)
        .to_owned()
}

fn fk_user<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Accounts as A;
        use SignUpSettings as U;
        use SsoConfigs as C;
        use SsoStates as S;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(uuid_pk(C::OrgId))
                .col(text(C::IssuerUrl))
                .col(text(C::ClientId))
                .col(text(C::SecretNonce))
                .col(text(C::SecretSealed))
                .col(text(C::DisplayName))
                .col(bool(C::Enabled))
                .col(text(C::AllowedDomains))
                .col(uuid(C::UpdatedBy))
                .col(ts(C::CreatedAt))
                .col(ts(C::UpdatedAt))
                .foreign_key(&mut fk_org(C::Table, C::OrgId))
                .foreign_key(&mut fk_user(C::Table, C::UpdatedBy))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(U::Table)
                .col(uuid_pk(U::OrgId))
                .col(bool(U::Enabled))
                .col(text(U::AllowedDomains))
                .col(uuid(U::UpdatedBy))
                .col(ts(U::UpdatedAt))
                .foreign_key(&mut fk_org(U::Table, U::OrgId))
                .foreign_key(&mut fk_user(U::Table, U::UpdatedBy))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(S::Table)
                .col(uuid_pk(S::Id))
                .col(text(S::StateHash))
                .col(uuid(S::OrgId))
                .col(text(S::Nonce))
                .col(text(S::PkceVerifier))
                .col(text_null(S::NextPath))
                .col(ts(S::ExpiresAt))
                .col(ts(S::CreatedAt))
                .foreign_key(&mut fk_org(S::Table, S::OrgId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_sso_states_hash")
                .table(S::Table)
                .col(S::StateHash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sso_states_expires")
                .table(S::Table)
                .col(S::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(A::Table)
                .col(uuid_pk(A::Id))
                .col(uuid(A::UserId))
                .col(uuid(A::OrgId))
                .col(text(A::Type))
                .col(text(A::Provider))
                .col(text(A::ProviderAccountId))
                .col(ts(A::CreatedAt))
                .col(ts_null(A::LastLoginAt))
                .foreign_key(&mut fk_user(A::Table, A::UserId))
                .foreign_key(&mut fk_org(A::Table, A::OrgId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_accounts_provider_account")
                .table(A::Table)
                .col(A::Provider)
                .col(A::ProviderAccountId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_accounts_user")
                .table(A::Table)
                .col(A::UserId)
                .to_owned(),
        )
        .await
    }
}
