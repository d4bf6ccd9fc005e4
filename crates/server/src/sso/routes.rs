//! `/orgs/{org}/sso`, `/orgs/{org}/sign-up-settings`, `/orgs/{org}/sign-up`
//! and `/auth/sign-up/verify` handlers.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use invigil_domain::identity::Action;

use super::views::{
    SIGN_UP_ACCEPTED, SignUpAccepted, SignUpBody, SignUpSettingsBody, SignUpSettingsView,
    SignUpVerifyBody, SsoConfigBody, SsoConfigView,
};
use super::{service, signup};
use crate::authz::OrgCtx;
use crate::http::auth::ClientInfo;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, json_body};
use crate::identity::service::TokenResponse;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_sso, put_sso, delete_sso))
        .routes(routes!(get_sign_up_settings, put_sign_up_settings))
        .routes(routes!(sign_up))
        .routes(routes!(verify_sign_up))
}

/// The organization's OpenID Connect configuration (never its secret).
#[utoipa::path(get, path = "/orgs/{org}/sso", tag = "sso",
    params(("org" = String, Path)),
    responses((status = 200, body = SsoConfigView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_sso(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<SsoConfigView>, ApiError> {
    let _allowed = ctx.authorize(Action::ManageOrg)?;
    service::get_config(&state, &ctx.org).await.map(Json)
}

/// Configure OpenID Connect sign-in: the provider's discovery document is
/// fetched and checked first (422 `sso_discovery_failed` saying why).
#[utoipa::path(put, path = "/orgs/{org}/sso", tag = "sso",
    request_body = SsoConfigBody, params(("org" = String, Path)),
    responses((status = 200, body = SsoConfigView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn put_sso(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<Json<SsoConfigView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: SsoConfigBody = json_body(req, &state).await?;
    service::put_config(&state, &auth, &ctx.org, body)
        .await
        .map(Json)
}

/// Remove the OpenID Connect configuration (linked accounts stay linked).
#[utoipa::path(delete, path = "/orgs/{org}/sso", tag = "sso",
    params(("org" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn delete_sso(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    service::delete_config(&state, &auth, &ctx.org).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Whether people may sign up to the organization themselves.
#[utoipa::path(get, path = "/orgs/{org}/sign-up-settings", tag = "sso",
    params(("org" = String, Path)),
    responses((status = 200, body = SignUpSettingsView), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_sign_up_settings(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<SignUpSettingsView>, ApiError> {
    let _allowed = ctx.authorize(Action::ManageOrg)?;
    service::get_sign_up_settings(&state, ctx.org_id())
        .await
        .map(Json)
}

/// Open or close self sign-up, with an optional domain allow-list.
#[utoipa::path(put, path = "/orgs/{org}/sign-up-settings", tag = "sso",
    request_body = SignUpSettingsBody, params(("org" = String, Path)),
    responses((status = 200, body = SignUpSettingsView), (status = 403), (status = 404),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn put_sign_up_settings(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<Json<SignUpSettingsView>, ApiError> {
    let auth = ctx.authorize(Action::ManageOrg)?;
    let body: SignUpSettingsBody = json_body(req, &state).await?;
    service::put_sign_up_settings(&state, &auth, body)
        .await
        .map(Json)
}

/// Sign up to an organization that accepts it (no sign-in). The answer is
/// the same whether or not the address has an account; 404 when the
/// organization does not accept sign-ups.
#[utoipa::path(post, path = "/orgs/{org}/sign-up", tag = "sso",
    request_body = SignUpBody, params(("org" = String, Path)),
    responses((status = 202, body = SignUpAccepted), (status = 404), (status = 422),
        (status = 429)))]
pub async fn sign_up(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiPath(org): ApiPath<String>,
    req: Request,
) -> Result<(StatusCode, Json<SignUpAccepted>), ApiError> {
    let body: SignUpBody = json_body(req, &state).await?;
    signup::sign_up(
        &state,
        &org,
        &body.email,
        &body.name,
        &body.password,
        &client,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(SIGN_UP_ACCEPTED)))
}

/// The sign-up mail's link: activates the account, makes it a candidate of
/// the organization and signs in (like `POST /auth/login`).
#[utoipa::path(post, path = "/auth/sign-up/verify", tag = "sso",
    request_body = SignUpVerifyBody,
    responses((status = 200, body = TokenResponse), (status = 400), (status = 422),
        (status = 429)))]
pub async fn verify_sign_up(
    State(state): State<AppState>,
    client: ClientInfo,
    req: Request,
) -> Result<Json<TokenResponse>, ApiError> {
    let body: SignUpVerifyBody = json_body(req, &state).await?;
    signup::verify(&state, &body.token, &client).await.map(Json)
}
