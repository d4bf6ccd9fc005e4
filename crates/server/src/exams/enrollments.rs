//! An exam's enrollments: the list and per-candidate overrides of window,
//! duration, attempts and extra time (validated against the exam's window).

use std::collections::HashMap;

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::exams::{EnrollmentOverridesInput, EnrollmentStatus, ExamStatus};
use invigil_domain::identity::Action;
use invigil_store::exams::{self, Exam, OverrideFields};
use invigil_store::identity::users;

use super::service::{domain_errors, load_exam};
use super::settings_of;
use super::views::{EnrollmentResult, EnrollmentView, OverridesView};
use crate::audit::AuditAction;
use crate::authz::{Authorized, OrgCtx};
use crate::http::error::ApiError;
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

pub async fn list_enrollments(
    state: &AppState,
    exam: &Exam,
    auth: &Authorized,
    status: Option<EnrollmentStatus>,
    page: &PageQuery,
) -> Result<Page<EnrollmentView>, ApiError> {
    let limit = page.limit()?;
    let rows = exams::list_enrollments(
        state.db.read(),
        auth.org_id,
        exam.id,
        status,
        page.cursor::<Uuid>()?,
        limit,
    )
    .await?;
    let people: HashMap<Uuid, users::User> =
        users::by_ids(state.db.read(), rows.iter().map(|r| r.user_id).collect())
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let ids: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    let best = best_results(state, auth.org_id, exam.id, &ids).await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        |r| {
            let u = people.get(&r.user_id);
            let result = best.get(&r.user_id).cloned();
            EnrollmentView {
                result,
                ..EnrollmentView::new(r, u)
            }
        },
    ))
}

/// Each candidate's best graded attempt (highest percent; a confirmed
/// violation fails it), for the candidates of one page.
async fn best_results(
    state: &AppState,
    org_id: Uuid,
    exam_id: Uuid,
    user_ids: &[Uuid],
) -> Result<HashMap<Uuid, EnrollmentResult>, ApiError> {
    let sessions = invigil_store::delivery::analysis::graded_sessions_of_users(
        state.db.read(),
        org_id,
        exam_id,
        user_ids,
    )
    .await?;
    let mut best: HashMap<Uuid, EnrollmentResult> = HashMap::new();
    for s in sessions {
        let (Some(percent), Some(passed)) = (s.percent, s.passed) else {
            continue;
        };
        let r = EnrollmentResult {
            session_id: s.id,
            final_score: s.final_score,
            max_score: s.max_score,
            percent,
            passed: invigil_domain::review::result_passed(passed, s.integrity_status),
        };
        match best.get(&s.user_id) {
            Some(b) if b.percent >= percent => {}
            _ => {
                best.insert(s.user_id, r);
            }
        }
    }
    Ok(best)
}

/// `PUT .../enrollments/{user_id}`: the overrides that apply to one
/// candidate (an absent field: the exam's own value).
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OverridesBody {
    pub window_start_at: Option<chrono::DateTime<chrono::Utc>>,
    pub window_end_at: Option<chrono::DateTime<chrono::Utc>>,
    /// 1 to 1440.
    pub duration_minutes: Option<i64>,
    /// 1 to 100.
    pub max_attempts: Option<i64>,
    /// 0 to 400.
    pub extra_time_percent: Option<i64>,
}

pub async fn set_overrides(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    user_id: Uuid,
    body: OverridesBody,
) -> Result<EnrollmentView, ApiError> {
    let (exam, auth) = load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    auth.on_session_of(user_id)?;
    let en = exams::enrollment_in(state.db.read(), auth.org_id, exam.id, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if exam.status == ExamStatus::Archived {
        return Err(ApiError::conflict(
            "an ARCHIVED exam's enrollments cannot be changed",
        ));
    }
    let input = EnrollmentOverridesInput {
        window_start_at: body.window_start_at,
        window_end_at: body.window_end_at,
        duration_minutes: body.duration_minutes,
        max_attempts: body.max_attempts,
        extra_time_percent: body.extra_time_percent,
    };
    let o = input.validate(settings_of(&exam)?.window).map_err(|errs| {
        let mut errors = Vec::new();
        domain_errors(&mut errors, errs);
        ApiError::Validation(errors)
    })?;
    let i = |v: Option<u32>| v.and_then(|x| i32::try_from(x).ok());
    let fields = OverrideFields {
        window_start: o.window.start,
        window_end: o.window.end,
        duration_minutes: i(o.duration_minutes),
        max_attempts: i(o.max_attempts),
        extra_time_percent: i(o.extra_time_percent),
    };
    let before = OverridesView::from(&en);
    let now = state.now();
    let tx = begin(state).await?;
    let updated = exams::set_overrides(&tx, auth.org_id, en.id, fields, now).await?;
    let after = OverridesView::from(&updated);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::EnrollmentOverridesChanged,
            en.id,
            serde_json::json!({ "exam_id": exam.id, "user_id": user_id, "before": before, "after": after }),
        )
        .await?;
    commit(tx).await?;
    let user = users::by_id(state.db.read(), user_id).await?;
    Ok(EnrollmentView::new(updated, user.as_ref()))
}
