//! The Courses section (issue 15, seed 004): the pages of instructors
//! (`TeachCourses`) and course managers (`ManageCourses`), calling the
//! services of `crate::courses` after the same checks as the API.
//!
//! - `/orgs/{org}/courses`: the list (status filter, search; a teacher sees
//!   the courses they instruct, a course manager every course and, under
//!   "Deleted", the soft-deleted ones with Restore), the new course form
//!   and the edit form ([`form`]), publish / archive, soft delete with a
//!   confirm page.
//! - `/orgs/{org}/courses/{course}`: the editor ([`editor`]): chapters,
//!   lectures (the lecture form streams its video or PDF through the files
//!   service, [`lecture`]), instructors, assessments.
//! - `.../learners` and `.../reviews` ([`learners`]), and
//!   `/orgs/{org}/course-categories` ([`categories`]).
//!
//! Forms post and redirect (`303`); a refused form comes back with the
//! service's message next to its field (422) or, for a refused action such
//! as publishing an empty course, on the page (409).

pub mod categories;
pub mod editor;
pub mod form;
pub mod learners;
pub mod lecture;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::CourseStatus;
use invigil_store::Keyset;
use invigil_store::courses as store;

use super::{Pager, Section, Staff};
use crate::courses::access::{Caller, EDITORS};
use crate::courses::course::{self, CourseQuery};
use crate::courses::views::CourseView;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::web::errors::{error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// The section's routes (forms of `application/x-www-form-urlencoded`).
/// The lecture form with its file is in [`streaming_router`].
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/courses", get(list))
        .route(
            "/orgs/{org}/courses/new",
            get(form::new_page).post(form::create),
        )
        .route("/orgs/{org}/courses/{course}", get(editor::show))
        .route(
            "/orgs/{org}/courses/{course}/edit",
            get(form::edit_page).post(form::update),
        )
        .route("/orgs/{org}/courses/{course}/status", post(set_status))
        .route(
            "/orgs/{org}/courses/{course}/delete",
            get(delete_page).post(delete),
        )
        .route("/orgs/{org}/courses/{course}/restore", post(restore))
        .merge(editor::router())
        .merge(learners::router())
        .merge(categories::router())
}

/// The lecture forms (`multipart/form-data` with a video or a PDF): outside
/// the pages' 64 KiB body limit and the per-request timeout, the file
/// streamed to the files service, which enforces the kind's size limit and
/// the organization's quota while reading.
pub fn streaming_router() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org}/courses/{course}/chapters/{chapter}/lectures",
            post(lecture::create),
        )
        .route(
            "/orgs/{org}/courses/{course}/lectures/{lecture}",
            post(lecture::update),
        )
}

/// What the caller may do with courses here (403 for other roles).
pub fn caller(staff: &Staff) -> Result<Caller, ApiError> {
    Caller::of(&staff.ctx, EDITORS)
}

/// An id of the path; a 404 when it is not one.
pub fn path_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// The badge class of a course status.
pub fn status_badge(s: CourseStatus) -> &'static str {
    match s {
        CourseStatus::Published => "badge ok",
        CourseStatus::Draft => "badge warn",
        CourseStatus::Archived => "badge muted",
    }
}

/// A price in words: "Free", "19.99 EUR".
pub fn price_words(c: &CourseView) -> String {
    match c.pricing {
        invigil_domain::courses::Pricing::Free => "Free".to_owned(),
        p => {
            let cur = c.currency.clone().unwrap_or_default();
            let amount = invigil_domain::payments::money::format_money(c.price_minor, &cur);
            if p == invigil_domain::courses::Pricing::Subscription {
                format!("Subscription, {amount}")
            } else {
                amount
            }
        }
    }
}

/// A refusal on the page it came from: 409/422/403 with the service's
/// words, or the error page for anything else.
pub fn refusal(e: &ApiError) -> Option<String> {
    match e {
        ApiError::Conflict { detail, .. } | ApiError::Unprocessable { detail, .. } => {
            Some(sentence(detail))
        }
        ApiError::Denied(why) => Some(sentence(why)),
        ApiError::Validation(fields) => Some(
            fields
                .iter()
                .map(|f| sentence(&f.message))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

/// One row of the list.
#[derive(Debug)]
pub struct CourseRow {
    pub href: String,
    pub title: String,
    pub slug: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub level: &'static str,
    pub price: String,
    pub updated: String,
    pub updated_sort: String,
    pub deleted: Option<String>,
    pub restore_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<CourseRow>,
    pub status: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub q: String,
    pub manage: bool,
    pub new_href: String,
    pub categories_href: String,
    pub action: String,
    pub pager: Pager,
    pub notice: String,
    pub problem: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub done: Option<String>,
}

/// Rows shown per page, and the most rows one page scans for them.
const PER_PAGE: usize = 50;
const MAX_SCAN: u64 = 2000;

/// `GET /orgs/{org}/courses`.
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

fn list_notice(done: Option<&str>) -> &'static str {
    match done {
        Some("deleted") => "The course is deleted. A course manager can restore it.",
        Some("restored") => "The course is restored (as it was: check its status).",
        _ => "",
    }
}

async fn list_page(state: &AppState, staff: &Staff, q: ListQuery) -> Result<ListPage, ApiError> {
    let caller = caller(staff)?;
    let status_text = q.status.clone().unwrap_or_default();
    let deleted = status_text == "DELETED";
    if deleted && !caller.manage {
        return Err(ApiError::Denied(
            "only course managers list deleted courses".into(),
        ));
    }
    let status = match status_text.as_str() {
        "" | "DELETED" => None,
        s => Some(
            CourseStatus::parse(s)
                .ok_or_else(|| ApiError::field("status", "not a course status"))?,
        ),
    };
    let search = q.q.clone().unwrap_or_default().trim().to_lowercase();
    let mut after: Option<Uuid> = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| ApiError::BadRequest("invalid cursor".into()))?,
        ),
    };
    // The service's pages are by id; filters the store does not take are
    // applied here, scanning at most MAX_SCAN courses for one page.
    let db = state.db.read();
    let mut shown: Vec<CourseView> = Vec::new();
    let mut scanned = 0u64;
    let mut next: Option<Uuid> = None;
    'scan: loop {
        let query = CourseQuery {
            deleted,
            ..CourseQuery::default()
        };
        let page = course::list(state, &caller, &query, Keyset::new(after, 100)).await?;
        let more = page.next_cursor.is_some();
        for c in page.items {
            scanned += 1;
            after = Some(c.id);
            let fits = status.is_none_or(|s| c.status == s)
                && (search.is_empty()
                    || c.title.to_lowercase().contains(&search)
                    || c.slug.contains(&search))
                && (caller.manage
                    || c.status != CourseStatus::Published
                    || store::is_instructor(db, caller.org_id(), c.id, caller.user_id()).await?);
            if fits {
                if shown.len() == PER_PAGE {
                    next = shown.last().map(|c| c.id);
                    break 'scan;
                }
                shown.push(c);
            }
        }
        if !more {
            break;
        }
        if scanned >= MAX_SCAN {
            next = after;
            break;
        }
    }
    let rows = shown
        .iter()
        .map(|c| CourseRow {
            href: staff.href(&format!("/courses/{}", c.id)),
            title: c.title.clone(),
            slug: c.slug.clone(),
            status: c.status.name(),
            badge: status_badge(c.status),
            level: c.level.name(),
            price: price_words(c),
            updated: when(c.updated_at),
            updated_sort: c.updated_at.to_rfc3339(),
            deleted: c.deleted_at.map(when),
            restore_href: staff.href(&format!("/courses/{}/restore", c.id)),
        })
        .collect();
    let mut filters = Vec::new();
    if !status_text.is_empty() {
        filters.push(("status", status_text.clone()));
    }
    if !search.is_empty() {
        filters.push(("q", q.q.clone().unwrap_or_default()));
    }
    let base = if filters.is_empty() {
        staff.href("/courses")
    } else {
        format!(
            "{}?{}",
            staff.href("/courses"),
            serde_urlencoded::to_string(&filters).unwrap_or_default()
        )
    };
    let next = next.map(|n| n.to_string());
    let mut statuses = vec![
        ("DRAFT", "Draft"),
        ("PUBLISHED", "Published"),
        ("ARCHIVED", "Archived"),
    ];
    if caller.manage {
        statuses.push(("DELETED", "Deleted"));
    }
    Ok(ListPage {
        layout: staff.layout("Courses", Section::Courses),
        rows,
        status: status_text,
        statuses,
        q: q.q.unwrap_or_default(),
        manage: caller.manage,
        new_href: staff.href("/courses/new"),
        categories_href: staff.href("/course-categories"),
        action: staff.href("/courses"),
        pager: Pager::new(&base, q.cursor.as_deref(), next.as_deref()),
        notice: list_notice(q.done.as_deref()).to_owned(),
        problem: String::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    pub action: String,
}

/// `POST /orgs/{org}/courses/{course}/status`: `publish` or `archive`;
/// a refusal (an empty course, already published) shows on the editor.
pub async fn set_status(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<StatusForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        let publish = match form.value.action.as_str() {
            "publish" => true,
            "archive" => false,
            _ => return Err(ApiError::field("action", "must be publish or archive")),
        };
        course::set_status(&state, &caller, id, publish).await?;
        Ok((id, form.value.action.clone()))
    };
    match run.await {
        Ok((id, action)) => see_other(&staff.href(&format!("/courses/{id}?done={action}"))),
        Err(e) => match (refusal(&e), path_id(&course)) {
            (Some(why), Ok(id)) if !matches!(e, ApiError::Denied(_)) => {
                editor::refused(&state, &staff, id, why, e.parts().0).await
            }
            _ => error_page(&e),
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/delete.html")]
pub struct DeletePage {
    pub layout: Layout,
    pub course: CourseView,
    pub action: String,
    pub cancel: String,
    pub courses_href: String,
}

/// `GET /orgs/{org}/courses/{course}/delete`: are you sure?
pub async fn delete_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
) -> Response {
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        let row = crate::courses::access::edit(state.db.read(), &caller, id, state.now()).await?;
        Ok::<_, ApiError>(DeletePage {
            layout: staff.layout(&format!("Delete {}", row.title), Section::Courses),
            action: staff.href(&format!("/courses/{id}/delete")),
            cancel: staff.href(&format!("/courses/{id}")),
            courses_href: staff.href("/courses"),
            course: CourseView::from(&row),
        })
    };
    match run.await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/courses/{course}/delete`: soft delete.
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = caller(&staff)?;
        course::set_deleted(&state, &caller, path_id(&course)?, true).await
    };
    match run.await {
        Ok(_) => see_other(&staff.href("/courses?done=deleted")),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/courses/{course}/restore` (course managers).
pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = caller(&staff)?;
        course::set_deleted(&state, &caller, path_id(&course)?, false).await
    };
    match run.await {
        Ok(_) => see_other(&staff.href("/courses?done=restored")),
        Err(e) => match refusal(&e) {
            Some(why) => {
                let q = ListQuery {
                    status: Some("DELETED".into()),
                    ..ListQuery::default()
                };
                match list_page(&state, &staff, q).await {
                    Ok(mut p) => {
                        p.problem = why;
                        (e.parts().0, p).into_response()
                    }
                    Err(e) => error_page(&e),
                }
            }
            None => error_page(&e),
        },
    }
}
