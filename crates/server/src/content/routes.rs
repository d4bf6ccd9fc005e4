//! `/orgs/{org}/question-banks*` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::content::{BankStatus, Difficulty, QuestionStatus, QuestionType};
use invigil_domain::identity::{Action, Visibility};
use invigil_store::DeptScope;
use invigil_store::content::{self, QuestionFilter};

use super::banks::{self, BankStep, CreateBankBody, PatchBankBody};
use super::questions;
use super::service::load_bank;
use super::transfer::{self, ImportResult};
use super::views::{
    BankView, QuestionBody, QuestionPatch, QuestionView, VersionView, empty_page, name_filter,
    try_page,
};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, body_bytes, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_bank, list_banks))
        .routes(routes!(get_bank, patch_bank))
        .routes(routes!(submit_bank))
        .routes(routes!(approve_bank))
        .routes(routes!(reject_bank))
        .routes(routes!(revise_bank))
        .routes(routes!(archive_bank))
        .routes(routes!(create_question, list_questions))
        .routes(routes!(get_question, patch_question, delete_question))
        .routes(routes!(list_versions))
        .routes(routes!(export_bank))
}

pub fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_bank))
}

type BankPath = ApiPath<(String, Uuid)>;
type QuestionPath = ApiPath<(String, Uuid, Uuid)>;

/// Create a question bank (EXAM_AUTHOR).
#[utoipa::path(post, path = "/orgs/{org}/question-banks", tag = "content", request_body = CreateBankBody,
    params(("org" = String, Path)), responses((status = 201, body = BankView), (status = 422)), security(("bearer" = [])))]
pub async fn create_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<BankView>), ApiError> {
    // Refuse people who may author nowhere before reading the body; the
    // department named in the body is checked once it is parsed.
    if matches!(ctx.visibility(Action::AuthorContent), Visibility::Nothing) {
        return Err(ApiError::Forbidden);
    }
    let body: CreateBankBody = json_body(req, &state).await?;
    Ok((
        StatusCode::CREATED,
        Json(banks::create_bank(&state, &ctx, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BankListQuery {
    /// Only banks in this status.
    pub status: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// Banks you may read (EXAM_AUTHOR, QUALITY_ASSURANCE, EXAM_COORDINATOR).
#[utoipa::path(get, path = "/orgs/{org}/question-banks", tag = "content",
    params(("org" = String, Path), BankListQuery), responses((status = 200, body = Page<BankView>)), security(("bearer" = [])))]
pub async fn list_banks(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<BankListQuery>,
) -> Result<Json<Page<BankView>>, ApiError> {
    let scope = DeptScope::of(ctx.visibility(Action::ReadContent)).ok_or(ApiError::Forbidden)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<Uuid>()?;
    let Some(status) = name_filter(q.status.as_deref(), BankStatus::parse) else {
        return Ok(Json(empty_page()));
    };
    let rows =
        content::list_banks(state.db.read(), ctx.org_id(), &scope, status, after, limit).await?;
    let page = Page::from_rows(rows, limit, |b| b.id.to_string(), BankView::try_from);
    try_page(page).map(Json)
}

/// Read a bank.
#[utoipa::path(get, path = "/orgs/{org}/question-banks/{bank}", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 404)), security(("bearer" = [])))]
pub async fn get_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
) -> Result<Json<BankView>, ApiError> {
    let (bank, _) = load_bank(&state, &ctx, bank, Action::ReadContent).await?;
    Ok(Json(bank.try_into()?))
}

/// Edit title, description, tags or department (DRAFT or REJECTED banks).
#[utoipa::path(patch, path = "/orgs/{org}/question-banks/{bank}", tag = "content", request_body = PatchBankBody,
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 409)), security(("bearer" = [])))]
pub async fn patch_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    ApiJson(body): ApiJson<PatchBankBody>,
) -> Result<Json<BankView>, ApiError> {
    banks::update_bank(&state, &ctx, bank, body).await.map(Json)
}

/// Send a DRAFT bank to review (EXAM_AUTHOR).
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/submit", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 409)), security(("bearer" = [])))]
pub async fn submit_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
) -> Result<Json<BankView>, ApiError> {
    banks::act_on_bank(&state, &ctx, bank, BankStep::Submit)
        .await
        .map(Json)
}

/// Approve a bank in review (QUALITY_ASSURANCE; never your own or one you edited).
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/approve", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 403), (status = 409)), security(("bearer" = [])))]
pub async fn approve_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
) -> Result<Json<BankView>, ApiError> {
    banks::act_on_bank(&state, &ctx, bank, BankStep::Approve)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RejectBody {
    pub reason: String,
}

/// Reject a bank in review with a reason (QUALITY_ASSURANCE, two-person rule).
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/reject", tag = "content", request_body = RejectBody,
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 403), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn reject_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    req: Request,
) -> Result<Json<BankView>, ApiError> {
    let _allowed = load_bank(&state, &ctx, bank, Action::ReviewContent).await?;
    let body: RejectBody = json_body(req, &state).await?;
    banks::act_on_bank(&state, &ctx, bank, BankStep::Reject(body.reason))
        .await
        .map(Json)
}

/// Put an APPROVED bank back to DRAFT for changes and another review (EXAM_AUTHOR).
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/revise", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 409)), security(("bearer" = [])))]
pub async fn revise_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
) -> Result<Json<BankView>, ApiError> {
    banks::act_on_bank(&state, &ctx, bank, BankStep::Revise)
        .await
        .map(Json)
}

/// Archive a bank (EXAM_AUTHOR).
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/archive", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 200, body = BankView), (status = 409)), security(("bearer" = [])))]
pub async fn archive_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
) -> Result<Json<BankView>, ApiError> {
    banks::act_on_bank(&state, &ctx, bank, BankStep::Archive)
        .await
        .map(Json)
}

/// Add a question (EXAM_AUTHOR): `{type, text, options?, correct_answer, points, difficulty, tags?, explanation?}`.
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/questions", tag = "content",
    request_body = QuestionBody,
    params(("org" = String, Path), ("bank" = Uuid, Path)), responses((status = 201, body = QuestionView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn create_question(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<QuestionView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(questions::create_question(&state, &ctx, bank, body).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuestionListQuery {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub question_type: Option<String>,
    pub difficulty: Option<String>,
    pub tag: Option<String>,
    /// ACTIVE (default) or RETIRED, or `all`.
    pub status: Option<String>,
    /// Text search in text, options and tags (case-insensitive).
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// List a bank's questions with filters.
#[utoipa::path(get, path = "/orgs/{org}/question-banks/{bank}/questions", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path), QuestionListQuery), responses((status = 200, body = Page<QuestionView>)), security(("bearer" = [])))]
pub async fn list_questions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    ApiQuery(q): ApiQuery<QuestionListQuery>,
) -> Result<Json<Page<QuestionView>>, ApiError> {
    let (bank, auth) = load_bank(&state, &ctx, bank, Action::ReadContent).await?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let status = match q.status.as_deref() {
        None => Some(QuestionStatus::Active),
        Some("all") => None,
        Some(s) => Some(
            QuestionStatus::parse(s)
                .ok_or_else(|| ApiError::field("status", "must be ACTIVE, RETIRED or all"))?,
        ),
    };
    let after = page.cursor::<Uuid>()?;
    let (Some(question_type), Some(difficulty)) = (
        name_filter(q.question_type.as_deref(), QuestionType::parse),
        name_filter(
            q.difficulty.map(|d| d.to_uppercase()).as_deref(),
            Difficulty::parse,
        ),
    ) else {
        return Ok(Json(empty_page()));
    };
    let filter = QuestionFilter {
        question_type,
        difficulty,
        tag: q.tag.map(|t| t.to_lowercase()),
        status,
        q: q.q.filter(|s| !s.trim().is_empty()),
    };
    let rows =
        content::list_questions(state.db.read(), auth.org_id, bank.id, &filter, after, limit)
            .await?;
    let page = Page::from_rows(
        rows,
        limit,
        |(r, _)| r.id.to_string(),
        |(r, v)| QuestionView::new(&r, &v),
    );
    try_page(page).map(Json)
}

/// Read a question (current version).
#[utoipa::path(get, path = "/orgs/{org}/question-banks/{bank}/questions/{id}", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = QuestionView), (status = 404)), security(("bearer" = [])))]
pub async fn get_question(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank, id)): QuestionPath,
) -> Result<Json<QuestionView>, ApiError> {
    let (bank, auth) = load_bank(&state, &ctx, bank, Action::ReadContent).await?;
    questions::question_view(&state, auth.org_id, bank.id, id)
        .await
        .map(Json)
}

/// Edit a question: the given fields replace the current ones and make a new version.
#[utoipa::path(patch, path = "/orgs/{org}/question-banks/{bank}/questions/{id}", tag = "content",
    request_body = QuestionPatch,
    params(("org" = String, Path), ("bank" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = QuestionView), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn patch_question(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank, id)): QuestionPath,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<QuestionView>, ApiError> {
    questions::update_question(&state, &ctx, bank, id, body)
        .await
        .map(Json)
}

/// Retire a question (its versions are kept).
#[utoipa::path(delete, path = "/orgs/{org}/question-banks/{bank}/questions/{id}", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 204), (status = 409)), security(("bearer" = [])))]
pub async fn delete_question(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank, id)): QuestionPath,
) -> Result<StatusCode, ApiError> {
    questions::retire_question(&state, &ctx, bank, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A question's version history, oldest first.
#[utoipa::path(get, path = "/orgs/{org}/question-banks/{bank}/questions/{id}/versions", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path), ("id" = Uuid, Path)), responses((status = 200, body = Page<VersionView>)), security(("bearer" = [])))]
pub async fn list_versions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank, id)): QuestionPath,
) -> Result<Json<Page<VersionView>>, ApiError> {
    let (bank, auth) = load_bank(&state, &ctx, bank, Action::ReadContent).await?;
    content::question(state.db.read(), auth.org_id, bank.id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = content::versions(state.db.read(), auth.org_id, id)
        .await?
        .into_iter()
        .map(VersionView::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// gift, aiken or csv.
    pub format: Option<String>,
    /// Import the good items and report the bad ones.
    #[serde(default)]
    pub partial: bool,
}

/// Import questions (EXAM_AUTHOR). Atomic unless `partial=true`.
#[utoipa::path(post, path = "/orgs/{org}/question-banks/{bank}/import", tag = "content",
    request_body(content = String, content_type = "text/plain", description = "GIFT, Aiken or CSV text"),
    params(("org" = String, Path), ("bank" = Uuid, Path), ImportQuery),
    responses((status = 200, body = ImportResult), (status = 409), (status = 422)), security(("bearer" = [])))]
pub async fn import_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    ApiQuery(q): ApiQuery<ImportQuery>,
    req: Request,
) -> Result<Json<ImportResult>, ApiError> {
    let _allowed = load_bank(&state, &ctx, bank, Action::AuthorContent).await?;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !(ct.starts_with("text/") || ct.starts_with("application/octet-stream")) {
        return Err(ApiError::UnsupportedMediaType(
            "send the file as text/plain or text/csv".into(),
        ));
    }
    let bytes = body_bytes(req, &state).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::BadRequest("the file must be UTF-8".into()))?;
    transfer::import_questions(
        &state,
        &ctx,
        bank,
        q.format.as_deref().unwrap_or(""),
        text,
        q.partial,
    )
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// gift or csv.
    pub format: Option<String>,
}

/// Export the bank's active questions (EXAM_AUTHOR).
#[utoipa::path(get, path = "/orgs/{org}/question-banks/{bank}/export", tag = "content",
    params(("org" = String, Path), ("bank" = Uuid, Path), ExportQuery),
    responses((status = 200, content_type = "text/plain", body = String)), security(("bearer" = [])))]
pub async fn export_bank(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, bank)): BankPath,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let (format, text) =
        transfer::export_questions(&state, &ctx, bank, q.format.as_deref().unwrap_or("")).await?;
    Ok(([(header::CONTENT_TYPE, format.content_type())], text).into_response())
}
