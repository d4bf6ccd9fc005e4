//! Login throttles per normalised email and fixed-window rate limits per key
//! (e.g. per IP). Both live in the database so replicas share them; the rules
//! are in `invigil_domain::identity::lockout`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use super::entities::{login_throttle, rate_limit};
use crate::error::StoreResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleRow {
    pub failures: u32,
    pub window_started_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
    pub lock_streak: u32,
    pub last_locked_at: Option<DateTime<Utc>>,
}

pub async fn get<C: ConnectionTrait>(conn: &C, key: &str) -> StoreResult<ThrottleRow> {
    Ok(login_throttle::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|m| ThrottleRow {
            failures: u32::try_from(m.failures).unwrap_or(0),
            window_started_at: m.window_started_at,
            locked_until: m.locked_until,
            lock_streak: u32::try_from(m.lock_streak).unwrap_or(0),
            last_locked_at: m.last_locked_at,
        })
        .unwrap_or_default())
}

pub async fn put<C: ConnectionTrait>(conn: &C, key: &str, row: ThrottleRow) -> StoreResult<()> {
    let model = login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(i32::try_from(row.failures).unwrap_or(i32::MAX)),
        window_started_at: Set(row.window_started_at),
        locked_until: Set(row.locked_until),
        lock_streak: Set(i32::try_from(row.lock_streak).unwrap_or(i32::MAX)),
        last_locked_at: Set(row.last_locked_at),
    };
    login_throttle::Entity::insert(model)
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .update_columns([
                    login_throttle::Column::Failures,
                    login_throttle::Column::WindowStartedAt,
                    login_throttle::Column::LockedUntil,
                    login_throttle::Column::LockStreak,
                    login_throttle::Column::LastLockedAt,
                ])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn rate_get<C: ConnectionTrait>(
    conn: &C,
    key: &str,
) -> StoreResult<Option<(DateTime<Utc>, u32)>> {
    Ok(rate_limit::Entity::find_by_id(key.to_owned())
        .one(conn)
        .await?
        .map(|m| (m.window_start, u32::try_from(m.count).unwrap_or(0))))
}

pub async fn rate_put<C: ConnectionTrait>(
    conn: &C,
    key: &str,
    window_start: DateTime<Utc>,
    count: u32,
) -> StoreResult<()> {
    let model = rate_limit::ActiveModel {
        key: Set(key.to_owned()),
        window_start: Set(window_start),
        count: Set(i32::try_from(count).unwrap_or(i32::MAX)),
    };
    rate_limit::Entity::insert(model)
        .on_conflict(
            OnConflict::column(rate_limit::Column::Key)
                .update_columns([rate_limit::Column::WindowStart, rate_limit::Column::Count])
                .to_owned(),
        )
        .exec(conn)
        .await?;
    Ok(())
}

/// Drops windows and throttles that no longer matter.
pub async fn cleanup<C: ConnectionTrait>(conn: &C, older_than: DateTime<Utc>) -> StoreResult<u64> {
    use sea_orm::sea_query::ExprTrait;
    use sea_orm::{ColumnTrait, QueryFilter};
    let a = rate_limit::Entity::delete_many()
        .filter(rate_limit::Column::WindowStart.lt(older_than))
        .exec(conn)
        .await?
        .rows_affected;
    let b = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStartedAt.lt(older_than))
        .filter(
            login_throttle::Column::LockedUntil
                .is_null()
                .or(login_throttle::Column::LockedUntil.lt(older_than)),
        )
        .exec(conn)
        .await?
        .rows_affected;
    Ok(a + b)
}
