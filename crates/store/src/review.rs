//! Review persistence and the one owner of a session's integrity state: the
//! integrity columns of `exam_sessions` (`integrity_status`,
//! `violation_score`, `claimed_*`, `decision*`, `appeal*`) are written here
//! and nowhere else. The risk engine stores its score with [`set_score`];
//! reviewers [`claim`], [`release`] and [`decide`]; the candidate
//! [`appeal`]s; QUALITY_ASSURANCE [`reopen`]s. Also the review queue, the
//! list of decisions and flag resolution.
//!
//! Every state change is one conditional UPDATE whose WHERE names the state
//! it starts from, so of two concurrent changes exactly one applies on both
//! backends; callers report the other as a conflict.

use chrono::{DateTime, Utc};
use invigil_domain::review::{DecisionType, IntegrityStatus};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, UpdateMany,
};
use uuid::Uuid;

use crate::delivery::Session;
use crate::delivery::entities::session;
use crate::error::StoreResult;
use crate::exams::entities::exam;
use crate::proctoring::entities::flag;
use crate::scope::DeptScope;

/// Sessions of the organization whose exam is visible in `scope`.
fn sessions_in(org_id: Uuid, scope: &DeptScope) -> Select<session::Entity> {
    let q = session::Entity::find().filter(session::Column::OrgId.eq(org_id));
    let DeptScope::Only(ds) = scope else {
        return q;
    };
    let exams: SelectStatement = Query::select()
        .column(exam::Column::Id)
        .from(exam::Entity)
        .and_where(Expr::col(exam::Column::OrgId).eq(org_id))
        .and_where(Expr::col(exam::Column::DepartmentId).is_in(ds.clone()))
        .to_owned();
    q.filter(Expr::col(session::Column::ExamId).in_subquery(exams))
}

/// Keyset condition "after (`key`, `id`)" for a listing ordered by `key`
/// descending, then by id (`id_ascending` says which way).
fn after<V>(key: session::Column, at: V, id: Uuid, id_ascending: bool) -> Condition
where
    V: Into<sea_orm::Value> + Clone,
{
    let next_id = if id_ascending {
        session::Column::Id.gt(id)
    } else {
        session::Column::Id.lt(id)
    };
    Condition::any()
        .add(key.lt(at.clone()))
        .add(Condition::all().add(key.eq(at)).add(next_id))
}

/// Sessions waiting for review (FLAGGED or UNDER_REVIEW), highest violation
/// score first, then by id. `page_after` is the last row of the previous page
/// (score, id). Sessions of `exclude_user` (the reviewer's own) are left out.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    exclude_user: Uuid,
    filter: &QueueFilter,
    page_after: Option<(i32, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<Session>> {
    let statuses = match filter.status {
        Some(s) => vec![s],
        None => vec![IntegrityStatus::Flagged, IntegrityStatus::UnderReview],
    };
    let mut q = sessions_in(org_id, scope)
        .filter(session::Column::IntegrityStatus.is_in(statuses))
        .filter(session::Column::UserId.ne(exclude_user));
    if let Some(exam_id) = filter.exam_id {
        q = q.filter(session::Column::ExamId.eq(exam_id));
    }
    if let Some((score, id)) = page_after {
        q = q.filter(after(session::Column::ViolationScore, score, id, true));
    }
    Ok(q.order_by_desc(session::Column::ViolationScore)
        .order_by_asc(session::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Narrows the review queue: one of its two statuses (FLAGGED,
/// UNDER_REVIEW), one exam.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Option<IntegrityStatus>,
    pub exam_id: Option<Uuid>,
}

/// Decided sessions (a decision was recorded, whatever happened since),
/// newest decision first, then by id. `page_after` is the last row of the
/// previous page (decided_at, id).
pub async fn decisions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    page_after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<Session>> {
    let mut q = sessions_in(org_id, scope).filter(session::Column::DecidedAt.is_not_null());
    if let Some((at, id)) = page_after {
        q = q.filter(after(session::Column::DecidedAt, at, id, false));
    }
    Ok(q.order_by_desc(session::Column::DecidedAt)
        .order_by_desc(session::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// An UPDATE of one session's integrity at `now` (it also bumps
/// `updated_at`); the caller adds what changes and the state it starts from.
fn change(session_id: Uuid, now: DateTime<Utc>) -> UpdateMany<session::Entity> {
    session::Entity::update_many()
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
}

/// Sets the integrity status and ends any claim.
fn to_status(
    q: UpdateMany<session::Entity>,
    status: IntegrityStatus,
) -> UpdateMany<session::Entity> {
    q.col_expr(session::Column::IntegrityStatus, Expr::value(status))
        .col_expr(
            session::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            session::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

async fn applied<C: ConnectionTrait>(
    conn: &C,
    q: UpdateMany<session::Entity>,
) -> StoreResult<bool> {
    Ok(q.exec(conn).await?.rows_affected == 1)
}

/// The risk engine's outcome: the violation score and the integrity status
/// it leads to, if the status is still `expected` (a review step in between
/// wins).
pub async fn set_score<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    violation_score: i32,
    expected: IntegrityStatus,
    status: IntegrityStatus,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let q = change(session_id, now)
        .col_expr(
            session::Column::ViolationScore,
            Expr::value(violation_score),
        )
        .col_expr(session::Column::IntegrityStatus, Expr::value(status))
        .filter(session::Column::IntegrityStatus.eq(expected));
    applied(conn, q).await
}

/// FLAGGED -> UNDER_REVIEW by `reviewer`. False when the session was not
/// FLAGGED any more (someone else claimed it first).
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reviewer: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let q = change(session_id, now)
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(IntegrityStatus::UnderReview),
        )
        .col_expr(session::Column::ClaimedBy, Expr::value(Some(reviewer)))
        .col_expr(session::Column::ClaimedAt, Expr::value(Some(now)))
        .filter(session::Column::IntegrityStatus.eq(IntegrityStatus::Flagged));
    applied(conn, q).await
}

fn held_by(reviewer: Uuid) -> Condition {
    Condition::all()
        .add(session::Column::IntegrityStatus.eq(IntegrityStatus::UnderReview))
        .add(session::Column::ClaimedBy.eq(reviewer))
}

/// UNDER_REVIEW -> FLAGGED, by the claimer.
pub async fn release<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reviewer: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let q = to_status(change(session_id, now), IntegrityStatus::Flagged).filter(held_by(reviewer));
    applied(conn, q).await
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct Decision {
    pub session_id: Uuid,
    pub reviewer: Uuid,
    /// Also the new integrity status.
    pub decision: DecisionType,
    pub notes: String,
    pub at: DateTime<Utc>,
}

/// UNDER_REVIEW -> the decision, by the claimer; the claim ends.
pub async fn decide<C: ConnectionTrait>(conn: &C, d: &Decision) -> StoreResult<bool> {
    let q = to_status(change(d.session_id, d.at), d.decision.status())
        .col_expr(session::Column::Decision, Expr::value(Some(d.decision)))
        .col_expr(
            session::Column::DecisionNotes,
            Expr::value(Some(d.notes.clone())),
        )
        .col_expr(session::Column::DecidedBy, Expr::value(Some(d.reviewer)))
        .col_expr(session::Column::DecidedAt, Expr::value(Some(d.at)))
        .filter(held_by(d.reviewer));
    applied(conn, q).await
}

/// Resolves every flag of a session with the decision (a later decision
/// replaces an earlier resolution). Returns how many flags it touched.
pub async fn resolve_flags<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    resolver: Uuid,
    resolution: DecisionType,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(flag::Entity::update_many()
        .col_expr(flag::Column::ResolvedBy, Expr::value(Some(resolver)))
        .col_expr(flag::Column::ResolvedAt, Expr::value(Some(now)))
        .col_expr(flag::Column::Resolution, Expr::value(Some(resolution)))
        .filter(flag::Column::SessionId.eq(session_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// A decided session (`from`) back to FLAGGED with the candidate's appeal;
/// only when it was never appealed. The claim columns are left as they are
/// (a decision already ended the claim).
pub async fn appeal<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    from: IntegrityStatus,
    text: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let q = change(session_id, now)
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(IntegrityStatus::Flagged),
        )
        .col_expr(
            session::Column::AppealText,
            Expr::value(Some(text.to_owned())),
        )
        .col_expr(session::Column::AppealedAt, Expr::value(Some(now)))
        .filter(session::Column::IntegrityStatus.eq(from))
        .filter(session::Column::AppealedAt.is_null());
    applied(conn, q).await
}

/// A decided session (`from`) back to FLAGGED (QUALITY_ASSURANCE). The last
/// decision stays recorded until the next one replaces it.
pub async fn reopen<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    from: IntegrityStatus,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let q = to_status(change(session_id, now), IntegrityStatus::Flagged)
        .filter(session::Column::IntegrityStatus.eq(from));
    applied(conn, q).await
}

/// How many flags each of `session_ids` has (all of them, resolved or
/// not; see `crate::proctoring::open_flag_counts` for the open ones).
pub async fn flag_counts<C: ConnectionTrait>(
    conn: &C,
    session_ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, i64)>> {
    crate::proctoring::count_flags(conn, None, session_ids, false).await
}
