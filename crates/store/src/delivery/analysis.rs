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

use super::entities::{answer, served, session};
use super::{Answer, Served, Session};
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
#[derive(Debug, Clone)]
pub struct SessionAnswers {
    pub session: Session,
    pub served: Vec<Served>,
    pub answers: Vec<Answer>,
}

/// At most `limit` analysable sessions of the exam after `after` (by id),
/// with their served questions and answers: three queries per page.
pub async fn analysable_page<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<SessionAnswers>> {
    let mut q = session::Entity::find().filter(analysable(org_id, exam_id));
    if let Some(a) = after {
        q = q.filter(session::Column::Id.gt(a));
    }
    let sessions = q
        .order_by_asc(session::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    if sessions.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = sessions.iter().map(|s| s.id).collect();
    let served_rows = served::Entity::find()
        .filter(served::Column::OrgId.eq(org_id))
        .filter(served::Column::SessionId.is_in(ids.clone()))
        .order_by_asc(served::Column::SessionId)
        .order_by_asc(served::Column::Position)
        .all(conn)
        .await?;
    let answer_rows = answer::Entity::find()
        .filter(answer::Column::OrgId.eq(org_id))
        .filter(answer::Column::SessionId.is_in(ids))
        .all(conn)
        .await?;
    let mut out: Vec<SessionAnswers> = sessions
        .into_iter()
        .map(|session| SessionAnswers {
            session,
            served: Vec::new(),
            answers: Vec::new(),
        })
        .collect();
    let index: std::collections::HashMap<Uuid, usize> = out
        .iter()
        .enumerate()
        .map(|(i, s)| (s.session.id, i))
        .collect();
    for s in served_rows {
        if let Some(&i) = index.get(&s.session_id) {
            out[i].served.push(s);
        }
    }
    for a in answer_rows {
        if let Some(&i) = index.get(&a.session_id) {
            out[i].answers.push(a);
        }
    }
    Ok(out)
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
