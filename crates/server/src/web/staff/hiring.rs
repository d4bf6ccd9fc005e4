//! The company's hiring console (Section::Hiring, COMPANY organizations):
//! `/orgs/{org}/hiring` (the postings), `/orgs/{org}/hiring/new` (the
//! posting form, the exam picked from the organization's exams),
//! `/orgs/{org}/hiring/{id}` (edit, close, the applicants with their
//! result and status) and `/orgs/{org}/hiring/{id}/applicants/{app}` (one
//! applicant: reading it records the candidate view; status, notes,
//! interest). The same services and checks as `/api/v1/orgs/{org}/job-postings*`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::exams::ExamStatus;
use invigil_domain::hiring::{ApplicationStatus, ExperienceLevel, PostingStatus};
use invigil_domain::identity::Action;
use invigil_store::{DeptScope, Keyset, exams};

use super::{Section, Staff};
use crate::hiring::views::{ApplicantPatch, ApplicantView, PostingBody, PostingPatch, PostingView};
use crate::hiring::{applicants, service};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, form_error};
use crate::web::form::WebForm;
use crate::web::jobs::{level, status};
use crate::web::session::see_other;
use crate::web::{Layout, when};

const ROWS: u64 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/hiring", get(list_page))
        .route("/orgs/{org}/hiring/new", get(new_page).post(create))
        .route("/orgs/{org}/hiring/{id}", get(posting_page).post(update))
        .route("/orgs/{org}/hiring/{id}/close", post(close))
        .route(
            "/orgs/{org}/hiring/{id}/applicants/{app}",
            get(applicant_page).post(decide),
        )
}

#[derive(Debug)]
pub struct PostingRow {
    pub id: Uuid,
    pub title: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub level: &'static str,
    pub exam_title: String,
    pub applicants: u64,
    pub updated: String,
}

fn posting_badge(s: PostingStatus) -> &'static str {
    match s {
        PostingStatus::Open => "badge ok",
        PostingStatus::Draft => "badge warn",
        PostingStatus::Closed => "badge muted",
    }
}

fn row(v: PostingView) -> PostingRow {
    PostingRow {
        id: v.id,
        title: v.title,
        status: v.status.name(),
        badge: posting_badge(v.status),
        level: level(v.experience_level),
        exam_title: v.exam_title,
        applicants: v.applicants.unwrap_or(0),
        updated: when(v.updated_at),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/hiring.html")]
pub struct ListPage {
    pub layout: Layout,
    pub base: String,
    pub may_manage: bool,
    pub rows: Vec<PostingRow>,
}

/// `GET /orgs/{org}/hiring`.
pub async fn list_page(State(state): State<AppState>, staff: Staff) -> Response {
    match service::list(&state, &staff.ctx, None, Keyset::new(None, ROWS)).await {
        Ok(page) => ListPage {
            layout: staff.layout("Hiring", Section::Hiring),
            base: staff.href("/hiring"),
            may_manage: staff.may(Action::ManageJobs),
            rows: page.items.into_iter().map(row).collect(),
        }
        .into_response(),
        Err(e) => error_page(&e),
    }
}

/// The posting form as typed: one requirement or skill a line.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostingForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub requirements: String,
    #[serde(default)]
    pub required_skills: String,
    #[serde(default)]
    pub experience_level: String,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub salary: String,
    #[serde(default)]
    pub exam_id: String,
    /// `OPEN` to publish, else a draft.
    #[serde(default)]
    pub status: String,
}

impl PostingForm {
    fn of(v: &PostingView) -> PostingForm {
        PostingForm {
            title: v.title.clone(),
            description: v.description.clone(),
            requirements: v.requirements.join("\n"),
            required_skills: v.required_skills.join("\n"),
            experience_level: v.experience_level.name().to_owned(),
            location: v.location.clone().unwrap_or_default(),
            salary: v.salary.clone().unwrap_or_default(),
            exam_id: v.exam_id.to_string(),
            status: v.status.name().to_owned(),
        }
    }
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The form's typed fields, or the field errors of what does not parse.
fn parsed(f: &PostingForm) -> Result<(ExperienceLevel, Uuid, PostingStatus), ApiError> {
    let mut bad = Vec::new();
    let level = ExperienceLevel::parse(f.experience_level.trim());
    if level.is_none() {
        bad.push(FieldError::new(
            "experience_level",
            "choose an experience level",
        ));
    }
    let exam = f.exam_id.trim().parse::<Uuid>().ok();
    if exam.is_none() {
        bad.push(FieldError::new("exam_id", "choose the assessment"));
    }
    let status = if f.status == "OPEN" {
        PostingStatus::Open
    } else {
        PostingStatus::Draft
    };
    match (level, exam) {
        (Some(l), Some(e)) if bad.is_empty() => Ok((l, e, status)),
        _ => Err(ApiError::Validation(bad)),
    }
}

#[derive(Debug)]
pub struct ExamOption {
    pub id: String,
    pub label: String,
}

#[derive(Debug)]
pub struct LevelOption {
    pub value: &'static str,
    pub label: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/hiring_form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub base: String,
    pub heading: String,
    pub action: String,
    pub form: PostingForm,
    pub exams: Vec<ExamOption>,
    pub levels: Vec<LevelOption>,
    pub errors: FormErrors,
}

const FIELDS: &[&str] = &[
    "title",
    "description",
    "requirements",
    "required_skills",
    "experience_level",
    "location",
    "salary",
    "exam_id",
    "status",
];

async fn exam_options(state: &AppState, staff: &Staff) -> Result<Vec<ExamOption>, ApiError> {
    let list = exams::list_exams(
        state.db.read(),
        staff.ctx.org.id,
        &DeptScope::All,
        None,
        None,
        500,
    )
    .await?;
    Ok(list
        .into_iter()
        .filter(|e| !matches!(e.status, ExamStatus::Cancelled | ExamStatus::Archived))
        .map(|e| ExamOption {
            id: e.id.to_string(),
            label: format!("{} ({})", e.title, e.status),
        })
        .collect())
}

async fn form_page(
    state: &AppState,
    staff: &Staff,
    heading: &str,
    action: String,
    form: PostingForm,
) -> Result<FormPage, ApiError> {
    let _recruiter = service::company(&staff.ctx, Action::ManageJobs)?;
    Ok(FormPage {
        layout: staff.layout(heading, Section::Hiring),
        base: staff.href("/hiring"),
        heading: heading.to_owned(),
        action,
        form,
        exams: exam_options(state, staff).await?,
        levels: service::LEVELS
            .iter()
            .map(|l| LevelOption {
                value: l.name(),
                label: level(*l),
            })
            .collect(),
        errors: FormErrors::default(),
    })
}

/// `GET /orgs/{org}/hiring/new`.
pub async fn new_page(State(state): State<AppState>, staff: Staff) -> Response {
    let form = PostingForm {
        experience_level: "MID".into(),
        ..PostingForm::default()
    };
    match form_page(
        &state,
        &staff,
        "New job posting",
        staff.href("/hiring/new"),
        form,
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/hiring/new`.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    form: WebForm<PostingForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let f = form.value;
    let result = match parsed(&f) {
        Ok((experience_level, exam_id, status)) => {
            let body = PostingBody {
                title: f.title.clone(),
                description: f.description.clone(),
                requirements: lines(&f.requirements),
                required_skills: lines(&f.required_skills),
                experience_level,
                location: opt(&f.location),
                salary: opt(&f.salary),
                status: Some(status),
                exam_id,
            };
            service::create(&state, &staff.ctx, body).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => see_other(&staff.href(&format!("/hiring/{}", v.id))),
        Err(e) => match form_page(
            &state,
            &staff,
            "New job posting",
            staff.href("/hiring/new"),
            f,
        )
        .await
        {
            Ok(p) => form_error(e, FIELDS, |errors| FormPage { errors, ..p }),
            Err(other) => error_page(&other),
        },
    }
}

#[derive(Debug)]
pub struct ApplicantRow {
    pub href: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub applied: String,
    pub score: String,
    pub passed: &'static str,
    pub integrity: String,
}

fn result_text(a: &ApplicantView) -> (String, &'static str, String) {
    match &a.result {
        None => ("Not taken yet".into(), "", String::new()),
        Some(r) => {
            let score = match (r.final_score, r.percent) {
                (Some(s), Some(p)) => format!("{s} / {} ({p:.0}%)", r.max_score),
                _ => "Being graded".into(),
            };
            let passed = match r.passed {
                Some(true) => "Passed",
                Some(false) => "Not passed",
                None => "",
            };
            (score, passed, r.integrity.clone())
        }
    }
}

fn applicant_row(base: &str, a: &ApplicantView) -> ApplicantRow {
    let (label, badge) = status(a.status);
    let (score, passed, integrity) = result_text(a);
    ApplicantRow {
        href: format!("{base}/applicants/{}", a.application_id),
        name: a.name.clone(),
        email: a.email.clone(),
        status: label,
        badge,
        applied: when(a.applied_at),
        score,
        passed,
        integrity,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/hiring_posting.html")]
pub struct PostingPage {
    pub layout: Layout,
    pub base: String,
    pub here: String,
    pub posting: PostingRow,
    pub public_href: Option<String>,
    pub may_manage: bool,
    pub may_view: bool,
    pub closed: bool,
    pub applicants: Vec<ApplicantRow>,
    pub form: PostingForm,
    pub exams: Vec<ExamOption>,
    pub levels: Vec<LevelOption>,
    pub errors: FormErrors,
}

async fn posting_of(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    form: Option<PostingForm>,
) -> Result<PostingPage, ApiError> {
    let v = service::get(state, &staff.ctx, id).await?;
    let here = staff.href(&format!("/hiring/{id}"));
    let may_view = staff.may(Action::ViewApplicants);
    let applicants = if may_view {
        applicants::list(state, &staff.ctx, id, Keyset::new(None, ROWS))
            .await?
            .items
            .iter()
            .map(|a| applicant_row(&here, a))
            .collect()
    } else {
        Vec::new()
    };
    let may_manage = staff.may(Action::ManageJobs);
    let exams = if may_manage {
        exam_options(state, staff).await?
    } else {
        Vec::new()
    };
    Ok(PostingPage {
        layout: staff.layout(&format!("Hiring · {}", v.title), Section::Hiring),
        base: staff.href("/hiring"),
        here,
        public_href: (v.status != PostingStatus::Draft).then(|| format!("/jobs/{}", v.id)),
        closed: v.status == PostingStatus::Closed,
        may_manage,
        may_view,
        applicants,
        form: form.unwrap_or_else(|| PostingForm::of(&v)),
        exams,
        levels: service::LEVELS
            .iter()
            .map(|l| LevelOption {
                value: l.name(),
                label: level(*l),
            })
            .collect(),
        posting: row(v),
        errors: FormErrors::default(),
    })
}

/// `GET /orgs/{org}/hiring/{id}`.
pub async fn posting_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match posting_of(&state, &staff, id, None).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/hiring/{id}`: saves the edit form.
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<PostingForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let result = match parsed(&f) {
        Ok((experience_level, exam_id, status)) => {
            let patch = PostingPatch {
                title: Some(f.title.clone()),
                description: Some(f.description.clone()),
                requirements: Some(lines(&f.requirements)),
                required_skills: Some(lines(&f.required_skills)),
                experience_level: Some(experience_level),
                location: Some(opt(&f.location)),
                salary: Some(opt(&f.salary)),
                status: Some(status),
                exam_id: Some(exam_id),
            };
            service::update(&state, &staff.ctx, id, patch).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other(&staff.href(&format!("/hiring/{id}"))),
        Err(e) => match posting_of(&state, &staff, id, Some(f)).await {
            Ok(p) => form_error(e, FIELDS, |errors| PostingPage { errors, ..p }),
            Err(other) => error_page(&other),
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /orgs/{org}/hiring/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, id)): Path<(String, String)>,
    form: WebForm<Empty>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let back = staff.href(&format!("/hiring/{id}"));
    match service::close(&state, &staff.ctx, id).await {
        Ok(_) => see_other(&back),
        Err(e) => crate::web::live_classes::refused(&e, (&back, "Back to the job posting")),
    }
}

#[derive(Debug)]
pub struct StatusOption {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/hiring_applicant.html")]
pub struct ApplicantPage {
    pub layout: Layout,
    pub posting_href: String,
    pub posting_title: String,
    pub action: String,
    pub a: ApplicantRow,
    pub cover_note: String,
    pub graded: bool,
    pub submitted: String,
    pub skills: Vec<String>,
    pub bio: String,
    pub location: String,
    pub languages: Vec<String>,
    /// `(label, href)` of the applicant's own links.
    pub links: Vec<(&'static str, String)>,
    /// `(title, issued, verification address)`.
    pub certificates: Vec<(String, String, String)>,
    pub may_decide: bool,
    pub statuses: Vec<StatusOption>,
    pub notes: String,
    pub interested: bool,
    pub viewed: String,
    pub errors: FormErrors,
}

fn applicant_page_of(staff: &Staff, posting: &PostingView, v: ApplicantView) -> ApplicantPage {
    let here = staff.href(&format!("/hiring/{}", posting.id));
    let current = v.status;
    ApplicantPage {
        layout: staff.layout(&format!("Applicant · {}", v.name), Section::Hiring),
        posting_href: here.clone(),
        posting_title: posting.title.clone(),
        action: format!("{here}/applicants/{}", v.application_id),
        a: applicant_row(&here, &v),
        cover_note: v.cover_note.clone().unwrap_or_default(),
        graded: v.result.as_ref().is_some_and(|r| r.graded),
        submitted: v
            .result
            .as_ref()
            .and_then(|r| r.submitted_at)
            .map(when)
            .unwrap_or_default(),
        skills: v
            .profile
            .as_ref()
            .map(|p| p.skills.clone())
            .unwrap_or_default(),
        bio: v
            .profile
            .as_ref()
            .and_then(|p| p.bio.clone())
            .unwrap_or_default(),
        location: v
            .profile
            .as_ref()
            .and_then(|p| p.location.clone())
            .unwrap_or_default(),
        languages: v
            .profile
            .as_ref()
            .map(|p| p.languages.clone())
            .unwrap_or_default(),
        links: v
            .profile
            .as_ref()
            .map(|p| {
                [
                    ("LinkedIn", &p.linkedin),
                    ("GitHub", &p.github),
                    ("Website", &p.website),
                ]
                .into_iter()
                .filter_map(|(label, href)| href.clone().map(|h| (label, h)))
                .collect()
            })
            .unwrap_or_default(),
        certificates: v
            .certificates
            .iter()
            .map(|c| {
                (
                    c.title.clone(),
                    when(c.issued_at),
                    c.verify_url.clone().unwrap_or_default(),
                )
            })
            .collect(),
        may_decide: staff.may(Action::ManageJobs),
        statuses: [
            ApplicationStatus::Shortlisted,
            ApplicationStatus::Rejected,
            ApplicationStatus::Hired,
        ]
        .into_iter()
        .map(|s| StatusOption {
            value: s.name(),
            label: status(s).0,
            selected: s == current,
        })
        .collect(),
        notes: v
            .my_view
            .as_ref()
            .and_then(|m| m.notes.clone())
            .unwrap_or_default(),
        interested: v.my_view.as_ref().is_some_and(|m| m.is_interested),
        viewed: v
            .my_view
            .as_ref()
            .map(|m| when(m.viewed_at))
            .unwrap_or_default(),
        errors: FormErrors::default(),
    }
}

fn ids(posting: &str, app: &str) -> Option<(Uuid, Uuid)> {
    Some((posting.parse().ok()?, app.parse().ok()?))
}

/// `GET /orgs/{org}/hiring/{id}/applicants/{app}`.
pub async fn applicant_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, posting, app)): Path<(String, String, String)>,
) -> Response {
    let Some((posting, app)) = ids(&posting, &app) else {
        return error_page(&ApiError::NotFound);
    };
    let shown = async {
        let v = applicants::get(&state, &staff.ctx, posting, app).await?;
        let p = service::get(&state, &staff.ctx, posting).await?;
        Ok::<_, ApiError>(applicant_page_of(&staff, &p, v))
    };
    match shown.await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct DecisionForm {
    /// Empty: no change.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub notes: String,
    /// The checkbox: `yes` when ticked.
    #[serde(default)]
    pub interested: Option<String>,
}

/// `POST /orgs/{org}/hiring/{id}/applicants/{app}`: status, notes,
/// interest.
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, posting, app)): Path<(String, String, String)>,
    form: WebForm<DecisionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Some((posting, app)) = ids(&posting, &app) else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let new_status = match f.status.trim() {
        "" => Ok(None),
        s => ApplicationStatus::parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::field("status", "choose a status")),
    };
    let result = match new_status {
        Ok(s) => {
            let patch = ApplicantPatch {
                status: s.filter(|_| staff.may(Action::ManageJobs)),
                notes: Some(opt(&f.notes)),
                is_interested: Some(f.interested.as_deref() == Some("yes")),
            };
            applicants::update(&state, &staff.ctx, posting, app, patch).await
        }
        Err(e) => Err(e),
    };
    let here = staff.href(&format!("/hiring/{posting}/applicants/{app}"));
    match result {
        Ok(_) => see_other(&here),
        Err(e) => {
            let shown = async {
                let v = applicants::get(&state, &staff.ctx, posting, app).await?;
                let p = service::get(&state, &staff.ctx, posting).await?;
                Ok::<_, ApiError>(applicant_page_of(&staff, &p, v))
            };
            match shown.await {
                Ok(p) => form_error(e, &["status", "notes"], |errors| ApplicantPage {
                    errors,
                    ..p
                }),
                Err(other) => error_page(&other),
            }
        }
    }
}
