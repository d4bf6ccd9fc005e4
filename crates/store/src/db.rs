//! Connections. SQLite is the embedded default: one file under the data
//! directory in WAL mode with `synchronous=FULL`, `foreign_keys=ON` and a busy
//! timeout. SQLite allows one writer at a time, so writes go through a
//! dedicated single-connection pool (`write`) and reads through a pool of
//! read-only connections (`read`); PostgreSQL uses one pool for both.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqlxPostgresConnector,
    SqlxSqliteConnector, Statement,
};
use sea_orm_migration::MigratorTrait;

use crate::migrations::Migrator;

/// A transaction on the write connection; `commit()` it, or drop it to roll back.
pub type Tx = sea_orm::DatabaseTransaction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the data lives. The PostgreSQL URL may hold a password, so this
/// type's `Debug` never prints it.
#[derive(Clone)]
pub enum DbTarget {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl std::fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbTarget::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            DbTarget::Postgres { .. } => f.write_str("Postgres { url: \"[redacted]\" }"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub target: DbTarget,
    /// Connections for PostgreSQL, or readers for SQLite.
    pub max_connections: u32,
    pub busy_timeout: Duration,
}

#[derive(Clone)]
pub struct Db {
    read: DatabaseConnection,
    write: DatabaseConnection,
    backend: Backend,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Db {
    pub async fn connect(opts: &DbOptions) -> Result<Db, DbErr> {
        match &opts.target {
            DbTarget::Sqlite { path } => {
                if let Some(dir) = path.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DbErr::Custom(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged commit survives power loss. Hot
                    // paths batch their writes so the fsync is shared.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(opts.busy_timeout)
                    .pragma("temp_store", "memory");
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(base.clone().create_if_missing(true))
                    .await
                    .map_err(sqlx_err)?;
                let readers = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(base.read_only(true))
                    .await
                    .map_err(sqlx_err)?;
                Ok(Db {
                    read: SqlxSqliteConnector::from_sqlx_sqlite_pool(readers),
                    write: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                    backend: Backend::Sqlite,
                })
            }
            DbTarget::Postgres { url } => {
                let options = PgConnectOptions::from_str(url).map_err(sqlx_err)?;
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .map_err(sqlx_err)?;
                let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                Ok(Db {
                    read: conn.clone(),
                    write: conn,
                    backend: Backend::Postgres,
                })
            }
        }
    }

    /// Connection for queries that only read.
    pub fn read(&self) -> &DatabaseConnection {
        &self.read
    }

    /// Connection for writes and read-then-write transactions.
    pub fn write(&self) -> &DatabaseConnection {
        &self.write
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// Starts a transaction on the write connection.
    pub async fn begin(&self) -> Result<Tx, DbErr> {
        use sea_orm::TransactionTrait;
        self.write.begin().await
    }

    /// Applies every pending migration, each in its own transaction.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.write, None).await
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(Migrator::get_pending_migrations(&self.write)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect())
    }

    /// Cheap round trip used by `/readyz`.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.read
            .query_one_raw(Statement::from_string(self.db_backend(), "SELECT 1"))
            .await?;
        Ok(())
    }

    /// Closes both pools; in-flight queries finish first.
    pub async fn close(self) -> Result<(), DbErr> {
        self.read.close().await?;
        if self.backend == Backend::Sqlite {
            self.write.close().await?;
        }
        Ok(())
    }
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(e.to_string())
}
