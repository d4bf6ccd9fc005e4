//! Schema migrations, in Rust, one transaction each, identical on SQLite and
//! PostgreSQL. Add a module per change (expand/contract: never edit a
//! migration that has shipped) and list it below in order.

use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_identity;
mod m0003_content;
mod m0004_exams;
mod m0005_proctoring;
mod m0006_one_time_payload;
mod m0007_external_results;
mod m0008_files;
mod m0009_courses;
mod m0010_notifications;
mod m0011_payments;
mod m0015_cache_epochs;
mod m0016_org_kind;
mod m0017_profiles;
mod m0018_sso;
mod m0019_certificates;
mod m0020_hiring;
mod m0021_practice;
mod m0022_audit_pending;
mod m0023_bank_revision;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_identity::Migration),
            Box::new(m0003_content::Migration),
            Box::new(m0004_exams::Migration),
            Box::new(m0005_proctoring::Migration),
            Box::new(m0006_one_time_payload::Migration),
            Box::new(m0007_external_results::Migration),
            Box::new(m0008_files::Migration),
            Box::new(m0009_courses::Migration),
            Box::new(m0010_notifications::Migration),
            Box::new(m0011_payments::Migration),
            Box::new(m0015_cache_epochs::Migration),
            Box::new(m0016_org_kind::Migration),
            Box::new(m0017_profiles::Migration),
            Box::new(m0018_sso::Migration),
            Box::new(m0019_certificates::Migration),
            Box::new(m0020_hiring::Migration),
            Box::new(m0021_practice::Migration),
            Box::new(m0022_audit_pending::Migration),
            Box::new(m0023_bank_revision::Migration),
        ]
    }
}

/// Column helpers shared by migrations, so both backends get the same types:
/// UUIDs, UTC timestamps (`timestamptz` on PostgreSQL, RFC 3339 text on
/// SQLite), JSON (`jsonb` / text).
pub(crate) mod cols {
    use sea_orm_migration::prelude::*;

    pub fn uuid_pk<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).uuid().not_null().primary_key().take()
    }
    pub fn uuid<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).uuid().not_null().take()
    }
    pub fn uuid_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).uuid().null().take()
    }
    pub fn ts<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name)
            .timestamp_with_time_zone()
            .not_null()
            .take()
    }
    pub fn ts_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name)
            .timestamp_with_time_zone()
            .null()
            .take()
    }
    pub fn text<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).text().not_null().take()
    }
    pub fn text_null<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).text().null().take()
    }
    pub fn int<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).integer().not_null().take()
    }
    pub fn big<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).big_integer().not_null().take()
    }
    pub fn bool<T: IntoIden>(name: T) -> ColumnDef {
        ColumnDef::new(name).boolean().not_null().take()
    }
}
