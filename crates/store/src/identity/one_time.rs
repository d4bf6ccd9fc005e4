//! One-time tokens (email verification, password reset, invitation): stored
//! hashed, single use, deleted on use.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use super::OneTimeKind;
use super::entities::one_time_token;
use crate::error::StoreResult;

pub use one_time_token::Model as OneTimeToken;

impl OneTimeToken {
    /// The kind-specific payload (`None` when the token has none); a payload
    /// that does not decode as `T` is an error.
    pub fn payload_as<T: serde::de::DeserializeOwned>(&self) -> StoreResult<Option<T>> {
        self.payload
            .as_deref()
            .map(|p| crate::error::decode_json(format_args!("one-time token {}", self.id), p))
            .transpose()
    }
}

#[derive(Debug, Clone)]
pub struct NewOneTime<'a> {
    pub hash: &'a str,
    pub kind: OneTimeKind,
    pub user_id: Uuid,
    pub email: Option<String>,
    pub org_id: Option<Uuid>,
    /// Kind-specific JSON (see the entity).
    pub payload: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Stores a token; returns its public id (e.g. the invitation id).
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    new: NewOneTime<'_>,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    one_time_token::ActiveModel {
        hash: Set(new.hash.to_owned()),
        id: Set(id),
        kind: Set(new.kind),
        user_id: Set(new.user_id),
        email: Set(new.email),
        org_id: Set(new.org_id),
        payload: Set(new.payload),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Looks a token up without using it.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    kind: OneTimeKind,
    hash: &str,
) -> StoreResult<Option<OneTimeToken>> {
    Ok(one_time_token::Entity::find_by_id(hash.to_owned())
        .filter(one_time_token::Column::Kind.eq(kind))
        .one(conn)
        .await?)
}

/// Deletes and returns the token if it exists, is of `kind` and has not
/// expired. Exactly one caller can consume a token: the delete decides.
pub async fn consume<C: ConnectionTrait>(
    conn: &C,
    kind: OneTimeKind,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<OneTimeToken>> {
    let Some(token) = one_time_token::Entity::find_by_id(hash.to_owned())
        .filter(one_time_token::Column::Kind.eq(kind))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let deleted = one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::Hash.eq(hash))
        .exec(conn)
        .await?;
    if deleted.rows_affected != 1 || token.expires_at <= now {
        return Ok(None);
    }
    Ok(Some(token))
}

/// Removes a user's unused tokens of a kind (e.g. older reset links).
pub async fn delete_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: OneTimeKind,
) -> StoreResult<u64> {
    Ok(one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Kind.eq(kind))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Removes a user's unused invitations of one organization: a new invitation
/// replaces the earlier one of the same organization, never another's.
pub async fn delete_invitations_in_org<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    org_id: Uuid,
) -> StoreResult<u64> {
    Ok(one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Kind.eq(OneTimeKind::Invitation))
        .filter(one_time_token::Column::OrgId.eq(org_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// Removes a user's tokens of `kind` created after `after` (an email revert
/// cancels the changes that followed it, and their own revert links).
pub async fn delete_for_user_after<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: OneTimeKind,
    after: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Kind.eq(kind))
        .filter(one_time_token::Column::CreatedAt.gt(after))
        .exec(conn)
        .await?
        .rows_affected)
}

pub async fn delete_expired<C: ConnectionTrait>(conn: &C, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected)
}

/// The pending (unused, unexpired) invitations of an organization, newest
/// first, at most `limit`.
pub async fn invitations_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    now: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<OneTimeToken>> {
    Ok(one_time_token::Entity::find()
        .filter(one_time_token::Column::Kind.eq(OneTimeKind::Invitation))
        .filter(one_time_token::Column::OrgId.eq(org_id))
        .filter(one_time_token::Column::ExpiresAt.gt(now))
        .order_by_desc(one_time_token::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Removes every one-time token of a user, of every kind (erasure).
pub async fn delete_all_for_user<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<u64> {
    Ok(one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .exec(conn)
        .await?
        .rows_affected)
}
