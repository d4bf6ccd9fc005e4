//! `/` and the candidate's home, `/me/exams`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use invigil_domain::exams::{EnrollmentStatus, ExamStatus};
use serde::Deserialize;
use uuid::Uuid;

use super::errors::error_page;
use super::session::{SignedIn, Visitor, see_other};
use super::{Layout, when};
use crate::exams::views::MyExamView;
use crate::http::error::ApiError;
use crate::http::page::PageQuery;
use crate::state::AppState;

/// `GET /`: the staff console for staff (see `/staff`), the candidate's
/// home for everybody else signed in, else the sign-in page.
pub async fn root(State(state): State<AppState>, visitor: Visitor) -> Response {
    let Some(user) = &visitor.user else {
        return see_other("/signin");
    };
    match super::staff::home::staff_orgs(&state, user.id()).await {
        Ok(orgs) if !orgs.is_empty() => see_other("/staff"),
        Ok(_) => see_other("/me/exams"),
        Err(e) => error_page(&e),
    }
}

/// One exam, ready to show.
#[derive(Debug)]
pub struct ExamRow {
    pub exam_id: Uuid,
    pub title: String,
    pub org_name: String,
    pub window: String,
    pub duration: String,
    pub attempts: String,
    pub state: String,
    pub proctored: bool,
    /// "Start" or "Resume" (to the pre-exam check) when the exam can be
    /// taken now.
    pub action: Option<&'static str>,
    /// The session whose released result the exam links to.
    pub result: Option<Uuid>,
}

impl ExamRow {
    /// The row of one of my exams (without a result link).
    pub fn of(e: &MyExamView) -> ExamRow {
        let window = match (e.window_start_at, e.window_end_at) {
            (Some(s), Some(t)) => format!("{} to {}", when(s), when(t)),
            (Some(s), None) => format!("from {}", when(s)),
            (None, Some(t)) => format!("until {}", when(t)),
            (None, None) => "any time".to_owned(),
        };
        let duration = match e.extra_time_percent.filter(|p| *p > 0) {
            Some(extra) => {
                let total = u64::from(e.duration_minutes) * (100 + u64::from(extra)) / 100;
                format!(
                    "{total} minutes ({} + {extra} % extra time)",
                    e.duration_minutes
                )
            }
            None => format!("{} minutes", e.duration_minutes),
        };
        let attempts = format!("{} of {}", e.attempts_left, e.max_attempts);
        let state = match (e.exam_status, e.status) {
            (_, EnrollmentStatus::Completed) if e.results_released => "Completed, results released",
            (_, EnrollmentStatus::Completed) => "Completed",
            (_, EnrollmentStatus::InProgress) => "In progress",
            (ExamStatus::Cancelled, _) => "Cancelled",
            (ExamStatus::Active, _) if e.attempts_left > 0 => "Open",
            (ExamStatus::Scheduled, _) => "Scheduled",
            (ExamStatus::Completed | ExamStatus::Archived, _) => "Closed",
            _ => "Not available",
        }
        .to_owned();
        let action = match (e.exam_status, e.status) {
            (ExamStatus::Active, EnrollmentStatus::InProgress) => Some("Resume"),
            (ExamStatus::Active, EnrollmentStatus::Completed) => None,
            (ExamStatus::Active, _) if e.attempts_left > 0 => Some("Start"),
            _ => None,
        };
        ExamRow {
            exam_id: e.exam_id,
            title: e.title.clone(),
            org_name: e.org_name.clone(),
            window,
            duration,
            attempts,
            state,
            proctored: e.enable_proctoring,
            action,
            result: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_exams.html")]
pub struct MyExamsPage {
    pub layout: Layout,
    pub exams: Vec<ExamRow>,
    /// The link to the next page (`?cursor=`), when there is one.
    pub more: Option<String>,
    /// Whether this is a later page (a link back to the first).
    pub later_page: bool,
    /// The "Your progress" card (first page only).
    pub progress: Option<super::practice::ProgressCard>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MyExamsQuery {
    pub cursor: Option<String>,
}

/// `GET /me/exams`: the exams I am enrolled in (the service of
/// `GET /api/v1/me/exams`, 50 a page, `?cursor=` for the next), each with
/// its action and, once released, a link to its result.
pub async fn my_exams(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<MyExamsQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let SignedIn { visitor, user } = signed_in;
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let later_page = q.cursor.as_deref().is_some_and(|c| !c.is_empty());
    let query = PageQuery {
        limit: None,
        cursor: q.cursor,
    };
    let page = match crate::exams::me::my_exams(&state, &user, &query).await {
        Ok(p) => p,
        Err(ApiError::BadRequest(_)) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e),
    };
    let results = if page.items.iter().any(|e| e.results_released) {
        match crate::grading::results::my_results(&state, user.id()).await {
            Ok(r) => r,
            Err(e) => return error_page(&e),
        }
    } else {
        Vec::new()
    };
    let exams = page
        .items
        .iter()
        .map(|e| {
            let mut row = ExamRow::of(e);
            row.result = results
                .iter()
                .find(|r| r.exam_id == e.exam_id)
                .map(|r| r.session_id);
            row
        })
        .collect();
    let more = page.next_cursor.map(|c| {
        format!(
            "/me/exams?{}",
            serde_urlencoded::to_string([("cursor", c)]).unwrap_or_default()
        )
    });
    let progress = if later_page {
        None
    } else {
        super::practice::card(&state, user.id()).await
    };
    let (csrf, _) = visitor.csrf_for_page();
    MyExamsPage {
        layout: Layout::for_visitor("My exams", &visitor, &csrf),
        exams,
        more,
        later_page,
        progress,
    }
    .into_response()
}
