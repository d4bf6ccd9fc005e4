//! `/orgs/{org}/job-postings*`, `/jobs*` and `/me/applications*` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::views::{
    ApplicantPatch, ApplicantView, ApplyBody, JobQuery, MyApplicationView, PostingBody,
    PostingPatch, PostingQuery, PostingView,
};
use super::{applicants, service};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_job_postings, create_job_posting))
        .routes(routes!(get_job_posting, patch_job_posting))
        .routes(routes!(close_job_posting))
        .routes(routes!(list_applicants))
        .routes(routes!(get_applicant, patch_applicant))
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(apply_to_job))
        .routes(routes!(my_applications))
        .routes(routes!(withdraw_application))
}

type P2 = ApiPath<(String, Uuid)>;
type P3 = ApiPath<(String, Uuid, Uuid)>;

fn page_of(limit: Option<u64>, cursor: Option<String>) -> PageQuery {
    PageQuery { limit, cursor }
}

/// The company's job postings, newest first (recruiters and applicant
/// viewers; 409 `not_a_company` in an institution).
#[utoipa::path(get, path = "/orgs/{org}/job-postings", tag = "hiring",
    params(("org" = String, Path), PostingQuery),
    responses((status = 200, body = Page<PostingView>), (status = 403), (status = 409)),
    security(("bearer" = [])))]
pub async fn list_job_postings(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PostingQuery>,
) -> Result<Json<Page<PostingView>>, ApiError> {
    let page = page_of(q.limit, q.cursor).keyset()?;
    service::list(&state, &ctx, q.status, page).await.map(Json)
}

/// Create a job posting (DRAFT, or OPEN with an ACTIVE or SCHEDULED exam).
#[utoipa::path(post, path = "/orgs/{org}/job-postings", tag = "hiring",
    request_body = PostingBody, params(("org" = String, Path)),
    responses((status = 201, body = PostingView), (status = 403), (status = 409),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn create_job_posting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<PostingView>), ApiError> {
    let _allowed = ctx.authorize(Action::ManageJobs)?;
    let body: PostingBody = json_body(req, &state).await?;
    let v = service::create(&state, &ctx, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// One job posting of the company, with its applicant count.
#[utoipa::path(get, path = "/orgs/{org}/job-postings/{id}", tag = "hiring",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PostingView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn get_job_posting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<PostingView>, ApiError> {
    service::get(&state, &ctx, id).await.map(Json)
}

/// Change a job posting (`status: OPEN` publishes a draft; 409 when
/// CLOSED).
#[utoipa::path(patch, path = "/orgs/{org}/job-postings/{id}", tag = "hiring",
    request_body = PostingPatch, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PostingView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_job_posting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<PostingView>, ApiError> {
    let _allowed = ctx.authorize(Action::ManageJobs)?;
    let body: PostingPatch = json_body(req, &state).await?;
    service::update(&state, &ctx, id, body).await.map(Json)
}

/// Close a job posting: no new applications.
#[utoipa::path(post, path = "/orgs/{org}/job-postings/{id}/close", tag = "hiring",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PostingView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn close_job_posting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
) -> Result<Json<PostingView>, ApiError> {
    service::close(&state, &ctx, id).await.map(Json)
}

/// The applicants of a posting who consented and did not withdraw, with
/// their assessment result.
#[utoipa::path(get, path = "/orgs/{org}/job-postings/{id}/applicants", tag = "hiring",
    params(("org" = String, Path), ("id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<ApplicantView>), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn list_applicants(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<ApplicantView>>, ApiError> {
    applicants::list(&state, &ctx, id, page.keyset()?)
        .await
        .map(Json)
}

/// One applicant (records your candidate view, audited
/// `candidate.viewed`); 404 for anyone who did not apply, consent and stay.
#[utoipa::path(get, path = "/orgs/{org}/job-postings/{id}/applicants/{application_id}",
    tag = "hiring",
    params(("org" = String, Path), ("id" = Uuid, Path), ("application_id" = Uuid, Path)),
    responses((status = 200, body = ApplicantView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn get_applicant(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, application)): P3,
) -> Result<Json<ApplicantView>, ApiError> {
    applicants::get(&state, &ctx, id, application)
        .await
        .map(Json)
}

/// Decide on an applicant (`status`: recruiters only) and keep your notes
/// and interest.
#[utoipa::path(patch, path = "/orgs/{org}/job-postings/{id}/applicants/{application_id}",
    tag = "hiring", request_body = ApplicantPatch,
    params(("org" = String, Path), ("id" = Uuid, Path), ("application_id" = Uuid, Path)),
    responses((status = 200, body = ApplicantView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_applicant(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id, application)): P3,
    req: Request,
) -> Result<Json<ApplicantView>, ApiError> {
    let _allowed = ctx.authorize(Action::ViewApplicants)?;
    let body: ApplicantPatch = json_body(req, &state).await?;
    applicants::update(&state, &ctx, id, application, body)
        .await
        .map(Json)
}

/// The public jobs board: OPEN postings of every company, newest first
/// (`q` searches; no sign-in needed).
#[utoipa::path(get, path = "/jobs", tag = "hiring", params(JobQuery),
    responses((status = 200, body = Page<PostingView>), (status = 400), (status = 422)))]
pub async fn list_jobs(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<JobQuery>,
) -> Result<Json<Page<PostingView>>, ApiError> {
    let page = page_of(q.limit, q.cursor).keyset()?;
    service::board(&state, q.q.as_deref(), page).await.map(Json)
}

/// A published job posting (OPEN or CLOSED); no sign-in needed.
#[utoipa::path(get, path = "/jobs/{id}", tag = "hiring", params(("id" = Uuid, Path)),
    responses((status = 200, body = PostingView), (status = 404)))]
pub async fn get_job(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PostingView>, ApiError> {
    service::job(&state, id).await.map(Json)
}

/// Apply by taking the posting's assessment (`consent` must be true): you
/// become a candidate of the company and are enrolled in its exam. 409
/// `already_applied`, `posting_closed`.
#[utoipa::path(post, path = "/jobs/{id}/applications", tag = "hiring",
    request_body = ApplyBody, params(("id" = Uuid, Path)),
    responses((status = 201, body = MyApplicationView), (status = 401), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn apply_to_job(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> Result<(StatusCode, Json<MyApplicationView>), ApiError> {
    let body: ApplyBody = json_body(req, &state).await?;
    let v = service::apply(&state, &me, id, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// My job applications, newest first.
#[utoipa::path(get, path = "/me/applications", tag = "hiring", params(PageQuery),
    responses((status = 200, body = Page<MyApplicationView>), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn my_applications(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<MyApplicationView>>, ApiError> {
    service::mine(&state, me.id(), page.keyset()?)
        .await
        .map(Json)
}

/// Withdraw my application and my consent (the company no longer sees me
/// for it).
#[utoipa::path(post, path = "/me/applications/{id}/withdraw", tag = "hiring",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MyApplicationView), (status = 401), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn withdraw_application(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<MyApplicationView>, ApiError> {
    service::withdraw(&state, &me, id).await.map(Json)
}
