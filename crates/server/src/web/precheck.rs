//! The pre-exam check, `/me/exams/{exam}/check`: the rules, consent to
//! proctoring in plain words, a camera preview (precheck.js), and the start
//! button (`POST /me/exams/{exam}/start`), which runs the service of
//! `POST /api/v1/exams/{exam}/sessions` and goes to the exam page.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::delivery::session::attempts_left;
use invigil_domain::exams::ExamStatus;
use invigil_store::exams as exam_store;
use invigil_store::tenancy;

use super::Layout;
use super::errors::{FormErrors, FormFailure, csrf_refused, error_page, sentence};
use super::form::WebForm;
use super::home::ExamRow;
use super::session::{SignedIn, see_other};
use crate::delivery::start::{StartBody, start_or_resume};
use crate::exams::views::MyExamView;
use crate::exams::{overrides_of, settings_of};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::state::AppState;

/// What the page shows about one exam.
#[derive(Debug)]
pub struct CheckFacts {
    pub exam_id: Uuid,
    pub row: ExamRow,
    pub description: Option<String>,
    pub resuming: bool,
    pub snapshot_seconds: i64,
    pub retention_days: i64,
}

/// The caller's enrollment in `exam_id` as the page's facts; 404 when not
/// enrolled (another organization's exam, a DRAFT exam, no such exam).
async fn facts(state: &AppState, me: &CurrentUser, exam_id: Uuid) -> Result<CheckFacts, ApiError> {
    let db = state.db.read();
    let en = exam_store::enrollment_of(db, exam_id, me.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exam_store::exam(db, en.org_id, exam_id)
        .await?
        .filter(|e| e.status != ExamStatus::Draft)
        .ok_or(ApiError::NotFound)?;
    let org = tenancy::org_by_id(db, exam.org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let profile_extra = tenancy::profile(db, exam.org_id, me.id())
        .await?
        .and_then(|p| p.extra_time_percent)
        .and_then(|p| u32::try_from(p).ok());
    let settings = settings_of(&exam)?;
    let o = overrides_of(&en);
    let window = o.effective_window(settings.window);
    let used = u32::try_from(en.attempts_used).unwrap_or(0);
    let left = attempts_left(settings.max_attempts, o.max_attempts, used);
    let view = MyExamView {
        exam_id: exam.id,
        title: exam.title.clone(),
        description: exam.description.clone(),
        org: org.slug.clone(),
        org_name: org.name.clone(),
        exam_status: exam.status,
        status: en.status,
        window_start_at: window.start,
        window_end_at: window.end,
        duration_minutes: o.effective_duration_minutes(settings.duration_minutes),
        extra_time_percent: o.extra_time_percent.or(profile_extra),
        max_attempts: o.max_attempts.unwrap_or(settings.max_attempts),
        attempts_used: used,
        attempts_left: left,
        enable_proctoring: exam.enable_proctoring,
        results_released: exam.results_released_at.is_some(),
    };
    Ok(CheckFacts {
        exam_id: exam.id,
        row: ExamRow::of(&view),
        description: exam.description,
        resuming: en.status == invigil_domain::exams::EnrollmentStatus::InProgress,
        snapshot_seconds: i64::from(
            super::exam::proctor_settings(&crate::proctoring::org_settings(org.id, &org.settings))
                .snapshot_seconds,
        ),
        retention_days: crate::review::evidence::retention_days(org.id, &org.settings),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "precheck.html")]
pub struct PrecheckPage {
    pub layout: Layout,
    pub exam: CheckFacts,
    pub errors: FormErrors,
    pub consent: bool,
}

fn render(
    signed_in: &SignedIn,
    exam: CheckFacts,
    errors: FormErrors,
    consent: bool,
    status: StatusCode,
) -> Response {
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    let title = format!("Before you start: {}", exam.row.title);
    let page = PrecheckPage {
        layout: Layout::for_visitor(&title, &signed_in.visitor, &csrf),
        exam,
        errors,
        consent,
    };
    (status, page).into_response()
}

/// `GET /me/exams/{exam}/check`.
pub async fn check_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(exam): Path<String>,
) -> Response {
    let Ok(exam_id) = exam.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match facts(&state, &signed_in.user, exam_id).await {
        Ok(f) => render(&signed_in, f, FormErrors::default(), false, StatusCode::OK),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    pub consent: Option<String>,
}

/// A start refused by the service, in plain words.
fn start_refusal(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Conflict {
            code: "attempts_exhausted",
            ..
        } => Some("You have no attempts left for this exam.".to_owned()),
        ApiError::Conflict {
            code: "exam_not_open",
            detail,
        } => Some(format!(
            "The exam cannot be started now: {}",
            sentence(detail)
        )),
        ApiError::Conflict { detail, .. } => Some(sentence(detail)),
        // Starts take turns; this one waited its time and wrote nothing:
        // the page stays, with the consent given, for another press.
        ApiError::Overloaded { .. } => Some(
            "Many candidates are starting at this moment, so your exam has not started yet. \
             Nothing was lost: press Start again in a few seconds."
                .to_owned(),
        ),
        ApiError::Forbidden | ApiError::Denied(_) => Some(
            "Your organization does not allow you to take this exam at the moment. \
             Ask its administrator."
                .to_owned(),
        ),
        _ => None,
    }
}

/// `POST /me/exams/{exam}/start`: consent (when proctored), then start or
/// resume the session and go to the exam page.
pub async fn start(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(exam): Path<String>,
    form: WebForm<StartForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(exam_id) = exam.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let f = match facts(&state, &signed_in.user, exam_id).await {
        Ok(f) => f,
        Err(e) => return error_page(&e),
    };
    let consent = form.value.consent.as_deref() == Some("yes");
    if f.row.proctored && !consent {
        let errors = FormErrors {
            fields: vec![crate::http::error::FieldError::new(
                "consent",
                "Tick the box to agree to proctoring; the exam cannot start without it.",
            )],
            general: Vec::new(),
        };
        return render(
            &signed_in,
            f,
            errors,
            false,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let body = StartBody {
        device_fingerprint: None,
    };
    match start_or_resume(&state, &signed_in.user, exam_id, body).await {
        Ok((view, _)) => see_other(&format!("/exam/{}", view.session_id)),
        Err(e) => match start_refusal(&e) {
            Some(message) => {
                let failure = FormFailure {
                    status: e.parts().0,
                    errors: FormErrors::general(message),
                    retry_after: e.retry_after(),
                };
                failure.respond(render(
                    &signed_in,
                    f,
                    failure.errors.clone(),
                    consent,
                    failure.status,
                ))
            }
            None => error_page(&e),
        },
    }
}
