//! Reads for reports: an exam's *analysable* sessions (finished and fully
//! graded) a page at a time, each with what it was served and what was
//! answered, so that an analysis streams over any number of sessions with
//! memory bounded by one page.

use sea_orm::sea_query::{Expr, Func, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;

use super::Session;
use super::entities::{OptionOrder, StoredResponse, answer, served, session};
use crate::error::StoreResult;

/// The sessions of `exam_id` that count in reports: submitted, auto-submitted
/// or terminated, with a final score and nothing waiting for a grader.
fn analysable(org_id: Uuid, exam_id: Uuid) -> Condition {
    Condition::all()
        .add(session::Column::OrgId.eq(org_id))
        .add(session::Column::ExamId.eq(exam_id))
        .add(session::Column::Status.is_in([
            DeliveryStatus::Submitted,
            DeliveryStatus::AutoSubmitted,
            DeliveryStatus::Terminated,
        ]))
        .add(session::Column::PendingManual.eq(0))
        .add(session::Column::FinalScore.is_not_null())
}

/// One question as served in the analysable sessions (one row per version
/// and shape it was served in), with the first position it was served at.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedItem {
    pub question_id: Uuid,
    pub version: i32,
    pub question_type: String,
    pub option_count: i32,
    pub points: f64,
    pub position: i32,
}

/// Every distinct (question, version, type, options, points) served in the
/// analysable sessions of the exam.
pub async fn served_items<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Vec<ServedItem>> {
    let sessions = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .cond_where(analysable(org_id, exam_id))
        .to_owned();
    let rows: Vec<(Uuid, i32, String, i32, f64, i32)> = served::Entity::find()
        .select_only()
        .column(served::Column::QuestionId)
        .column(served::Column::Version)
        .column(served::Column::QuestionType)
        .column(served::Column::OptionCount)
        .column(served::Column::Points)
        .column_as(
            Expr::from(Func::min(Expr::col(served::Column::Position))),
            "position",
        )
        .filter(served::Column::OrgId.eq(org_id))
        .filter(served::Column::SessionId.in_subquery(sessions))
        .group_by(served::Column::QuestionId)
        .group_by(served::Column::Version)
        .group_by(served::Column::QuestionType)
        .group_by(served::Column::OptionCount)
        .group_by(served::Column::Points)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(question_id, version, question_type, option_count, points, position)| ServedItem {
                question_id,
                version,
                question_type,
                option_count,
                points,
                position,
            },
        )
        .collect())
}

/// One analysable session with its served questions (by position) and its
/// answers.
/// One served question of an analysable session with its answer, if any:
/// only the columns an item analysis reads.
#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
pub struct AnalysisRow {
    pub session_id: Uuid,
    pub question_id: Uuid,
    pub option_count: i32,
    pub blank_count: i32,
    pub option_order: OptionOrder,
    pub points_awarded: Option<f64>,
    pub response: Option<StoredResponse>,
}

/// A page of analysable sessions: their ids (by id, at most `limit` after
/// `after`) and, in one query, every question served to them joined with
/// its answer, by session then position. Two queries per page, narrow
/// rows: the item analysis of a million answers reads a million small rows,
/// not three full models per answer.
pub async fn analysable_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<(Vec<Uuid>, Vec<AnalysisRow>)> {
    let mut q = session::Entity::find().filter(analysable(org_id, exam_id));
    if let Some(a) = after {
        q = q.filter(session::Column::Id.gt(a));
    }
    let ids: Vec<Uuid> = q
        .select_only()
        .column(session::Column::Id)
        .order_by_asc(session::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    if ids.is_empty() {
        return Ok((ids, Vec::new()));
    }
    let rows = served::Entity::find()
        .select_only()
        .column(served::Column::SessionId)
        .column(served::Column::QuestionId)
        .column(served::Column::OptionCount)
        .column(served::Column::BlankCount)
        .column(served::Column::OptionOrder)
        .column(answer::Column::PointsAwarded)
        .column(answer::Column::Response)
        .join(
            sea_orm::JoinType::LeftJoin,
            served::Entity::belongs_to(answer::Entity)
                .from((served::Column::SessionId, served::Column::QuestionId))
                .to((answer::Column::SessionId, answer::Column::QuestionId))
                .into(),
        )
        .filter(served::Column::OrgId.eq(org_id))
        .filter(served::Column::SessionId.is_in(ids.clone()))
        .order_by_asc(served::Column::SessionId)
        .order_by_asc(served::Column::Position)
        .into_model::<AnalysisRow>()
        .all(conn)
        .await?;
    Ok((ids, rows))
}

/// How many candidates are enrolled in the exam (any enrollment status).
pub async fn enrolled_count<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<u64> {
    use crate::exams::entities::enrollment;
    use sea_orm::PaginatorTrait;
    Ok(enrollment::Entity::find()
        .filter(enrollment::Column::OrgId.eq(org_id))
        .filter(enrollment::Column::ExamId.eq(exam_id))
        .count(conn)
        .await?)
}

/// The flags raised in the exam's sessions, counted by type.
pub async fn flag_counts_by_type<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Vec<(invigil_domain::proctoring::FlagType, i64)>> {
    use crate::proctoring::entities::flag;
    let sessions = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(session::Column::OrgId.eq(org_id))
        .and_where(session::Column::ExamId.eq(exam_id))
        .to_owned();
    Ok(flag::Entity::find()
        .select_only()
        .column(flag::Column::FlagType)
        .column_as(Expr::from(Func::count(Expr::col(flag::Column::Id))), "n")
        .filter(flag::Column::OrgId.eq(org_id))
        .filter(flag::Column::SessionId.in_subquery(sessions))
        .group_by(flag::Column::FlagType)
        .order_by_asc(flag::Column::FlagType)
        .into_tuple()
        .all(conn)
        .await?)
}

/// The graded sessions (finished, nothing waiting for a grader) of these
/// candidates in the exam: what staff's enrollment list shows as results.
pub async fn graded_sessions_of_users<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    user_ids: &[Uuid],
) -> StoreResult<Vec<Session>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(session::Entity::find()
        .filter(analysable(org_id, exam_id))
        .filter(session::Column::UserId.is_in(user_ids.to_vec()))
        .all(conn)
        .await?)
}

/// Every question served in any session of the exam (running ones too),
/// once each, with the first position it was served at (0-based): the
/// per-question columns of the results CSV, ordered by that position, then
/// by id. One grouped query; the answer is as long as the exam's pool.
pub async fn questions_served_in_exam<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
) -> StoreResult<Vec<(Uuid, i32)>> {
    let sessions = Query::select()
        .column(session::Column::Id)
        .from(session::Entity)
        .and_where(session::Column::OrgId.eq(org_id))
        .and_where(session::Column::ExamId.eq(exam_id))
        .to_owned();
    let mut rows: Vec<(Uuid, i32)> = served::Entity::find()
        .select_only()
        .column(served::Column::QuestionId)
        .column_as(
            Expr::from(Func::min(Expr::col(served::Column::Position))),
            "position",
        )
        .filter(served::Column::OrgId.eq(org_id))
        .filter(served::Column::SessionId.in_subquery(sessions))
        .group_by(served::Column::QuestionId)
        .into_tuple()
        .all(conn)
        .await?;
    rows.sort_by_key(|&(id, position)| (position, id));
    Ok(rows)
}
