//! People persistence (issue 16): personal, instructor and company
//! profiles, API keys, and the account queries of the platform's user
//! administration (search, erasure). Company profiles and API keys are
//! organization data: every query on them takes the organization.

pub mod entities;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    QueryFilter,
};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::identity::entities::user;
use crate::page::{Keyset, KeysetPage};

pub use entities::api_key::Model as ApiKey;
pub use entities::company_profile::Model as CompanyProfile;
pub use entities::instructor_profile::Model as InstructorProfile;
pub use entities::profile::Model as Profile;

use entities::{api_key, company_profile, instructor_profile, profile};

// ---- personal profiles ----

pub async fn profile<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<Option<Profile>> {
    Ok(profile::Entity::find_by_id(user_id).one(conn).await?)
}

/// Inserts or replaces the whole profile row of `row.user_id`.
pub async fn save_profile<C: ConnectionTrait>(conn: &C, row: Profile) -> StoreResult<Profile> {
    let exists = profile::Entity::find_by_id(row.user_id)
        .one(conn)
        .await?
        .is_some();
    let am = row.into_active_model().reset_all();
    Ok(if exists {
        am.update(conn).await?
    } else {
        am.insert(conn).await?
    })
}

// ---- instructor profiles ----

pub async fn instructor_profile<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Option<InstructorProfile>> {
    Ok(instructor_profile::Entity::find_by_id(user_id)
        .one(conn)
        .await?)
}

pub async fn save_instructor_profile<C: ConnectionTrait>(
    conn: &C,
    row: InstructorProfile,
) -> StoreResult<InstructorProfile> {
    let exists = instructor_profile::Entity::find_by_id(row.user_id)
        .one(conn)
        .await?
        .is_some();
    let am = row.into_active_model().reset_all();
    Ok(if exists {
        am.update(conn).await?
    } else {
        am.insert(conn).await?
    })
}

// ---- company profiles ----

/// The company profile of the organization `org_id`, if it has one (also
/// read by the public job pages of hiring).
pub async fn company_profile<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Option<CompanyProfile>> {
    Ok(company_profile::Entity::find_by_id(org_id)
        .one(conn)
        .await?)
}

pub async fn save_company_profile<C: ConnectionTrait>(
    conn: &C,
    row: CompanyProfile,
) -> StoreResult<CompanyProfile> {
    let exists = company_profile::Entity::find_by_id(row.org_id)
        .one(conn)
        .await?
        .is_some();
    let am = row.into_active_model().reset_all();
    Ok(if exists {
        am.update(conn).await?
    } else {
        am.insert(conn).await?
    })
}

// ---- API keys ----

pub async fn insert_api_key<C: ConnectionTrait>(conn: &C, row: ApiKey) -> StoreResult<ApiKey> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// The organization's key `id`.
pub async fn api_key<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ApiKey>> {
    Ok(api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// A page of the organization's keys, newest first.
pub async fn api_keys<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<ApiKey, Uuid>> {
    let q = api_key::Entity::find().filter(api_key::Column::OrgId.eq(org_id));
    page.fetch(conn, q, api_key::Column::Id, Order::Desc, |k| k.id)
        .await
}

/// The key whose secret hashes to `hash`, if it is neither revoked nor
/// expired at `now`. The lookup is by the hash's unique index, so no
/// comparison of secrets happens in the server.
pub async fn usable_api_key<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<ApiKey>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::Hash.eq(hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(
            Condition::any()
                .add(api_key::Column::ExpiresAt.is_null())
                .add(api_key::Column::ExpiresAt.gt(now)),
        )
        .one(conn)
        .await?)
}

/// Revokes the organization's key `id`; `false` when there is no such key
/// or it was revoked already.
pub async fn revoke_api_key<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let n = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(n > 0)
}

/// Marks the key used at `now` unless it was marked in the last minute
/// (one write a minute at most, whatever the request rate).
pub async fn touch_api_key<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    api_key::Entity::update_many()
        .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
        .filter(api_key::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(api_key::Column::LastUsedAt.is_null())
                .add(api_key::Column::LastUsedAt.lt(now - Duration::minutes(1))),
        )
        .exec(conn)
        .await?;
    Ok(())
}

// ---- platform user administration ----

/// A page of users, oldest first, whose email or name contains `q`
/// (case-insensitive; `None`: everyone).
pub async fn search_users<C: ConnectionTrait>(
    conn: &C,
    q: Option<&str>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<user::Model, Uuid>> {
    let mut find = user::Entity::find();
    if let Some(q) = q {
        let pattern = format!(
            "%{}%",
            q.to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let lower = |c: user::Column| Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(c)));
        find = find.filter(
            Condition::any()
                .add(
                    lower(user::Column::Email)
                        .like(sea_orm::sea_query::LikeExpr::new(&pattern).escape('\\')),
                )
                .add(
                    lower(user::Column::Name)
                        .like(sea_orm::sea_query::LikeExpr::new(&pattern).escape('\\')),
                ),
        );
    }
    page.fetch(conn, find, user::Column::Id, Order::Asc, |u| u.id)
        .await
}

/// Replaces the account's personal data in `users`: the name, the email
/// (an address that cannot receive mail and is unique by the id), no
/// password, DEACTIVATED, not verified.
pub async fn anonymize_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let short = &user_id.simple().to_string()[..8];
    user::Entity::update_many()
        .col_expr(
            user::Column::Name,
            Expr::value(format!("Erased user {short}")),
        )
        .col_expr(user::Column::Email, Expr::value(erased_email(user_id)))
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            user::Column::Status,
            Expr::value(invigil_domain::identity::AccountStatus::Deactivated.name()),
        )
        .col_expr(
            user::Column::EmailVerifiedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The address an erased account gets.
pub fn erased_email(user_id: Uuid) -> String {
    format!("erased-{user_id}@invalid")
}

/// The blob key of the person's avatar, if they have one.
pub async fn avatar_key<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Option<String>> {
    Ok(profile::Entity::find_by_id(user_id)
        .one(conn)
        .await?
        .and_then(|p| p.avatar_key))
}

/// Erasure of a person (issue 16 item 1) in the people tables: their
/// profile (with the avatar's key: read [`avatar_key`] first to remove the
/// blob after the commit) and instructor profile are deleted. Company
/// profiles and API keys belong to the organization, not the person, and
/// stay.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    profile::Entity::delete_many()
        .filter(profile::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    instructor_profile::Entity::delete_many()
        .filter(instructor_profile::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
