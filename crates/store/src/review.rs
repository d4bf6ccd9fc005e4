//! Review persistence: the review queue, claims, decisions, appeals and
//! reopenings (the review columns of `exam_sessions`), flag resolution, and
//! the reads a timeline needs from the proctoring tables.
//!
//! Every state change is one conditional UPDATE whose WHERE names the state
//! it starts from, so of two concurrent changes exactly one applies on both
//! backends; callers report the other as a conflict.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::content::DeptScope;
use crate::delivery::Session;
use crate::delivery::entities::session;
use crate::error::StoreResult;
use crate::exams::entities::exam;
use crate::proctoring::entities::{event, flag};

pub use event::Model as EventRow;
pub use flag::Model as FlagRow;

/// Integrity statuses as stored.
pub mod integrity {
    pub const CLEAN: &str = "CLEAN";
    pub const FLAGGED: &str = "FLAGGED";
    pub const UNDER_REVIEW: &str = "UNDER_REVIEW";
    pub const CLEARED: &str = "CLEARED";
    pub const VIOLATION_CONFIRMED: &str = "VIOLATION_CONFIRMED";
}

/// Exams of the organization visible in `scope`.
fn exams_in(org_id: Uuid, scope: &DeptScope) -> SelectStatement {
    let mut q = Query::select();
    q.column(exam::Column::Id)
        .from(exam::Entity)
        .and_where(Expr::col(exam::Column::OrgId).eq(org_id));
    if let DeptScope::Only(ds) = scope {
        q.and_where(Expr::col(exam::Column::DepartmentId).is_in(ds.clone()));
    }
    q.to_owned()
}

/// Sessions waiting for review (FLAGGED or UNDER_REVIEW), highest violation
/// score first, then by id. `after` is the last row of the previous page
/// (score, id). Sessions of `exclude_user` (the reviewer's own) are left out.
pub async fn queue<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    exclude_user: Uuid,
    after: Option<(i32, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<Session>> {
    let mut q = session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(
            session::Column::IntegrityStatus.is_in([integrity::FLAGGED, integrity::UNDER_REVIEW]),
        )
        .filter(session::Column::UserId.ne(exclude_user));
    if let DeptScope::Only(_) = scope {
        q = q.filter(Expr::col(session::Column::ExamId).in_subquery(exams_in(org_id, scope)));
    }
    if let Some((score, id)) = after {
        q = q.filter(
            Condition::any()
                .add(session::Column::ViolationScore.lt(score))
                .add(
                    Condition::all()
                        .add(session::Column::ViolationScore.eq(score))
                        .add(session::Column::Id.gt(id)),
                ),
        );
    }
    Ok(q.order_by_desc(session::Column::ViolationScore)
        .order_by_asc(session::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Decided sessions (a decision was recorded, whatever happened since),
/// newest decision first, then by id. `after` is the last row of the
/// previous page (decided_at, id).
pub async fn decisions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    scope: &DeptScope,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<Session>> {
    let mut q = session::Entity::find()
        .filter(session::Column::OrgId.eq(org_id))
        .filter(session::Column::DecidedAt.is_not_null());
    if let DeptScope::Only(_) = scope {
        q = q.filter(Expr::col(session::Column::ExamId).in_subquery(exams_in(org_id, scope)));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            Condition::any().add(session::Column::DecidedAt.lt(at)).add(
                Condition::all()
                    .add(session::Column::DecidedAt.eq(at))
                    .add(session::Column::Id.lt(id)),
            ),
        );
    }
    Ok(q.order_by_desc(session::Column::DecidedAt)
        .order_by_desc(session::Column::Id)
        .limit(limit)
        .all(conn)
        .await?)
}

/// FLAGGED -> UNDER_REVIEW by `reviewer`. False when the session was not
/// FLAGGED any more (someone else claimed it first).
pub async fn claim<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reviewer: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(integrity::UNDER_REVIEW),
        )
        .col_expr(session::Column::ClaimedBy, Expr::value(Some(reviewer)))
        .col_expr(session::Column::ClaimedAt, Expr::value(Some(now)))
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::IntegrityStatus.eq(integrity::FLAGGED))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

fn held_by(session_id: Uuid, reviewer: Uuid) -> Condition {
    Condition::all()
        .add(session::Column::Id.eq(session_id))
        .add(session::Column::IntegrityStatus.eq(integrity::UNDER_REVIEW))
        .add(session::Column::ClaimedBy.eq(reviewer))
}

/// UNDER_REVIEW -> FLAGGED, by the claimer.
pub async fn release<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    reviewer: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(integrity::FLAGGED),
        )
        .col_expr(
            session::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            session::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(held_by(session_id, reviewer))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct Decision {
    pub session_id: Uuid,
    pub reviewer: Uuid,
    /// CLEARED or VIOLATION_CONFIRMED (also the new integrity status).
    pub decision: String,
    pub notes: String,
    pub at: DateTime<Utc>,
}

/// UNDER_REVIEW -> the decision, by the claimer; the claim ends.
pub async fn decide<C: ConnectionTrait>(conn: &C, d: &Decision) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(d.decision.clone()),
        )
        .col_expr(
            session::Column::Decision,
            Expr::value(Some(d.decision.clone())),
        )
        .col_expr(
            session::Column::DecisionNotes,
            Expr::value(Some(d.notes.clone())),
        )
        .col_expr(session::Column::DecidedBy, Expr::value(Some(d.reviewer)))
        .col_expr(session::Column::DecidedAt, Expr::value(Some(d.at)))
        .col_expr(
            session::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            session::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(session::Column::UpdatedAt, Expr::value(d.at))
        .filter(held_by(d.session_id, d.reviewer))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Resolves every flag of a session with the decision (a later decision
/// replaces an earlier resolution). Returns how many flags it touched.
pub async fn resolve_flags<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    resolver: Uuid,
    resolution: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(flag::Entity::update_many()
        .col_expr(flag::Column::ResolvedBy, Expr::value(Some(resolver)))
        .col_expr(flag::Column::ResolvedAt, Expr::value(Some(now)))
        .col_expr(
            flag::Column::Resolution,
            Expr::value(Some(resolution.to_owned())),
        )
        .filter(flag::Column::SessionId.eq(session_id))
        .exec(conn)
        .await?
        .rows_affected)
}

/// A decided session (`from`) back to FLAGGED with the candidate's appeal;
/// only when it was never appealed.
pub async fn appeal<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    from: &str,
    text: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(integrity::FLAGGED),
        )
        .col_expr(
            session::Column::AppealText,
            Expr::value(Some(text.to_owned())),
        )
        .col_expr(session::Column::AppealedAt, Expr::value(Some(now)))
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::IntegrityStatus.eq(from))
        .filter(session::Column::AppealedAt.is_null())
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// A decided session (`from`) back to FLAGGED (QUALITY_ASSURANCE). The last
/// decision stays recorded until the next one replaces it.
pub async fn reopen<C: ConnectionTrait>(
    conn: &C,
    session_id: Uuid,
    from: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let res = session::Entity::update_many()
        .col_expr(
            session::Column::IntegrityStatus,
            Expr::value(integrity::FLAGGED),
        )
        .col_expr(
            session::Column::ClaimedBy,
            Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            session::Column::ClaimedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(session::Column::UpdatedAt, Expr::value(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::IntegrityStatus.eq(from))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

// ---- reads of the proctoring tables for timelines and the candidate's view

/// A session's events in time order (then id).
pub async fn events<C: ConnectionTrait>(conn: &C, session_id: Uuid) -> StoreResult<Vec<EventRow>> {
    Ok(event::Entity::find()
        .filter(event::Column::SessionId.eq(session_id))
        .order_by_asc(event::Column::OccurredAt)
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await?)
}

/// A session's flags by first event time (then id).
pub async fn flags<C: ConnectionTrait>(conn: &C, session_id: Uuid) -> StoreResult<Vec<FlagRow>> {
    Ok(flag::Entity::find()
        .filter(flag::Column::SessionId.eq(session_id))
        .order_by_asc(flag::Column::FirstAt)
        .order_by_asc(flag::Column::Id)
        .all(conn)
        .await?)
}

/// How many flags each of `session_ids` has.
pub async fn flag_counts<C: ConnectionTrait>(
    conn: &C,
    session_ids: &[Uuid],
) -> StoreResult<Vec<(Uuid, i64)>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(flag::Entity::find()
        .select_only()
        .column(flag::Column::SessionId)
        .column_as(flag::Column::Id.count(), "n")
        .filter(flag::Column::SessionId.is_in(session_ids.to_vec()))
        .group_by(flag::Column::SessionId)
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await?)
}
