//! `/orgs/{org}/courses/{course}/learners`: the course's enrollments with
//! progress and last activity, invite by email (the courses invite
//! service), drop a learner. `/orgs/{org}/courses/{course}/reviews`:
//! moderation (hide with a reason, show again) and, for course managers,
//! the deleted reviews with Restore.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::courses::CourseEnrollmentStatus;
use invigil_store::Keyset;
use invigil_store::identity::users;

use super::{Pager, Section, Staff, caller, path_id, refusal};
use crate::courses::access;
use crate::courses::learn::{self, CourseInviteBody};
use crate::courses::reviews::{self, ModerationBody};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    let c = "/orgs/{org}/courses/{course}";
    Router::new()
        .route(&format!("{c}/learners"), get(learners).post(invite))
        .route(&format!("{c}/learners/{{user}}/drop"), post(drop_learner))
        .route(&format!("{c}/reviews"), get(reviews_page))
        .route(&format!("{c}/reviews/{{review}}/moderate"), post(moderate))
        .route(&format!("{c}/reviews/{{review}}/restore"), post(restore))
}

#[derive(Debug)]
pub struct LearnerRow {
    pub name: String,
    pub email: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub source: &'static str,
    pub progress: i32,
    pub enrolled: String,
    pub last_activity: String,
    pub last_sort: String,
    pub drop_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/learners.html")]
pub struct LearnersPage {
    pub layout: Layout,
    pub course_title: String,
    pub course_href: String,
    pub action: String,
    pub rows: Vec<LearnerRow>,
    pub emails: String,
    pub errors: FormErrors,
    pub csrf: String,
    pub notice: String,
    pub problem: String,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
    pub done: Option<String>,
    pub deleted: Option<String>,
}

fn badge(s: CourseEnrollmentStatus) -> &'static str {
    match s {
        CourseEnrollmentStatus::Active => "badge ok",
        CourseEnrollmentStatus::Completed => "badge ok",
        CourseEnrollmentStatus::Dropped => "badge muted",
        CourseEnrollmentStatus::Expired => "badge warn",
    }
}

fn cursor(raw: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    match raw.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c
            .parse()
            .map(Some)
            .map_err(|_| ApiError::BadRequest("invalid cursor".into())),
    }
}

async fn names(
    state: &AppState,
    ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, (String, String)>, ApiError> {
    Ok(users::by_ids(state.db.read(), ids)
        .await?
        .into_iter()
        .map(|u| (u.id, (u.name, u.email)))
        .collect())
}

async fn learners_page(
    state: &AppState,
    staff: &Staff,
    course: &str,
    q: &ListQuery,
    emails: String,
    errors: FormErrors,
    problem: String,
) -> Result<LearnersPage, ApiError> {
    let caller = caller(staff)?;
    let id = path_id(course)?;
    let row = access::edit(state.db.read(), &caller, id, state.now()).await?;
    let page = learn::list(
        state,
        &caller,
        id,
        Keyset::new(cursor(q.cursor.as_deref())?, 50),
    )
    .await?;
    let people = names(state, page.items.iter().map(|e| e.user_id).collect()).await?;
    let base = format!("/courses/{id}/learners");
    let rows = page
        .items
        .iter()
        .map(|e| {
            let (name, email) = people.get(&e.user_id).cloned().unwrap_or_default();
            LearnerRow {
                name,
                email,
                status: e.status.name(),
                badge: badge(e.status),
                source: e.source.name(),
                progress: e.progress_percent,
                enrolled: when(e.enrolled_at),
                last_activity: e
                    .last_activity_at
                    .map(when)
                    .unwrap_or_else(|| "Never".into()),
                last_sort: e
                    .last_activity_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                drop_href: (e.status != CourseEnrollmentStatus::Dropped)
                    .then(|| staff.href(&format!("{base}/{}/drop", e.user_id))),
            }
        })
        .collect();
    Ok(LearnersPage {
        layout: staff.layout(&format!("Learners of {}", row.title), Section::Courses),
        course_title: row.title,
        course_href: staff.href(&format!("/courses/{id}")),
        action: staff.href(&base),
        rows,
        emails,
        errors,
        csrf: staff.csrf.clone(),
        notice: match q.done.as_deref() {
            Some("invited") => "The learners are enrolled.",
            Some("dropped") => "The learner is dropped from the course (their progress is kept).",
            _ => "",
        }
        .to_owned(),
        problem,
        pager: Pager::new(
            &staff.href(&base),
            q.cursor.as_deref(),
            page.next_cursor.as_deref(),
        ),
    })
}

/// `GET .../learners`.
pub async fn learners(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Response {
    match learners_page(
        &state,
        &staff,
        &course,
        &q,
        String::new(),
        FormErrors::default(),
        String::new(),
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    pub emails: String,
}

/// `POST .../learners`: enroll members holding CANDIDATE by email, one a
/// line (or separated by commas).
pub async fn invite(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<InviteForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let typed = form.value.emails.clone();
    let emails: Vec<String> = typed
        .split(['\n', ',', ';'])
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        if emails.is_empty() {
            return Err(ApiError::field(
                "emails",
                "enter at least one email address",
            ));
        }
        let body = CourseInviteBody {
            user_ids: Vec::new(),
            emails: emails.clone(),
            expires_at: None,
        };
        learn::invite(&state, &caller, id, body).await.map(|_| id)
    };
    match run.await {
        Ok(id) => see_other(&staff.href(&format!("/courses/{id}/learners?done=invited"))),
        Err(e) => {
            let (errors, problem) = match &e {
                ApiError::Validation(list) => {
                    let message = list
                        .iter()
                        .map(|f| {
                            let which = f
                                .field
                                .strip_prefix("emails[")
                                .and_then(|r| r.strip_suffix(']'))
                                .and_then(|i| i.parse::<usize>().ok())
                                .and_then(|i| emails.get(i));
                            match which {
                                Some(email) => format!("{email}: {}", sentence(&f.message)),
                                None => sentence(&f.message),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    (
                        FormErrors {
                            fields: vec![FieldError::new("emails", message)],
                            general: Vec::new(),
                        },
                        String::new(),
                    )
                }
                other => match refusal(other) {
                    Some(why) => (FormErrors::default(), why),
                    None => return error_page(&e),
                },
            };
            let q = ListQuery::default();
            match learners_page(&state, &staff, &course, &q, typed, errors, problem).await {
                Ok(p) => (e.parts().0, p).into_response(),
                Err(e) => error_page(&e),
            }
        }
    }
}

/// `POST .../learners/{user}/drop`.
pub async fn drop_learner(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, user)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        learn::drop_learner(&state, &caller, id, path_id(&user)?).await?;
        Ok::<_, ApiError>(id)
    };
    match run.await {
        Ok(id) => see_other(&staff.href(&format!("/courses/{id}/learners?done=dropped"))),
        Err(e) => match refusal(&e) {
            Some(why) if !matches!(e, ApiError::Denied(_)) => {
                let q = ListQuery::default();
                match learners_page(
                    &state,
                    &staff,
                    &course,
                    &q,
                    String::new(),
                    FormErrors::default(),
                    why,
                )
                .await
                {
                    Ok(p) => (e.parts().0, p).into_response(),
                    Err(e) => error_page(&e),
                }
            }
            _ => error_page(&e),
        },
    }
}

#[derive(Debug)]
pub struct ReviewRow {
    pub id: String,
    pub author: String,
    pub rating: i32,
    pub stars: String,
    pub comment: String,
    pub hidden: bool,
    pub hidden_reason: String,
    pub written: String,
    pub moderate_href: String,
    pub restore_href: String,
    pub error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/courses/reviews.html")]
pub struct ReviewsPage {
    pub layout: Layout,
    pub course_title: String,
    pub course_href: String,
    pub reviews_href: String,
    pub deleted_href: String,
    pub deleted: bool,
    pub manage: bool,
    pub rows: Vec<ReviewRow>,
    pub csrf: String,
    pub notice: String,
    pub problem: String,
    pub pager: Pager,
}

async fn reviews_build(
    state: &AppState,
    staff: &Staff,
    course: &str,
    q: &ListQuery,
    failed: Option<(Uuid, String)>,
) -> Result<ReviewsPage, ApiError> {
    let caller = caller(staff)?;
    let id = path_id(course)?;
    let row = access::edit(state.db.read(), &caller, id, state.now()).await?;
    let deleted = q.deleted.as_deref() == Some("1");
    let page = reviews::list(
        state,
        &caller,
        id,
        deleted,
        Keyset::new(cursor(q.cursor.as_deref())?, 50),
    )
    .await?;
    let people = names(state, page.items.iter().map(|r| r.user_id).collect()).await?;
    let base = format!("/courses/{id}/reviews");
    let rows = page
        .items
        .iter()
        .map(|r| {
            let rating = r.rating.clamp(0, 5);
            ReviewRow {
                id: r.id.to_string(),
                author: people
                    .get(&r.user_id)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default(),
                rating: r.rating,
                stars: format!(
                    "{}{}",
                    "★".repeat(usize::try_from(rating).unwrap_or(0)),
                    "☆".repeat(usize::try_from(5 - rating).unwrap_or(0))
                ),
                comment: r.comment.clone().unwrap_or_default(),
                hidden: r.hidden,
                hidden_reason: r.hidden_reason.clone().unwrap_or_default(),
                written: when(r.created_at),
                moderate_href: staff.href(&format!("{base}/{}/moderate", r.id)),
                restore_href: staff.href(&format!("{base}/{}/restore", r.id)),
                error: failed
                    .as_ref()
                    .filter(|(f, _)| *f == r.id)
                    .map(|(_, m)| m.clone()),
            }
        })
        .collect();
    let list_base = if deleted {
        format!("{}?deleted=1", staff.href(&base))
    } else {
        staff.href(&base)
    };
    Ok(ReviewsPage {
        layout: staff.layout(&format!("Reviews of {}", row.title), Section::Courses),
        course_title: row.title,
        course_href: staff.href(&format!("/courses/{id}")),
        reviews_href: staff.href(&base),
        deleted_href: format!("{}?deleted=1", staff.href(&base)),
        deleted,
        manage: caller.manage,
        rows,
        csrf: staff.csrf.clone(),
        notice: match q.done.as_deref() {
            Some("hidden") => "The review is hidden from learners.",
            Some("shown") => "The review is shown again.",
            Some("restored") => "The review is restored.",
            _ => "",
        }
        .to_owned(),
        problem: String::new(),
        pager: Pager::new(&list_base, q.cursor.as_deref(), page.next_cursor.as_deref()),
    })
}

/// `GET .../reviews` (`?deleted=1`: the deleted ones, course managers).
pub async fn reviews_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    Query(q): Query<ListQuery>,
) -> Response {
    match reviews_build(&state, &staff, &course, &q, None).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ModerateForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST .../reviews/{review}/moderate`: `hide` (with a reason) or `show`.
pub async fn moderate(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, review)): Path<(String, String, String)>,
    form: WebForm<ModerateForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(rid) = path_id(&review) else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let run = async {
        let caller = caller(&staff)?;
        let id = path_id(&course)?;
        let hidden = match f.action.as_str() {
            "hide" => true,
            "show" => false,
            _ => return Err(ApiError::field("action", "must be hide or show")),
        };
        let reason = Some(f.reason.trim().to_owned()).filter(|r| hidden && !r.is_empty());
        reviews::moderate(&state, &caller, id, rid, ModerationBody { hidden, reason }).await?;
        Ok::<_, ApiError>((id, if hidden { "hidden" } else { "shown" }))
    };
    match run.await {
        Ok((id, done)) => see_other(&staff.href(&format!("/courses/{id}/reviews?done={done}"))),
        Err(e) => match refusal(&e) {
            Some(why) if !matches!(e, ApiError::Denied(_)) => {
                let q = ListQuery::default();
                match reviews_build(&state, &staff, &course, &q, Some((rid, why))).await {
                    Ok(p) => (e.parts().0, p).into_response(),
                    Err(e) => error_page(&e),
                }
            }
            _ => error_page(&e),
        },
    }
}

/// `POST .../reviews/{review}/restore` (course managers).
pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, review)): Path<(String, String, String)>,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let run = async {
        let caller = caller(&staff)?;
        if !caller.manage {
            return Err(ApiError::Forbidden);
        }
        let id = path_id(&course)?;
        reviews::restore(&state, &caller, id, path_id(&review)?).await?;
        Ok::<_, ApiError>(id)
    };
    match run.await {
        Ok(id) => see_other(&staff.href(&format!("/courses/{id}/reviews?done=restored"))),
        Err(e) => error_page(&e),
    }
}
