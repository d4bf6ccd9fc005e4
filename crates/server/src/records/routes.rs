//! `/orgs/{org}/candidates/{user}/external-results`, `/orgs/{org}/
//! external-results*`, `/orgs/{org}/candidates/{user}/record` and
//! `/orgs/{org}/student-records` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::external::{self, ExternalBody, ExternalPatch, ExternalResultView};
use super::import::{self, ExternalImportResult};
use super::record::{self, CohortQuery, StudentRecord, WeightsQuery};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, csv_body, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;
use crate::tenancy::routes::PartialQuery;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_external, create_external))
        .routes(routes!(patch_external, delete_external))
        .routes(routes!(candidate_record))
        .routes(routes!(student_records))
}

/// The CSV import of external results: merge into the import body-limit group.
pub fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_external))
}

/// A candidate's external results, newest first (ENROLLMENT_MANAGER, ORG_ADMIN).
#[utoipa::path(get, path = "/orgs/{org}/candidates/{user_id}/external-results", tag = "records",
    params(("org" = String, Path), ("user_id" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<ExternalResultView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_external(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<ExternalResultView>>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    external::list(&state, &auth, user_id, page.keyset()?)
        .await
        .map(Json)
}

/// Record a result obtained outside Invigil (ENROLLMENT_MANAGER, ORG_ADMIN;
/// not one's own): a score on its scale and/or a pass mark, the day, the source.
#[utoipa::path(post, path = "/orgs/{org}/candidates/{user_id}/external-results", tag = "records",
    request_body = ExternalBody,
    params(("org" = String, Path), ("user_id" = Uuid, Path)),
    responses((status = 201, body = ExternalResultView), (status = 403), (status = 404),
        (status = 409, description = "a result of this type on that day exists"), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_external(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<(StatusCode, Json<ExternalResultView>), ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    let body: ExternalBody = json_body(req, &state).await?;
    let view = external::create(&state, &auth, user_id, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Change an external result: the fields given replace the current ones.
#[utoipa::path(patch, path = "/orgs/{org}/external-results/{id}", tag = "records",
    request_body = ExternalPatch,
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ExternalResultView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_external(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<ExternalResultView>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    let patch: ExternalPatch = json_body(req, &state).await?;
    external::update(&state, &auth, id, patch).await.map(Json)
}

/// Delete an external result (audited with what it said).
#[utoipa::path(delete, path = "/orgs/{org}/external-results/{id}", tag = "records",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_external(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    external::delete(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Import external results from CSV (ENROLLMENT_MANAGER, ORG_ADMIN): every
/// bad line is reported with its number; nothing is written unless all are
/// good or `?partial=true`; a line on a candidate, type and day already
/// recorded replaces it.
#[utoipa::path(post, path = "/orgs/{org}/external-results/import", tag = "records",
    request_body(content = String, content_type = "text/csv",
        description = "header `email,exam_type_code,score,max_score,passed,taken_on,source,notes`"),
    params(("org" = String, Path), PartialQuery),
    responses((status = 200, body = ExternalImportResult), (status = 403), (status = 415),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn import_external(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PartialQuery>,
    req: Request,
) -> Result<Json<ExternalImportResult>, ApiError> {
    let auth = ctx.authorize(Action::ManageEnrollments)?;
    let text = csv_body(req, &state).await?;
    import::import(&state, &auth, &text, q.partial)
        .await
        .map(Json)
}

/// A candidate's record across exam types, with the weighted composite
/// (REPORT_VIEWER, EXAM_COORDINATOR, QUALITY_ASSURANCE, ORG_ADMIN,
/// organization-wide).
#[utoipa::path(get, path = "/orgs/{org}/candidates/{user_id}/record", tag = "records",
    params(("org" = String, Path), ("user_id" = Uuid, Path), WeightsQuery),
    responses((status = 200, body = StudentRecord), (status = 403), (status = 404),
        (status = 422, description = "bad weights")),
    security(("bearer" = [])))]
pub async fn candidate_record(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<WeightsQuery>,
) -> Result<Json<StudentRecord>, ApiError> {
    let auth = ctx.authorize(Action::ReadReports)?;
    record::record(&state, &auth, user_id, q.weights.as_deref())
        .await
        .map(Json)
}

/// The records of the organization's candidates, a page at a time, by user
/// id (same roles as one record).
#[utoipa::path(get, path = "/orgs/{org}/student-records", tag = "records",
    params(("org" = String, Path), CohortQuery),
    responses((status = 200, body = Page<StudentRecord>), (status = 400, description = "bad cursor"),
        (status = 403), (status = 422, description = "bad weights")),
    security(("bearer" = [])))]
pub async fn student_records(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<CohortQuery>,
) -> Result<Json<Page<StudentRecord>>, ApiError> {
    let auth = ctx.authorize(Action::ReadReports)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    record::cohort(&state, &auth, page.keyset()?, q.weights.as_deref())
        .await
        .map(Json)
}
