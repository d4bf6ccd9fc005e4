//! Evidence frames: the rows (metadata, nonce, where the ciphertext is) and
//! the blob store that holds the ciphertext outside the database.
//!
//! Blobs are content-addressed: a blob's key is the hex SHA-256 of its bytes
//! (the ciphertext; this layer never sees a key or a plaintext). On local
//! disk a blob lives at `<root>/ab/cd/abcd…` (two-level fan-out, so no
//! directory grows past 65 536 entries). [`EvidenceStore`] is the seam for an
//! S3-compatible store later.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use invigil_domain::review::IntegrityStatus;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entities::frame;
use crate::delivery::entities::session;
use crate::error::StoreResult;

pub use frame::Model as Frame;

/// Where encrypted evidence is kept.
pub trait EvidenceStore: Send + Sync {
    /// Stores `bytes` and returns their key (hex SHA-256 of `bytes`). Storing
    /// the same bytes twice is harmless. Durable when it returns.
    fn put(&self, bytes: &[u8]) -> impl Future<Output = io::Result<String>> + Send;
    /// The bytes under `key`, or `None` when there are none.
    fn get(&self, key: &str) -> impl Future<Output = io::Result<Option<Vec<u8>>>> + Send;
    /// Removes the bytes under `key`; a missing blob is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = io::Result<()>> + Send;
}

/// The key of `bytes` in a content-addressed store.
pub fn content_key(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Blobs in a directory on local disk (`<data_dir>/evidence`). Files are
/// written to a temporary name, fsynced and renamed, so a blob is either
/// whole or absent.
#[derive(Debug, Clone)]
pub struct LocalDiskStore {
    root: PathBuf,
}

impl LocalDiskStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalDiskStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`. Keys come from database rows: anything but 64
    /// lowercase hex digits is refused, so a bad row can never name a path
    /// outside the root.
    pub fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        let valid = key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not an evidence key",
            ));
        }
        Ok(self.root.join(&key[..2]).join(&key[2..4]).join(key))
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn write_blob(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    if path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("evidence path without a directory"))?;
    create_private_dir(dir)?;
    let tmp = dir.join(format!(".tmp-{}", Uuid::new_v4().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable once the directory is.
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(e.to_string()))?
}

impl EvidenceStore for LocalDiskStore {
    async fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let key = content_key(bytes);
        let path = self.path_of(&key)?;
        let bytes = bytes.to_vec();
        blocking(move || write_blob(&path, &bytes)).await?;
        Ok(key)
    }

    async fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

// ---- frame rows

pub async fn insert_frame<C: ConnectionTrait>(conn: &C, f: Frame) -> StoreResult<Frame> {
    Ok(frame::ActiveModel::from(f).insert(conn).await?)
}

/// A frame of a session of the organization.
pub async fn frame_in_session<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    session_id: Uuid,
    frame_id: Uuid,
) -> StoreResult<Option<Frame>> {
    Ok(frame::Entity::find_by_id(frame_id)
        .filter(frame::Column::OrgId.eq(org_id))
        .filter(frame::Column::SessionId.eq(session_id))
        .one(conn)
        .await?)
}

/// A session's frames, oldest first.
pub async fn frames_of_session<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
) -> StoreResult<Vec<Frame>> {
    Ok(frame::Entity::find()
        .filter(frame::Column::SessionId.eq(session_id))
        .order_by_asc(frame::Column::CapturedAt)
        .order_by_asc(frame::Column::Id)
        .all(conn)
        .await?)
}

/// A session's newest frame still held (not purged), if any: the live
/// console's thumbnail.
pub async fn latest_frame_of_session<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    session_id: Uuid,
) -> StoreResult<Option<Frame>> {
    Ok(frame::Entity::find()
        .filter(frame::Column::OrgId.eq(org_id))
        .filter(frame::Column::SessionId.eq(session_id))
        .filter(frame::Column::PurgedAt.is_null())
        .order_by_desc(frame::Column::CapturedAt)
        .order_by_desc(frame::Column::Id)
        .one(conn)
        .await?)
}

/// Organizations that still hold frames not purged.
pub async fn orgs_with_frames<C: ConnectionTrait>(conn: &C) -> StoreResult<Vec<Uuid>> {
    Ok(frame::Entity::find()
        .select_only()
        .column(frame::Column::OrgId)
        .filter(frame::Column::PurgedAt.is_null())
        .distinct()
        .into_tuple::<Uuid>()
        .all(conn)
        .await?)
}

/// Frames not yet purged of the organization's sessions whose integrity is
/// one of `statuses` and that finished — and, when decided, were decided — at
/// or before `cutoff`.
pub async fn purgeable_frames<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    statuses: &[IntegrityStatus],
    cutoff: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<Frame>> {
    let sessions = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(Expr::col(session::Column::OrgId).eq(org_id))
        .and_where(Expr::col(session::Column::IntegrityStatus).is_in(statuses.iter().copied()))
        .and_where(Expr::col(session::Column::FinishedAt).lte(cutoff))
        .and_where(
            Expr::col(session::Column::DecidedAt)
                .is_null()
                .or(Expr::col(session::Column::DecidedAt).lte(cutoff)),
        )
        .to_owned();
    Ok(frame::Entity::find()
        .filter(frame::Column::OrgId.eq(org_id))
        .filter(frame::Column::PurgedAt.is_null())
        .filter(Expr::col(frame::Column::SessionId).in_subquery(sessions))
        .order_by_asc(frame::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Whether a frame other than `except` still needs the blob `key`.
pub async fn key_still_used<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    except: &[Uuid],
) -> StoreResult<bool> {
    let mut q = frame::Entity::find()
        .filter(frame::Column::StorageKey.eq(key))
        .filter(frame::Column::PurgedAt.is_null());
    if !except.is_empty() {
        q = q.filter(frame::Column::Id.is_not_in(except.to_vec()));
    }
    Ok(q.one(conn).await?.is_some())
}

/// Marks frames purged (their ciphertext is gone). Returns how many changed.
pub async fn mark_purged<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        n += frame::Entity::update_many()
            .col_expr(frame::Column::PurgedAt, Expr::value(now))
            .filter(frame::Column::Id.is_in(chunk.to_vec()))
            .filter(frame::Column::PurgedAt.is_null())
            .exec(conn)
            .await?
            .rows_affected;
    }
    Ok(n)
}
