//! The grading queue and a human's grade for an answer that needs one
//! (essays).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::grading::Outcome;
use invigil_domain::identity::Action;
use invigil_store::content;
use invigil_store::delivery::{self, Session};
use invigil_store::exams::{self as exam_store};
use invigil_store::grading::{self as store, AnswerGrade};

use super::rescore;
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::content::views::parse_body;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub question_id: Uuid,
    pub question_version: i32,
    pub question_text: String,
    pub max_points: f64,
    #[schema(value_type = crate::content::views::AnswerResponse)]
    pub response: serde_json::Value,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Answers waiting for a human, oldest sessions first (EXAM_COORDINATOR,
/// EXAM_AUTHOR), limited to exams the grader may grade.
pub async fn queue(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Option<Uuid>,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<(Vec<QueueItem>, Option<String>), ApiError> {
    let rows =
        store::grading_queue(state.db.read(), ctx.org_id(), exam_id, after, limit + 1).await?;
    let mut items = Vec::new();
    let mut more = false;
    for (a, s) in rows {
        if items.len() as u64 >= limit {
            more = true;
            break;
        }
        // Nobody grades their own answers: they are not in their queue.
        if s.user_id == ctx.user.id() {
            continue;
        }
        let Some(exam) = exam_store::exam(state.db.read(), ctx.org_id(), s.exam_id).await? else {
            continue;
        };
        if ctx
            .authorize_in(Action::GradeAnswers, exam.department_id)
            .is_err()
        {
            continue;
        }
        let Some(sq) = delivery::served_one(state.db.read(), s.id, a.question_id).await? else {
            continue;
        };
        // A served version is never deleted: one missing or unreadable is a
        // broken row, not an empty text.
        let text = content::version(state.db.read(), ctx.org_id(), a.question_id, sq.version)
            .await?
            .and_then(|v| parse_body(&v))
            .map(|q| q.text().to_owned())
            .ok_or_else(|| {
                ApiError::internal(format!(
                    "question {} version {} served in session {} is missing or does not parse",
                    a.question_id, sq.version, s.id
                ))
            })?;
        items.push(QueueItem {
            session_id: s.id,
            exam_id: s.exam_id,
            question_id: a.question_id,
            question_version: sq.version,
            question_text: text,
            max_points: sq.points,
            response: a.response.0,
            submitted_at: s.finished_at,
        });
    }
    let next = if more {
        items
            .last()
            .map(|i| format!("{}.{}", i.session_id, i.question_id))
    } else {
        None
    };
    Ok((items, next))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GradeBody {
    pub points: f64,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub session_id: Uuid,
    pub objective_score: Option<f64>,
    pub subjective_score: Option<f64>,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub pending_manual: i32,
}

impl From<&Session> for ScoreView {
    fn from(s: &Session) -> Self {
        ScoreView {
            session_id: s.id,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s.passed,
            pending_manual: s.pending_manual,
        }
    }
}

/// Checks `action` on the exam of a session of the organization, and that
/// the session is not the caller's own (before the body is read).
pub async fn authorize_session(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    action: Action,
) -> Result<(), ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (_, auth) = crate::exams::service::load_exam(state, ctx, s.exam_id, action).await?;
    auth.on_session_of(s.user_id)
}

/// A human grade for an answer that needs one (essays).
pub async fn grade_answer(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    question_id: Uuid,
    body: GradeBody,
) -> Result<ScoreView, ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, s.exam_id, Action::GradeAnswers).await?;
    auth.on_session_of(s.user_id)?;
    let sq = delivery::served_one(state.db.read(), s.id, question_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if s.finished_at.is_none() {
        return Err(ApiError::conflict("the session is still running"));
    }
    let answer = delivery::answer(state.db.read(), s.id, question_id).await?;
    if answer.as_ref().and_then(|a| a.outcome) != Some(Outcome::NeedsManual) {
        return Err(ApiError::conflict("this answer is graded automatically"));
    }
    if !body.points.is_finite() || body.points < 0.0 || body.points > sq.points + 1e-9 {
        return Err(ApiError::field(
            "points",
            format!("must be between 0 and {}", sq.points),
        ));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 10_000) {
        return Err(ApiError::field("comment", "at most 10000 characters"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = delivery::session_for_update(&tx, s.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let before = row.final_score;
    store::set_grade(
        &tx,
        &AnswerGrade {
            session_id: s.id,
            question_id,
            org_id: s.org_id,
            points: Some(body.points),
            outcome: Outcome::NeedsManual,
            graded_version: sq.version,
            graded_by: Some(auth.actor.user_id),
            comment: comment.clone(),
            graded_at: Some(now),
        },
        now,
    )
    .await?;
    rescore(&tx, &mut row, exam.passing_score, now).await?;
    delivery::update_session_if(&tx, &row, row.status).await?;
    let audit = auth.audit(now);
    audit
        .record(
            &tx,
            AuditAction::AnswerGraded,
            s.id,
            serde_json::json!({ "question_id": question_id, "points": body.points, "comment": comment, "final_before": before, "final_after": row.final_score }),
        )
        .await?;
    crate::certificates::service::sync_exam(
        &tx,
        state,
        &audit,
        s.org_id,
        s.exam_id,
        Some(s.user_id),
    )
    .await?;
    commit(tx).await?;
    Ok(ScoreView::from(&row))
}
