//! `/orgs/{org}/practice-scenarios*`, `/orgs/{org}/practice-sessions`,
//! `/practice-sessions/{id}*`, `/me/practice-sessions` and `/me/progress`
//! handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::views::{
    LearnerProgressView, PracticeAnswerBody, PracticeStartBody, ScenarioBody, ScenarioQuery,
    ScenarioView, SessionView,
};
use super::{progress, service};
use crate::authz::OrgCtx;
use crate::courses::access::{Caller, EDITORS, READERS};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_practice_scenarios, create_practice_scenario))
        .routes(routes!(
            get_practice_scenario,
            put_practice_scenario,
            delete_practice_scenario
        ))
        .routes(routes!(start_practice_session))
        .routes(routes!(get_practice_session))
        .routes(routes!(answer_practice_session))
        .routes(routes!(abandon_practice_session))
        .routes(routes!(my_practice_sessions))
        .routes(routes!(my_progress))
}

type P2 = ApiPath<(String, Uuid)>;

/// The organization's practice scenarios, newest first: authors see all
/// (`published=true`: only published), learners only published ones and
/// without the rubric.
#[utoipa::path(get, path = "/orgs/{org}/practice-scenarios", tag = "practice",
    params(("org" = String, Path), ScenarioQuery),
    responses((status = 200, body = Page<ScenarioView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_practice_scenarios(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<ScenarioQuery>,
) -> Result<Json<Page<ScenarioView>>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    service::list(&state, &caller, q.published == Some(true), page.keyset()?)
        .await
        .map(Json)
}

/// Create a practice scenario (TeachCourses, ManageCourses); audited
/// `practice_scenario.saved`.
#[utoipa::path(post, path = "/orgs/{org}/practice-scenarios", tag = "practice",
    request_body = ScenarioBody, params(("org" = String, Path)),
    responses((status = 201, body = ScenarioView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn create_practice_scenario(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<ScenarioView>), ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ScenarioBody = json_body(req, &state).await?;
    let v = service::create(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A practice scenario (learners: a published one, without the rubric).
#[utoipa::path(get, path = "/orgs/{org}/practice-scenarios/{id}", tag = "practice",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ScenarioView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_practice_scenario(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<ScenarioView>, ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    service::get(&state, &caller, id).await.map(Json)
}

/// Replace a practice scenario; started sessions keep their questions.
#[utoipa::path(put, path = "/orgs/{org}/practice-scenarios/{id}", tag = "practice",
    request_body = ScenarioBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ScenarioView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn put_practice_scenario(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<ScenarioView>, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    let body: ScenarioBody = json_body(req, &state).await?;
    service::update(&state, &caller, id, body).await.map(Json)
}

/// Delete a practice scenario; past sessions keep their copy.
#[utoipa::path(delete, path = "/orgs/{org}/practice-scenarios/{id}", tag = "practice",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_practice_scenario(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<StatusCode, ApiError> {
    let caller = Caller::of(&ctx, EDITORS)?;
    service::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a practice interview: ACTIVE, the first question asked.
#[utoipa::path(post, path = "/orgs/{org}/practice-sessions", tag = "practice",
    request_body = PracticeStartBody, params(("org" = String, Path)),
    responses((status = 201, body = SessionView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn start_practice_session(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    let caller = Caller::of(&ctx, READERS)?;
    let body: PracticeStartBody = json_body(req, &state).await?;
    let v = service::start(&state, &caller, body.scenario_id).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One of my practice sessions with its transcript (404 for anyone else's).
#[utoipa::path(get, path = "/practice-sessions/{id}", tag = "practice",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SessionView), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_practice_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SessionView>, ApiError> {
    service::get_session(&state, me.id(), id).await.map(Json)
}

/// Answer the current question: scored with feedback, then the next
/// question, or COMPLETED with the overall evaluation after the last. 409
/// `practice_not_active` once it ended, `out_of_order` for an answer to
/// another question.
#[utoipa::path(post, path = "/practice-sessions/{id}/messages", tag = "practice",
    request_body = PracticeAnswerBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = SessionView), (status = 401), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn answer_practice_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> Result<Json<SessionView>, ApiError> {
    let body: PracticeAnswerBody = json_body(req, &state).await?;
    service::answer(&state, me.id(), id, body).await.map(Json)
}

/// Give up an ACTIVE practice session.
#[utoipa::path(post, path = "/practice-sessions/{id}/abandon", tag = "practice",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SessionView), (status = 401), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn abandon_practice_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SessionView>, ApiError> {
    service::abandon(&state, me.id(), id).await.map(Json)
}

/// My practice sessions in every organization, newest first.
#[utoipa::path(get, path = "/me/practice-sessions", tag = "practice",
    params(PageQuery),
    responses((status = 200, body = Page<SessionView>), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn my_practice_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<SessionView>>, ApiError> {
    service::mine(&state, me.id(), page.keyset()?)
        .await
        .map(Json)
}

/// My progress: streaks, points, level, badges and the last 90 days
/// (UTC), computed from exams submitted, practice interviews completed and
/// lectures completed.
#[utoipa::path(get, path = "/me/progress", tag = "practice",
    responses((status = 200, body = LearnerProgressView), (status = 401)),
    security(("bearer" = [])))]
pub async fn my_progress(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<LearnerProgressView>, ApiError> {
    progress::view(&state, me.id()).await.map(Json)
}
