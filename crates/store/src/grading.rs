//! Grading persistence: the grade of each answer (automatic or a human's)
//! and the queue of answers waiting for a human. Session scores are written
//! with the session row (`delivery::update_session_if`).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use invigil_domain::grading::Outcome;

use crate::delivery::entities::StoredResponse;
use crate::delivery::{Answer, Session, answer, session};
use crate::error::StoreResult;

/// Records the grade of one answer (creating an empty answer row for a
/// question left unanswered, so every graded question has a row).
#[derive(Debug, Clone)]
pub struct AnswerGrade {
    pub session_id: Uuid,
    pub question_id: Uuid,
    pub org_id: Uuid,
    pub points: Option<f64>,
    pub outcome: Outcome,
    pub graded_version: i32,
    pub graded_by: Option<Uuid>,
    pub comment: Option<String>,
    pub graded_at: Option<DateTime<Utc>>,
}

impl AnswerGrade {
    /// The automatic grade of a question graded against `graded_version`
    /// (`None` points: waits for a human).
    pub fn automatic(
        session: &Session,
        question_id: Uuid,
        (points, outcome): (Option<f64>, Outcome),
        graded_version: i32,
        now: DateTime<Utc>,
    ) -> Self {
        AnswerGrade {
            session_id: session.id,
            question_id,
            org_id: session.org_id,
            points,
            outcome,
            graded_version,
            graded_by: None,
            comment: None,
            graded_at: Some(now),
        }
    }
}

/// Records the grade of one answer, as [`set_grades`].
pub async fn set_grade<C: ConnectionTrait>(
    conn: &C,
    g: &AnswerGrade,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    set_grades(conn, std::slice::from_ref(g), now).await
}

/// Rows per multi-row upsert of grades: 13 columns stay far below both
/// backends' bind-parameter limits.
const GRADES_CHUNK: usize = 500;

/// Records the grades of answers in multi-row upserts: an answer's grade
/// columns are set, its response and revision stay; a question left
/// unanswered gets an empty answer row (revision -1) carrying the grade, so
/// every graded question has a row. One statement per 500 grades instead of
/// an UPDATE (and maybe an INSERT) each.
pub async fn set_grades<C: ConnectionTrait>(
    conn: &C,
    grades: &[AnswerGrade],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for chunk in grades.chunks(GRADES_CHUNK) {
        let mut q = Query::insert();
        q.into_table(answer::Entity).columns([
            answer::Column::SessionId,
            answer::Column::QuestionId,
            answer::Column::OrgId,
            answer::Column::Response,
            answer::Column::Revision,
            answer::Column::LatencyMs,
            answer::Column::SavedAt,
            answer::Column::PointsAwarded,
            answer::Column::Outcome,
            answer::Column::GradedVersion,
            answer::Column::GradedBy,
            answer::Column::GraderComment,
            answer::Column::GradedAt,
        ]);
        for g in chunk {
            q.values_panic([
                g.session_id.into(),
                g.question_id.into(),
                g.org_id.into(),
                StoredResponse(serde_json::Value::Null).into(),
                (-1_i32).into(),
                Option::<i64>::None.into(),
                now.into(),
                g.points.into(),
                Some(g.outcome).into(),
                Some(g.graded_version).into(),
                g.graded_by.into(),
                g.comment.clone().into(),
                g.graded_at.into(),
            ]);
        }
        q.on_conflict(
            OnConflict::columns([answer::Column::SessionId, answer::Column::QuestionId])
                .update_columns([
                    answer::Column::PointsAwarded,
                    answer::Column::Outcome,
                    answer::Column::GradedVersion,
                    answer::Column::GradedBy,
                    answer::Column::GraderComment,
                    answer::Column::GradedAt,
                ])
                .to_owned(),
        );
        conn.execute(&q).await?;
    }
    Ok(())
}

/// Answers waiting for a human grade in finished sessions of the org.
pub async fn grading_queue<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    exam_id: Option<Uuid>,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> StoreResult<Vec<(Answer, Session)>> {
    let mut q = answer::Entity::find()
        .filter(answer::Column::OrgId.eq(org_id))
        .filter(answer::Column::Outcome.eq(Outcome::NeedsManual))
        .filter(answer::Column::GradedBy.is_null());
    if let Some((s, qid)) = after {
        q = q.filter(
            Condition::any().add(answer::Column::SessionId.gt(s)).add(
                Condition::all()
                    .add(answer::Column::SessionId.eq(s))
                    .add(answer::Column::QuestionId.gt(qid)),
            ),
        );
    }
    let rows = q
        .order_by_asc(answer::Column::SessionId)
        .order_by_asc(answer::Column::QuestionId)
        .limit(limit * 4 + 10)
        .all(conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|a| a.session_id).collect();
    let sessions = if ids.is_empty() {
        Vec::new()
    } else {
        session::Entity::find()
            .filter(session::Column::Id.is_in(ids))
            .all(conn)
            .await?
    };
    let mut out = Vec::new();
    for a in rows {
        if let Some(s) = sessions.iter().find(|s| s.id == a.session_id)
            && exam_id.is_none_or(|e| e == s.exam_id)
            && s.finished_at.is_some()
        {
            out.push((a, s.clone()));
            if out.len() as u64 >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// What one answer was given: its points and how they came about (a
/// `NEEDS_MANUAL` answer without a grader has no points yet).
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerPoints {
    pub session_id: Uuid,
    pub question_id: Uuid,
    pub points_awarded: Option<f64>,
    pub outcome: Option<Outcome>,
    pub graded_by: Option<Uuid>,
}

/// `(session, question, points, outcome, grader)` as selected.
type PointsRow = (Uuid, Uuid, Option<f64>, Option<Outcome>, Option<Uuid>);

/// The points of every answer of these sessions, in one query (the results
/// CSV asks once per page of sessions). Questions never answered nor graded
/// have no row.
pub async fn points_of_sessions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    session_ids: &[Uuid],
) -> StoreResult<Vec<AnswerPoints>> {
    if session_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<PointsRow> = answer::Entity::find()
        .select_only()
        .column(answer::Column::SessionId)
        .column(answer::Column::QuestionId)
        .column(answer::Column::PointsAwarded)
        .column(answer::Column::Outcome)
        .column(answer::Column::GradedBy)
        .filter(answer::Column::OrgId.eq(org_id))
        .filter(answer::Column::SessionId.is_in(session_ids.to_vec()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(session_id, question_id, points_awarded, outcome, graded_by)| AnswerPoints {
                session_id,
                question_id,
                points_awarded,
                outcome,
                graded_by,
            },
        )
        .collect())
}
