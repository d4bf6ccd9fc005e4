//! Invigil persistence. SeaORM entities and migrations shared by SQLite and
//! PostgreSQL, and one implementation of each module's persistence. Only this
//! crate may branch on the backend, and it says why where it does.

pub mod audit;
pub mod cache_epochs;
pub mod certificates;
pub mod content;
pub mod courses;
pub mod db;
pub mod delivery;
pub mod error;
pub mod exams;
pub mod files;
pub mod grading;
pub mod hiring;
pub mod idempotency;
pub mod identity;
pub mod jobs;
pub mod live;
pub mod migrations;
pub mod notify;
pub mod outbox;
pub mod page;
pub mod payments;
pub mod people;
pub mod practice;
pub mod proctoring;
pub mod records;
pub mod review;
pub mod scope;
pub mod sso;
pub mod tenancy;

pub use db::{Backend, Db, DbTarget, Tx};
pub use error::StoreError;
pub use page::{Keyset, KeysetPage};
pub use scope::DeptScope;
pub use sea_orm::{ConnectionTrait, DbErr};
