//! Tenancy persistence. Every function on tenant rows takes the `org_id` and
//! filters by it, so a row of another organization is simply not found.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use invigil_domain::identity::{MemberStatus, OrgKind, Role};

use entities::{candidate_profile, department, member, organization, user_role};

use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::page::{Keyset, KeysetPage};

pub use candidate_profile::Model as CandidateProfile;
pub use department::Model as Department;
pub use member::Model as Member;
pub use organization::Model as Organization;

impl Organization {
    /// The settings object; settings that do not decode are an error.
    pub fn settings_json(&self) -> StoreResult<serde_json::Value> {
        crate::error::decode_json(format_args!("organization {}", self.id), &self.settings)
    }
}

/// One role row as (role, department): what audit details show of grants.
pub type RoleRow = (Role, Option<Uuid>);

fn conflict(e: sea_orm::DbErr, what: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(what.to_owned())
    } else {
        e.into()
    }
}

/// The membership row of `user_id` in `org_id`.
fn one_member(org_id: Uuid, user_id: Uuid) -> Condition {
    Condition::all()
        .add(member::Column::OrgId.eq(org_id))
        .add(member::Column::UserId.eq(user_id))
}

/// The role rows of `user_id` in `org_id`.
fn roles_of_member(org_id: Uuid, user_id: Uuid) -> Condition {
    Condition::all()
        .add(user_role::Column::OrgId.eq(org_id))
        .add(user_role::Column::UserId.eq(user_id))
}

/// `NotFound` when a write touched no row.
fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

// ---- organizations

pub async fn create_org<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
    name: &str,
    domain: Option<String>,
    kind: OrgKind,
    now: DateTime<Utc>,
) -> StoreResult<Organization> {
    organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        domain: Set(domain),
        settings: Set("{}".to_owned()),
        kind: Set(kind),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| conflict(e, "an organization with this slug exists"))
}

pub async fn org_by_slug<C: ConnectionTrait>(
    conn: &C,
    slug: &str,
) -> StoreResult<Option<Organization>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(conn)
        .await?)
}

pub async fn org_by_id<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> StoreResult<Option<Organization>> {
    Ok(organization::Entity::find_by_id(id).one(conn).await?)
}

pub async fn update_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    name: Option<String>,
    domain: Option<Option<String>>,
    settings: Option<String>,
    now: DateTime<Utc>,
) -> StoreResult<Organization> {
    let Some(org) = org_by_id(conn, org_id).await? else {
        return Err(StoreError::NotFound);
    };
    let mut active: organization::ActiveModel = org.into();
    if let Some(n) = name {
        active.name = Set(n);
    }
    if let Some(d) = domain {
        active.domain = Set(d);
    }
    if let Some(s) = settings {
        active.settings = Set(s);
    }
    active.updated_at = Set(now);
    Ok(active.update(conn).await?)
}

// ---- departments

pub async fn create_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<Department> {
    department::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        name: Set(name.to_owned()),
        created_at: Set(now),
    }
    .insert(conn)
    .await
    .map_err(|e| conflict(e, "a department with this name exists"))
}

pub async fn list_departments<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
) -> StoreResult<Vec<Department>> {
    Ok(department::Entity::find()
        .filter(department::Column::OrgId.eq(org_id))
        .order_by_asc(department::Column::Name)
        .all(conn)
        .await?)
}

pub async fn department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Department>> {
    Ok(department::Entity::find_by_id(id)
        .filter(department::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// Renames a department; `NotFound` when it is not one of `org_id`'s,
/// `Conflict` when another department has the name.
pub async fn rename_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
    name: &str,
) -> StoreResult<Department> {
    let Some(d) = department(conn, org_id, id).await? else {
        return Err(StoreError::NotFound);
    };
    let mut active: department::ActiveModel = d.into();
    active.name = Set(name.to_owned());
    active
        .update(conn)
        .await
        .map_err(|e| conflict(e, "a department with this name exists"))
}

/// How many role grants are limited to `department_id`.
pub async fn grants_in_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    department_id: Uuid,
) -> StoreResult<u64> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::OrgId.eq(org_id))
        .filter(user_role::Column::DepartmentId.eq(department_id))
        .count(conn)
        .await?)
}

/// Deletes a department row (the caller checked that nothing refers to
/// it); `NotFound` when it is not one of `org_id`'s.
pub async fn delete_department<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<()> {
    let res = department::Entity::delete_many()
        .filter(department::Column::OrgId.eq(org_id))
        .filter(department::Column::Id.eq(id))
        .exec(conn)
        .await?;
    found(res.rows_affected)
}

// ---- members

pub async fn member<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Member>> {
    Ok(member::Entity::find_by_id((org_id, user_id))
        .one(conn)
        .await?)
}

/// Adds the membership if missing (keeping an existing one's status).
pub async fn ensure_member<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    member::Entity::insert(member::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user_id),
        status: Set(MemberStatus::Active),
        joined_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([member::Column::OrgId, member::Column::UserId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub async fn set_member_status<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    status: MemberStatus,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let res = member::Entity::update_many()
        .col_expr(member::Column::Status, Expr::value(status.name()))
        .col_expr(member::Column::UpdatedAt, Expr::value(now))
        .filter(one_member(org_id, user_id))
        .exec(conn)
        .await?;
    found(res.rows_affected)
}

/// Removes a member and their roles in this organization.
pub async fn remove_member<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<()> {
    user_role::Entity::delete_many()
        .filter(roles_of_member(org_id, user_id))
        .exec(conn)
        .await?;
    let res = member::Entity::delete_many()
        .filter(one_member(org_id, user_id))
        .exec(conn)
        .await?;
    found(res.rows_affected)
}

/// A page of members ordered by user id.
pub async fn list_members<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Member, Uuid>> {
    let q = member::Entity::find().filter(member::Column::OrgId.eq(org_id));
    page.fetch(conn, q, member::Column::UserId, Order::Asc, |m| m.user_id)
        .await
}

/// A page of the members who hold the CANDIDATE role, ordered by user id.
pub async fn candidates_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Member, Uuid>> {
    let holders = sea_orm::sea_query::Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::OrgId.eq(org_id))
        .and_where(user_role::Column::Role.eq(Role::Candidate))
        .to_owned();
    let q = member::Entity::find()
        .filter(member::Column::OrgId.eq(org_id))
        .filter(member::Column::UserId.in_subquery(holders));
    page.fetch(conn, q, member::Column::UserId, Order::Asc, |m| m.user_id)
        .await
}

/// Organizations a user belongs to.
pub async fn memberships_of<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
) -> StoreResult<Vec<(Member, Organization)>> {
    let members = member::Entity::find()
        .filter(member::Column::UserId.eq(user_id))
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = members.iter().map(|m| m.org_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let orgs = organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let mut out: Vec<(Member, Organization)> = members
        .into_iter()
        .filter_map(|m| {
            orgs.iter()
                .find(|o| o.id == m.org_id)
                .cloned()
                .map(|o| (m, o))
        })
        .collect();
    out.sort_by(|a, b| a.1.slug.cmp(&b.1.slug));
    Ok(out)
}

// ---- roles

/// A user's role rows in one organization, as (role, department).
pub async fn roles_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Vec<RoleRow>> {
    Ok(user_role::Entity::find()
        .filter(roles_of_member(org_id, user_id))
        .order_by_asc(user_role::Column::Role)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.role, r.department_id))
        .collect())
}

/// Role rows of many users of one organization.
pub async fn roles_of_users<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_ids: Vec<Uuid>,
) -> StoreResult<Vec<(Uuid, Role, Option<Uuid>)>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(user_role::Entity::find()
        .filter(user_role::Column::OrgId.eq(org_id))
        .filter(user_role::Column::UserId.is_in(user_ids))
        .order_by_asc(user_role::Column::Role)
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.user_id, r.role, r.department_id))
        .collect())
}

/// Adds grants the user does not hold yet.
pub async fn add_roles<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    grants: &[RoleRow],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let existing = roles_of(conn, org_id, user_id).await?;
    for (role, dept) in grants {
        if existing.iter().any(|(r, d)| r == role && d == dept) {
            continue;
        }
        user_role::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            user_id: Set(user_id),
            role: Set(*role),
            department_id: Set(*dept),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Replaces the user's grants in the organization; returns the removed ones.
pub async fn replace_roles<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    grants: &[RoleRow],
    now: DateTime<Utc>,
) -> StoreResult<Vec<RoleRow>> {
    let existing = roles_of(conn, org_id, user_id).await?;
    let removed: Vec<RoleRow> = existing
        .iter()
        .filter(|e| !grants.contains(e))
        .cloned()
        .collect();
    user_role::Entity::delete_many()
        .filter(roles_of_member(org_id, user_id))
        .exec(conn)
        .await?;
    let mut seen: Vec<&RoleRow> = Vec::new();
    for g in grants {
        if seen.contains(&g) {
            continue;
        }
        seen.push(g);
        user_role::ActiveModel {
            id: Set(Uuid::now_v7()),
            org_id: Set(org_id),
            user_id: Set(user_id),
            role: Set(g.0),
            department_id: Set(g.1),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    Ok(removed)
}

// ---- candidate profiles

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileInput {
    pub student_number: Option<String>,
    pub class_year: Option<i32>,
    pub has_accommodations: bool,
    pub extra_time_percent: Option<i32>,
}

/// Creates or updates a profile; returns true when it was created.
pub async fn upsert_profile<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
    p: &ProfileInput,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let existing = candidate_profile::Entity::find_by_id((org_id, user_id))
        .one(conn)
        .await?;
    match existing {
        Some(row) => {
            let mut a: candidate_profile::ActiveModel = row.into();
            a.student_number = Set(p.student_number.clone());
            a.class_year = Set(p.class_year);
            a.has_accommodations = Set(p.has_accommodations);
            a.extra_time_percent = Set(p.extra_time_percent);
            a.updated_at = Set(now);
            a.update(conn).await?;
            Ok(false)
        }
        None => {
            candidate_profile::ActiveModel {
                org_id: Set(org_id),
                user_id: Set(user_id),
                student_number: Set(p.student_number.clone()),
                class_year: Set(p.class_year),
                has_accommodations: Set(p.has_accommodations),
                extra_time_percent: Set(p.extra_time_percent),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(conn)
            .await?;
            Ok(true)
        }
    }
}

/// The profiles of many candidates of one organization.
pub async fn profiles_of_users<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_ids: &[Uuid],
) -> StoreResult<Vec<CandidateProfile>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(candidate_profile::Entity::find()
        .filter(candidate_profile::Column::OrgId.eq(org_id))
        .filter(candidate_profile::Column::UserId.is_in(user_ids.to_vec()))
        .all(conn)
        .await?)
}

pub async fn profile<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<CandidateProfile>> {
    Ok(candidate_profile::Entity::find_by_id((org_id, user_id))
        .one(conn)
        .await?)
}

/// Erasure of a person (issue 16): the personal fields of their candidate
/// profiles (student number) are cleared in every organization; the class
/// year and accommodations stay, they explain graded timings.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    entities::candidate_profile::Entity::update_many()
        .col_expr(
            entities::candidate_profile::Column::StudentNumber,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .filter(entities::candidate_profile::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}
