//! Sign-in sessions. A session is one refresh-token family: every refresh
//! rotates the pair; replaying the immediately previous refresh token within
//! the retry window is a retry of a lost response; any other reuse revokes the
//! family. Tokens are stored as SHA-256 hashes only.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::entities::{auth_session, auth_token, user};
use super::{RevokeReason, TokenKind};
use crate::Db;
use crate::error::StoreResult;

pub use auth_session::Model as Session;

/// Hashes of a freshly issued pair and their expiries.
#[derive(Debug, Clone)]
pub struct IssuedPair {
    pub access_hash: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_hash: String,
    pub refresh_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct ClientMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_fingerprint: Option<String>,
}

async fn insert_token<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    session_id: Uuid,
    kind: TokenKind,
    parent: Option<String>,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<()> {
    auth_token::ActiveModel {
        hash: Set(hash.to_owned()),
        session_id: Set(session_id),
        kind: Set(kind),
        parent_hash: Set(parent),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(())
}

async fn insert_session<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    meta: ClientMeta,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    auth_session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        ip: Set(meta.ip),
        user_agent: Set(meta.user_agent),
        device_fingerprint: Set(meta.device_fingerprint),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// Creates a session with its first pair.
pub async fn create<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    meta: ClientMeta,
    pair: &IssuedPair,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = insert_session(conn, user_id, meta, pair.refresh_expires_at, now).await?;
    insert_token(
        conn,
        &pair.access_hash,
        id,
        TokenKind::Access,
        None,
        now,
        pair.access_expires_at,
    )
    .await?;
    insert_token(
        conn,
        &pair.refresh_hash,
        id,
        TokenKind::Refresh,
        None,
        now,
        pair.refresh_expires_at,
    )
    .await?;
    Ok(id)
}

/// A session-scoped device credential (the paired phone): a session with a
/// single DEVICE token.
pub async fn create_device<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    meta: ClientMeta,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = insert_session(conn, user_id, meta, expires_at, now).await?;
    insert_token(
        conn,
        token_hash,
        id,
        TokenKind::Device,
        None,
        now,
        expires_at,
    )
    .await?;
    Ok(id)
}

/// Turns a session just opened by a sign-in into a browser session: its
/// ACCESS and REFRESH tokens are revoked and one WEB token (the hash of the
/// cookie) becomes its only credential; the session now ends at
/// `expires_at`. False when the session is not live.
pub async fn convert_to_web<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    web_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let live = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(auth_session::Column::LastSeenAt, Expr::value(now))
        .filter(auth_session::Column::Id.eq(session_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if !live {
        return Ok(false);
    }
    revoke_tokens_where(
        conn,
        Condition::all().add(auth_token::Column::SessionId.eq(session_id)),
        now,
    )
    .await?;
    insert_token(
        conn,
        web_hash,
        session_id,
        TokenKind::Web,
        None,
        now,
        expires_at,
    )
    .await?;
    Ok(true)
}

/// The user and session behind a live token of `kind`.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub session_id: Uuid,
    pub user: user::Model,
    /// When the token that authenticated expires.
    pub expires_at: DateTime<Utc>,
}

pub async fn authenticate<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    kind: TokenKind,
    now: DateTime<Utc>,
) -> StoreResult<Option<Authenticated>> {
    let Some(token) = auth_token::Entity::find_by_id(token_hash.to_owned())
        .filter(auth_token::Column::Kind.eq(kind))
        .filter(auth_token::Column::RevokedAt.is_null())
        .filter(auth_token::Column::ExpiresAt.gt(now))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(session) = auth_session::Entity::find_by_id(token.session_id)
        .filter(auth_session::Column::RevokedAt.is_null())
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = user::Entity::find_by_id(session.user_id).one(conn).await? else {
        return Ok(None);
    };
    Ok(Some(Authenticated {
        session_id: session.id,
        user,
        expires_at: token.expires_at,
    }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The token was live: a new pair was issued in the same session.
    Rotated { session_id: Uuid, user_id: Uuid },
    /// The previous token, replayed within the retry window: a fresh pair,
    /// and the pair it replaced revoked.
    Retried { session_id: Uuid, user_id: Uuid },
    /// Reuse outside the window: the whole family is now revoked.
    Reused { session_id: Uuid, user_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
}

async fn revoke_tokens_where<C: ConnectionTrait>(
    conn: &C,
    cond: Condition,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    auth_token::Entity::update_many()
        .col_expr(auth_token::Column::RevokedAt, Expr::value(now))
        .filter(cond)
        .filter(auth_token::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Rotates `refresh_hash` into `new_pair` in one write transaction, so of
/// two concurrent refreshes with one token exactly one rotates and the other
/// is treated as its retry.
pub async fn refresh(
    db: &Db,
    refresh_hash: &str,
    new_pair: &IssuedPair,
    retry_window: Duration,
    now: DateTime<Utc>,
) -> StoreResult<RefreshOutcome> {
    let txn = db.write().begin().await?;
    let Some(token) = auth_token::Entity::find_by_id(refresh_hash.to_owned())
        .filter(auth_token::Column::Kind.eq(TokenKind::Refresh))
        .one(&txn)
        .await?
    else {
        return Ok(RefreshOutcome::Invalid);
    };
    let Some(session) = auth_session::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
    else {
        return Ok(RefreshOutcome::Invalid);
    };
    if session.revoked_at.is_some() || token.expires_at <= now {
        return Ok(RefreshOutcome::Invalid);
    }
    let ids = (session.id, session.user_id);
    if token.revoked_at.is_some() {
        // A token that a retry replaced (its response was taken for lost).
        // If the family has moved on since (a later refresh token was used),
        // two parties hold this family: reuse, the family dies. Otherwise the
        // token is just dead.
        let moved_on = family_moved_past(&txn, session.id, &token).await?;
        if !moved_on {
            return Ok(RefreshOutcome::Invalid);
        }
        revoke_session_in(&txn, session.id, RevokeReason::RefreshTokenReuse, now).await?;
        txn.commit().await?;
        return Ok(RefreshOutcome::Reused {
            session_id: ids.0,
            user_id: ids.1,
        });
    }

    // Take the token: the conditional update decides the single winner.
    let taken = auth_token::Entity::update_many()
        .col_expr(auth_token::Column::UsedAt, Expr::value(now))
        .filter(auth_token::Column::Hash.eq(refresh_hash))
        .filter(auth_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;

    let outcome = if taken {
        // Only the newest pair stays live.
        revoke_tokens_where(
            &txn,
            Condition::all()
                .add(auth_token::Column::SessionId.eq(session.id))
                .add(auth_token::Column::Kind.eq(TokenKind::Access)),
            now,
        )
        .await?;
        RefreshOutcome::Rotated {
            session_id: ids.0,
            user_id: ids.1,
        }
    } else {
        // Already used: a retry only if it was used moments ago and its
        // successor has not been used yet (that successor is the lost
        // response). A successor that was used, or none left, means someone
        // else moved the family on: reuse.
        let used_at = auth_token::Entity::find_by_id(refresh_hash.to_owned())
            .one(&txn)
            .await?
            .and_then(|t| t.used_at);
        let successor = auth_token::Entity::find()
            .filter(auth_token::Column::ParentHash.eq(refresh_hash))
            .filter(auth_token::Column::UsedAt.is_null())
            .filter(auth_token::Column::RevokedAt.is_null())
            .order_by_desc(auth_token::Column::CreatedAt)
            .one(&txn)
            .await?;
        let within =
            used_at.is_some_and(|u| now - u <= retry_window) && retry_window > Duration::zero();
        match successor {
            Some(next) if within => {
                revoke_tokens_where(
                    &txn,
                    Condition::all()
                        .add(auth_token::Column::SessionId.eq(session.id))
                        .add(
                            Condition::any()
                                .add(auth_token::Column::Hash.eq(next.hash.clone()))
                                .add(auth_token::Column::Kind.eq(TokenKind::Access)),
                        ),
                    now,
                )
                .await?;
                RefreshOutcome::Retried {
                    session_id: ids.0,
                    user_id: ids.1,
                }
            }
            _ => {
                revoke_session_in(&txn, session.id, RevokeReason::RefreshTokenReuse, now).await?;
                txn.commit().await?;
                return Ok(RefreshOutcome::Reused {
                    session_id: ids.0,
                    user_id: ids.1,
                });
            }
        }
    };
    insert_token(
        &txn,
        &new_pair.access_hash,
        session.id,
        TokenKind::Access,
        None,
        now,
        new_pair.access_expires_at,
    )
    .await?;
    insert_token(
        &txn,
        &new_pair.refresh_hash,
        session.id,
        TokenKind::Refresh,
        Some(refresh_hash.to_owned()),
        now,
        new_pair.refresh_expires_at,
    )
    .await?;
    auth_session::Entity::update_many()
        .col_expr(auth_session::Column::LastSeenAt, Expr::value(now))
        .col_expr(
            auth_session::Column::ExpiresAt,
            Expr::value(new_pair.refresh_expires_at),
        )
        .filter(auth_session::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Whether a refresh token of the family other than `token` and its
/// ancestors (which were all used to get to it) has been used: then the
/// family went on without `token`. Walks the family in memory; this runs only
/// when a revoked token is presented.
async fn family_moved_past<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    token: &auth_token::Model,
) -> StoreResult<bool> {
    let family = auth_token::Entity::find()
        .filter(auth_token::Column::SessionId.eq(session_id))
        .filter(auth_token::Column::Kind.eq(TokenKind::Refresh))
        .all(conn)
        .await?;
    let parents: HashMap<&str, Option<&str>> = family
        .iter()
        .map(|t| (t.hash.as_str(), t.parent_hash.as_deref()))
        .collect();
    let mut lineage: HashSet<&str> = HashSet::from([token.hash.as_str()]);
    let mut parent = token.parent_hash.as_deref();
    while let Some(p) = parent {
        if !lineage.insert(p) {
            break;
        }
        parent = parents.get(p).copied().flatten();
    }
    Ok(family
        .iter()
        .any(|t| t.used_at.is_some() && !lineage.contains(t.hash.as_str())))
}

async fn revoke_session_in<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = auth_session::Entity::update_many()
        .col_expr(auth_session::Column::RevokedAt, Expr::value(now))
        .col_expr(
            auth_session::Column::RevokeReason,
            Expr::value(reason.name()),
        )
        .filter(auth_session::Column::Id.eq(session_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    revoke_tokens_where(
        conn,
        Condition::all().add(auth_token::Column::SessionId.eq(session_id)),
        now,
    )
    .await?;
    Ok(res.rows_affected == 1)
}

/// Revokes one session and its tokens.
pub async fn revoke<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    revoke_session_in(conn, session_id, reason, now).await
}

/// Revokes one of the user's own sessions; false when it is not theirs.
pub async fn revoke_own<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let owned = auth_session::Entity::find_by_id(session_id)
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    if !owned {
        return Ok(false);
    }
    revoke_session_in(conn, session_id, RevokeReason::UserRevoked, now).await
}

/// Revokes every session of a user except `keep`; returns how many.
pub async fn revoke_all_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    keep: Option<Uuid>,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    let mut find = auth_session::Entity::find()
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null());
    if let Some(k) = keep {
        find = find.filter(auth_session::Column::Id.ne(k));
    }
    let sessions = find.all(conn).await?;
    let mut n = 0;
    for s in sessions {
        if revoke_session_in(conn, s.id, reason, now).await? {
            n += 1;
        }
    }
    Ok(n)
}

/// Revokes the device (paired phone) credentials the user holds for exam
/// sessions of one organization; returns how many. Sign-ins and devices of
/// other organizations are untouched. Reads the pairings (proctoring's rows)
/// only to find the credentials, which are identity's.
pub async fn revoke_devices_in_org<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    org_id: Uuid,
    reason: RevokeReason,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    use crate::proctoring::entities::pairing;
    // The user's live sessions are few; the org's pairings may be many.
    let live: Vec<Uuid> = auth_session::Entity::find()
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut n = 0;
    for chunk in live.chunks(500) {
        let devices = pairing::Entity::find()
            .filter(pairing::Column::OrgId.eq(org_id))
            .filter(pairing::Column::DeviceAuthSessionId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        for p in devices {
            if let Some(id) = p.device_auth_session_id
                && revoke_session_in(conn, id, reason, now).await?
            {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Live sessions of a user, newest first.
pub async fn list_for_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Session>> {
    Ok(auth_session::Entity::find()
        .filter(auth_session::Column::UserId.eq(user_id))
        .filter(auth_session::Column::RevokedAt.is_null())
        .filter(auth_session::Column::ExpiresAt.gt(now))
        .order_by_desc(auth_session::Column::CreatedAt)
        .all(conn)
        .await?)
}

/// Deletes sessions (and their tokens) that expired or were revoked before
/// `before` (seed 003: expired sessions are cleaned up).
pub async fn delete_expired<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    keep_revoked_for: Duration,
) -> StoreResult<u64> {
    let old = auth_session::Entity::find()
        .filter(
            Condition::any()
                .add(auth_session::Column::ExpiresAt.lt(now))
                .add(auth_session::Column::RevokedAt.lt(now - keep_revoked_for)),
        )
        .all(conn)
        .await?;
    if old.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = old.iter().map(|s| s.id).collect();
    for chunk in ids.chunks(500) {
        auth_token::Entity::delete_many()
            .filter(auth_token::Column::SessionId.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
        auth_session::Entity::delete_many()
            .filter(auth_session::Column::Id.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
    }
    // Expired tokens of live sessions (old access tokens) go too.
    auth_token::Entity::delete_many()
        .filter(auth_token::Column::ExpiresAt.lt(now - Duration::days(1)))
        .exec(conn)
        .await?;
    Ok(ids.len() as u64)
}
