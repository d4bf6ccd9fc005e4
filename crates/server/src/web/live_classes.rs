//! My live classes: `/me/live` (upcoming, live and recent classes I take
//! part in, in every organization) and `POST /me/live/{org}/{id}/join`,
//! which records my attendance (the service of
//! `POST /api/v1/orgs/{org}/live-sessions/{id}/join`) and sends the new tab
//! it was submitted to on to the meeting. The Join button is active in the
//! join window; app.js enables it when the window opens while the page is
//! shown (`data-enable-at`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::notify::live::{LiveStatus, may_join};
use invigil_store::Keyset;

use super::errors::{ErrorPage, csrf_refused, error_page, page, sentence};
use super::form::WebForm;
use super::session::SignedIn;
use super::{Layout, when};
use crate::authz::OrgCtx;
use crate::courses::access::{Caller, READERS};
use crate::http::error::ApiError;
use crate::live::service;
use crate::live::views::LiveSessionView;
use crate::state::AppState;

const PAGE: u64 = 30;

#[derive(Debug)]
pub struct ClassCard {
    pub id: Uuid,
    pub org_slug: String,
    pub title: String,
    pub course: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub when: String,
    pub duration: i32,
    pub joinable: bool,
    /// The join window opens later, while the page may still be shown:
    /// (RFC 3339 for app.js, as written for people).
    pub opens: Option<(String, String)>,
    pub joined: Option<String>,
    pub recording_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "live_classes.html")]
pub struct MyLivePage {
    pub layout: Layout,
    pub upcoming: Vec<ClassCard>,
    pub past: Vec<ClassCard>,
    pub more: Option<String>,
    pub later_page: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "live_classes_join.html")]
pub struct JoinPage {
    pub layout: Layout,
    pub title: String,
    pub join_url: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
}

fn status(s: LiveStatus) -> (&'static str, &'static str) {
    match s {
        LiveStatus::Live => ("Live now", "badge ok"),
        LiveStatus::Scheduled => ("Scheduled", "badge warn"),
        LiveStatus::Cancelled => ("Cancelled", "badge bad"),
        LiveStatus::Ended => ("Ended", "badge muted"),
    }
}

fn card(v: LiveSessionView, now: DateTime<Utc>) -> ClassCard {
    let joinable = may_join(v.status, v.scheduled_at, v.duration_minutes, now);
    let opens = (v.status == LiveStatus::Scheduled && now < v.join_opens_at).then(|| {
        (
            v.join_opens_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            when(v.join_opens_at),
        )
    });
    let (label, badge) = status(v.status);
    ClassCard {
        id: v.id,
        org_slug: v.org_slug.unwrap_or_default(),
        title: v.title,
        course: v.course_title.unwrap_or_default(),
        status: label,
        badge,
        when: when(v.scheduled_at),
        duration: v.duration_minutes,
        joinable,
        opens,
        joined: v.joined_at.map(when),
        recording_url: v.recording_url.filter(|_| v.status == LiveStatus::Ended),
    }
}

/// `GET /me/live`.
pub async fn list_page(
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
    let now = state.now();
    let mut upcoming = Vec::new();
    let mut past = Vec::new();
    for v in page.items {
        let over = match v.status {
            LiveStatus::Ended | LiveStatus::Cancelled => true,
            LiveStatus::Live => false,
            LiveStatus::Scheduled => v.ends_at <= now,
        };
        let c = card(v, now);
        if over {
            past.push(c);
        } else {
            upcoming.push(c);
        }
    }
    // Soonest first; the past ones newest first (as listed).
    upcoming.reverse();
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    MyLivePage {
        layout: Layout::for_visitor("My live classes", &signed_in.visitor, &csrf),
        upcoming,
        past,
        more: page.next_cursor.map(|c| format!("/me/live?cursor={c}")),
        later_page: after.is_some(),
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /me/live/{org}/{id}/join`: records attendance, then the page that
/// opens the meeting (a form may not redirect to another site: the CSP's
/// `form-action 'self'`).
pub async fn join(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((org, id)): Path<(String, String)>,
    form: WebForm<Empty>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = id.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    let layout = Layout::for_visitor("Joining the live class", &signed_in.visitor, &csrf);
    let ctx = match OrgCtx::resolve(&state, signed_in.user, &org).await {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let caller = match Caller::of(&ctx, READERS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let title = match service::get(&state, &caller, id).await {
        Ok(v) => v.title,
        Err(e) => return error_page(&e),
    };
    match service::join(&state, &caller, id).await {
        Ok(j) => JoinPage {
            layout,
            title,
            join_url: j.join_url,
        }
        .into_response(),
        Err(e) => refused(&e, ("/me/live", "Back to my live classes")),
    }
}

/// The error page of a refused live class action, with the service's
/// reason when it is a state conflict (not open yet, ended, cancelled).
pub fn refused(e: &ApiError, back: (&str, &str)) -> Response {
    match e {
        ApiError::Conflict { detail, .. } => page(
            axum::http::StatusCode::CONFLICT,
            ErrorPage {
                layout: Layout::anonymous("Not possible now"),
                heading: "Not possible now".to_owned(),
                message: sentence(detail),
                link: (back.0.to_owned(), back.1.to_owned()),
            },
        ),
        other => error_page(other),
    }
}
