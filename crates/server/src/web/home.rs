//! `/` and the candidate's home, `/me/exams`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use invigil_domain::exams::{EnrollmentStatus, ExamStatus};

use super::Layout;
use super::errors::error_page;
use super::session::{SignedIn, Visitor, see_other};
use crate::exams::views::MyExamView;
use crate::http::page::PageQuery;
use crate::state::AppState;

/// `GET /`: the candidate's home when signed in, else the sign-in page.
pub async fn root(visitor: Visitor) -> Response {
    if visitor.user.is_some() {
        see_other("/me/exams")
    } else {
        see_other("/signin")
    }
}

/// One exam, ready to show.
#[derive(Debug)]
pub struct ExamRow {
    pub title: String,
    pub org_name: String,
    pub window: String,
    pub duration: String,
    pub attempts: String,
    pub state: String,
    pub proctored: bool,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

impl ExamRow {
    fn of(e: &MyExamView) -> ExamRow {
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
        ExamRow {
            title: e.title.clone(),
            org_name: e.org_name.clone(),
            window,
            duration,
            attempts,
            state,
            proctored: e.enable_proctoring,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_exams.html")]
pub struct MyExamsPage {
    pub layout: Layout,
    pub exams: Vec<ExamRow>,
    pub more: bool,
}

/// `GET /me/exams`: the exams I am enrolled in (the service of
/// `GET /api/v1/me/exams`, first page).
pub async fn my_exams(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let SignedIn { visitor, user } = signed_in;
    let page = match crate::exams::me::my_exams(&state, &user, &PageQuery::default()).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = visitor.csrf_for_page();
    MyExamsPage {
        layout: Layout::for_visitor("My exams", &visitor, &csrf),
        exams: page.items.iter().map(ExamRow::of).collect(),
        more: page.next_cursor.is_some(),
    }
    .into_response()
}
