//! Evidence frames: the rows (metadata, nonce, where the ciphertext is).
//!
//! Blobs are content-addressed: a blob's key is the hex SHA-256 of its bytes
//! (the ciphertext; this layer never sees a key or a plaintext). The bytes
//! live in the server's blob store (local disk or S3, `files::blob`).

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

/// The key of `bytes` in a content-addressed store (hex SHA-256).
pub fn content_key(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
