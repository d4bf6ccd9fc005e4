//! The mail outbox: every mail is a row first, delivered by a job. Without
//! SMTP configured, mails stay here for `invigil admin outbox`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::error::StoreResult;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub to_email: String,
        pub subject: String,
        pub body: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use entity::Model as Mail;

pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    entity::ActiveModel {
        id: Set(id),
        to_email: Set(to.to_owned()),
        subject: Set(subject.to_owned()),
        body: Set(body.to_owned()),
        created_at: Set(now),
        sent_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
    }
    .insert(conn)
    .await?;
    Ok(id)
}

/// A mail to queue with [`enqueue_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queues many mails with one statement per 200 (bulk notices).
pub async fn enqueue_many<C: ConnectionTrait>(
    conn: &C,
    mails: Vec<NewMail>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut rows = mails.into_iter().map(|m| entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        to_email: Set(m.to),
        subject: Set(m.subject),
        body: Set(m.body),
        created_at: Set(now),
        sent_at: Set(None),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
    });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        entity::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}

/// Mails not delivered yet, oldest first.
pub async fn unsent<C: ConnectionTrait>(conn: &C, limit: u64) -> StoreResult<Vec<Mail>> {
    Ok(entity::Entity::find()
        .filter(entity::Column::SentAt.is_null())
        .order_by_asc(entity::Column::CreatedAt)
        .order_by_asc(entity::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Mails due for a delivery attempt.
pub async fn due<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<Mail>> {
    Ok(entity::Entity::find()
        .filter(entity::Column::SentAt.is_null())
        .filter(entity::Column::NextAttemptAt.lte(now))
        .order_by_asc(entity::Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn mark_sent<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    entity::Entity::update_many()
        .col_expr(entity::Column::SentAt, Expr::value(now))
        .filter(entity::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn mark_failed<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> StoreResult<()> {
    entity::Entity::update_many()
        .col_expr(
            entity::Column::Attempts,
            Expr::col(entity::Column::Attempts).add(1),
        )
        .col_expr(entity::Column::LastError, Expr::value(error))
        .col_expr(entity::Column::NextAttemptAt, Expr::value(next_attempt_at))
        .filter(entity::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

/// Deletes delivered mails older than `before` (they may carry tokens).
pub async fn delete_sent_before<C: ConnectionTrait>(
    conn: &C,
    before: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(entity::Entity::delete_many()
        .filter(entity::Column::SentAt.lt(before))
        .exec(conn)
        .await?
        .rows_affected)
}
