//! The Exams section: `/orgs/{org}/exams` (the list, the services of `GET
//! /orgs/{org}/exams`), `/orgs/{org}/exams/{exam}` (one exam: its facts,
//! the lifecycle buttons, release of results, links to the live console,
//! the enrollments and the results). The form is in [`super::exam_form`],
//! enrollment in [`super::enrollments`].

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use invigil_domain::exams::{ExamAction, ExamStatus, transition};
use invigil_domain::identity::Action;
use invigil_store::{content, exams as exam_store, tenancy};

use super::{Pager, Section, Staff, enrollments, exam_form};
use crate::content::views::try_page;
use crate::exams::lifecycle::act_on_exam;
use crate::exams::service::{exam_scope, load_exam};
use crate::exams::views::ExamView;
use crate::http::error::ApiError;
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/exams", get(list))
        .route(
            "/orgs/{org}/exams/new",
            get(exam_form::new_exam).post(exam_form::create),
        )
        .route("/orgs/{org}/exams/{exam}", get(show))
        .route(
            "/orgs/{org}/exams/{exam}/edit",
            get(exam_form::edit_exam).post(exam_form::update),
        )
        .route("/orgs/{org}/exams/{exam}/lifecycle", post(lifecycle))
        .route("/orgs/{org}/exams/{exam}/release", post(release))
        .route(
            "/orgs/{org}/exams/{exam}/enrollments",
            get(enrollments::list).post(enrollments::enroll),
        )
        .route(
            "/orgs/{org}/exams/{exam}/enrollments/{user}",
            get(enrollments::overrides_form).post(enrollments::save_overrides),
        )
}

/// An exam id from the path; `None` (then a 404 page) when it is not one.
pub fn parse_exam(s: &str) -> Option<Uuid> {
    s.parse().ok()
}

/// The badge class of an exam status.
pub fn status_badge(s: ExamStatus) -> &'static str {
    match s {
        ExamStatus::Active => "badge ok",
        ExamStatus::Draft | ExamStatus::Scheduled => "badge warn",
        ExamStatus::Cancelled => "badge bad",
        ExamStatus::Completed | ExamStatus::Archived => "badge muted",
    }
}

/// A window in words.
pub fn window_words(
    start: Option<chrono::DateTime<chrono::Utc>>,
    end: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    match (start, end) {
        (Some(s), Some(e)) => format!("{} – {}", when(s), when(e)),
        (Some(s), None) => format!("From {}", when(s)),
        (None, Some(e)) => format!("Until {}", when(e)),
        (None, None) => "Any time while open".to_owned(),
    }
}

/// One row of the list.
#[derive(Debug)]
pub struct ExamRow {
    pub href: String,
    pub live: Option<String>,
    pub title: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub window: String,
    pub window_sort: String,
    pub duration: i32,
    pub proctored: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/exams.html")]
pub struct ExamsPage {
    pub layout: Layout,
    pub rows: Vec<ExamRow>,
    pub status: String,
    pub statuses: Vec<&'static str>,
    pub may_create: bool,
    pub new_href: String,
    pub action: String,
    pub pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub cursor: Option<String>,
}

/// `GET /orgs/{org}/exams`: the exams the caller may read.
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    match list_page(&state, &staff, q).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

async fn list_page(state: &AppState, staff: &Staff, q: ListQuery) -> Result<ExamsPage, ApiError> {
    let scope = exam_scope(&staff.ctx)?;
    let status_text = q.status.unwrap_or_default();
    let status = match status_text.as_str() {
        "" => None,
        s => Some(
            ExamStatus::parse(s).ok_or_else(|| ApiError::field("status", "not an exam status"))?,
        ),
    };
    let page = PageQuery {
        limit: Some(50),
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
    };
    let limit = page.limit()?;
    let rows = exam_store::list_exams(
        state.db.read(),
        staff.ctx.org_id(),
        &scope,
        status,
        page.cursor::<Uuid>()?,
        limit,
    )
    .await?;
    let page: Page<ExamView> = try_page(Page::from_rows(
        rows,
        limit,
        |e| e.id.to_string(),
        ExamView::try_from,
    ))?;
    let live_ok = staff.may(Action::SessionActions);
    let rows = page
        .items
        .iter()
        .map(|e| ExamRow {
            href: staff.href(&format!("/exams/{}", e.id)),
            live: (live_ok && e.status == ExamStatus::Active)
                .then(|| staff.href(&format!("/exams/{}/live", e.id))),
            title: e.title.clone(),
            status: e.status.name(),
            badge: status_badge(e.status),
            window: window_words(e.scheduled_start_at, e.scheduled_end_at),
            window_sort: e
                .scheduled_start_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            duration: e.duration_minutes,
            proctored: e.enable_proctoring,
        })
        .collect();
    let base = if status_text.is_empty() {
        staff.href("/exams")
    } else {
        format!(
            "{}?{}",
            staff.href("/exams"),
            serde_urlencoded::to_string([("status", &status_text)]).unwrap_or_default()
        )
    };
    Ok(ExamsPage {
        layout: staff.layout("Exams", Section::Exams),
        rows,
        status: status_text,
        statuses: vec![
            "DRAFT",
            "SCHEDULED",
            "ACTIVE",
            "COMPLETED",
            "CANCELLED",
            "ARCHIVED",
        ],
        may_create: staff.may(Action::ManageExams),
        new_href: staff.href("/exams/new"),
        action: staff.href("/exams"),
        pager: Pager::new(&base, q.cursor.as_deref(), page.next_cursor.as_deref()),
    })
}

/// One lifecycle button of the exam page.
#[derive(Debug)]
pub struct LifecycleButton {
    pub action: &'static str,
    pub label: &'static str,
    pub confirm: &'static str,
    pub danger: bool,
}

/// One draw rule in words.
#[derive(Debug)]
pub struct RuleLine {
    pub bank: String,
    pub count: i64,
    pub filter: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/exam.html")]
pub struct ExamPage {
    pub layout: Layout,
    pub exam: ExamView,
    pub exams_href: String,
    pub status_badge: &'static str,
    pub window: String,
    pub source: String,
    pub rules: Vec<RuleLine>,
    pub department: String,
    pub exam_type: String,
    pub released: Option<String>,
    pub buttons: Vec<LifecycleButton>,
    pub may_edit: bool,
    pub may_release: bool,
    pub edit_href: String,
    pub lifecycle_href: String,
    pub release_href: String,
    pub live_href: Option<String>,
    pub enroll_href: Option<String>,
    pub results_href: String,
    /// The report and item analysis, for those who read reports.
    pub report_href: Option<String>,
    pub grading_href: Option<String>,
    pub csrf: String,
    pub notice: String,
    /// Why the last action was refused (the service's 409), on the page.
    pub problem: String,
    /// The certificate setting form, for those who manage certificates.
    pub certificate: Option<super::certificates::SettingCard>,
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    pub done: Option<String>,
}

/// `GET /orgs/{org}/exams/{exam}`.
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    match exam_page(&state, &staff, id, q.done.as_deref()).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

fn notice_of(done: Option<&str>) -> String {
    match done {
        Some("schedule") => "The exam is scheduled.",
        Some("open") => "The exam is open: enrolled candidates can start it in its window.",
        Some("close") => "The exam is closed: no new sessions start.",
        Some("cancel") => "The exam is cancelled.",
        Some("archive") => "The exam is archived.",
        Some("release") => "Results are released; the candidates were told by email.",
        Some("certificate") => "The certificate setting is saved.",
        _ => "",
    }
    .to_owned()
}

pub(super) async fn exam_page(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    done: Option<&str>,
) -> Result<ExamPage, ApiError> {
    let (exam, _) = load_exam(state, &staff.ctx, id, Action::ReadExams).await?;
    let dept = exam.department_id;
    let in_dept = |a: Action| staff.ctx.authorize_in(a, dept).is_ok();
    let view = ExamView::try_from(exam)?;
    let db = state.db.read();
    let org = staff.ctx.org_id();
    let mut bank_titles: HashMap<Uuid, String> = HashMap::new();
    let mut bank_ids: Vec<Uuid> = view.question_bank_id.into_iter().collect();
    bank_ids.extend(view.draw.iter().flatten().map(|r| r.bank_id));
    for b in bank_ids {
        if let std::collections::hash_map::Entry::Vacant(v) = bank_titles.entry(b)
            && let Some(bank) = content::bank(db, org, b).await?
        {
            v.insert(bank.title);
        }
    }
    let title_of = |b: Uuid| {
        bank_titles
            .get(&b)
            .cloned()
            .unwrap_or_else(|| "a question bank".to_owned())
    };
    let source = match view.question_bank_id {
        Some(b) => format!("Every active question of “{}”", title_of(b)),
        None => "Drawn for each candidate by these rules:".to_owned(),
    };
    let rules = view
        .draw
        .iter()
        .flatten()
        .map(|r| {
            let mut filter = Vec::new();
            if let Some(d) = &r.difficulty {
                filter.push(format!("difficulty {d}"));
            }
            let tags = r.tags.clone().unwrap_or_default();
            if !tags.is_empty() {
                filter.push(format!("tagged {}", tags.join(", ")));
            }
            RuleLine {
                bank: title_of(r.bank_id),
                count: r.count,
                filter: if filter.is_empty() {
                    "any question".to_owned()
                } else {
                    filter.join(", ")
                },
            }
        })
        .collect();
    let department = match view.department_id {
        None => "Whole organization".to_owned(),
        Some(d) => tenancy::list_departments(db, org)
            .await?
            .into_iter()
            .find(|x| x.id == d)
            .map(|x| x.name)
            .unwrap_or_default(),
    };
    let exam_type = match view.exam_type_id {
        None => "None".to_owned(),
        Some(t) => exam_store::exam_type(db, org, t)
            .await?
            .map(|t| format!("{} ({})", t.name, t.code))
            .unwrap_or_default(),
    };
    let manage = in_dept(Action::ManageExams);
    let buttons = if manage {
        ExamAction::ALL
            .iter()
            .filter(|a| transition(view.status, **a).is_ok())
            .map(|a| match a {
                ExamAction::Schedule => LifecycleButton {
                    action: "schedule",
                    label: "Schedule",
                    confirm: "Schedule this exam? It can still be edited.",
                    danger: false,
                },
                ExamAction::Open => LifecycleButton {
                    action: "open",
                    label: "Open",
                    confirm: "Open this exam? Enrolled candidates can start it in its window, and it can no longer be edited.",
                    danger: false,
                },
                ExamAction::Close => LifecycleButton {
                    action: "close",
                    label: "Close",
                    confirm: "Close this exam? No new sessions can start.",
                    danger: false,
                },
                ExamAction::Cancel => LifecycleButton {
                    action: "cancel",
                    label: "Cancel exam",
                    confirm: "Really cancel this exam? This cannot be undone.",
                    danger: true,
                },
                ExamAction::Archive => LifecycleButton {
                    action: "archive",
                    label: "Archive",
                    confirm: "Archive this exam? It becomes read-only.",
                    danger: false,
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let base = format!("/exams/{}", view.id);
    let certificate = if staff.may(Action::ManageCertificates) {
        let setting = crate::certificates::service::setting(state, &staff.ctx, view.id).await?;
        Some(super::certificates::SettingCard::of(
            staff.href(&format!("{base}/certificate")),
            &setting,
        ))
    } else {
        None
    };
    Ok(ExamPage {
        layout: staff.layout(&view.title, Section::Exams),
        exams_href: staff.href("/exams"),
        status_badge: status_badge(view.status),
        window: window_words(view.scheduled_start_at, view.scheduled_end_at),
        source,
        rules,
        department,
        exam_type,
        released: view.results_released_at.map(when),
        buttons,
        may_edit: manage && view.status.allows_editing(),
        may_release: manage
            && matches!(
                view.status,
                ExamStatus::Active | ExamStatus::Completed | ExamStatus::Archived
            ),
        edit_href: staff.href(&format!("{base}/edit")),
        lifecycle_href: staff.href(&format!("{base}/lifecycle")),
        release_href: staff.href(&format!("{base}/release")),
        live_href: in_dept(Action::SessionActions).then(|| staff.href(&format!("{base}/live"))),
        enroll_href: in_dept(Action::ManageEnrollments)
            .then(|| staff.href(&format!("{base}/enrollments"))),
        results_href: staff.href(&format!("{base}/results")),
        report_href: in_dept(Action::ReadReports).then(|| staff.href(&format!("{base}/report"))),
        grading_href: in_dept(Action::GradeAnswers)
            .then(|| staff.href(&format!("/grading?exam={}", view.id))),
        csrf: staff.csrf.clone(),
        notice: notice_of(done),
        problem: String::new(),
        certificate,
        exam: view,
    })
}

#[derive(Debug, Deserialize)]
pub struct LifecycleForm {
    pub action: String,
}

/// `POST /orgs/{org}/exams/{exam}/lifecycle`: schedule, open, close,
/// cancel or archive (the service of `POST .../exams/{exam}/{action}`).
pub async fn lifecycle(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    form: WebForm<LifecycleForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    let Some(action) = ExamAction::ALL
        .into_iter()
        .find(|a| a.as_path_segment() == form.value.action)
    else {
        return error_page(&ApiError::field("action", "not a lifecycle action"));
    };
    match act_on_exam(&state, &staff.ctx, id, action).await {
        Ok(_) => see_other(&staff.href(&format!("/exams/{id}?done={}", action.as_path_segment()))),
        Err(ApiError::Conflict { detail, .. }) => {
            refused_on_page(&state, &staff, id, &detail).await
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/exams/{exam}/release`: release the results (the
/// service of `POST .../exams/{exam}/release-results`).
pub async fn release(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some(id) = parse_exam(&exam) else {
        return error_page(&ApiError::NotFound);
    };
    match crate::grading::results::release_results(&state, &staff.ctx, id).await {
        Ok(_) => see_other(&staff.href(&format!("/exams/{id}?done=release"))),
        Err(ApiError::Conflict { detail, .. }) => {
            refused_on_page(&state, &staff, id, &detail).await
        }
        Err(e) => error_page(&e),
    }
}

/// The exam page again with why an action was refused (409).
async fn refused_on_page(state: &AppState, staff: &Staff, id: Uuid, detail: &str) -> Response {
    match exam_page(state, staff, id, None).await {
        Ok(mut p) => {
            p.problem = crate::web::errors::sentence(detail);
            (axum::http::StatusCode::CONFLICT, p).into_response()
        }
        Err(e) => error_page(&e),
    }
}
