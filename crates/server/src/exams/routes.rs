//! `/orgs/{org}/exam-types*`, `/orgs/{org}/exams*` and `/me/exams` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::exams::{EnrollmentStatus, ExamAction, ExamStatus};
use invigil_domain::identity::Action;
use invigil_store::exams;

use super::edit::{self, ExamBody};
use super::enroll::{self, EnrollBody, EnrollResult};
use super::enrollments::{self, OverridesBody};
use super::lifecycle::act_on_exam;
use super::service::{
    self, CreateExamTypeBody, UpdateExamTypeBody, from_value, load_exam, may_at_all,
};
use super::views::{EnrollmentView, ExamPatch, ExamTypeView, ExamView, MyExamView};
use crate::authz::OrgCtx;
use crate::content::views::try_page;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, body_bytes, parse_json};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_exam_type, list_exam_types))
        .routes(routes!(update_exam_type, delete_exam_type))
        .routes(routes!(create_exam, list_exams))
        .routes(routes!(get_exam, patch_exam))
        .routes(routes!(schedule_exam))
        .routes(routes!(open_exam))
        .routes(routes!(close_exam))
        .routes(routes!(cancel_exam))
        .routes(routes!(archive_exam))
        .routes(routes!(set_overrides))
        .routes(routes!(my_exams))
}

/// The enrollment list and upload (JSON or a CSV of up to 16 MiB): merge
/// into the import body-limit group.
pub fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(enroll_candidates, list_enrollments))
}

type ExamPath = ApiPath<(String, Uuid)>;

/// Create an exam type (EXAM_COORDINATOR); the code is unique in the organization.
#[utoipa::path(post, path = "/orgs/{org}/exam-types", tag = "exams", request_body = CreateExamTypeBody,
    params(("org" = String, Path)), responses((status = 201, body = ExamTypeView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_exam_type(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ExamTypeView>), ApiError> {
    let auth = ctx.authorize(Action::ManageExams)?;
    let body: CreateExamTypeBody = from_value(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(service::create_exam_type(&state, &auth, body).await?),
    ))
}

/// Edit an exam type (EXAM_COORDINATOR): code, name, default weight.
#[utoipa::path(patch, path = "/orgs/{org}/exam-types/{id}", tag = "exams", request_body = UpdateExamTypeBody,
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = ExamTypeView), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn update_exam_type(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ExamTypeView>, ApiError> {
    let auth = ctx.authorize(Action::ManageExams)?;
    let body: UpdateExamTypeBody = from_value(&body)?;
    Ok(Json(
        service::update_exam_type(&state, &auth, id, body).await?,
    ))
}

/// Delete an exam type no exam uses (EXAM_COORDINATOR); 409 otherwise.
#[utoipa::path(delete, path = "/orgs/{org}/exam-types/{id}", tag = "exams",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn delete_exam_type(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageExams)?;
    service::delete_exam_type(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's exam types.
#[utoipa::path(get, path = "/orgs/{org}/exam-types", tag = "exams",
    params(("org" = String, Path), PageQuery), responses((status = 200, body = Page<ExamTypeView>)), security(("bearer" = [])))]
pub async fn list_exam_types(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<ExamTypeView>>, ApiError> {
    may_at_all(&ctx, Action::ReadExams)?;
    let limit = page.limit()?;
    let rows = exams::list_exam_types(state.db.read(), ctx.org_id(), page.cursor::<Uuid>()?, limit)
        .await?;
    Ok(Json(Page::from_rows(
        rows,
        limit,
        |t| t.id.to_string(),
        ExamTypeView::from,
    )))
}

/// Create an exam in DRAFT (EXAM_COORDINATOR); its banks must be APPROVED.
#[utoipa::path(post, path = "/orgs/{org}/exams", tag = "exams", request_body = ExamBody,
    params(("org" = String, Path)), responses((status = 201, body = ExamView), (status = 403), (status = 422)), security(("bearer" = [])))]
pub async fn create_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ExamView>), ApiError> {
    may_at_all(&ctx, Action::ManageExams)?;
    let body: ExamBody = from_value(&body)?;
    Ok((
        StatusCode::CREATED,
        Json(edit::create_exam(&state, &ctx, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExamListQuery {
    /// Only exams in this status.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Exams you may read, by department.
#[utoipa::path(get, path = "/orgs/{org}/exams", tag = "exams",
    params(("org" = String, Path), ExamListQuery), responses((status = 200, body = Page<ExamView>)), security(("bearer" = [])))]
pub async fn list_exams(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<ExamListQuery>,
) -> Result<Json<Page<ExamView>>, ApiError> {
    let scope = service::exam_scope(&ctx)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            ExamStatus::parse(s).ok_or_else(|| ApiError::field("status", "not an exam status"))?,
        ),
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let rows = exams::list_exams(
        state.db.read(),
        ctx.org_id(),
        &scope,
        status,
        page.cursor::<Uuid>()?,
        limit,
    )
    .await?;
    let page = Page::from_rows(rows, limit, |e| e.id.to_string(), ExamView::try_from);
    try_page(page).map(Json)
}

/// Read an exam.
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 404)), security(("bearer" = [])))]
pub async fn get_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    let (exam, _) = load_exam(&state, &ctx, exam, Action::ReadExams).await?;
    Ok(Json(exam.try_into()?))
}

/// Edit a DRAFT or SCHEDULED exam (EXAM_COORDINATOR): the given fields of the
/// create body replace the current ones.
#[utoipa::path(patch, path = "/orgs/{org}/exams/{exam}", tag = "exams",
    request_body = ExamPatch,
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn patch_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ExamView>, ApiError> {
    edit::update_exam(&state, &ctx, exam, body).await.map(Json)
}

/// DRAFT -> SCHEDULED (EXAM_COORDINATOR).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/schedule", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409)), security(("bearer" = [])))]
pub async fn schedule_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    act_on_exam(&state, &ctx, exam, ExamAction::Schedule)
        .await
        .map(Json)
}

/// DRAFT | SCHEDULED -> ACTIVE (EXAM_COORDINATOR); the banks must still be
/// APPROVED and hold enough questions for the draw (409 otherwise).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/open", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409)), security(("bearer" = [])))]
pub async fn open_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    act_on_exam(&state, &ctx, exam, ExamAction::Open)
        .await
        .map(Json)
}

/// ACTIVE -> COMPLETED (EXAM_COORDINATOR).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/close", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409)), security(("bearer" = [])))]
pub async fn close_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    act_on_exam(&state, &ctx, exam, ExamAction::Close)
        .await
        .map(Json)
}

/// DRAFT | SCHEDULED | ACTIVE -> CANCELLED (EXAM_COORDINATOR).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/cancel", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409)), security(("bearer" = [])))]
pub async fn cancel_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    act_on_exam(&state, &ctx, exam, ExamAction::Cancel)
        .await
        .map(Json)
}

/// COMPLETED | CANCELLED -> ARCHIVED (EXAM_COORDINATOR).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/archive", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path)), responses((status = 200, body = ExamView), (status = 409)), security(("bearer" = [])))]
pub async fn archive_exam(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
) -> Result<Json<ExamView>, ApiError> {
    act_on_exam(&state, &ctx, exam, ExamAction::Archive)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollQuery {
    /// Enroll the good lines and report the bad ones.
    #[serde(default)]
    pub partial: bool,
}

/// Enroll people by email (ENROLLMENT_MANAGER): JSON
/// `{candidates:[{email, name?, extra_time_percent?}]}` or `text/csv` with
/// the header `email,name,extra_time_percent`. Atomic unless `partial=true`.
/// Nobody enrolls themselves: a list naming the caller is refused (403).
#[utoipa::path(post, path = "/orgs/{org}/exams/{exam}/enrollments", tag = "exams",
    request_body(content(
        (EnrollBody = "application/json"),
        (String = "text/csv", example = "email,name,extra_time_percent\nana@example.org,Ana,25\n"),
    )),
    params(("org" = String, Path), ("exam" = Uuid, Path), EnrollQuery),
    responses((status = 200, body = EnrollResult), (status = 403, description = "not allowed, or the list names yourself"),
        (status = 409), (status = 415), (status = 422)), security(("bearer" = [])))]
pub async fn enroll_candidates(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
    ApiQuery(q): ApiQuery<EnrollQuery>,
    req: Request,
) -> Result<Json<EnrollResult>, ApiError> {
    let (exam, auth) = load_exam(&state, &ctx, exam, Action::ManageEnrollments).await?;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_json = ct == "application/json";
    if !is_json && ct != "text/csv" {
        return Err(ApiError::UnsupportedMediaType(
            "send application/json or text/csv".into(),
        ));
    }
    let bytes = body_bytes(req, &state).await?;
    let (rows, errors) = if is_json {
        enroll::parse_json(parse_json::<EnrollBody>(&bytes)?)
    } else {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::BadRequest("the CSV must be UTF-8".into()))?;
        enroll::parse_csv(text)
    };
    enroll::enroll(&state, &ctx, &auth, &exam, rows, errors, q.partial)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnrollmentListQuery {
    /// Only enrollments in this status (INVITED, ACCEPTED, IN_PROGRESS, COMPLETED).
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// An exam's enrollments with status, attempts used and overrides
/// (ENROLLMENT_MANAGER, ORG_ADMIN: the overrides hold accommodation data).
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/enrollments", tag = "exams",
    params(("org" = String, Path), ("exam" = Uuid, Path), EnrollmentListQuery),
    responses((status = 200, body = Page<EnrollmentView>), (status = 403)), security(("bearer" = [])))]
pub async fn list_enrollments(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ExamPath,
    ApiQuery(q): ApiQuery<EnrollmentListQuery>,
) -> Result<Json<Page<EnrollmentView>>, ApiError> {
    let (exam, auth) = load_exam(&state, &ctx, exam, Action::ManageEnrollments).await?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(EnrollmentStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "status",
                "must be INVITED, ACCEPTED, IN_PROGRESS or COMPLETED",
            )
        })?),
    };
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    enrollments::list_enrollments(&state, &exam, &auth, status, &page)
        .await
        .map(Json)
}

/// Set one candidate's overrides of window, duration, attempts and extra
/// time (EXAM_COORDINATOR; never your own); an absent field means the exam's own value.
#[utoipa::path(put, path = "/orgs/{org}/exams/{exam}/enrollments/{user_id}", tag = "exams", request_body = OverridesBody,
    params(("org" = String, Path), ("exam" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = EnrollmentView), (status = 403, description = "not allowed, or your own enrollment"),
        (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn set_overrides(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam, user_id)): ApiPath<(String, Uuid, Uuid)>,
    ApiJson(body): ApiJson<OverridesBody>,
) -> Result<Json<EnrollmentView>, ApiError> {
    enrollments::set_overrides(&state, &ctx, exam, user_id, body)
        .await
        .map(Json)
}

/// Your enrollments in every organization: the window, duration and attempts
/// that apply to you, and the attempts left.
#[utoipa::path(get, path = "/me/exams", tag = "exams",
    params(PageQuery), responses((status = 200, body = Page<MyExamView>)), security(("bearer" = [])))]
pub async fn my_exams(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<MyExamView>>, ApiError> {
    super::me::my_exams(&state, &me, &page).await.map(Json)
}
