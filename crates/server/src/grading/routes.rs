//! Staff routes for grading (queue, manual grade, regrade, release) and the
//! candidate's results (`/me/results`).

use axum::Json;
use axum::extract::{Request, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::manual::{self, GradeBody, QueueItem, ScoreView};
use super::regrade as regrading;
use super::results::{self, ResultView};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::Page;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(grading_queue))
        .routes(routes!(grade_answer))
        .routes(routes!(regrade))
        .routes(routes!(release_results))
        .routes(routes!(my_results))
        .merge(super::gradebook::routes())
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
    let (items, next_cursor) = manual::queue(&state, &ctx, q.exam_id, after, limit).await?;
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
    manual::authorize_session(&state, &ctx, session, Action::GradeAnswers).await?;
    let body: GradeBody = json_body(req, &state).await?;
    manual::grade_answer(&state, &ctx, session, question, body)
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
    regrading::authorize_exam(&state, &ctx, exam, Action::ManageExams).await?;
    let body: RegradeBody = json_body(req, &state).await?;
    let n = regrading::regrade(&state, &ctx, exam, body.question_id).await?;
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
    let n = results::release_results(&state, &ctx, exam).await?;
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
    let items = results::my_results(&state, me.id()).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}
