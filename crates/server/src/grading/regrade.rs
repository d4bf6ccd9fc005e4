//! Re-scoring after a key correction: every finished session of an exam
//! that was served a question is graded again with the question's current
//! version.

use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::content;
use invigil_store::delivery;
use invigil_store::grading::{self as store, AnswerGrade};

use super::{grade_one, rescore};
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::content::views::parse_body;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Checks `action` on an exam of the organization.
pub async fn authorize_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: Action,
) -> Result<(), ApiError> {
    crate::exams::service::load_exam(state, ctx, exam_id, action)
        .await
        .map(|_| ())
}

/// Re-scores every finished session of the exam that was served the
/// question, with its current (corrected) version.
pub async fn regrade(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    question_id: Uuid,
) -> Result<usize, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let sessions =
        delivery::served_question_in_exam(state.db.read(), auth.org_id, exam_id, question_id)
            .await?;
    if sessions.is_empty() {
        return Err(ApiError::field(
            "question_id",
            "no session of this exam was served this question",
        ));
    }
    // A regrade re-scores every session: not by someone who sat the exam.
    for s in &sessions {
        auth.on_session_of(s.user_id)?;
    }
    let now = state.now();
    let tx = begin(state).await?;
    let mut changed = Vec::new();
    let mut count = 0;
    // The corrected version: read once, when the first finished session needs it.
    let mut current = None;
    for s in sessions.into_iter().filter(|s| s.finished_at.is_some()) {
        let mut row = delivery::session_for_update(&tx, s.id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let sq = delivery::served_one(&tx, s.id, question_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if current.is_none() {
            let qrow = content::question_any_bank(&tx, auth.org_id, question_id)
                .await?
                .ok_or(ApiError::NotFound)?;
            let v = content::version(&tx, auth.org_id, question_id, qrow.current_version)
                .await?
                .ok_or(ApiError::NotFound)?;
            let corrected = parse_body(&v)
                .ok_or_else(|| ApiError::internal("stored question does not parse"))?;
            current = Some((corrected, v.version));
        }
        let Some((corrected, version)) = &current else {
            continue;
        };
        if corrected.options().len() != usize::try_from(sq.option_count).unwrap_or(0) {
            return Err(ApiError::conflict(
                "the corrected version changed the number of options; answers cannot be mapped onto it",
            ));
        }
        let answer = delivery::answer(&tx, s.id, question_id).await?;
        if answer.as_ref().is_some_and(|a| a.graded_by.is_some()) {
            continue;
        }
        let graded = grade_one(corrected, &sq, answer.as_ref())?;
        let grade = AnswerGrade::automatic(&s, question_id, graded, *version, now);
        store::set_grade(&tx, &grade, now).await?;
        let before = row.final_score;
        rescore(&tx, &mut row, exam.passing_score, now).await?;
        delivery::update_session_if(&tx, &row, row.status).await?;
        changed.push(serde_json::json!({ "session_id": s.id, "final_before": before, "final_after": row.final_score }));
        count += 1;
    }
    let audit = auth.audit(now);
    audit
        .record(
            &tx,
            AuditAction::ExamRegraded,
            exam_id,
            serde_json::json!({ "question_id": question_id, "sessions": changed }),
        )
        .await?;
    crate::certificates::service::sync_exam(&tx, state, &audit, auth.org_id, exam_id, None).await?;
    commit(tx).await?;
    Ok(count)
}
