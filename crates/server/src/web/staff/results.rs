//! An exam's results for staff (Section::Exams): the gradebook
//! `/orgs/{org}/exams/{exam}/results` (every session, sortable, paginated,
//! CSV download at `.../results.csv`, with `?questions=true` a column of
//! points per question) and one session's answers per
//! question `/orgs/{org}/exams/{exam}/results/{session}`. The services are
//! the API's (`crate::grading::gradebook`), with its policy
//! (`Action::ReadReports` on the exam's department).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::review::IntegrityStatus;

use super::{Pager, Section, Staff};
use crate::grading::gradebook::{self, AnswerRow, GradebookRow, GradingStatus};
use crate::grading::results_csv::{self, CsvQuery};
use crate::http::error::ApiError;
use crate::http::page::PageQuery;
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::{Layout, when};

/// The results pages' routes.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/orgs/{org}/exams/{exam}/results", get(gradebook_page))
        .route("/orgs/{org}/exams/{exam}/results.csv", get(gradebook_csv))
        .route(
            "/orgs/{org}/exams/{exam}/results/{session}",
            get(session_page),
        )
}

/// Points without trailing zeros: `7`, `7.5`, `7.25`.
pub fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `1 h 05 min`, `12 min 30 s`, `45 s`.
pub fn duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h} h {m:02} min")
    } else if m > 0 {
        format!("{m} min {s:02} s")
    } else {
        format!("{s} s")
    }
}

fn status_words(s: DeliveryStatus) -> (&'static str, &'static str) {
    match s {
        DeliveryStatus::InProgress => ("In progress", "badge warn"),
        DeliveryStatus::Paused => ("Paused", "badge warn"),
        DeliveryStatus::Submitted => ("Submitted", "badge ok"),
        DeliveryStatus::AutoSubmitted => ("Auto-submitted", "badge ok"),
        DeliveryStatus::Terminated => ("Terminated by a proctor", "badge bad"),
    }
}

fn integrity_words(s: IntegrityStatus) -> (&'static str, &'static str) {
    match s {
        IntegrityStatus::Clean => ("Clean", "badge ok"),
        IntegrityStatus::Flagged => ("Flagged", "badge warn"),
        IntegrityStatus::UnderReview => ("Under review", "badge warn"),
        IntegrityStatus::Cleared => ("Cleared", "badge ok"),
        IntegrityStatus::ViolationConfirmed => ("Violation confirmed", "badge bad"),
    }
}

/// One gradebook row, in words.
#[derive(Debug)]
pub struct Row {
    pub href: String,
    pub name: String,
    pub email: String,
    pub attempt: i32,
    pub status: &'static str,
    pub status_badge: &'static str,
    pub score: String,
    pub score_sort: String,
    pub percent: String,
    pub percent_sort: String,
    pub result: &'static str,
    pub result_badge: &'static str,
    pub grading: String,
    pub time_used: String,
    pub time_sort: u64,
    pub integrity: &'static str,
    pub integrity_badge: &'static str,
    pub open_flags: i64,
    pub submitted: String,
    pub submitted_sort: String,
    pub released: bool,
}

impl Row {
    fn of(staff: &Staff, exam_id: Uuid, r: &GradebookRow) -> Row {
        let (status, status_badge) = status_words(r.status);
        let (integrity, integrity_badge) = integrity_words(r.integrity);
        let (result, result_badge) = match (r.passed, r.grading_status) {
            (_, GradingStatus::NotSubmitted) => ("Not finished", "badge muted"),
            (Some(true), _) => ("Passed", "badge ok"),
            (Some(false), _) => ("Not passed", "badge bad"),
            (None, _) => ("Not decided", "badge muted"),
        };
        Row {
            href: staff.href(&format!("/exams/{exam_id}/results/{}", r.session_id)),
            name: r.candidate.name.clone(),
            email: r.candidate.email.clone(),
            attempt: r.attempt,
            status,
            status_badge,
            score: match r.final_score {
                Some(f) => format!("{} / {}", points(f), points(r.max_score)),
                None => "—".to_owned(),
            },
            score_sort: r.final_score.map(|f| f.to_string()).unwrap_or_default(),
            percent: r
                .percent
                .map(|p| format!("{} %", points(p)))
                .unwrap_or_else(|| "—".to_owned()),
            percent_sort: r.percent.map(|p| p.to_string()).unwrap_or_default(),
            result,
            result_badge,
            grading: match r.grading_status {
                GradingStatus::NotSubmitted => "—".to_owned(),
                GradingStatus::Graded => "Graded".to_owned(),
                GradingStatus::PendingManual => {
                    format!("{} answer(s) to grade", r.pending_manual)
                }
            },
            time_used: duration(r.time_used_seconds),
            time_sort: r.time_used_seconds,
            integrity,
            integrity_badge,
            open_flags: r.open_flags,
            submitted: r
                .submitted_at
                .map(|t| t.format("%-d %b %Y, %H:%M UTC").to_string())
                .unwrap_or_else(|| "—".to_owned()),
            submitted_sort: r.submitted_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            released: r.released,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/results.html")]
pub struct GradebookPage {
    pub layout: Layout,
    pub exams_href: String,
    pub exam_title: String,
    pub csv_href: String,
    /// The CSV with a column of points per question.
    pub csv_points_href: String,
    pub rows: Vec<Row>,
    pub released: bool,
    pub pager: Pager,
}

#[derive(Debug, serde::Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

/// `GET /orgs/{org}/exams/{exam}/results`: the gradebook.
pub async fn gradebook_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id)): Path<(String, Uuid)>,
    Query(q): Query<CursorQuery>,
) -> Response {
    let cursor = q.cursor.filter(|c| !c.is_empty());
    let (exam, page) = match gradebook::gradebook(
        &state,
        &staff.ctx,
        exam_id,
        PageQuery {
            limit: Some(50),
            cursor: cursor.clone(),
        },
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let base = staff.href(&format!("/exams/{exam_id}/results"));
    GradebookPage {
        layout: staff.layout(&format!("Results: {}", exam.title), Section::Exams),
        exams_href: staff.href("/exams"),
        csv_href: format!("{base}.csv"),
        csv_points_href: format!("{base}.csv?questions=true"),
        rows: page
            .items
            .iter()
            .map(|r| Row::of(&staff, exam_id, r))
            .collect(),
        released: exam.results_released_at.is_some(),
        pager: Pager::new(&base, cursor.as_deref(), page.next_cursor.as_deref()),
        exam_title: exam.title,
    }
    .into_response()
}

/// `GET /orgs/{org}/exams/{exam}/results.csv[?questions=true]`: the whole
/// gradebook as CSV, streamed (the API's file).
pub async fn gradebook_csv(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id)): Path<(String, Uuid)>,
    q: Result<Query<CsvQuery>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(rej) => return error_page(&ApiError::BadRequest(rej.body_text())),
    };
    match results_csv::gradebook_csv(&state, &staff.ctx, exam_id, &q).await {
        Ok((exam, body)) => results_csv::csv_response(&exam, body),
        Err(e) => error_page(&e),
    }
}

/// One answer, in words.
#[derive(Debug)]
pub struct AnswerView {
    pub number: i32,
    pub kind: &'static str,
    pub text: String,
    pub options: Vec<String>,
    pub response: Option<String>,
    pub correct: Option<String>,
    pub points: String,
    pub outcome: &'static str,
    pub outcome_badge: &'static str,
    pub comment: Option<String>,
}

fn kind_words(name: &str) -> &'static str {
    use invigil_domain::content::QuestionType as T;
    match T::parse(name) {
        Some(T::SingleChoice) => "Single choice",
        Some(T::MultipleSelect) => "Multiple select",
        Some(T::TrueFalse) => "True or false",
        Some(T::ShortAnswer) => "Short answer",
        Some(T::Numeric) => "Numeric",
        Some(T::FillBlank) => "Fill in the blanks",
        Some(T::Essay) => "Essay",
        None => "Question",
    }
}

impl AnswerView {
    fn of(a: &AnswerRow) -> AnswerView {
        let (outcome, outcome_badge) = match (a.outcome.as_deref(), a.points_awarded) {
            (Some("NEEDS_MANUAL"), None) => ("Waits for a grader", "badge warn"),
            (Some("NEEDS_MANUAL"), Some(_)) => ("Graded by a person", "badge ok"),
            (Some("CORRECT"), _) => ("Correct", "badge ok"),
            (Some("PARTIAL"), _) => ("Partly correct", "badge warn"),
            (Some("INCORRECT"), _) => ("Incorrect", "badge bad"),
            _ => ("Not graded", "badge muted"),
        };
        AnswerView {
            number: a.position,
            kind: kind_words(&a.question_type),
            text: a.text.clone(),
            options: a.options.clone(),
            response: a.response_text.clone().filter(|t| !t.trim().is_empty()),
            correct: a.correct_text.clone(),
            points: match a.points_awarded {
                Some(p) => format!("{} of {} points", points(p), points(a.max_points)),
                None => format!("— of {} points", points(a.max_points)),
            },
            outcome,
            outcome_badge,
            comment: a.grader_comment.clone(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/result.html")]
pub struct SessionPage {
    pub layout: Layout,
    pub exams_href: String,
    pub gradebook_href: String,
    pub exam_title: String,
    pub row: Row,
    pub started: String,
    pub answers: Vec<AnswerView>,
}

/// `GET /orgs/{org}/exams/{exam}/results/{session}`: one candidate's
/// answers per question.
pub async fn session_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam_id, session_id)): Path<(String, Uuid, Uuid)>,
) -> Response {
    let r = match gradebook::session_result(&state, &staff.ctx, exam_id, session_id).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    SessionPage {
        layout: staff.layout(
            &format!("{}: {}", r.row.candidate.name, r.exam_title),
            Section::Exams,
        ),
        exams_href: staff.href("/exams"),
        gradebook_href: staff.href(&format!("/exams/{exam_id}/results")),
        started: when(r.row.started_at),
        row: Row::of(&staff, exam_id, &r.row),
        answers: r.answers.iter().map(AnswerView::of).collect(),
        exam_title: r.exam_title,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_and_points_read_plainly() {
        assert_eq!(super::duration(45), "45 s");
        assert_eq!(super::duration(750), "12 min 30 s");
        assert_eq!(super::duration(3900), "1 h 05 min");
        assert_eq!(super::points(7.5), "7.5");
        assert_eq!(super::points(8.0), "8");
    }
}
