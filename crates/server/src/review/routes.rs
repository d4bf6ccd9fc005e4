//! Routes of the review module: evidence frames (upload with a 4 MiB body
//! limit in [`frame_routes`], reviewer reads), the review queue, claims,
//! timelines and decisions for PROCTOR_REVIEWER, decisions and reopen for
//! QUALITY_ASSURANCE, and the candidate's integrity view and appeal.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::candidate::{self, AppealBody, MyIntegrity};
use super::evidence::{self, FrameCreated, FrameUploader};
use super::service::{self, DecideBody, QueueQuery, ReopenBody, ReviewView};
use super::timeline::{self, Timeline};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, body_bytes, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_frame))
        .routes(routes!(review_queue))
        .routes(routes!(claim_session))
        .routes(routes!(release_session))
        .routes(routes!(session_timeline))
        .routes(routes!(review_session))
        .routes(routes!(list_decisions))
        .routes(routes!(reopen_decision))
        .routes(routes!(my_integrity))
        .routes(routes!(appeal_decision))
}

/// Routes that take evidence uploads (4 MiB).
pub fn frame_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_frame))
}

type SessionPath = ApiPath<(String, Uuid)>;

/// Upload an evidence frame of your running session (the candidate's browser:
/// source LAPTOP; the paired phone: MOBILE). Encrypted at rest.
#[utoipa::path(post, path = "/sessions/{session}/frames", tag = "review",
    request_body(content(
        (String = "image/jpeg"),
        (String = "image/png"),
    ), description = "the image, at most 4 MiB; its bytes must match its type"),
    params(("session" = Uuid, Path)),
    responses((status = 201, body = FrameCreated), (status = 404), (status = 409, description = "session_closed or proctoring_disabled"),
        (status = 413), (status = 415, description = "not a JPEG or PNG")),
    security(("bearer" = [])))]
pub async fn upload_frame(
    State(state): State<AppState>,
    uploader: FrameUploader,
    req: Request,
) -> Result<(StatusCode, Json<FrameCreated>), ApiError> {
    let s = &uploader.session;
    evidence::check_target(&state, s).await?;
    let declared = evidence::declared_type(req.headers())?;
    let bytes = body_bytes(req, &state).await?;
    let content_type = evidence::sniff(declared, &bytes)?;
    let created = evidence::store_frame(&state, s, uploader.source, content_type, &bytes).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The decrypted image of a frame (PROCTOR_REVIEWER). Every read is audited
/// (`evidence.read`).
#[utoipa::path(get, path = "/orgs/{org}/sessions/{session}/frames/{frame_id}", tag = "review",
    params(("org" = String, Path), ("session" = Uuid, Path), ("frame_id" = Uuid, Path)),
    responses((status = 200, description = "the image", content(
        (String = "image/jpeg"),
        (String = "image/png"),
    )), (status = 403), (status = 404, description = "no such frame, or purged by retention")),
    security(("bearer" = [])))]
pub async fn get_frame(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session, frame)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let img = evidence::read_frame(&state, &ctx, session, frame).await?;
    Ok((
        [
            (header::CONTENT_TYPE, img.content_type.name().to_owned()),
            (header::CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        img.bytes,
    )
        .into_response())
}

/// Sessions FLAGGED or UNDER_REVIEW, highest violation score first
/// (PROCTOR_REVIEWER; your own sessions are not listed). Filters `status`
/// (one of the two) and `exam_id`.
#[utoipa::path(get, path = "/orgs/{org}/review-queue", tag = "review",
    params(("org" = String, Path), QueueQuery),
    responses((status = 200, body = Page<ReviewView>), (status = 403),
        (status = 422, description = "a `status` other than FLAGGED or UNDER_REVIEW, or a bad `limit`")),
    security(("bearer" = [])))]
pub async fn review_queue(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Page<ReviewView>>, ApiError> {
    let filter = q.filter()?;
    let limit = PageQuery {
        limit: q.limit,
        cursor: None,
    }
    .limit()?;
    let (items, next_cursor) =
        service::queue(&state, &ctx, &filter, q.cursor.as_deref(), limit).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Take a FLAGGED session for review: UNDER_REVIEW, one reviewer at a time.
#[utoipa::path(post, path = "/orgs/{org}/sessions/{session}/claim", tag = "review",
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = ReviewView), (status = 403, description = "not a reviewer, or your own session"),
        (status = 404), (status = 409, description = "already_claimed, or not FLAGGED (conflict)")),
    security(("bearer" = [])))]
pub async fn claim_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): SessionPath,
) -> Result<Json<ReviewView>, ApiError> {
    service::claim(&state, &ctx, session).await.map(Json)
}

/// Give a claimed session back to the queue (the claimer): FLAGGED.
#[utoipa::path(post, path = "/orgs/{org}/sessions/{session}/release", tag = "review",
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = ReviewView), (status = 403), (status = 404), (status = 409, description = "not_claimer or conflict")),
    security(("bearer" = [])))]
pub async fn release_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): SessionPath,
) -> Result<Json<ReviewView>, ApiError> {
    service::release(&state, &ctx, session).await.map(Json)
}

/// Everything that happened in a session, in time order (PROCTOR_REVIEWER).
#[utoipa::path(get, path = "/orgs/{org}/sessions/{session}/timeline", tag = "review",
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = Timeline), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn session_timeline(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): SessionPath,
) -> Result<Json<Timeline>, ApiError> {
    timeline::timeline(&state, &ctx, session).await.map(Json)
}

/// Decide a claimed session (the claimer): CLEARED or VIOLATION_CONFIRMED
/// (which needs notes). Resolves the session's flags.
#[utoipa::path(post, path = "/orgs/{org}/sessions/{session}/review", tag = "review", request_body = DecideBody,
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = ReviewView), (status = 403, description = "not a reviewer, or your own session"), (status = 404),
        (status = 409, description = "not claimed (conflict) or claimed by another reviewer (not_claimer)"), (status = 422)),
    security(("bearer" = [])))]
pub async fn review_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): SessionPath,
    req: Request,
) -> Result<Json<ReviewView>, ApiError> {
    let target = service::target(&state, &ctx, session, Action::ReviewSessions).await?;
    let body: DecideBody = json_body(req, &state).await?;
    service::decide(&state, target, body).await.map(Json)
}

/// Decided sessions, newest decision first (QUALITY_ASSURANCE).
#[utoipa::path(get, path = "/orgs/{org}/decisions", tag = "review",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<ReviewView>), (status = 403)), security(("bearer" = [])))]
pub async fn list_decisions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<ReviewView>>, ApiError> {
    let (items, next_cursor) =
        service::decisions(&state, &ctx, q.cursor.as_deref(), q.limit()?).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Reopen a decision (QUALITY_ASSURANCE, with a reason): FLAGGED again.
#[utoipa::path(post, path = "/orgs/{org}/sessions/{session}/reopen", tag = "review", request_body = ReopenBody,
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = ReviewView), (status = 403), (status = 404), (status = 409, description = "not decided"), (status = 422)),
    security(("bearer" = [])))]
pub async fn reopen_decision(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): SessionPath,
    req: Request,
) -> Result<Json<ReviewView>, ApiError> {
    let target = service::target(&state, &ctx, session, Action::ReopenDecisions).await?;
    let body: ReopenBody = json_body(req, &state).await?;
    service::reopen(&state, target, body).await.map(Json)
}

/// Your own session's flags and review decision, once the exam's results are
/// released (before: 409 `results_not_released`).
#[utoipa::path(get, path = "/me/sessions/{session}/integrity", tag = "review",
    params(("session" = Uuid, Path)),
    responses((status = 200, body = MyIntegrity), (status = 404, description = "not your session"),
        (status = 409, description = "results_not_released")),
    security(("bearer" = [])))]
pub async fn my_integrity(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(session): ApiPath<Uuid>,
) -> Result<Json<MyIntegrity>, ApiError> {
    candidate::my_integrity(&state, &me, session)
        .await
        .map(Json)
}

/// Appeal the decision on your own session, once: it goes back to FLAGGED
/// with the appeal attached.
#[utoipa::path(post, path = "/me/sessions/{session}/appeal", tag = "review", request_body = AppealBody,
    params(("session" = Uuid, Path)),
    responses((status = 201, body = MyIntegrity), (status = 404),
        (status = 409, description = "appeal_already_used, results_not_released, or not decided (conflict)"), (status = 422)),
    security(("bearer" = [])))]
pub async fn appeal_decision(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(session): ApiPath<Uuid>,
    req: Request,
) -> Result<(StatusCode, Json<MyIntegrity>), ApiError> {
    let s = candidate::own_released(&state, &me, session).await?;
    let body: AppealBody = json_body(req, &state).await?;
    let view = candidate::appeal(&state, &me, s, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}
