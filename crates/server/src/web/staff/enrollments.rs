//! An exam's enrollments: `/orgs/{org}/exams/{exam}/enrollments` (the list,
//! the service of `GET .../enrollments`), enrollment by pasted emails or a
//! CSV file (the service of `POST .../enrollments?partial=true`: the good
//! lines are enrolled, the bad ones shown next to their text), and one
//! candidate's overrides (`.../enrollments/{user}`, the service of `PUT
//! .../enrollments/{user_id}`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::exams::{self as exam_store, Exam};
use invigil_store::identity::users;

use super::exams::parse_exam;
use super::{Pager, Section, Staff, is_htmx};
use crate::exams::enroll::{self, CandidateBody, EnrollBody, EnrollResult, EnrollRow};
use crate::exams::enrollments::{OverridesBody, list_enrollments, set_overrides};
use crate::exams::service::load_exam;
use crate::exams::views::EnrollmentView;
use crate::http::error::{ApiError, FieldError, LineError};
use crate::http::page::PageQuery;
use crate::state::AppState;
use crate::web::Layout;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;

/// Most lines shown back with their problems.
const SHOWN_LINES: usize = 1000;

/// One line of an upload as shown back.
#[derive(Debug)]
pub struct LineRow {
    pub line: usize,
    pub text: String,
    pub problem: Option<String>,
}

/// What an enrollment did, for the page.
#[derive(Debug, Default)]
pub struct Outcome {
    pub enrolled: u64,
    pub already: u64,
    pub bad: usize,
    /// Every line with its problem (only when some line failed).
    pub lines: Vec<LineRow>,
    /// A problem with the whole upload.
    pub general: Option<String>,
}

/// One row of the table.
#[derive(Debug)]
pub struct EnrollmentRow {
    pub name: String,
    pub email: String,
    pub status: String,
    pub attempts_used: i32,
    pub overrides: String,
    pub edit: Option<String>,
    /// "72.5 %, passed" once an attempt is graded.
    pub result: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/enrollments.html")]
pub struct EnrollmentsPage {
    pub layout: Layout,
    pub exams_href: String,
    pub exam_href: String,
    pub exam_title: String,
    pub action: String,
    pub csrf: String,
    pub rows: Vec<EnrollmentRow>,
    pub pager: Pager,
    pub people: String,
    pub outcome: Option<Outcome>,
    pub closed: bool,
    pub enroll_js: String,
}

#[derive(Debug, Deserialize)]
pub struct CursorQuery {
    pub cursor: Option<String>,
}

fn overrides_words(v: &EnrollmentView) -> String {
    let o = &v.overrides;
    let mut parts = Vec::new();
    if let Some(p) = o.extra_time_percent {
        parts.push(format!("+{p}% time"));
    }
    if let Some(d) = o.duration_minutes {
        parts.push(format!("{d} min"));
    }
    if let Some(a) = o.max_attempts {
        parts.push(format!("{a} attempt(s)"));
    }
    if o.window_start_at.is_some() || o.window_end_at.is_some() {
        parts.push(format!(
            "window {}",
            super::exams::window_words(o.window_start_at, o.window_end_at)
        ));
    }
    parts.join(", ")
}

async fn page(
    state: &AppState,
    staff: &Staff,
    exam: &Exam,
    auth: &crate::authz::Authorized,
    cursor: Option<String>,
    people: String,
    outcome: Option<Outcome>,
) -> Result<EnrollmentsPage, ApiError> {
    let q = PageQuery {
        limit: Some(100),
        cursor: cursor.clone().filter(|c| !c.is_empty()),
    };
    let list = list_enrollments(state, exam, auth, None, &q).await?;
    let may_override = staff
        .ctx
        .authorize_in(Action::ManageExams, exam.department_id)
        .is_ok();
    let base = staff.href(&format!("/exams/{}/enrollments", exam.id));
    let rows = list
        .items
        .iter()
        .map(|v| EnrollmentRow {
            name: v.name.clone(),
            email: v.email.clone(),
            status: v.status.name().to_owned(),
            attempts_used: v.attempts_used,
            overrides: overrides_words(v),
            edit: may_override.then(|| format!("{base}/{}", v.user_id)),
            result: v.result.as_ref().map(|r| {
                format!(
                    "{} %, {}",
                    crate::web::staff::reports::round(r.percent),
                    if r.passed { "passed" } else { "not passed" }
                )
            }),
        })
        .collect();
    Ok(EnrollmentsPage {
        layout: staff.layout(&format!("Enrollments · {}", exam.title), Section::Exams),
        exams_href: staff.href("/exams"),
        exam_href: staff.href(&format!("/exams/{}", exam.id)),
        exam_title: exam.title.clone(),
        action: base.clone(),
        csrf: staff.csrf.clone(),
        rows,
        pager: Pager::new(&base, q.cursor.as_deref(), list.next_cursor.as_deref()),
        people,
        outcome,
        closed: matches!(
            exam.status,
            invigil_domain::exams::ExamStatus::Completed
                | invigil_domain::exams::ExamStatus::Cancelled
                | invigil_domain::exams::ExamStatus::Archived
        ),
        enroll_js: crate::web::assets::url("staff-enroll.js"),
    })
}

/// `GET /orgs/{org}/exams/{exam}/enrollments`.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    Query(q): Query<CursorQuery>,
) -> Response {
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    let (exam, auth) = match load_exam(&state, &staff.ctx, id, Action::ManageEnrollments).await {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    match page(&state, &staff, &exam, &auth, q.cursor, String::new(), None).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// The pasted text as rows: a CSV when its first line names the column
/// `email` (`email,name,extra_time_percent`), else one email per line.
/// Line numbers are the text's own.
pub fn parse_people(text: &str) -> (Vec<EnrollRow>, Vec<LineError>) {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let is_csv = first
        .split(',')
        .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("email"));
    if is_csv {
        return enroll::parse_csv(text);
    }
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let body = EnrollBody {
        candidates: lines
            .iter()
            .map(|(_, l)| CandidateBody {
                email: (*l).to_owned(),
                name: None,
                extra_time_percent: None,
            })
            .collect(),
    };
    let (mut rows, mut errors) = enroll::parse_json(body);
    // parse_json numbers people from 1; give them their lines back.
    let line_of = |i: usize| lines.get(i.wrapping_sub(1)).map_or(i, |(l, _)| *l);
    for r in &mut rows {
        r.line = line_of(r.line);
    }
    for e in &mut errors {
        e.line = line_of(e.line);
    }
    (rows, errors)
}

fn outcome_of(text: &str, result: Result<EnrollResult, ApiError>) -> Result<Outcome, ApiError> {
    let (enrolled, already, errors) = match result {
        Ok(r) => (r.enrolled, r.already_enrolled, r.errors),
        Err(ApiError::LineValidation(errors)) => (0, 0, errors),
        Err(ApiError::Conflict { detail, .. }) => {
            return Ok(Outcome {
                general: Some(sentence(&detail)),
                ..Outcome::default()
            });
        }
        Err(e) => return Err(e),
    };
    let lines = if errors.is_empty() {
        Vec::new()
    } else {
        text.lines()
            .enumerate()
            .take(SHOWN_LINES)
            .map(|(i, l)| LineRow {
                line: i + 1,
                text: l.to_owned(),
                problem: errors
                    .iter()
                    .filter(|e| e.line == i + 1)
                    .map(|e| sentence(&e.message))
                    .reduce(|a, b| format!("{a} {b}")),
            })
            .filter(|r| !r.text.trim().is_empty() || r.problem.is_some())
            .collect()
    };
    Ok(Outcome {
        enrolled,
        already,
        bad: errors.len(),
        lines,
        general: None,
    })
}

/// The failed lines of `text`, under the CSV's header when it is a CSV.
fn lines_to_fix(text: &str, outcome: &Outcome) -> String {
    let bad: Vec<usize> = outcome
        .lines
        .iter()
        .filter(|l| l.problem.is_some())
        .map(|l| l.line)
        .collect();
    let header = text.lines().position(|l| !l.trim().is_empty()).filter(|i| {
        let first = text.lines().nth(*i).unwrap_or("");
        first
            .split(',')
            .any(|c| c.trim().trim_matches('"').eq_ignore_ascii_case("email"))
    });
    text.lines()
        .enumerate()
        .filter(|(i, _)| Some(*i) == header || bad.contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    pub people: String,
}

/// `POST /orgs/{org}/exams/{exam}/enrollments`: enroll the pasted people
/// (or the CSV the page's script read from a file into the same field).
pub async fn enroll(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path((_, exam)): Path<(String, String)>,
    form: WebForm<EnrollForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    let (exam, auth) = match load_exam(&state, &staff.ctx, id, Action::ManageEnrollments).await {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let text = form.value.people.replace("\r\n", "\n");
    let (rows, errors) = parse_people(&text);
    let result = enroll::enroll(&state, &staff.ctx, &auth, &exam, rows, errors, true).await;
    let outcome = match outcome_of(&text, result) {
        Ok(o) => o,
        Err(e) => return error_page(&e),
    };
    let failed = outcome.enrolled == 0
        && outcome.already == 0
        && (outcome.bad > 0 || outcome.general.is_some());
    // Keep the lines to fix (and a CSV's header) when some line failed.
    let keep = if outcome.bad > 0 {
        lines_to_fix(&text, &outcome)
    } else {
        String::new()
    };
    match page(&state, &staff, &exam, &auth, None, keep, Some(outcome)).await {
        // htmx swaps 2xx answers only: the report is the answer.
        Ok(p) if failed && !is_htmx(&headers) => {
            (StatusCode::UNPROCESSABLE_ENTITY, p).into_response()
        }
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

// ---- one candidate's overrides

/// The overrides form as typed.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct OverridesForm {
    #[serde(default)]
    pub extra_time_percent: String,
    #[serde(default)]
    pub duration_minutes: String,
    #[serde(default)]
    pub max_attempts: String,
    #[serde(default)]
    pub window_start: String,
    #[serde(default)]
    pub window_end: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/overrides.html")]
pub struct OverridesPage {
    pub layout: Layout,
    pub exams_href: String,
    pub exam_href: String,
    pub back: String,
    pub exam_title: String,
    pub person: String,
    pub action: String,
    pub csrf: String,
    pub form: OverridesForm,
    pub errors: FormErrors,
    pub exam_facts: String,
}

fn local(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

async fn overrides_page(
    state: &AppState,
    staff: &Staff,
    exam: &Exam,
    user: Uuid,
    form: Option<OverridesForm>,
    errors: FormErrors,
) -> Result<OverridesPage, ApiError> {
    let en = exam_store::enrollment_in(state.db.read(), staff.ctx.org_id(), exam.id, user)
        .await?
        .ok_or(ApiError::NotFound)?;
    let person = users::by_id(state.db.read(), user).await?;
    let view = EnrollmentView::new(en, person.as_ref());
    let o = &view.overrides;
    let opt = |v: Option<i32>| v.map(|x| x.to_string()).unwrap_or_default();
    let form = form.unwrap_or_else(|| OverridesForm {
        extra_time_percent: opt(o.extra_time_percent),
        duration_minutes: opt(o.duration_minutes),
        max_attempts: opt(o.max_attempts),
        window_start: local(o.window_start_at),
        window_end: local(o.window_end_at),
    });
    let base = staff.href(&format!("/exams/{}/enrollments", exam.id));
    Ok(OverridesPage {
        layout: staff.layout(&format!("Overrides · {}", view.name), Section::Exams),
        exams_href: staff.href("/exams"),
        exam_href: staff.href(&format!("/exams/{}", exam.id)),
        back: base.clone(),
        exam_title: exam.title.clone(),
        person: format!("{} <{}>", view.name, view.email),
        action: format!("{base}/{user}"),
        csrf: staff.csrf.clone(),
        form,
        errors,
        exam_facts: format!(
            "The exam's own values: {} minutes, {} attempt(s), {}.",
            exam.duration_minutes,
            exam.max_attempts,
            super::exams::window_words(exam.scheduled_start_at, exam.scheduled_end_at)
                .to_lowercase()
        ),
    })
}

/// Loads the exam for an overrides page (the service's own check,
/// `ManageExams`, comes first so a page is never shown that cannot save).
async fn overrides_exam(
    state: &AppState,
    staff: &Staff,
    exam: &str,
    user: &str,
) -> Result<(Exam, Uuid), ApiError> {
    let id = parse_exam(exam).ok_or(ApiError::NotFound)?;
    let user: Uuid = user.parse().map_err(|_| ApiError::NotFound)?;
    let (exam, auth) = load_exam(state, &staff.ctx, id, Action::ManageExams).await?;
    auth.on_session_of(user)?;
    Ok((exam, user))
}

/// `GET /orgs/{org}/exams/{exam}/enrollments/{user}`.
pub async fn overrides_form(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam, user)): Path<(String, String, String)>,
) -> Response {
    let result = match overrides_exam(&state, &staff, &exam, &user).await {
        Ok((exam, user)) => {
            overrides_page(&state, &staff, &exam, user, None, FormErrors::default()).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

fn body_of(f: &OverridesForm) -> Result<OverridesBody, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut int = |field: &str, v: &str| -> Option<i64> {
        let v = v.trim().trim_end_matches('%').trim();
        if v.is_empty() {
            return None;
        }
        v.parse().ok().or_else(|| {
            errors.push(FieldError::new(
                field,
                "Enter a whole number, or leave it empty.",
            ));
            None
        })
    };
    let extra_time_percent = int("extra_time_percent", &f.extra_time_percent);
    let duration_minutes = int("duration_minutes", &f.duration_minutes);
    let max_attempts = int("max_attempts", &f.max_attempts);
    let mut time = |field: &str, v: &str| -> Option<DateTime<Utc>> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .map(|t| t.and_utc())
            .map_err(|_| {
                errors.push(FieldError::new(
                    field,
                    "Enter a date and time like 2027-01-31T09:00.",
                ))
            })
            .ok()
    };
    let window_start_at = time("window_start_at", &f.window_start);
    let window_end_at = time("window_end_at", &f.window_end);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(OverridesBody {
        window_start_at,
        window_end_at,
        duration_minutes,
        max_attempts,
        extra_time_percent,
    })
}

/// `POST /orgs/{org}/exams/{exam}/enrollments/{user}`: save the overrides.
pub async fn save_overrides(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam, user)): Path<(String, String, String)>,
    form: WebForm<OverridesForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (exam, user) = match overrides_exam(&state, &staff, &exam, &user).await {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let result = match body_of(&form.value) {
        Err(fields) => Err(ApiError::Validation(fields)),
        Ok(body) => set_overrides(&state, &staff.ctx, exam.id, user, body).await,
    };
    match result {
        Ok(_) => see_other(&staff.href(&format!("/exams/{}/enrollments", exam.id))),
        Err(ApiError::Validation(list)) => {
            let errors = FormErrors {
                fields: list
                    .into_iter()
                    .map(|f| FieldError::new(f.field, sentence(&f.message)))
                    .collect(),
                general: Vec::new(),
            };
            match overrides_page(&state, &staff, &exam, user, Some(form.value), errors).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => error_page(&e),
            }
        }
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_people;

    #[test]
    fn pasted_emails_keep_their_lines() {
        let (rows, errors) = parse_people("a@x.org\n\nnot-an-email\n b@x.org \n");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(errors[0].line, 3);
        let (rows, errors) = parse_people("email,name\nc@x.org,C\nbad,B\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(errors[0].line, 3);
    }
}
