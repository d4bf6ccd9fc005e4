//! `/me/profile`, `/me/avatar`, `/me/instructor-profile`, `/users*`,
//! `/orgs/{org}/company-profile*`, `/orgs/{org}/api-keys*` and the
//! instructor verification: extract, call the service, map the result.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;

use super::accounts::{self, AccountAdmin, StatusBody, UserQuery, UserView};
use super::api_keys::{self, ApiKeyView, CreateKeyBody, CreatedKey};
use super::erasure::{self, ErasureBody, ErasureSummary};
use super::profile::{
    self, CompanyProfileBody, CompanyProfileView, InstructorProfileBody, InstructorProfileView,
    PatchMeBody, PersonProfileView, VerificationBody,
};
use crate::authz::OrgCtx;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, body_bytes, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_my_profile))
        .routes(routes!(patch_me))
        .routes(routes!(get_user_avatar))
        .routes(routes!(get_instructor_profile, put_instructor_profile))
        .routes(routes!(verify_instructor))
        .routes(routes!(get_company_profile, put_company_profile))
        .routes(routes!(list_users))
        .routes(routes!(patch_user))
        .routes(routes!(erase_user))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
}

/// Routes that take an image upload (avatar, logo): at most 2 MiB each,
/// mounted with the 4 MiB body limit.
pub fn image_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_my_avatar, delete_my_avatar))
        .routes(routes!(get_company_logo, put_company_logo))
}

fn image(kind: String, bytes: Bytes) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=60".to_owned()),
            (header::CONTENT_DISPOSITION, "inline".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

fn content_type(req: &Request) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Your profile (seed 002 Profile).
#[utoipa::path(get, path = "/me/profile", tag = "people",
    responses((status = 200, body = PersonProfileView), (status = 401)), security(("bearer" = [])))]
pub async fn get_my_profile(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<PersonProfileView>, ApiError> {
    profile::get_profile(&state, &me).await.map(Json)
}

/// Change your name and profile: a given field replaces, `null` clears.
#[utoipa::path(patch, path = "/me", tag = "people", request_body = PatchMeBody,
    responses((status = 200, body = PersonProfileView), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_me(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> Result<Json<PersonProfileView>, ApiError> {
    let body: PatchMeBody = json_body(req, &state).await?;
    profile::patch_me(&state, &me, body).await.map(Json)
}

/// Upload your avatar: PNG, JPEG or WebP, at most 2 MiB.
#[utoipa::path(put, path = "/me/avatar", tag = "people",
    request_body(content((String = "image/png"), (String = "image/jpeg"), (String = "image/webp")),
        description = "the image; its bytes must match its type"),
    responses((status = 200, body = PersonProfileView), (status = 401), (status = 413),
        (status = 415)),
    security(("bearer" = [])))]
pub async fn put_my_avatar(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> Result<Json<PersonProfileView>, ApiError> {
    let ct = content_type(&req);
    let bytes = body_bytes(req, &state).await?;
    profile::put_avatar(&state, &me, ct.as_deref(), bytes)
        .await
        .map(Json)
}

/// Remove your avatar.
#[utoipa::path(delete, path = "/me/avatar", tag = "people",
    responses((status = 204), (status = 401), (status = 404)), security(("bearer" = [])))]
pub async fn delete_my_avatar(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<StatusCode, ApiError> {
    profile::delete_avatar(&state, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's avatar: yourself, or someone who shares an organization with
/// you (404 otherwise).
#[utoipa::path(get, path = "/users/{id}/avatar", tag = "people",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "the image", content((String = "image/png"),
        (String = "image/jpeg"), (String = "image/webp"))), (status = 401), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_user_avatar(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (kind, bytes) = profile::avatar(&state, &me, id).await?;
    Ok(image(kind, bytes))
}

/// Your instructor profile (seed 002 InstructorProfile).
#[utoipa::path(get, path = "/me/instructor-profile", tag = "people",
    responses((status = 200, body = InstructorProfileView), (status = 401)),
    security(("bearer" = [])))]
pub async fn get_instructor_profile(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<InstructorProfileView>, ApiError> {
    profile::get_instructor(&state, &me).await.map(Json)
}

/// Replace your instructor profile (verification stays as it was).
#[utoipa::path(put, path = "/me/instructor-profile", tag = "people",
    request_body = InstructorProfileBody,
    responses((status = 200, body = InstructorProfileView), (status = 401), (status = 422)),
    security(("bearer" = [])))]
pub async fn put_instructor_profile(
    State(state): State<AppState>,
    me: CurrentUser,
    req: Request,
) -> Result<Json<InstructorProfileView>, ApiError> {
    let body: InstructorProfileBody = json_body(req, &state).await?;
    profile::put_instructor(&state, &me, body).await.map(Json)
}

/// Verify (or unverify) a member's instructor profile (ORG_ADMIN of an
/// organization where they teach).
#[utoipa::path(post, path = "/orgs/{org}/members/{user_id}/instructor-verification",
    tag = "people", request_body = VerificationBody,
    params(("org" = String, Path), ("user_id" = Uuid, Path)),
    responses((status = 200, body = InstructorProfileView), (status = 403), (status = 404),
        (status = 409, description = "not_an_instructor"), (status = 422)),
    security(("bearer" = [])))]
pub async fn verify_instructor(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, user_id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<InstructorProfileView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: VerificationBody = json_body(req, &state).await?;
    profile::verify_instructor(&state, &auth, user_id, body)
        .await
        .map(Json)
}

/// The organization's company profile (any member; 404 before it is set).
#[utoipa::path(get, path = "/orgs/{org}/company-profile", tag = "people",
    params(("org" = String, Path)),
    responses((status = 200, body = CompanyProfileView), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_company_profile(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<CompanyProfileView>, ApiError> {
    profile::get_company(&state, ctx.org_id(), &ctx.org.slug)
        .await
        .map(Json)
}

/// Set the company profile (ORG_ADMIN of a COMPANY organization; 409
/// `not_a_company` on an INSTITUTION).
#[utoipa::path(put, path = "/orgs/{org}/company-profile", tag = "people",
    request_body = CompanyProfileBody, params(("org" = String, Path)),
    responses((status = 200, body = CompanyProfileView), (status = 403), (status = 404),
        (status = 409, description = "not_a_company"), (status = 422)),
    security(("bearer" = [])))]
pub async fn put_company_profile(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<Json<CompanyProfileView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: CompanyProfileBody = json_body(req, &state).await?;
    profile::put_company(&state, &auth, ctx.org.kind, &ctx.org.slug, body)
        .await
        .map(Json)
}

/// The company's logo (any member).
#[utoipa::path(get, path = "/orgs/{org}/company-profile/logo", tag = "people",
    params(("org" = String, Path)),
    responses((status = 200, description = "the image"), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_company_logo(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Response, ApiError> {
    let (kind, bytes) = profile::logo(&state, ctx.org_id()).await?;
    Ok(image(kind, bytes))
}

/// Upload the company's logo (ORG_ADMIN; PNG, JPEG or WebP, at most 2 MiB).
#[utoipa::path(put, path = "/orgs/{org}/company-profile/logo", tag = "people",
    request_body(content((String = "image/png"), (String = "image/jpeg"), (String = "image/webp"))),
    params(("org" = String, Path)),
    responses((status = 200, body = CompanyProfileView), (status = 403), (status = 404),
        (status = 409), (status = 413), (status = 415)),
    security(("bearer" = [])))]
pub async fn put_company_logo(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<Json<CompanyProfileView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let ct = content_type(&req);
    let bytes = body_bytes(req, &state).await?;
    profile::put_logo(
        &state,
        &auth,
        ctx.org.kind,
        &ctx.org.slug,
        ct.as_deref(),
        bytes,
    )
    .await
    .map(Json)
}

/// Search the platform's accounts by email or name (super admin).
#[utoipa::path(get, path = "/users", tag = "people", params(UserQuery),
    responses((status = 200, body = Page<UserView>), (status = 401), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<Json<Page<UserView>>, ApiError> {
    let admin = AccountAdmin::of(&me)?;
    accounts::search(&state, &admin, &q).await.map(Json)
}

/// Set an account's status (super admin; never your own). Suspending or
/// deactivating revokes every session of the person.
#[utoipa::path(patch, path = "/users/{id}", tag = "people", request_body = StatusBody,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 403), (status = 404), (status = 409),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn patch_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> Result<Json<UserView>, ApiError> {
    let admin = AccountAdmin::of(&me)?;
    let body: StatusBody = json_body(req, &state).await?;
    accounts::set_status(&state, &admin, id, body)
        .await
        .map(Json)
}

/// Erase a person (super admin): personal data deleted or anonymized,
/// graded records kept. 409 `already_erased` the second time.
#[utoipa::path(post, path = "/users/{id}/erasure", tag = "people", request_body = ErasureBody,
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ErasureSummary), (status = 403), (status = 404),
        (status = 409, description = "already_erased or super_admin"), (status = 422)),
    security(("bearer" = [])))]
pub async fn erase_user(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    req: Request,
) -> Result<Json<ErasureSummary>, ApiError> {
    let admin = AccountAdmin::of(&me)?;
    let body: ErasureBody = json_body(req, &state).await?;
    erasure::erase(&state, &admin, id, body).await.map(Json)
}

/// The organization's API keys, newest first (ORG_ADMIN; never a secret).
#[utoipa::path(get, path = "/orgs/{org}/api-keys", tag = "people",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<ApiKeyView>), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<ApiKeyView>>, ApiError> {
    let auth = ctx.authorize(Action::ManageApiKeys)?;
    api_keys::list(&state, &auth, page.keyset()?)
        .await
        .map(Json)
}

/// Make an API key (ORG_ADMIN): the secret is in this answer only.
#[utoipa::path(post, path = "/orgs/{org}/api-keys", tag = "people",
    request_body = CreateKeyBody, params(("org" = String, Path)),
    responses((status = 201, body = CreatedKey), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn create_api_key(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let auth = ctx.authorize(Action::ManageApiKeys)?;
    let body: CreateKeyBody = json_body(req, &state).await?;
    let created = api_keys::create(&state, &auth, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revoke an API key (ORG_ADMIN).
#[utoipa::path(delete, path = "/orgs/{org}/api-keys/{id}", tag = "people",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageApiKeys)?;
    api_keys::revoke(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
