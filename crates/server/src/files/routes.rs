//! `/orgs/{org}/files*` handlers. Mounted with the streaming routes: an
//! upload or a download of a large video lasts longer than the per-request
//! timeout, and the upload's body limit is the kind's, enforced while
//! streaming (not the API's 1 MiB).

use axum::Json;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::service::{self, FileView, ListQuery, UploadQuery, Usage};
use crate::authz::OrgCtx;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_files, upload_file))
        .routes(routes!(files_usage))
        .routes(routes!(get_file, delete_file))
        .routes(routes!(file_content))
}

/// Upload a file (course staff: TeachCourses or ManageCourses). The raw body
/// is the file (`Content-Length` or chunked); its first bytes must match the
/// kind. Size limit per kind and the organization's quota are enforced while
/// streaming; a refusal stores nothing.
#[utoipa::path(post, path = "/orgs/{org}/files", tag = "files",
    params(("org" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = FileView), (status = 400), (status = 403), (status = 404),
        (status = 413, description = "file_too_large (the kind's limit) or quota_exceeded"),
        (status = 415, description = "the bytes are not of the kind"),
        (status = 422, description = "validation_failed: kind, name, entity, empty body")),
    security(("bearer" = [])))]
pub async fn upload_file(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let auth = service::authorize(&ctx)?;
    // After the role check: a forbidden caller learns nothing from the query.
    let axum::extract::Query(q) = axum::extract::Query::<UploadQuery>::try_from_uri(req.uri())
        .map_err(|rej| ApiError::BadRequest(rej.body_text()))?;
    let (parts, body): (_, Body) = req.into_parts();
    let view = service::upload(&state, &auth, q, &parts.headers, body).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The organization's files, newest first (filters: kind, entity).
#[utoipa::path(get, path = "/orgs/{org}/files", tag = "files",
    params(("org" = String, Path), ListQuery, PageQuery),
    responses((status = 200, body = Page<FileView>), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn list_files(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<FileView>>, ApiError> {
    let auth = service::authorize(&ctx)?;
    service::list(&state, &auth, q, page.keyset()?)
        .await
        .map(Json)
}

/// Bytes used by the organization's files and its quota.
#[utoipa::path(get, path = "/orgs/{org}/files/usage", tag = "files",
    params(("org" = String, Path)),
    responses((status = 200, body = Usage), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn files_usage(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<Usage>, ApiError> {
    let auth = service::authorize(&ctx)?;
    service::usage(&state, &auth).await.map(Json)
}

/// A file's metadata.
#[utoipa::path(get, path = "/orgs/{org}/files/{file}", tag = "files",
    params(("org" = String, Path), ("file" = Uuid, Path)),
    responses((status = 200, body = FileView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_file(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, file)): ApiPath<(String, Uuid)>,
) -> Result<Json<FileView>, ApiError> {
    let auth = service::authorize(&ctx)?;
    let f = service::file_of(&state.db, auth.org_id, file).await?;
    Ok(Json(f.into()))
}

/// Delete a file (soft: the row stays for the audit trail, the bytes are
/// removed at once).
#[utoipa::path(delete, path = "/orgs/{org}/files/{file}", tag = "files",
    params(("org" = String, Path), ("file" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_file(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, file)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = service::authorize(&ctx)?;
    service::delete(&state, &auth, file).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download a file's bytes, streamed, with HTTP range requests (`Range:
/// bytes=N-M`, `bytes=N-`, `bytes=-N`: 206; outside the file: 416).
#[utoipa::path(get, path = "/orgs/{org}/files/{file}/content", tag = "files",
    params(("org" = String, Path), ("file" = Uuid, Path)),
    responses((status = 200, description = "the whole file"),
        (status = 206, description = "the requested range"),
        (status = 304, description = "If-None-Match matched the ETag"),
        (status = 403), (status = 404),
        (status = 416, description = "range_not_satisfiable; Content-Range: bytes */size")),
    security(("bearer" = [])))]
pub async fn file_content(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, file)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Response, ApiError> {
    let auth = service::authorize(&ctx)?;
    super::serve_content(&state, auth.org_id, file, req.headers()).await
}
