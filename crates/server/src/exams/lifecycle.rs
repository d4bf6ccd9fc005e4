//! The exam lifecycle: schedule, open (the banks are checked again and a
//! session must be servable), close, cancel, archive.

use serde_json::json;
use uuid::Uuid;

use invigil_domain::content::BankStatus;
use invigil_domain::delivery::draw::{CandidateQuestion, DrawOptions, Selection, draw_questions};
use invigil_domain::exams::{ExamAction, QuestionSource, transition};
use invigil_domain::identity::Action;
use invigil_store::content;
use invigil_store::exams::{self, Exam};

use super::service::load_exam;
use super::settings_of;
use super::views::ExamView;
use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Checks at `open` that the exam's banks are still APPROVED and that a
/// session could be served: the draw rules can be satisfied (or the fixed
/// bank has questions).
async fn check_source(state: &AppState, org_id: Uuid, exam: &Exam) -> Result<(), ApiError> {
    let settings = settings_of(exam)?;
    let mut bank_ids: Vec<Uuid> = match &settings.source {
        QuestionSource::Bank { question_bank_id } => vec![*question_bank_id],
        QuestionSource::Draw { rules } => rules.iter().map(|r| r.bank_id).collect(),
    };
    bank_ids.sort();
    bank_ids.dedup();
    let mut pool = Vec::new();
    for id in bank_ids {
        let bank = content::bank(state.db.read(), org_id, id)
            .await?
            .ok_or_else(|| ApiError::conflict(format!("question bank {id} no longer exists")))?;
        if bank.status != BankStatus::Approved {
            return Err(ApiError::conflict(format!(
                "question bank \"{}\" is {}; only APPROVED banks can feed an exam",
                bank.title, bank.status
            )));
        }
        for (row, v) in content::active_questions(state.db.read(), org_id, id).await? {
            let q = v.question()?;
            pool.push(CandidateQuestion {
                id: row.id,
                bank_id: id,
                difficulty: q.difficulty().name().to_owned(),
                tags: q.tags().to_vec(),
                option_count: q.options().len(),
            });
        }
    }
    let fixed: Vec<Uuid>;
    let selection = match &settings.source {
        QuestionSource::Bank { .. } => {
            fixed = pool.iter().map(|q| q.id).collect();
            Selection::Fixed(&fixed)
        }
        QuestionSource::Draw { rules } => Selection::Draw(rules),
    };
    draw_questions(0, &pool, selection, DrawOptions::default())
        .map(|_| ())
        .map_err(|e| ApiError::conflict(format!("the exam cannot open: {e}")))
}

/// The lifecycle: schedule, open, close, cancel, archive.
pub async fn act_on_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: ExamAction,
) -> Result<ExamView, ApiError> {
    let (exam, auth) = load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let from = exam.status;
    let to = transition(from, action).map_err(|_| {
        ApiError::conflict(format!(
            "cannot {} an exam that is {from}",
            action.as_path_segment()
        ))
    })?;
    if action == ExamAction::Open {
        check_source(state, auth.org_id, &exam).await?;
    }
    let now = state.now();
    let tx = begin(state).await?;
    let updated = exams::transition_exam(&tx, auth.org_id, exam.id, from, to, now).await?;
    let audit_action = match action {
        ExamAction::Schedule => AuditAction::ExamScheduled,
        ExamAction::Open => AuditAction::ExamOpened,
        ExamAction::Close => AuditAction::ExamClosed,
        ExamAction::Cancel => AuditAction::ExamCancelled,
        ExamAction::Archive => AuditAction::ExamArchived,
    };
    auth.audit(now)
        .record(
            &tx,
            audit_action,
            exam.id,
            json!({ "from": from, "to": to }),
        )
        .await?;
    commit(tx).await?;
    updated.try_into()
}
