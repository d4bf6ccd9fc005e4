//! My notifications: `/notifications` (newest first, pages of 30, mark one
//! or all read) and `/notifications/preferences` (in-app and mail per
//! kind), the services of `/api/v1/me/notifications*` and
//! `/api/v1/me/notification-preferences`.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::notify::{NoticeKind, is_local_link};
use invigil_store::Keyset;
use invigil_store::notify as store;

use super::errors::{csrf_refused, error_page};
use super::form::WebForm;
use super::session::{SignedIn, see_other};
use super::{Layout, when};
use crate::http::error::ApiError;
use crate::notify::preferences::{self, PreferenceItem, Preferences};
use crate::state::AppState;

const PAGE: u64 = 30;

#[derive(Debug)]
pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub when: String,
    pub unread: bool,
    pub urgent: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub struct ListPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub next: Option<String>,
    pub unread: u64,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
}

/// `GET /notifications`.
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
    let page = match store::page_of(
        state.db.read(),
        signed_in.user.id(),
        false,
        Keyset::new(after, PAGE),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return error_page(&e.into()),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    ListPage {
        layout: Layout::for_visitor("Notifications", &signed_in.visitor, &csrf),
        unread: signed_in.visitor.unread,
        next: page.next.map(|n| n.to_string()),
        rows: page
            .items
            .into_iter()
            .map(|n| Row {
                id: n.id,
                title: n.title,
                body: n.body,
                link: n.link.filter(|l| is_local_link(l)),
                when: when(n.created_at),
                unread: n.read_at.is_none(),
                urgent: matches!(
                    n.priority,
                    invigil_domain::notify::Priority::High
                        | invigil_domain::notify::Priority::Urgent
                ),
            })
            .collect(),
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /notifications/{id}/read`.
pub async fn read_one(
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
    match store::mark_read(state.db.write(), signed_in.user.id(), id, state.now()).await {
        Ok(Some(_)) => see_other("/notifications"),
        Ok(None) => error_page(&ApiError::NotFound),
        Err(e) => error_page(&e.into()),
    }
}

/// `POST /notifications/read-all`.
pub async fn read_all(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: WebForm<Empty>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    match store::mark_all_read(state.db.write(), signed_in.user.id(), state.now()).await {
        Ok(_) => see_other("/notifications"),
        Err(e) => error_page(&e.into()),
    }
}

#[derive(Debug)]
pub struct PrefRow {
    pub kind: &'static str,
    pub label: &'static str,
    pub in_app: bool,
    pub mail: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "notification_prefs.html")]
pub struct PrefsPage {
    pub layout: Layout,
    pub rows: Vec<PrefRow>,
    pub saved: bool,
}

fn label(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::CourseUpdate => "Course updates",
        NoticeKind::Payment => "Payments",
        NoticeKind::Achievement => "Achievements",
        NoticeKind::Reminder => "Reminders",
        NoticeKind::Announcement => "Announcements and enrollments",
        NoticeKind::LiveSession => "Live sessions",
        NoticeKind::TestResult => "Exam results",
        NoticeKind::Violation => "Integrity reviews",
        NoticeKind::Account => "Account",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PrefsQuery {
    pub saved: Option<String>,
}

/// `GET /notifications/preferences`.
pub async fn preferences_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<PrefsQuery>, QueryRejection>,
) -> Response {
    let prefs = match preferences::get(&state, signed_in.user.id()).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    PrefsPage {
        layout: Layout::for_visitor("Notification preferences", &signed_in.visitor, &csrf),
        saved: query.is_ok_and(|Query(q)| q.saved.is_some()),
        rows: prefs
            .preferences
            .iter()
            .map(|p| PrefRow {
                kind: p.kind.name(),
                label: label(p.kind),
                in_app: p.in_app,
                mail: p.mail,
            })
            .collect(),
    }
    .into_response()
}

/// `POST /notifications/preferences`: a checkbox `in_app.KIND` / `mail.KIND`
/// per kind; an unchecked box is absent.
pub async fn save_preferences(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: WebForm<HashMap<String, String>>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let on = |field: String| form.value.contains_key(&field);
    let body = Preferences {
        preferences: preferences::choosable()
            .map(|kind| PreferenceItem {
                kind,
                in_app: on(format!("in_app.{kind}")),
                mail: on(format!("mail.{kind}")),
            })
            .collect(),
    };
    match preferences::put(&state, signed_in.user.id(), body).await {
        Ok(_) => see_other("/notifications/preferences?saved=1"),
        Err(e) => error_page(&e),
    }
}
