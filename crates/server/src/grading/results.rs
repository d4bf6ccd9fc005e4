//! Results: releasing an exam's results to its candidates, and a
//! candidate's released results (the best attempt per exam). Sessions whose
//! integrity review is open stay withheld.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_domain::review::{result_passed, results_withheld};
use invigil_store::delivery::{self, Session};
use invigil_store::exams::{self as exam_store};

use crate::audit::AuditAction;
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// Makes results visible to candidates and mails them a notice.
pub async fn release_results(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
) -> Result<usize, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let sessions = delivery::sessions_of_exam(state.db.read(), auth.org_id, exam_id).await?;
    let mut users: Vec<Uuid> = sessions
        .iter()
        .filter(|s| s.finished_at.is_some())
        .map(|s| s.user_id)
        .collect();
    users.sort();
    users.dedup();
    let now = state.now();
    let tx = begin(state).await?;
    exam_store::release_results(&tx, auth.org_id, exam_id, now).await?;
    crate::notify::send_many(
        &tx,
        state,
        crate::notify::Broadcast {
            org_id: Some(auth.org_id),
            kind: NoticeKind::TestResult,
            priority: Priority::Medium,
            template_key: "results_released",
            link: Some("/me/results".to_owned()),
        },
        users
            .iter()
            .map(|u| (*u, crate::notify::Vars::new().set("exam", &exam.title)))
            .collect(),
    )
    .await?;
    let withheld = sessions
        .iter()
        .filter(|s| results_withheld(s.integrity_status))
        .count();
    let audit = auth.audit(now);
    audit
        .record(
            &tx,
            AuditAction::ExamResultsReleased,
            exam_id,
            serde_json::json!({ "candidates": users.len(), "withheld_sessions": withheld }),
        )
        .await?;
    crate::certificates::service::sync_exam(&tx, state, &audit, auth.org_id, exam_id, None).await?;
    commit(tx).await?;
    Ok(users.len())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamTypeRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub default_weight: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub exam_title: String,
    pub exam_type: Option<ExamTypeRef>,
    pub attempt: i32,
    pub objective_score: Option<f64>,
    pub subjective_score: Option<f64>,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    /// False when the integrity review confirmed a violation (the score is kept).
    pub passed: Option<bool>,
    pub integrity: String,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The caller's released results, the best attempt per exam.
pub async fn my_results(state: &AppState, user_id: Uuid) -> Result<Vec<ResultView>, ApiError> {
    let sessions = delivery::sessions_of_user(state.db.read(), user_id).await?;
    let mut best: HashMap<Uuid, Session> = HashMap::new();
    for s in sessions {
        if s.finished_at.is_none() || results_withheld(s.integrity_status) {
            continue;
        }
        let better = match best.get(&s.exam_id) {
            None => true,
            Some(b) => s.final_score.unwrap_or(-1.0) > b.final_score.unwrap_or(-1.0),
        };
        if better {
            best.insert(s.exam_id, s);
        }
    }
    let mut out = Vec::new();
    for s in best.into_values() {
        let Some(exam) = exam_store::exam(state.db.read(), s.org_id, s.exam_id).await? else {
            continue;
        };
        if exam.results_released_at.is_none() {
            continue;
        }
        let exam_type = match exam.exam_type_id {
            Some(t) => exam_store::exam_type(state.db.read(), s.org_id, t)
                .await?
                .map(|t| ExamTypeRef {
                    id: t.id,
                    code: t.code,
                    name: t.name,
                    default_weight: t.default_weight,
                }),
            None => None,
        };
        let integrity = s.integrity_status;
        out.push(ResultView {
            session_id: s.id,
            exam_id: s.exam_id,
            exam_title: exam.title,
            exam_type,
            attempt: s.attempt_no,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s.passed.map(|p| result_passed(p, integrity)),
            integrity: s.integrity_status.to_string(),
            finished_at: s.finished_at,
        });
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.finished_at));
    Ok(out)
}
