//! The jobs board and my applications: `/jobs` (OPEN postings of every
//! company, with a search; no sign-in needed), `/jobs/{id}` (a posting with
//! the Apply form: consent and a cover note), `POST /jobs/{id}/apply`,
//! `/me/applications` (status, the link to the assessment) and
//! `POST /me/applications/{id}/withdraw`. The same services as
//! `/api/v1/jobs*` and `/api/v1/me/applications*`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::content::render_markdown_safe;
use invigil_domain::hiring::{ApplicationStatus, ExperienceLevel, PostingStatus, may_withdraw};
use invigil_store::Keyset;

use super::errors::{FormErrors, csrf_refused, error_page, form_error};
use super::form::WebForm;
use super::session::{SignedIn, Visitor, see_other};
use super::{Layout, when};
use crate::hiring::service;
use crate::hiring::views::{ApplyBody, MyApplicationView, PostingView};
use crate::http::error::ApiError;
use crate::state::AppState;

const PAGE: u64 = 30;

/// How a level reads.
pub fn level(l: ExperienceLevel) -> &'static str {
    match l {
        ExperienceLevel::Entry => "Entry level",
        ExperienceLevel::Mid => "Mid level",
        ExperienceLevel::Senior => "Senior",
        ExperienceLevel::Lead => "Lead",
    }
}

/// An application status as it reads, and its badge.
pub fn status(s: ApplicationStatus) -> (&'static str, &'static str) {
    match s {
        ApplicationStatus::Applied => ("Applied: take the assessment", "badge warn"),
        ApplicationStatus::Assessed => ("Assessed", "badge ok"),
        ApplicationStatus::Shortlisted => ("Shortlisted", "badge ok"),
        ApplicationStatus::Rejected => ("Not selected", "badge bad"),
        ApplicationStatus::Hired => ("Hired", "badge ok"),
        ApplicationStatus::Withdrawn => ("Withdrawn", "badge muted"),
    }
}

#[derive(Debug)]
pub struct JobCard {
    pub id: Uuid,
    pub title: String,
    pub company: String,
    pub level: &'static str,
    pub location: String,
    pub salary: String,
    pub skills: Vec<String>,
    pub published: String,
}

fn card(v: PostingView) -> JobCard {
    JobCard {
        id: v.id,
        title: v.title,
        company: v.company,
        level: level(v.experience_level),
        location: v.location.unwrap_or_default(),
        salary: v.salary.unwrap_or_default(),
        skills: v.required_skills,
        published: v.published_at.map(when).unwrap_or_default(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "jobs.html")]
pub struct BoardPage {
    pub layout: Layout,
    pub q: String,
    pub jobs: Vec<JobCard>,
    pub more: Option<String>,
    pub later_page: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    pub q: Option<String>,
    pub cursor: Option<String>,
}

fn csrf_layout(title: &str, visitor: &Visitor) -> (Layout, Option<axum::http::HeaderValue>) {
    let (csrf, cookie) = visitor.csrf_for_page();
    (Layout::for_visitor(title, visitor, &csrf), cookie)
}

fn with_cookie(page: impl IntoResponse, cookie: Option<axum::http::HeaderValue>) -> Response {
    let mut resp = page.into_response();
    if let Some(c) = cookie {
        resp.headers_mut().append(axum::http::header::SET_COOKIE, c);
    }
    resp
}

/// `GET /jobs`.
pub async fn board_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<BoardQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let after = match crate::web::cursor_after(q.cursor.as_deref()) {
        Ok(after) => after,
        Err(e) => return error_page(&e),
    };
    let text = q.q.clone().unwrap_or_default();
    let search = Some(text.trim()).filter(|t| !t.is_empty());
    let page = match service::board(&state, search, Keyset::new(after, PAGE)).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let more = page.next_cursor.map(|c| {
        let query = serde_urlencoded::to_string([("q", text.as_str()), ("cursor", c.as_str())])
            .unwrap_or_default();
        format!("/jobs?{query}")
    });
    let (layout, cookie) = csrf_layout("Jobs", &visitor);
    with_cookie(
        BoardPage {
            layout,
            q: text,
            jobs: page.items.into_iter().map(card).collect(),
            more,
            later_page: after.is_some(),
        },
        cookie,
    )
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApplyForm {
    /// The checkbox: `yes` when ticked.
    #[serde(default)]
    pub consent: Option<String>,
    #[serde(default)]
    pub cover_note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "job.html")]
pub struct JobPage {
    pub layout: Layout,
    pub job: JobCard,
    pub description_html: String,
    pub requirements: Vec<String>,
    pub exam_title: String,
    pub open: bool,
    pub signed_in: bool,
    /// My application to it, when I applied.
    pub applied: Option<&'static str>,
    /// The company's profile, when it wrote one.
    pub company: Option<CompanyCard>,
    pub form: ApplyForm,
    pub errors: FormErrors,
}

/// What the job page tells about the company (its public profile; the
/// address stays with the company).
pub struct CompanyCard {
    pub name: String,
    pub industry: String,
    pub size: String,
    pub country: String,
    pub website: String,
    pub description_html: String,
}

impl CompanyCard {
    fn of(p: invigil_store::people::CompanyProfile) -> Self {
        CompanyCard {
            name: p.company_name,
            industry: p.industry.unwrap_or_default(),
            size: p.company_size.unwrap_or_default(),
            country: p.country.unwrap_or_default(),
            website: p.website.unwrap_or_default(),
            description_html: render_markdown_safe(&p.description.unwrap_or_default()),
        }
    }
}

async fn job_page_of(
    state: &AppState,
    visitor: &Visitor,
    layout: Layout,
    id: Uuid,
    form: ApplyForm,
    errors: FormErrors,
) -> Result<JobPage, ApiError> {
    let v = service::job(state, id).await?;
    let applied = match &visitor.user {
        Some(u) => invigil_store::hiring::application_by(state.db.read(), v.id, u.id())
            .await?
            .map(|a| status(a.status).0),
        None => None,
    };
    let company = invigil_store::people::company_profile(state.db.read(), v.org_id)
        .await?
        .map(CompanyCard::of);
    Ok(JobPage {
        layout,
        company,
        description_html: render_markdown_safe(&v.description),
        requirements: v.requirements.clone(),
        exam_title: v.exam_title.clone(),
        open: v.status == PostingStatus::Open,
        signed_in: visitor.user.is_some(),
        applied,
        job: card(v),
        form,
        errors,
    })
}

/// `GET /jobs/{id}`.
pub async fn job_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let (layout, cookie) = csrf_layout("Job", &visitor);
    match job_page_of(
        &state,
        &visitor,
        layout,
        id,
        ApplyForm::default(),
        FormErrors::default(),
    )
    .await
    {
        Ok(mut p) => {
            p.layout.title = p.job.title.clone();
            with_cookie(p, cookie)
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /jobs/{id}/apply`: applies, then my applications.
pub async fn apply(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<ApplyForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let body = ApplyBody {
        consent: f.consent.as_deref() == Some("yes"),
        cover_note: Some(f.cover_note.clone()).filter(|n| !n.trim().is_empty()),
    };
    match service::apply(&state, &signed_in.user, id, body).await {
        Ok(_) => see_other("/me/applications"),
        Err(e) => {
            let (layout, _) = csrf_layout("Apply", &signed_in.visitor);
            match job_page_of(
                &state,
                &signed_in.visitor,
                layout,
                id,
                f,
                FormErrors::default(),
            )
            .await
            {
                Ok(p) => form_error(e, &["consent", "cover_note"], |errors| JobPage {
                    errors,
                    ..p
                }),
                Err(other) => error_page(&other),
            }
        }
    }
}

#[derive(Debug)]
pub struct ApplicationCard {
    pub id: Uuid,
    pub posting_id: Uuid,
    pub title: String,
    pub company: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub exam_title: String,
    pub exam_link: Option<String>,
    pub applied: String,
    pub may_withdraw: bool,
}

fn application(v: MyApplicationView) -> ApplicationCard {
    let (label, badge) = status(v.status);
    ApplicationCard {
        id: v.id,
        posting_id: v.posting_id,
        title: v.job_title,
        company: v.company,
        status: label,
        badge,
        exam_title: v.exam_title,
        exam_link: v.exam_link,
        applied: when(v.created_at),
        may_withdraw: may_withdraw(v.status),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_applications.html")]
pub struct MyApplicationsPage {
    pub layout: Layout,
    pub items: Vec<ApplicationCard>,
    pub more: Option<String>,
    pub later_page: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
}

/// `GET /me/applications`.
pub async fn my_applications_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let after = match crate::web::cursor_after(q.cursor.as_deref()) {
        Ok(after) => after,
        Err(e) => return error_page(&e),
    };
    let page = match service::mine(&state, signed_in.user.id(), Keyset::new(after, PAGE)).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    MyApplicationsPage {
        layout: Layout::for_visitor("My job applications", &signed_in.visitor, &csrf),
        items: page.items.into_iter().map(application).collect(),
        more: page
            .next_cursor
            .map(|c| format!("/me/applications?cursor={c}")),
        later_page: after.is_some(),
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /me/applications/{id}/withdraw`.
pub async fn withdraw(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<Empty>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    match service::withdraw(&state, &signed_in.user, id).await {
        Ok(_) => see_other("/me/applications"),
        Err(e) => {
            crate::web::live_classes::refused(&e, ("/me/applications", "Back to my applications"))
        }
    }
}
