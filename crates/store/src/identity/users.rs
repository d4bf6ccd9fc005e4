//! Users: global accounts, unique by normalised email.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::AccountStatus;
use super::entities::user;
use crate::error::{StoreError, StoreResult, is_unique_violation};

pub use user::Model as User;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub status: AccountStatus,
    pub password_hash: Option<String>,
    pub is_super_admin: bool,
    pub email_verified: bool,
}

pub async fn create<C: ConnectionTrait>(
    conn: &C,
    new: NewUser,
    now: DateTime<Utc>,
) -> StoreResult<User> {
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(new.email),
        name: Set(new.name),
        status: Set(new.status),
        password_hash: Set(new.password_hash),
        is_super_admin: Set(new.is_super_admin),
        email_verified_at: Set(new.email_verified.then_some(now)),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    model.insert(conn).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict("a user with this email exists".into())
        } else {
            e.into()
        }
    })
}

pub async fn by_email<C: ConnectionTrait>(conn: &C, email: &str) -> StoreResult<Option<User>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?)
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Uuid) -> StoreResult<Option<User>> {
    Ok(user::Entity::find_by_id(id).one(conn).await?)
}

pub async fn by_ids<C: ConnectionTrait>(conn: &C, ids: Vec<Uuid>) -> StoreResult<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(conn)
        .await?)
}

async fn update_col<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    col: user::Column,
    value: sea_orm::Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let res = user::Entity::update_many()
        .col_expr(col, Expr::value(value))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn set_password_hash<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    update_col(conn, id, user::Column::PasswordHash, hash.into(), now).await
}

pub async fn set_status<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    status: AccountStatus,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    update_col(conn, id, user::Column::Status, status.name().into(), now).await
}

pub async fn set_name<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    update_col(conn, id, user::Column::Name, name.into(), now).await
}

pub async fn set_email_verified<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    email: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let res = user::Entity::update_many()
        .col_expr(user::Column::Email, Expr::value(email))
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(now))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("a user with this email exists".into())
            } else {
                StoreError::from(e)
            }
        })?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn touch_login<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::LastLoginAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
