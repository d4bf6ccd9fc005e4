//! Idempotency keys: the first POST with a key reserves it; its response is
//! stored and replayed for retries with the same body. Keys are per user and
//! kept 24 hours.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::error::{StoreResult, is_unique_violation};

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        /// SHA-256 of method, path and body.
        pub request_hash: String,
        /// NULL while the first request is still running.
        pub status: Option<i32>,
        pub body: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entity::Model as IdempotencyRecord;

/// What a new request with a key should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// The key is new: run the request, then `complete` or `release`.
    Fresh,
    /// The same request finished before: replay this response.
    Replay { status: u16, body: String },
    /// The key was used with another request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

/// Reserves `key` for a new request. A reservation still pending after
/// `stale_after` belongs to a request that died without releasing it (the
/// process was killed): the same request may then take it over.
pub async fn reserve<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    stale_after: chrono::Duration,
) -> StoreResult<Reservation> {
    let inserted = entity::ActiveModel {
        user_id: Set(user_id),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(None),
        body: Set(None),
        created_at: Set(now),
    }
    .insert(conn)
    .await;
    match inserted {
        Ok(_) => Ok(Reservation::Fresh),
        Err(e) if is_unique_violation(&e) => {
            let Some(r) = entity::Entity::find_by_id((user_id, key.to_owned()))
                .one(conn)
                .await?
            else {
                return Ok(Reservation::InProgress);
            };
            if r.request_hash != request_hash {
                return Ok(Reservation::Mismatch);
            }
            match (r.status, r.body) {
                (Some(s), Some(b)) => Ok(Reservation::Replay {
                    status: u16::try_from(s).unwrap_or(200),
                    body: b,
                }),
                _ if now
                    .checked_sub_signed(stale_after)
                    .is_some_and(|limit| r.created_at < limit) =>
                {
                    // Take the dead reservation over; of two retries racing
                    // for it, the one whose update matches wins.
                    let taken = entity::Entity::update_many()
                        .col_expr(entity::Column::CreatedAt, Expr::value(now))
                        .filter(entity::Column::UserId.eq(user_id))
                        .filter(entity::Column::Key.eq(key))
                        .filter(entity::Column::Status.is_null())
                        .filter(entity::Column::CreatedAt.eq(r.created_at))
                        .exec(conn)
                        .await?;
                    Ok(if taken.rows_affected == 1 {
                        Reservation::Fresh
                    } else {
                        Reservation::InProgress
                    })
                }
                _ => Ok(Reservation::InProgress),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn complete<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    key: &str,
    status: u16,
    body: &str,
) -> StoreResult<()> {
    entity::Entity::update_many()
        .col_expr(entity::Column::Status, Expr::value(i32::from(status)))
        .col_expr(entity::Column::Body, Expr::value(body))
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Frees a key whose request failed on the server's side, so it may be retried.
pub async fn release<C: ConnectionTrait>(conn: &C, user_id: Uuid, key: &str) -> StoreResult<()> {
    entity::Entity::delete_many()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::Key.eq(key))
        .exec(conn)
        .await?;
    Ok(())
}

/// Frees a key whose request never finished (cancelled by the client or
/// cut by the request timeout). A key whose response was stored is kept.
pub async fn release_pending<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    key: &str,
) -> StoreResult<bool> {
    let res = entity::Entity::delete_many()
        .filter(entity::Column::UserId.eq(user_id))
        .filter(entity::Column::Key.eq(key))
        .filter(entity::Column::Status.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected > 0)
}

/// The stored record of a key (tests and diagnostics).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    key: &str,
) -> StoreResult<Option<IdempotencyRecord>> {
    Ok(entity::Entity::find_by_id((user_id, key.to_owned()))
        .one(conn)
        .await?)
}

pub async fn delete_before<C: ConnectionTrait>(
    conn: &C,
    before: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::CreatedAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}
