//! `/orgs/{org}/exams/{exam}/certificate`, `/orgs/{org}/certificates*`,
//! `/me/certificates*` and the public `/certificates/{code}*` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::service;
use super::views::{
    CertificateQuery, CertificateSettingBody, CertificateView, PublicCertificateView, PublishBody,
    RevokeBody,
};
use crate::authz::OrgCtx;
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_certificate_setting, put_certificate_setting))
        .routes(routes!(list_org_certificates))
        .routes(routes!(revoke_certificate))
        .routes(routes!(my_certificates))
        .routes(routes!(get_my_certificate, patch_my_certificate))
        .routes(routes!(my_certificate_pdf))
        .routes(routes!(verify_certificate))
        .routes(routes!(public_certificate_pdf))
}

type P2 = ApiPath<(String, Uuid)>;

/// A PDF answer, shown inline with a file name for "save as".
pub fn pdf_response(bytes: Vec<u8>, code: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"certificate-{code}.pdf\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// An exam's certificate setting (disabled when never set).
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/certificate", tag = "certificates",
    params(("org" = String, Path), ("exam" = Uuid, Path)),
    responses((status = 200, body = CertificateSettingBody), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_certificate_setting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): P2,
) -> Result<Json<CertificateSettingBody>, ApiError> {
    service::setting(&state, &ctx, exam).await.map(Json)
}

/// Opt an exam in (or out) of certificates; candidates who already earned
/// one under released results get it now.
#[utoipa::path(put, path = "/orgs/{org}/exams/{exam}/certificate", tag = "certificates",
    request_body = CertificateSettingBody, params(("org" = String, Path), ("exam" = Uuid, Path)),
    responses((status = 200, body = CertificateSettingBody), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn put_certificate_setting(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): P2,
    req: Request,
) -> Result<Json<CertificateSettingBody>, ApiError> {
    // Who may not act learns that before anything about the body.
    let _may = ctx.authorize(Action::ManageCertificates)?;
    let body: CertificateSettingBody = json_body(req, &state).await?;
    service::put_setting(&state, &ctx, exam, body)
        .await
        .map(Json)
}

/// The organization's certificates, newest first, by exam and status.
#[utoipa::path(get, path = "/orgs/{org}/certificates", tag = "certificates",
    params(("org" = String, Path), CertificateQuery),
    responses((status = 200, body = Page<CertificateView>), (status = 403), (status = 422)),
    security(("bearer" = [])))]
pub async fn list_org_certificates(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<CertificateQuery>,
) -> Result<Json<Page<CertificateView>>, ApiError> {
    service::list_org(&state, &ctx, &q).await.map(Json)
}

/// Revoke a certificate (the holder is told, with the reason).
#[utoipa::path(post, path = "/orgs/{org}/certificates/{id}/revoke", tag = "certificates",
    request_body = RevokeBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = CertificateView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn revoke_certificate(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): P2,
    req: Request,
) -> Result<Json<CertificateView>, ApiError> {
    // Who may not act learns that before anything about the body.
    let _may = ctx.authorize(Action::ManageCertificates)?;
    let body: RevokeBody = json_body(req, &state).await?;
    service::revoke(&state, &ctx, id, body).await.map(Json)
}

/// The caller's certificates, newest first.
#[utoipa::path(get, path = "/me/certificates", tag = "certificates", params(PageQuery),
    responses((status = 200, body = Page<CertificateView>)), security(("bearer" = [])))]
pub async fn my_certificates(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<CertificateView>>, ApiError> {
    service::mine(&state, &user, &page).await.map(Json)
}

/// One of the caller's certificates.
#[utoipa::path(get, path = "/me/certificates/{id}", tag = "certificates",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = CertificateView), (status = 404)), security(("bearer" = [])))]
pub async fn get_my_certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<CertificateView>, ApiError> {
    service::my_one(&state, &user, id).await.map(Json)
}

/// Publish (or unpublish) a certificate: whether its public verification
/// shows the holder's name, title, organization and dates.
#[utoipa::path(patch, path = "/me/certificates/{id}", tag = "certificates",
    request_body = PublishBody, params(("id" = Uuid, Path)),
    responses((status = 200, body = CertificateView), (status = 404), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_my_certificate(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> Result<Json<CertificateView>, ApiError> {
    let body: PublishBody = json_body(req, &state).await?;
    service::publish(&state, &user, id, body).await.map(Json)
}

/// One of the caller's certificates as a PDF.
#[utoipa::path(get, path = "/me/certificates/{id}/pdf", tag = "certificates",
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404)),
    security(("bearer" = [])))]
pub async fn my_certificate_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let view = service::my_one(&state, &user, id).await?;
    let bytes = service::my_pdf(&state, &user, id).await?;
    Ok(pdf_response(bytes, &view.code))
}

/// Verify a certificate code (no sign-in): its status, and the holder's
/// details only when they published it. Rate limited per address.
#[utoipa::path(get, path = "/certificates/{code}", tag = "certificates",
    params(("code" = String, Path)),
    responses((status = 200, body = PublicCertificateView), (status = 404),
        (status = 429, description = "rate_limited")))]
pub async fn verify_certificate(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<PublicCertificateView>, ApiError> {
    service::verify(&state, &client, &code).await.map(Json)
}

/// A published certificate as a PDF (404 when not published).
#[utoipa::path(get, path = "/certificates/{code}/pdf", tag = "certificates",
    params(("code" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404),
        (status = 429, description = "rate_limited")))]
pub async fn public_certificate_pdf(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiPath(code): ApiPath<String>,
) -> Result<Response, ApiError> {
    let bytes = service::public_pdf(&state, &client, &code).await?;
    Ok(pdf_response(bytes, &code))
}
