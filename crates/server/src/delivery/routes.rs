//! Candidate routes (`/exams/{exam}/sessions`, `/sessions/*`) and the staff
//! route for proctor actions. Grading routes are in `crate::grading::routes`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::delivery;

use super::actions::{self, ActionBody, ActionResult};
use super::roster::{self, RosterQuery, RosterRow};
use super::service::{self, SaveBody, SaveResult, SessionView, StartBody};
use super::writer::SaveAdmission;
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, body_bytes, json_body, parse_json};
use crate::http::page::Page;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start_session))
        .routes(routes!(get_session))
        .routes(routes!(save_answer))
        .routes(routes!(submit_session))
        .routes(routes!(session_action))
        .routes(routes!(exam_sessions))
}

/// Start the exam, or resume the running session (any device).
#[utoipa::path(post, path = "/exams/{exam}/sessions", tag = "delivery",
    request_body(content = Option<StartBody>, description = "optional `{device_fingerprint}`"),
    params(("exam" = Uuid, Path)),
    responses((status = 201, body = SessionView, description = "started"), (status = 200, body = SessionView, description = "resumed"),
        (status = 403, description = "forbidden: not an ACTIVE member holding CANDIDATE (the detail says which)"),
        (status = 404, description = "not enrolled"), (status = 409, description = "exam_not_open or attempts_exhausted")),
    security(("bearer" = [])))]
pub async fn start_session(
    State(state): State<AppState>,
    // Through the hot-path cache, like saves: at an exam's opening every
    // candidate starts at once.
    super::hot::HotUser(me): super::hot::HotUser,
    ApiPath(exam): ApiPath<Uuid>,
    req: Request,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    // The body is optional: empty means no fingerprint.
    let bytes = body_bytes(req, &state).await?;
    let body: StartBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        StartBody::default()
    } else {
        parse_json(&bytes)?
    };
    let (view, created) = service::start_or_resume(&state, &me, exam, body).await?;
    Ok((
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(view),
    ))
}

/// Your session: questions as served, saved answers, `remaining_seconds`.
#[utoipa::path(get, path = "/sessions/{session}", tag = "delivery",
    params(("session" = Uuid, Path)), responses((status = 200, body = SessionView),
        (status = 403, description = "forbidden: no longer an ACTIVE CANDIDATE member"), (status = 404)), security(("bearer" = [])))]
pub async fn get_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(session): ApiPath<Uuid>,
) -> Result<Json<SessionView>, ApiError> {
    let s = service::own_session(&state, &me, session).await?;
    service::session_view(&state, &s).await.map(Json)
}

/// Autosave one answer. Acknowledged after a durable commit; a lower or
/// equal revision changes nothing and answers with the stored revision.
#[utoipa::path(put, path = "/sessions/{session}/answers/{question_id}", tag = "delivery", request_body = SaveBody,
    params(("session" = Uuid, Path), ("question_id" = Uuid, Path)),
    responses((status = 200, body = SaveResult), (status = 403, description = "forbidden: no longer an ACTIVE CANDIDATE member"),
        (status = 404), (status = 409, description = "session_paused or session_closed"),
        (status = 422), (status = 503, description = "overloaded: retry after Retry-After")),
    security(("bearer" = [])))]
pub async fn save_answer(
    // First: admission (503 when too many saves are in flight) and the
    // arrival instant, before anything reads the database.
    admitted: SaveAdmission,
    State(state): State<AppState>,
    // Through the hot-path cache: no database read when cached.
    super::hot::HotUser(me): super::hot::HotUser,
    ApiPath((session, question)): ApiPath<(Uuid, Uuid)>,
    ApiJson(body): ApiJson<SaveBody>,
) -> Result<Json<SaveResult>, ApiError> {
    service::save_answer(&state, &me, session, question, body, admitted.arrived_at)
        .await
        .map(Json)
}

/// Submit. Repeating it answers 200 again.
#[utoipa::path(post, path = "/sessions/{session}/submit", tag = "delivery",
    params(("session" = Uuid, Path)), responses((status = 200, body = SessionView),
        (status = 403, description = "forbidden: no longer an ACTIVE CANDIDATE member"), (status = 404),
        (status = 409, description = "session_closed or session_paused")),
    security(("bearer" = [])))]
pub async fn submit_session(
    State(state): State<AppState>,
    super::hot::HotUser(me): super::hot::HotUser,
    ApiPath(session): ApiPath<Uuid>,
) -> Result<Json<SessionView>, ApiError> {
    service::submit(&state, &me, session).await.map(Json)
}

/// WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE a session (PROCTOR_REVIEWER, EXAM_COORDINATOR;
/// never on your own session).
#[utoipa::path(post, path = "/orgs/{org}/sessions/{session}/actions", tag = "delivery", request_body = ActionBody,
    params(("org" = String, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = ActionResult), (status = 403, description = "not allowed, or your own session"),
        (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn session_action(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<ActionResult>, ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (_exam, auth) =
        crate::exams::service::load_exam(&state, &ctx, s.exam_id, Action::SessionActions).await?;
    auth.on_session_of(s.user_id)?;
    let body: ActionBody = json_body(req, &state).await?;
    actions::act(&state, &auth, s, body).await.map(Json)
}

/// Every session of an exam, in start order, with state, time left, each
/// device's last heartbeat and the open flags (PROCTOR_REVIEWER,
/// EXAM_COORDINATOR). Filters `status` and `integrity`.
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/sessions", tag = "delivery",
    params(("org" = String, Path), ("exam" = Uuid, Path), RosterQuery),
    responses((status = 200, body = Page<RosterRow>), (status = 403), (status = 404),
        (status = 422, description = "an unknown `status` or `integrity`, or a bad `limit`")),
    security(("bearer" = [])))]
pub async fn exam_sessions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<RosterQuery>,
) -> Result<Json<Page<RosterRow>>, ApiError> {
    roster::roster(&state, &ctx, exam, q).await.map(Json)
}
