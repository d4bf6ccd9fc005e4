//! Connections. SQLite is the embedded default: one file under the data
//! directory in WAL mode with `synchronous=FULL`, `foreign_keys=ON` and a busy
//! timeout. SQLite allows one writer at a time, so writes go through a
//! dedicated single-connection pool (`write`) and reads through a pool of
//! read-only connections (`read`); PostgreSQL uses one pool for both.
//!
//! SQLite files are private: the data directory is created 0700 and the
//! database file 0600 before SQLite opens it (its `-wal` and `-shm` files
//! take the database file's mode). [`Db::checkpoint_wal`] keeps the WAL from
//! growing without bound.

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
    /// The SQLite database file (housekeeping opens its own connection).
    sqlite_path: Option<PathBuf>,
    /// The existing SQLite file was readable by group or others at connect.
    open_to_others: bool,
}

/// What one WAL checkpoint did (SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalCheckpoint {
    /// Frames in the WAL before the checkpoint.
    pub log_frames: i64,
    /// Frames copied into the database file.
    pub checkpointed_frames: i64,
    /// Whether the WAL file was truncated to zero bytes.
    pub truncated: bool,
    /// Size of the `-wal` file before and after, in bytes.
    pub wal_bytes_before: u64,
    pub wal_bytes_after: u64,
}

/// WAL size SQLite truncates the file down to when it resets the log.
const JOURNAL_SIZE_LIMIT: &str = "67108864";
/// How long the checkpointer waits for the writer or a reader before it
/// gives up for this round (it must never hold up autosaves).
const CHECKPOINT_BUSY: Duration = Duration::from_millis(100);

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
                let open_to_others = prepare_private_file(path)?;
                let base = SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an acknowledged commit survives power loss. Hot
                    // paths batch their writes so the fsync is shared.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(opts.busy_timeout)
                    .pragma("temp_store", "memory")
                    // A reset WAL is cut back to this size (the checkpoint
                    // job truncates it to zero when it can).
                    .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT);
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
                    sqlite_path: Some(path.clone()),
                    open_to_others,
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
                    sqlite_path: None,
                    open_to_others: false,
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

    /// The SQLite database file when it existed already and group or others
    /// may read it (the caller warns: `chmod 600` it and its `-wal`/`-shm`).
    /// A file created here is always private (0600).
    pub fn file_readable_by_others(&self) -> Option<&std::path::Path> {
        self.sqlite_path.as_deref().filter(|_| self.open_to_others)
    }

    /// Whether the database keeps a WAL file of ours that needs periodic
    /// checkpoints (SQLite); see [`Db::checkpoint_wal`].
    pub fn has_wal(&self) -> bool {
        self.sqlite_path.is_some()
    }

    /// Whether bulk writes (imports) should commit in chunks rather than in
    /// one transaction. SQLite has one writer: a long transaction stalls
    /// every autosave, so bulk writes release it between chunks. PostgreSQL
    /// writers do not block each other, and each new transaction waits again
    /// for a pooled connection (behind the requests' reads under load), so
    /// one transaction is faster there and keeps the import atomic.
    pub fn bulk_writes_in_chunks(&self) -> bool {
        self.backend == Backend::Sqlite
    }

    /// Starts a transaction on the write connection. On SQLite it begins
    /// IMMEDIATE: the write lock is taken at BEGIN, waiting (busy timeout)
    /// for any other connection that holds it. A DEFERRED transaction that
    /// reads first and writes later fails at once with "database is locked"
    /// (SQLITE_BUSY_SNAPSHOT, no waiting) when another connection wrote in
    /// between — seen at `invigil demo` start while the jobs ran.
    pub async fn begin(&self) -> Result<Tx, DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        match self.backend {
            Backend::Sqlite => {
                self.write
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..TransactionOptions::default()
                    })
                    .await
            }
            Backend::Postgres => self.write.begin().await,
        }
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

    /// Checkpoints the SQLite WAL; `None` on PostgreSQL (which has no WAL
    /// file of ours to manage: the only backend branch here).
    ///
    /// A PASSIVE checkpoint first copies what it can without waiting for
    /// anyone; when it copied everything, a TRUNCATE resets the WAL file to
    /// zero bytes. Both run on a connection of their own with a short busy
    /// timeout, so the writer connection (autosaves) is never held: when a
    /// reader or the writer is busy, this round gives up and the next one
    /// tries again.
    pub async fn checkpoint_wal(&self) -> Result<Option<WalCheckpoint>, DbErr> {
        use sea_orm::sqlx::{ConnectOptions, Connection, Row};
        let Some(path) = &self.sqlite_path else {
            return Ok(None);
        };
        let wal = wal_path(path);
        let size = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let wal_bytes_before = size(&wal);
        let mut conn = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(CHECKPOINT_BUSY)
            .connect()
            .await
            .map_err(sqlx_err)?;
        let row = sea_orm::sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut conn)
            .await
            .map_err(sqlx_err)?;
        let (busy, log_frames, checkpointed_frames): (i64, i64, i64) = (
            row.try_get(0).map_err(sqlx_err)?,
            row.try_get(1).map_err(sqlx_err)?,
            row.try_get(2).map_err(sqlx_err)?,
        );
        let mut truncated = false;
        if busy == 0 && checkpointed_frames >= log_frames && wal_bytes_before > 0 {
            let row = sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut conn)
                .await
                .map_err(sqlx_err)?;
            truncated = row.try_get::<i64, _>(0).map_err(sqlx_err)? == 0;
        }
        conn.close().await.map_err(sqlx_err)?;
        Ok(Some(WalCheckpoint {
            log_frames,
            checkpointed_frames,
            truncated,
            wal_bytes_before,
            wal_bytes_after: size(&wal),
        }))
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

/// The `-wal` file of a SQLite database file.
pub fn wal_path(db: &std::path::Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Creates `dir` (and missing parents) readable by the owner only (0700 on
/// Unix). An existing directory is left as it is.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Makes sure the database file exists with mode 0600 before SQLite opens it:
/// SQLite creates its `-wal` and `-shm` files with the database file's mode,
/// so they are private too. An existing file keeps its mode; the answer says
/// whether others may read it (true), for the caller to warn.
fn prepare_private_file(path: &std::path::Path) -> Result<bool, DbErr> {
    let io = |e: std::io::Error| DbErr::Custom(format!("cannot create {}: {e}", path.display()));
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        create_private_dir(dir).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                Ok(
                    std::fs::metadata(path)
                        .is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0),
                )
            }
            #[cfg(not(unix))]
            Ok(false)
        }
        Err(e) => Err(io(e)),
    }
}

/// Whether a failed statement was refused for its data (a constraint, a
/// value out of range, bad encoding): retrying the same write fails the same
/// way. Connection, pool, lock and serialization failures are not data
/// errors: they may pass on a retry.
pub fn is_data_error(e: &DbErr) -> bool {
    use std::ops::Deref;
    if e.sql_err().is_some() {
        return true;
    }
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(inner))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(inner))) = e
    else {
        return false;
    };
    let sea_orm::sqlx::Error::Database(db) = inner.deref() else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    if db
        .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        // Class 22: data exception; class 23: integrity constraint violation.
        return code.starts_with("22") || code.starts_with("23");
    }
    // SQLite (extended) result codes: the primary code is the low byte.
    // 18 TOOBIG, 19 CONSTRAINT, 20 MISMATCH, 25 RANGE.
    code.parse::<i64>()
        .is_ok_and(|c| matches!(c & 0xff, 18 | 19 | 20 | 25))
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(e.to_string())
}
