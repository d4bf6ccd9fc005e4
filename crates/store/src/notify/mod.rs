//! Notifications persistence (issue 15): a user's in-app notifications, an
//! organization's template overrides and a user's preferences per kind (the
//! live session tables have entities only so far). Notifications are the user's
//! own: every function takes the user (or the organization for templates).

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use entities::{notification, preference, template};
use invigil_domain::notify::{Channel, NoticeKind, Priority};

use crate::error::StoreResult;
use crate::page::{Keyset, KeysetPage};

pub use notification::Model as Notification;
pub use preference::Model as Preference;
pub use template::Model as TemplateOverride;

/// A notification to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub user_id: Uuid,
    pub org_id: Option<Uuid>,
    pub kind: NoticeKind,
    pub priority: Priority,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
}

fn row(n: NewNotification, now: DateTime<Utc>) -> notification::ActiveModel {
    notification::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(n.user_id),
        org_id: Set(n.org_id),
        kind: Set(n.kind),
        priority: Set(n.priority),
        title: Set(n.title),
        body: Set(n.body),
        link: Set(n.link),
        read_at: Set(None),
        created_at: Set(now),
    }
}

/// Writes one notification.
pub async fn insert<C: ConnectionTrait>(
    conn: &C,
    n: NewNotification,
    now: DateTime<Utc>,
) -> StoreResult<Notification> {
    Ok(row(n, now).insert(conn).await?)
}

/// Writes many notifications with one statement per 200 (bulk notices).
pub async fn insert_many<C: ConnectionTrait>(
    conn: &C,
    ns: Vec<NewNotification>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let mut rows = ns.into_iter().map(|n| row(n, now));
    loop {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        notification::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
}

/// A page of the user's notifications, newest first; only unread ones with
/// `unread_only`.
pub async fn page_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    unread_only: bool,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Notification, Uuid>> {
    let mut q = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    page.fetch(conn, q, notification::Column::Id, Order::Desc, |n| n.id)
        .await
}

/// How many of the user's notifications are unread (one COUNT).
pub async fn unread_count<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(conn)
        .await?)
}

/// The user's notification `id` (another user's is `None`).
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Notification>> {
    Ok(notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// Marks the user's notification read (a read one keeps its first time);
/// `None` when the user has no such notification.
pub async fn mark_read<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Option<Notification>> {
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    find(conn, user_id, id).await
}

/// Marks every unread notification of the user read; how many were.
pub async fn mark_all_read<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(conn)
        .await?
        .rows_affected)
}

/// Every template override of the organization.
pub async fn overrides_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Vec<TemplateOverride>> {
    Ok(template::Entity::find()
        .filter(template::Column::OrgId.eq(org_id))
        .order_by_asc(template::Column::Key)
        .order_by_asc(template::Column::Channel)
        .all(conn)
        .await?)
}

/// The organization's override of `key` on `channel`, if any.
pub async fn override_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    key: &str,
    channel: Channel,
) -> StoreResult<Option<TemplateOverride>> {
    Ok(template::Entity::find()
        .filter(template::Column::OrgId.eq(org_id))
        .filter(template::Column::Key.eq(key))
        .filter(template::Column::Channel.eq(channel))
        .one(conn)
        .await?)
}

/// Writes the organization's override of `key` on `channel` (replacing one).
#[expect(
    clippy::too_many_arguments,
    reason = "the override's fields plus who and when"
)]
pub async fn save_override<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    key: &str,
    channel: Channel,
    subject: &str,
    body: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<TemplateOverride> {
    match override_of(conn, org_id, key, channel).await? {
        Some(current) => {
            let mut row: template::ActiveModel = current.into();
            row.subject = Set(subject.to_owned());
            row.body = Set(body.to_owned());
            row.updated_by = Set(by);
            row.updated_at = Set(now);
            Ok(row.update(conn).await?)
        }
        None => Ok(template::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            key: Set(key.to_owned()),
            channel: Set(channel),
            subject: Set(subject.to_owned()),
            body: Set(body.to_owned()),
            updated_by: Set(by),
            updated_at: Set(now),
        }
        .insert(conn)
        .await?),
    }
}

/// Removes the override (back to the default); whether there was one.
pub async fn delete_override<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    key: &str,
    channel: Channel,
) -> StoreResult<bool> {
    Ok(template::Entity::delete_many()
        .filter(template::Column::OrgId.eq(org_id))
        .filter(template::Column::Key.eq(key))
        .filter(template::Column::Channel.eq(channel))
        .exec(conn)
        .await?
        .rows_affected
        > 0)
}

/// The user's stored preferences (kinds without a row take the default).
pub async fn preferences_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Vec<Preference>> {
    Ok(preference::Entity::find()
        .filter(preference::Column::UserId.eq(user_id))
        .all(conn)
        .await?)
}

/// The stored preferences for one kind of the users among `user_ids` (at
/// most a few hundred: callers chunk).
pub async fn preferences_for<C: ConnectionTrait>(
    conn: &C,
    user_ids: Vec<Uuid>,
    kind: NoticeKind,
) -> StoreResult<Vec<Preference>> {
    Ok(preference::Entity::find()
        .filter(preference::Column::UserId.is_in(user_ids))
        .filter(preference::Column::Kind.eq(kind))
        .all(conn)
        .await?)
}

/// The user's preference for one kind, if stored.
pub async fn preference_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: NoticeKind,
) -> StoreResult<Option<Preference>> {
    Ok(preference::Entity::find_by_id((user_id, kind))
        .one(conn)
        .await?)
}

/// Stores the user's preference for one kind.
pub async fn set_preference<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    kind: NoticeKind,
    in_app: bool,
    mail: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    match preference_of(conn, user_id, kind).await? {
        Some(current) => {
            let mut row: preference::ActiveModel = current.into();
            row.in_app = Set(in_app);
            row.mail = Set(mail);
            row.updated_at = Set(now);
            row.update(conn).await?;
        }
        None => {
            preference::ActiveModel {
                user_id: Set(user_id),
                kind: Set(kind),
                in_app: Set(in_app),
                mail: Set(mail),
                updated_at: Set(now),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Erasure of a person (issue 16): their notifications and notification
/// preferences are deleted (they quote names, exams and links).
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    notification::Entity::delete_many()
        .filter(notification::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    preference::Entity::delete_many()
        .filter(preference::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
