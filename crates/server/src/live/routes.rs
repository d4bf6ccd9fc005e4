//! `/orgs/{org}/courses/{course}/live-sessions`, `/orgs/{org}/live-sessions*`
//! and `/me/live-sessions` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::notify::live::LiveAction;

use super::service;
use super::views::{
    JoinView, LiveSessionBody, LiveSessionPatch, LiveSessionView, ParticipantQuery,
    ParticipantView, ParticipantsAdded, ParticipantsBody,
};
use crate::authz::OrgCtx;
use crate::courses::access::{Caller, EDITORS, READERS};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_live_sessions, create_live_session))
        .routes(routes!(get_live_session, patch_live_session))
        .routes(routes!(start_live_session))
        .routes(routes!(end_live_session))
        .routes(routes!(cancel_live_session))
        .routes(routes!(list_live_participants, add_live_participants))
        .routes(routes!(add_enrolled_live_participants))
        .routes(routes!(remove_live_participant))
        .routes(routes!(join_live_session))
        .routes(routes!(leave_live_session))
        .routes(routes!(my_live_sessions))
}

type P2 = ApiPath<(String, Uuid)>;
type P3 = ApiPath<(String, Uuid, Uuid)>;

/// A course's live classes, oldest first (its instructors, course managers).
#[utoipa::path(get, path = "/orgs/{org}/courses/{course}/live-sessions", tag = "live",
    params(("org" = String, Path), ("course" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<LiveSessionView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_live_sessions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, course)): P2,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<LiveSessionView>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    service::list(&state, &caller, course, page.keyset()?)
        .await
        .map(Json)
}

/// Schedule a live class of the course; the caller hosts it.
#[utoipa::path(post, path = "/orgs/{org}/courses/{course}/live-sessions", tag = "live",
    request_body = LiveSessionBody, params(("org" = String, Path), ("course" = Uuid, Path)),
    responses((status = 201, body = LiveSessionView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn create_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, course)): P2,
    req: Request,
) -> Result<(StatusCode, Json<LiveSessionView>), ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: LiveSessionBody = json_body(req, &state).await?;
    let v = service::create(&state, &caller, course, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A live class: staff see its link and attendance counts, a participant
/// their own attendance.
#[utoipa::path(get, path = "/orgs/{org}/live-sessions/{id}", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = LiveSessionView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<LiveSessionView>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    service::get(&state, &caller, id).await.map(Json)
}

/// Change a live class (the schedule and link only while SCHEDULED: 409).
#[utoipa::path(patch, path = "/orgs/{org}/live-sessions/{id}", tag = "live",
    request_body = LiveSessionPatch, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = LiveSessionView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<LiveSessionView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: LiveSessionPatch = json_body(req, &state).await?;
    service::update(&state, &caller, id, body).await.map(Json)
}

async fn act(
    state: AppState,
    ctx: OrgCtx,
    id: Uuid,
    action: LiveAction,
) -> Result<Json<LiveSessionView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    service::transition(&state, &caller, id, action)
        .await
        .map(Json)
}

/// Start a SCHEDULED live class (it becomes LIVE).
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/start", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = LiveSessionView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn start_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<LiveSessionView>, ApiError> {
    act(state, ctx, id, LiveAction::Start).await
}

/// End a LIVE live class.
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/end", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = LiveSessionView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn end_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<LiveSessionView>, ApiError> {
    act(state, ctx, id, LiveAction::End).await
}

/// Cancel a SCHEDULED live class; every participant is notified.
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/cancel", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = LiveSessionView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn cancel_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<LiveSessionView>, ApiError> {
    act(state, ctx, id, LiveAction::Cancel).await
}

/// The participants with their attendance (`attended=true`: only those who
/// joined).
#[utoipa::path(get, path = "/orgs/{org}/live-sessions/{id}/participants", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path), ParticipantQuery),
    responses((status = 200, body = Page<ParticipantView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_live_participants(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    ApiQuery(q): ApiQuery<ParticipantQuery>,
) -> Result<Json<Page<ParticipantView>>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .keyset()?;
    service::participants(&state, &caller, id, q.attended.unwrap_or(false), page)
        .await
        .map(Json)
}

/// Add learners enrolled in the course (by user id; 422 names each one
/// who is not enrolled).
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/participants", tag = "live",
    request_body = ParticipantsBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantsAdded), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn add_live_participants(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<ParticipantsAdded>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ParticipantsBody = json_body(req, &state).await?;
    service::add_participants(&state, &caller, id, body)
        .await
        .map(Json)
}

/// Add every learner enrolled in the course now.
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/participants/enrolled", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ParticipantsAdded), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn add_enrolled_live_participants(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<ParticipantsAdded>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    service::add_enrolled(&state, &caller, id).await.map(Json)
}

/// Remove a participant (not the host).
#[utoipa::path(delete, path = "/orgs/{org}/live-sessions/{id}/participants/{user_id}", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn remove_live_participant(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, user)): P3,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    service::remove_participant(&state, &caller, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join as a participant: records attendance and answers the meeting link
/// while the class is LIVE or from 10 minutes before its start (409
/// `live_not_open` with the reason otherwise).
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/join", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = JoinView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn join_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<JoinView>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    service::join(&state, &caller, id).await.map(Json)
}

/// Leave (after joining); the time is recorded.
#[utoipa::path(post, path = "/orgs/{org}/live-sessions/{id}/leave", tag = "live",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn leave_live_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    service::leave(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// My live classes in every organization, newest first: upcoming and live
/// ones, and those of the last 30 days.
#[utoipa::path(get, path = "/me/live-sessions", tag = "live",
    params(PageQuery),
    responses((status = 200, body = Page<LiveSessionView>), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn my_live_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<LiveSessionView>>, ApiError> {
    service::mine(&state, me.id(), page.keyset()?)
        .await
        .map(Json)
}
