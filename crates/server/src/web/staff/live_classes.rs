//! A course's live classes for its staff: `/orgs/{org}/courses/{course}/live`
//! (the schedule form, the classes with their status, start / end / cancel,
//! "add all enrolled learners", participants with attendance). The same
//! services and checks as `/api/v1/orgs/{org}/courses/{course}/live-sessions`
//! and `/api/v1/orgs/{org}/live-sessions/{id}/*`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::notify::live::{LiveAction, LiveStatus, ParticipantRole};
use invigil_store::{Keyset, courses};

use super::{Section, Staff};
use crate::courses::access::{Caller, EDITORS};
use crate::http::error::{ApiError, FieldError};
use crate::live::service;
use crate::live::views::{LiveSessionBody, LiveSessionView, ParticipantView};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, form_error};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// Participants shown per class (the API pages the rest).
const PEOPLE: u64 = 200;
/// Classes shown on the page, newest last.
const CLASSES: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/orgs/{org}/courses/{course}/live",
            get(page).post(schedule),
        )
        .route("/orgs/{org}/courses/{course}/live/{id}/{op}", post(act))
}

/// The schedule form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScheduleForm {
    #[serde(default)]
    pub title: String,
    /// `datetime-local`, read as UTC.
    #[serde(default)]
    pub starts: String,
    #[serde(default)]
    pub duration: String,
    #[serde(default)]
    pub join_url: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug)]
pub struct PersonRow {
    pub name: String,
    pub email: String,
    pub host: bool,
    pub joined: String,
    pub left: String,
    pub attended: bool,
}

#[derive(Debug)]
pub struct ClassRow {
    pub id: Uuid,
    pub title: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub when: String,
    pub duration: i32,
    pub join_url: String,
    pub participants: u64,
    pub attended: u64,
    pub may_start: bool,
    pub may_end: bool,
    pub may_cancel: bool,
    pub may_add: bool,
    pub people: Vec<PersonRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/live_classes.html")]
pub struct LivePage {
    pub layout: Layout,
    pub course_title: String,
    pub course_href: String,
    pub action: String,
    pub rows: Vec<ClassRow>,
    pub form: ScheduleForm,
    pub errors: FormErrors,
}

fn badge(s: LiveStatus) -> &'static str {
    match s {
        LiveStatus::Live => "badge ok",
        LiveStatus::Scheduled => "badge warn",
        LiveStatus::Cancelled => "badge bad",
        LiveStatus::Ended => "badge muted",
    }
}

fn person(p: ParticipantView) -> PersonRow {
    PersonRow {
        name: p.name,
        email: p.email,
        host: p.role == ParticipantRole::Host,
        joined: p.joined_at.map(when).unwrap_or_default(),
        left: p.left_at.map(when).unwrap_or_default(),
        attended: p.attended,
    }
}

async fn row(state: &AppState, caller: &Caller, v: LiveSessionView) -> Result<ClassRow, ApiError> {
    let people = service::participants(state, caller, v.id, false, Keyset::new(None, PEOPLE))
        .await?
        .items
        .into_iter()
        .map(person)
        .collect();
    let open = matches!(v.status, LiveStatus::Scheduled | LiveStatus::Live);
    Ok(ClassRow {
        id: v.id,
        title: v.title,
        status: v.status.name(),
        badge: badge(v.status),
        when: when(v.scheduled_at),
        duration: v.duration_minutes,
        join_url: v.join_url.unwrap_or_default(),
        participants: v.participants.unwrap_or(0),
        attended: v.attended.unwrap_or(0),
        may_start: v.status == LiveStatus::Scheduled,
        may_end: v.status == LiveStatus::Live,
        may_cancel: v.status == LiveStatus::Scheduled,
        may_add: open,
        people,
    })
}

async fn render(
    state: &AppState,
    staff: &Staff,
    course: Uuid,
    form: ScheduleForm,
    errors: FormErrors,
) -> Result<LivePage, ApiError> {
    let caller = Caller::of(&staff.ctx, EDITORS)?;
    let list = service::list(state, &caller, course, Keyset::new(None, CLASSES)).await?;
    let title = courses::course(state.db.read(), caller.org_id(), course)
        .await?
        .map(|c| c.title)
        .unwrap_or_default();
    let mut rows = Vec::with_capacity(list.items.len());
    for v in list.items {
        rows.push(row(state, &caller, v).await?);
    }
    let layout = staff.layout(&format!("Live classes · {title}"), Section::Courses);
    Ok(LivePage {
        layout,
        course_title: title,
        course_href: staff.href(&format!("/courses/{course}")),
        action: staff.href(&format!("/courses/{course}/live")),
        rows,
        form,
        errors,
    })
}

/// `GET /orgs/{org}/courses/{course}/live`.
pub async fn page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
) -> Response {
    let Ok(course) = course.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let form = ScheduleForm {
        duration: "60".into(),
        ..ScheduleForm::default()
    };
    match render(&state, &staff, course, form, FormErrors::default()).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// A `datetime-local` value, read as UTC.
fn parse_start(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .map(|n| n.and_utc())
}

const FIELDS: &[&str] = &[
    "title",
    "scheduled_at",
    "duration_minutes",
    "join_url",
    "description",
];

/// `POST /orgs/{org}/courses/{course}/live`: schedules a class.
pub async fn schedule(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course)): Path<(String, String)>,
    form: WebForm<ScheduleForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let Ok(course) = course.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let f = form.value;
    let caller = match Caller::of(&staff.ctx, EDITORS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let mut bad = Vec::new();
    let starts = parse_start(&f.starts);
    if starts.is_none() {
        bad.push(FieldError::new(
            "scheduled_at",
            "enter the date and time it starts (UTC)",
        ));
    }
    let duration = f.duration.trim().parse::<i64>().ok();
    if duration.is_none() {
        bad.push(FieldError::new(
            "duration_minutes",
            "enter a whole number of minutes",
        ));
    }
    let result = match (starts, duration, bad.is_empty()) {
        (Some(scheduled_at), Some(duration_minutes), true) => {
            let body = LiveSessionBody {
                title: f.title.clone(),
                description: Some(f.description.clone()).filter(|d| !d.trim().is_empty()),
                scheduled_at,
                duration_minutes,
                join_url: f.join_url.clone(),
                recording_url: None,
            };
            service::create(&state, &caller, course, body)
                .await
                .map(|_| ())
        }
        _ => Err(ApiError::Validation(bad)),
    };
    match result {
        Ok(()) => see_other(&staff.href(&format!("/courses/{course}/live"))),
        Err(e) => {
            let page = render(&state, &staff, course, f.clone(), FormErrors::default()).await;
            match page {
                Ok(mut p) => form_error(e, FIELDS, |errors| {
                    p.errors = errors;
                    p
                }),
                Err(other) => error_page(&other),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /orgs/{org}/courses/{course}/live/{id}/{start|end|cancel|enrolled}`.
pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, course, id, op)): Path<(String, String, String, String)>,
    form: WebForm<Empty>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (Ok(course), Ok(id)) = (course.parse::<Uuid>(), id.parse::<Uuid>()) else {
        return error_page(&ApiError::NotFound);
    };
    let caller = match Caller::of(&staff.ctx, EDITORS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    // The class must be one of this course (the path names both).
    match service::get(&state, &caller, id).await {
        Ok(v) if v.course_id == Some(course) => {}
        Ok(_) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&e),
    }
    let done = match op.as_str() {
        "start" => service::transition(&state, &caller, id, LiveAction::Start)
            .await
            .map(|_| ()),
        "end" => service::transition(&state, &caller, id, LiveAction::End)
            .await
            .map(|_| ()),
        "cancel" => service::transition(&state, &caller, id, LiveAction::Cancel)
            .await
            .map(|_| ()),
        "enrolled" => service::add_enrolled(&state, &caller, id).await.map(|_| ()),
        _ => Err(ApiError::NotFound),
    };
    let back = staff.href(&format!("/courses/{course}/live"));
    match done {
        Ok(()) => see_other(&format!("{back}#class-{id}")),
        Err(e) => crate::web::live_classes::refused(&e, (&back, "Back to the live classes")),
    }
}
