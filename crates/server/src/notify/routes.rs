//! `/me/notifications*`, `/me/notification-preferences` and
//! `/orgs/{org}/notification-templates*` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::notify::{NoticeKind, Priority};
use invigil_store::Keyset;
use invigil_store::notify::{self as store, Notification};

use super::preferences::{self, Preferences};
use super::templates::{self, PreviewBody, PreviewView, TemplateBody, TemplateView};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(mark_all_read))
        .routes(routes!(get_preferences, put_preferences))
        .routes(routes!(list_templates))
        .routes(routes!(save_template, reset_template))
        .routes(routes!(preview_template))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    #[schema(value_type = String, example = "TEST_RESULT")]
    pub kind: NoticeKind,
    #[schema(value_type = String, example = "MEDIUM")]
    pub priority: Priority,
    pub title: String,
    /// Plain text.
    pub body: String,
    /// A path of this UI.
    pub link: Option<String>,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        NotificationView {
            id: n.id,
            org_id: n.org_id,
            kind: n.kind,
            priority: n.priority,
            title: n.title,
            body: n.body,
            link: n.link,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

impl NotificationQuery {
    fn keyset(&self) -> Result<Keyset<Uuid>, ApiError> {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
        .keyset()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    pub count: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedRead {
    /// How many notifications were unread.
    pub marked: u64,
}

/// My notifications, newest first (`?unread=true`: only unread ones).
#[utoipa::path(get, path = "/me/notifications", tag = "notifications",
    params(NotificationQuery),
    responses((status = 200, body = Page<NotificationView>), (status = 400), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn list_notifications(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    let page = store::page_of(
        state.db.read(),
        me.id(),
        q.unread.unwrap_or(false),
        q.keyset()?,
    )
    .await?;
    Ok(Json(Page::from_keyset(page, NotificationView::from)))
}

/// How many of my notifications are unread.
#[utoipa::path(get, path = "/me/notifications/unread-count", tag = "notifications",
    responses((status = 200, body = UnreadCount), (status = 401)),
    security(("bearer" = [])))]
pub async fn unread_count(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<UnreadCount>, ApiError> {
    let count = store::unread_count(state.db.read(), me.id()).await?;
    Ok(Json(UnreadCount { count }))
}

/// Mark one of my notifications read (another user's is 404).
#[utoipa::path(post, path = "/me/notifications/{id}/read", tag = "notifications",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = NotificationView), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<NotificationView>, ApiError> {
    store::mark_read(state.db.write(), me.id(), id, state.now())
        .await?
        .map(|n| Json(n.into()))
        .ok_or(ApiError::NotFound)
}

/// Mark all my notifications read.
#[utoipa::path(post, path = "/me/notifications/read-all", tag = "notifications",
    responses((status = 200, body = MarkedRead), (status = 401)),
    security(("bearer" = [])))]
pub async fn mark_all_read(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<MarkedRead>, ApiError> {
    let marked = store::mark_all_read(state.db.write(), me.id(), state.now()).await?;
    Ok(Json(MarkedRead { marked }))
}

/// My preferences per kind (in-app, mail; both by default).
#[utoipa::path(get, path = "/me/notification-preferences", tag = "notifications",
    responses((status = 200, body = Preferences), (status = 401)),
    security(("bearer" = [])))]
pub async fn get_preferences(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Preferences>, ApiError> {
    preferences::get(&state, me.id()).await.map(Json)
}

/// Change my preferences for the kinds given (ACCOUNT mails are always sent).
#[utoipa::path(put, path = "/me/notification-preferences", tag = "notifications",
    request_body = Preferences,
    responses((status = 200, body = Preferences), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn put_preferences(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> Result<Json<Preferences>, ApiError> {
    let body: Preferences = json_body(req, &state).await?;
    preferences::put(&state, me.id(), body).await.map(Json)
}

/// Every notification template key with its variables, defaults and this
/// organization's overrides (ORG_ADMIN).
#[utoipa::path(get, path = "/orgs/{org}/notification-templates", tag = "notifications",
    params(("org" = String, Path)),
    responses((status = 200, body = Page<TemplateView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_templates(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<Page<TemplateView>>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let items = templates::list(&state, &auth).await?;
    // The catalog is one short fixed list: always one page.
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

/// Save this organization's text of a key on a channel (`MAIL` or
/// `IN_APP`); unknown variables or bad syntax are 422 naming the field,
/// the problem and its line and column.
#[utoipa::path(put, path = "/orgs/{org}/notification-templates/{key}/{channel}", tag = "notifications",
    request_body = TemplateBody,
    params(("org" = String, Path), ("key" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = TemplateView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn save_template(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, key, channel)): ApiPath<(String, String, String)>,
    req: Request,
) -> Result<Json<TemplateView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    templates::resolve(&key, &channel)?;
    let body: TemplateBody = json_body(req, &state).await?;
    templates::save(&state, &auth, &key, &channel, body)
        .await
        .map(Json)
}

/// Back to the built-in text (404 when the organization has none of its own).
#[utoipa::path(delete, path = "/orgs/{org}/notification-templates/{key}/{channel}", tag = "notifications",
    params(("org" = String, Path), ("key" = String, Path), ("channel" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn reset_template(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, key, channel)): ApiPath<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    templates::reset(&state, &auth, &key, &channel).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Render a template (the text given, or the current one) with the values
/// given, or the samples; nothing is saved or sent.
#[utoipa::path(post, path = "/orgs/{org}/notification-templates/{key}/{channel}/preview", tag = "notifications",
    request_body = PreviewBody,
    params(("org" = String, Path), ("key" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = PreviewView), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn preview_template(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, key, channel)): ApiPath<(String, String, String)>,
    req: Request,
) -> Result<Json<PreviewView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    templates::resolve(&key, &channel)?;
    let body: PreviewBody = json_body(req, &state).await?;
    templates::preview(&state, &auth, &key, &channel, body)
        .await
        .map(Json)
}
