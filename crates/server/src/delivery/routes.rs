//! Candidate routes (`/exams/{exam}/sessions`, `/sessions/*`, `/me/results`)
//! and staff routes for proctor actions, grading, regrade and release.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_store::delivery;

use super::grading::{self, GradeBody, QueueItem, ResultView, ScoreView};
use super::service::{
    self, ActionBody, ActionResult, SaveBody, SaveResult, SessionView, StartBody,
};
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
        .routes(routes!(grading_queue))
        .routes(routes!(grade_answer))
        .routes(routes!(regrade))
        .routes(routes!(release_results))
        .routes(routes!(my_results))
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
    me: CurrentUser,
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
    me: CurrentUser,
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
    me: CurrentUser,
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
    service::act(&state, &auth, s, body).await.map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    pub exam_id: Option<Uuid>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Answers that need a human grade (EXAM_COORDINATOR, EXAM_AUTHOR); your own answers are not listed.
#[utoipa::path(get, path = "/orgs/{org}/grading-queue", tag = "grading",
    params(("org" = String, Path), QueueQuery), responses((status = 200, body = Page<QueueItem>)), security(("bearer" = [])))]
pub async fn grading_queue(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> Result<Json<Page<QueueItem>>, ApiError> {
    if matches!(
        ctx.visibility(Action::GradeAnswers),
        invigil_domain::identity::Visibility::Nothing
    ) {
        return Err(ApiError::Forbidden);
    }
    let page = crate::http::page::PageQuery {
        limit: q.limit,
        cursor: None,
    };
    let limit = page.limit()?;
    let after = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => {
            let (a, b) = c
                .split_once('.')
                .ok_or_else(|| ApiError::BadRequest("invalid cursor".into()))?;
            Some((
                a.parse()
                    .map_err(|_| ApiError::BadRequest("invalid cursor".into()))?,
                b.parse()
                    .map_err(|_| ApiError::BadRequest("invalid cursor".into()))?,
            ))
        }
    };
    let (items, next_cursor) = grading::queue(&state, &ctx, q.exam_id, after, limit).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Grade an answer that needs a human (EXAM_COORDINATOR, EXAM_AUTHOR; never your own).
#[utoipa::path(put, path = "/orgs/{org}/sessions/{session}/answers/{question_id}/grade", tag = "grading", request_body = GradeBody,
    params(("org" = String, Path), ("session" = Uuid, Path), ("question_id" = Uuid, Path)),
    responses((status = 200, body = ScoreView), (status = 403, description = "not allowed, or your own session"),
        (status = 404), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn grade_answer(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, session, question)): ApiPath<(String, Uuid, Uuid)>,
    req: Request,
) -> Result<Json<ScoreView>, ApiError> {
    grading::authorize_session(&state, &ctx, session, Action::GradeAnswers).await?;
    let body: GradeBody = json_body(req, &state).await?;
    grading::grade_answer(&state, &ctx, session, question, body)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegradeBody {
    pub question_id: Uuid,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegradeResult {
    pub sessions_regraded: usize,
}

/// After a key correction (a new question version), re-score every session served the question
/// (EXAM_COORDINATOR who did not sit the exam).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/regrade", tag = "grading", request_body = RegradeBody,
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = RegradeResult),
        (status = 403, description = "not allowed, or one of the sessions is your own"), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn regrade(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<RegradeResult>, ApiError> {
    grading::authorize_exam(&state, &ctx, exam, Action::ManageExams).await?;
    let body: RegradeBody = json_body(req, &state).await?;
    let n = grading::regrade(&state, &ctx, exam, body.question_id).await?;
    Ok(Json(RegradeResult {
        sessions_regraded: n,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseResult {
    pub candidates_notified: usize,
}

/// Release results to candidates (sessions FLAGGED or UNDER_REVIEW stay withheld until decided).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/release-results", tag = "grading",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ReleaseResult)), security(("bearer" = [])))]
pub async fn release_results(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
) -> Result<Json<ReleaseResult>, ApiError> {
    let n = grading::release_results(&state, &ctx, exam).await?;
    Ok(Json(ReleaseResult {
        candidates_notified: n,
    }))
}

/// Your released results; the best attempt of each exam counts.
#[utoipa::path(get, path = "/me/results", tag = "delivery", responses((status = 200, body = Page<ResultView>)), security(("bearer" = [])))]
pub async fn my_results(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Page<ResultView>>, ApiError> {
    let items = grading::my_results(&state, me.id()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
