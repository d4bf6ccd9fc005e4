//! Hiring persistence (issue 16): job postings, applications and candidate
//! views (m0020). Every query on a company's rows takes its `org_id`; the
//! public board reads only OPEN postings of COMPANY organizations, and the
//! applicant's own queries take their user id.

pub mod entities;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, Set,
};
use uuid::Uuid;

use invigil_domain::hiring::{ApplicationStatus, PostingStatus};
use invigil_domain::identity::OrgKind;

use crate::content::like_escape;
use crate::error::{StoreError, StoreResult, decode_json, is_unique_violation};
use crate::page::{Keyset, KeysetPage};
use crate::tenancy::entities::organization;
use entities::{candidate_view, job_application, job_posting};

pub use candidate_view::Model as CandidateView;
pub use job_application::Model as Application;
pub use job_posting::Model as Posting;

impl Posting {
    /// The stored `requirements`.
    pub fn requirements_list(&self) -> StoreResult<Vec<String>> {
        decode_json(format_args!("job posting {}", self.id), &self.requirements)
    }

    /// The stored `required_skills`.
    pub fn skills_list(&self) -> StoreResult<Vec<String>> {
        decode_json(
            format_args!("job posting {}", self.id),
            &self.required_skills,
        )
    }
}

/// The text the public board searches: lower-cased title, description,
/// skills and location.
pub fn search_text(
    title: &str,
    description: &str,
    skills: &[String],
    location: Option<&str>,
) -> String {
    let mut s = format!("{title}\n{description}\n{}", skills.join("\n"));
    if let Some(l) = location {
        s.push('\n');
        s.push_str(l);
    }
    s.to_lowercase()
}

// ---- postings

pub async fn insert_posting<C: ConnectionTrait>(conn: &C, row: Posting) -> StoreResult<Posting> {
    Ok(row.into_active_model().reset_all().insert(conn).await?)
}

/// Writes every column of `row` (the server built the whole row).
pub async fn update_posting<C: ConnectionTrait>(conn: &C, row: Posting) -> StoreResult<Posting> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

/// The organization's posting `id`.
pub async fn posting<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Posting>> {
    Ok(job_posting::Entity::find_by_id(id)
        .filter(job_posting::Column::OrgId.eq(org_id))
        .one(conn)
        .await?)
}

/// A page of the organization's postings, newest first.
pub async fn postings_of_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    status: Option<PostingStatus>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Posting, Uuid>> {
    let mut q = job_posting::Entity::find().filter(job_posting::Column::OrgId.eq(org_id));
    if let Some(s) = status {
        q = q.filter(job_posting::Column::Status.eq(s));
    }
    page.fetch(conn, q, job_posting::Column::Id, Order::Desc, |p| p.id)
        .await
}

fn company_orgs() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(organization::Column::Id)
        .from(organization::Entity)
        .and_where(Expr::col(organization::Column::Kind).eq(OrgKind::Company.name()))
        .to_owned()
}

/// A page of the OPEN postings of every COMPANY organization, newest
/// first, optionally those whose text contains `q` (any case).
pub async fn open_postings<C: ConnectionTrait>(
    conn: &C,
    q: Option<&str>,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Posting, Uuid>> {
    let mut sel = job_posting::Entity::find()
        .filter(job_posting::Column::Status.eq(PostingStatus::Open))
        .filter(job_posting::Column::OrgId.in_subquery(company_orgs()));
    if let Some(text) = q.map(str::trim).filter(|t| !t.is_empty()) {
        sel =
            sel.filter(Expr::col(job_posting::Column::SearchText).like(
                LikeExpr::new(format!("%{}%", like_escape(&text.to_lowercase()))).escape('\\'),
            ));
    }
    page.fetch(conn, sel, job_posting::Column::Id, Order::Desc, |p| p.id)
        .await
}

/// A published (OPEN or CLOSED) posting of a COMPANY organization, by id
/// alone: what the public board and applicants may read.
pub async fn public_posting<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
) -> StoreResult<Option<Posting>> {
    Ok(job_posting::Entity::find_by_id(id)
        .filter(job_posting::Column::Status.is_in([PostingStatus::Open, PostingStatus::Closed]))
        .filter(job_posting::Column::OrgId.in_subquery(company_orgs()))
        .one(conn)
        .await?)
}

/// How many applications of the posting the company sees (consented, not
/// withdrawn).
pub async fn applicants_count<C: ConnectionTrait>(conn: &C, posting_id: Uuid) -> StoreResult<u64> {
    Ok(job_application::Entity::find()
        .filter(job_application::Column::PostingId.eq(posting_id))
        .filter(job_application::Column::Consent.eq(true))
        .filter(job_application::Column::Status.ne(ApplicationStatus::Withdrawn))
        .count(conn)
        .await?)
}

// ---- applications

/// Adds an application; a second one of the person for the posting is a
/// conflict.
pub async fn insert_application<C: ConnectionTrait>(
    conn: &C,
    row: Application,
) -> StoreResult<Application> {
    row.into_active_model()
        .reset_all()
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict("you applied to this job already".into())
            } else {
                e.into()
            }
        })
}

pub async fn update_application<C: ConnectionTrait>(
    conn: &C,
    row: Application,
) -> StoreResult<Application> {
    Ok(row.into_active_model().reset_all().update(conn).await?)
}

/// The person's application to a posting, if any.
pub async fn application_by<C: ConnectionTrait>(
    conn: &C,
    posting_id: Uuid,
    user_id: Uuid,
) -> StoreResult<Option<Application>> {
    Ok(job_application::Entity::find()
        .filter(job_application::Column::PostingId.eq(posting_id))
        .filter(job_application::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// The person's own application `id`.
pub async fn my_application<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Application>> {
    Ok(job_application::Entity::find_by_id(id)
        .filter(job_application::Column::UserId.eq(user_id))
        .one(conn)
        .await?)
}

/// A page of the person's applications in every company, newest first.
pub async fn applications_of_user<C: ConnectionTrait>(
    conn: &C,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Application, Uuid>> {
    let q = job_application::Entity::find().filter(job_application::Column::UserId.eq(user_id));
    page.fetch(conn, q, job_application::Column::Id, Order::Desc, |a| a.id)
        .await
}

/// An application of the organization's posting that the company may see
/// (consented, not withdrawn); `None` for anything else.
pub async fn visible_application<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    posting_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<Application>> {
    Ok(job_application::Entity::find_by_id(id)
        .filter(job_application::Column::OrgId.eq(org_id))
        .filter(job_application::Column::PostingId.eq(posting_id))
        .filter(job_application::Column::Consent.eq(true))
        .filter(job_application::Column::Status.ne(ApplicationStatus::Withdrawn))
        .one(conn)
        .await?)
}

/// A page of the applications of a posting the company may see, oldest
/// first.
pub async fn visible_applications<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    posting_id: Uuid,
    page: Keyset<Uuid>,
) -> StoreResult<KeysetPage<Application, Uuid>> {
    let q = job_application::Entity::find()
        .filter(job_application::Column::OrgId.eq(org_id))
        .filter(job_application::Column::PostingId.eq(posting_id))
        .filter(job_application::Column::Consent.eq(true))
        .filter(job_application::Column::Status.ne(ApplicationStatus::Withdrawn));
    page.fetch(conn, q, job_application::Column::Id, Order::Asc, |a| a.id)
        .await
}

// ---- candidate views

/// The recruiter's view of a candidate in the organization.
pub async fn view_of<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    candidate_id: Uuid,
    company_user_id: Uuid,
) -> StoreResult<Option<CandidateView>> {
    Ok(candidate_view::Entity::find()
        .filter(candidate_view::Column::OrgId.eq(org_id))
        .filter(candidate_view::Column::CandidateId.eq(candidate_id))
        .filter(candidate_view::Column::CompanyUserId.eq(company_user_id))
        .one(conn)
        .await?)
}

/// Records that the recruiter viewed the candidate now: one row per
/// (organization, candidate, recruiter), its `viewed_at` moved on a later
/// view (notes and interest kept).
pub async fn record_view<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    candidate_id: Uuid,
    company_user_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    candidate_view::Entity::insert(candidate_view::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        candidate_id: Set(candidate_id),
        company_user_id: Set(company_user_id),
        viewed_at: Set(now),
        notes: Set(None),
        is_interested: Set(false),
    })
    .on_conflict(
        OnConflict::columns([
            candidate_view::Column::OrgId,
            candidate_view::Column::CandidateId,
            candidate_view::Column::CompanyUserId,
        ])
        .update_column(candidate_view::Column::ViewedAt)
        .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Sets the recruiter's notes and interest (after [`record_view`]).
pub async fn set_view_notes<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    candidate_id: Uuid,
    company_user_id: Uuid,
    notes: Option<Option<String>>,
    is_interested: Option<bool>,
) -> StoreResult<()> {
    let mut q = candidate_view::Entity::update_many()
        .filter(candidate_view::Column::OrgId.eq(org_id))
        .filter(candidate_view::Column::CandidateId.eq(candidate_id))
        .filter(candidate_view::Column::CompanyUserId.eq(company_user_id));
    let mut any = false;
    if let Some(n) = notes {
        q = q.col_expr(candidate_view::Column::Notes, Expr::value(n));
        any = true;
    }
    if let Some(i) = is_interested {
        q = q.col_expr(candidate_view::Column::IsInterested, Expr::value(i));
        any = true;
    }
    if any {
        q.exec(conn).await?;
    }
    Ok(())
}

/// Forgets every candidate view of the candidate in the organization (the
/// applicant withdrew: the company loses what it noted).
pub async fn delete_views_of_candidate<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    candidate_id: Uuid,
) -> StoreResult<u64> {
    Ok(candidate_view::Entity::delete_many()
        .filter(candidate_view::Column::OrgId.eq(org_id))
        .filter(candidate_view::Column::CandidateId.eq(candidate_id))
        .exec(conn)
        .await?
        .rows_affected)
}

// ---- erasure

/// Erases a person's personal data in hiring's tables: their applications
/// (with cover notes and consent) and every candidate view about them or
/// written by them. Postings they created stay (the company's records; the
/// creator is a user id, anonymized with the account). Graded results are
/// the delivery module's and are kept there.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user_id: Uuid) -> StoreResult<()> {
    candidate_view::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(candidate_view::Column::CandidateId.eq(user_id))
                .add(candidate_view::Column::CompanyUserId.eq(user_id)),
        )
        .exec(conn)
        .await?;
    job_application::Entity::delete_many()
        .filter(job_application::Column::UserId.eq(user_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many of the person's applications in the organization the company
/// still sees (consented, not withdrawn).
pub async fn live_applications_in_org<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> StoreResult<u64> {
    Ok(job_application::Entity::find()
        .filter(job_application::Column::OrgId.eq(org_id))
        .filter(job_application::Column::UserId.eq(user_id))
        .filter(job_application::Column::Consent.eq(true))
        .filter(job_application::Column::Status.ne(ApplicationStatus::Withdrawn))
        .count(conn)
        .await?)
}
