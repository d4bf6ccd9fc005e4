//! Profiles, instructor and company profiles, and API keys (issue 16, seed
//! 002). Lists and the preferences object are JSON text (the same on both
//! backends; nothing queries inside them).

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum Profiles {
    Table,
    UserId,
    Bio,
    Phone,
    TimeZone,
    Locale,
    Skills,
    Languages,
    Location,
    Linkedin,
    Github,
    Website,
    Preferences,
    AvatarKey,
    AvatarType,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstructorProfiles {
    Table,
    UserId,
    Specializations,
    Certifications,
    YearsOfExperience,
    IsVerified,
    VerifiedAt,
    VerifiedBy,
    VerifiedOrgId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CompanyProfiles {
    Table,
    OrgId,
    CompanyName,
    Industry,
    CompanySize,
    Website,
    Description,
    Address,
    Country,
    LogoKey,
    LogoType,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    OrgId,
    Name,
    Prefix,
    Hash,
    Roles,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
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

fn fk_user<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Users::Table, Users::Id)
        .to_owned()
}

fn fk_org<T: IntoIden + 'static, C: IntoIden + 'static>(
    table: T,
    col: C,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(Organizations::Table, Organizations::Id)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ApiKeys as K;
        use CompanyProfiles as C;
        use InstructorProfiles as I;
        use Profiles as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .col(uuid_pk(P::UserId))
                .col(text_null(P::Bio))
                .col(text_null(P::Phone))
                .col(text_null(P::TimeZone))
                .col(text_null(P::Locale))
                .col(text(P::Skills))
                .col(text(P::Languages))
                .col(text_null(P::Location))
                .col(text_null(P::Linkedin))
                .col(text_null(P::Github))
                .col(text_null(P::Website))
                .col(text(P::Preferences))
                .col(text_null(P::AvatarKey))
                .col(text_null(P::AvatarType))
                .col(ts(P::CreatedAt))
                .col(ts(P::UpdatedAt))
                .foreign_key(&mut fk_user(P::Table, P::UserId))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(I::Table)
                .col(uuid_pk(I::UserId))
                .col(text(I::Specializations))
                .col(text(I::Certifications))
                .col(ColumnDef::new(I::YearsOfExperience).integer().null())
                .col(bool(I::IsVerified))
                .col(ts_null(I::VerifiedAt))
                .col(uuid_null(I::VerifiedBy))
                .col(uuid_null(I::VerifiedOrgId))
                .col(ts(I::CreatedAt))
                .col(ts(I::UpdatedAt))
                .foreign_key(&mut fk_user(I::Table, I::UserId))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(uuid_pk(C::OrgId))
                .col(text(C::CompanyName))
                .col(text_null(C::Industry))
                .col(text_null(C::CompanySize))
                .col(text_null(C::Website))
                .col(text_null(C::Description))
                .col(text_null(C::Address))
                .col(text_null(C::Country))
                .col(text_null(C::LogoKey))
                .col(text_null(C::LogoType))
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
                .table(K::Table)
                .col(uuid_pk(K::Id))
                .col(uuid(K::OrgId))
                .col(text(K::Name))
                .col(text(K::Prefix))
                .col(text(K::Hash))
                .col(text(K::Roles))
                .col(uuid(K::CreatedBy))
                .col(ts(K::CreatedAt))
                .col(ts_null(K::ExpiresAt))
                .col(ts_null(K::RevokedAt))
                .col(ts_null(K::LastUsedAt))
                .foreign_key(&mut fk_org(K::Table, K::OrgId))
                .foreign_key(&mut fk_user(K::Table, K::CreatedBy))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_api_keys_hash")
                .table(K::Table)
                .col(K::Hash)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_api_keys_org")
                .table(K::Table)
                .col(K::OrgId)
                .col(K::Id)
                .to_owned(),
        )
        .await
    }
}
