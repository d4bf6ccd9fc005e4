//! Routes of the proctoring module.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::exams as exam_store;

use super::auth::DeviceOrCandidate;
use super::ingest::{self, EventsAccepted, EventsBody, HeartbeatBody};
use super::live;
use super::pairing::{self, ClaimBody, ClaimResult, PairingView};
use super::writer::EventAdmission;
use crate::authz::OrgCtx;
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_events))
        .routes(routes!(heartbeat))
        .routes(routes!(create_pairing))
        .routes(routes!(claim_pairing))
}

/// Long-lived responses (the live feed): mount these outside the
/// per-request timeout.
pub fn streaming_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live_feed))
}

/// Post a batch of proctoring events (the candidate: LAPTOP; the paired phone: MOBILE).
/// Idempotent by `client_event_id`; acknowledged after a durable commit.
#[utoipa::path(post, path = "/sessions/{session}/events", tag = "proctoring", request_body = EventsBody,
    params(("session" = Uuid, Path)),
    responses((status = 202, body = EventsAccepted), (status = 401),
        (status = 403, description = "forbidden: the candidate is no longer an ACTIVE CANDIDATE member"), (status = 404),
        (status = 409, description = "session_closed: finished more than the grace ago"),
        (status = 422, description = "validation_failed, naming `events[i].field`"),
        (status = 503, description = "overloaded: retry after Retry-After")),
    security(("bearer" = [])))]
pub async fn post_events(
    // First: 503 when too many event requests are in flight, before any read.
    _admitted: EventAdmission,
    State(state): State<AppState>,
    who: DeviceOrCandidate,
    ApiJson(body): ApiJson<EventsBody>,
) -> Result<(StatusCode, Json<EventsAccepted>), ApiError> {
    let out = ingest::post_events(&state, &who, body).await?;
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// A device's heartbeat (`source` is the credential's: LAPTOP or MOBILE).
#[utoipa::path(post, path = "/sessions/{session}/heartbeat", tag = "proctoring", request_body = HeartbeatBody,
    params(("session" = Uuid, Path)),
    responses((status = 204), (status = 401), (status = 403, description = "forbidden: the candidate is no longer an ACTIVE CANDIDATE member"),
        (status = 404), (status = 409), (status = 422), (status = 503)),
    security(("bearer" = [])))]
pub async fn heartbeat(
    _admitted: EventAdmission,
    State(state): State<AppState>,
    who: DeviceOrCandidate,
    ApiJson(body): ApiJson<HeartbeatBody>,
) -> Result<StatusCode, ApiError> {
    ingest::heartbeat(&state, &who, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A one-time token (5 minutes) to pair a phone as the session's second camera.
#[utoipa::path(post, path = "/sessions/{session}/pairing", tag = "proctoring",
    params(("session" = Uuid, Path)),
    responses((status = 200, body = PairingView), (status = 401),
        (status = 403, description = "forbidden: no longer an ACTIVE CANDIDATE member"), (status = 404),
        (status = 409, description = "session_closed")),
    security(("bearer" = [])))]
pub async fn create_pairing(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(session): ApiPath<Uuid>,
) -> Result<Json<PairingView>, ApiError> {
    pairing::create(&state, &me, session).await.map(Json)
}

/// The phone claims a pairing token and gets its session-bound credential.
#[utoipa::path(post, path = "/pairing/claim", tag = "proctoring", request_body = ClaimBody,
    responses((status = 200, body = ClaimResult),
        (status = 400, description = "invalid_token: unknown or expired"),
        (status = 403, description = "forbidden: the candidate is no longer an ACTIVE CANDIDATE member"),
        (status = 409, description = "conflict: already claimed (recorded as SECOND_DEVICE_LOGIN), or session_closed"),
        (status = 422)))]
pub async fn claim_pairing(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ClaimBody>,
) -> Result<Json<ClaimResult>, ApiError> {
    pairing::claim(&state, &client, body).await.map(Json)
}

/// Server-Sent Events of an exam: `flag` (a new flag) and `session` (delivery
/// status, integrity status or violation score changed) (PROCTOR_REVIEWER).
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/live", tag = "proctoring",
    params(("org" = String, Path), ("exam" = Uuid, Path)),
    responses((status = 200, content_type = "text/event-stream", body = live::LiveEvent,
        description = "`event: flag|session`, `data:` one LiveEvent as JSON"),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn live_feed(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let exam = exam_store::exam(state.db.read(), ctx.org_id(), exam)
        .await?
        .ok_or(ApiError::NotFound)?;
    let _auth = ctx.authorize_in(Action::ReviewSessions, exam.department_id)?;
    let token = live::bearer_of(&headers).ok_or(ApiError::Unauthenticated)?;
    let access = live::FeedAccess::new(&state, token, ctx.org_id(), exam.department_id);
    Ok(live::sse_response(
        state.proctoring.live.subscribe(),
        ctx.org_id(),
        exam.id,
        state.background.token(),
        access,
        std::time::Duration::from_secs(state.config.live_recheck_secs),
    ))
}
