//! `/auth/*` and `/me*` handlers: extract, call the service, map the result.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_store::identity::sessions;

use super::service::{self, MeView, TokenResponse};
use super::{email, password};
use crate::audit::{Audit, AuditAction};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiPath};
use crate::http::page::Page;
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(password_reset))
        .routes(routes!(password_reset_confirm))
        .routes(routes!(verify_email))
        .routes(routes!(revert_email))
        .routes(routes!(accept_invitation))
        .routes(routes!(get_me))
        .routes(routes!(list_my_sessions))
        .routes(routes!(revoke_my_session))
        .routes(routes!(change_password))
        .routes(routes!(change_email))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
    /// A stable identifier of the device, recorded with the session.
    pub device_fingerprint: Option<String>,
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "identity", request_body = LoginBody,
    responses((status = 200, body = TokenResponse), (status = 401, description = "invalid_credentials"),
        (status = 429, description = "account_locked or rate_limited")))]
pub async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<TokenResponse>, ApiError> {
    service::login(
        &state,
        &body.email,
        &body.password,
        body.device_fingerprint,
        &client,
    )
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// Exchange a refresh token for a new pair (the old one is used up).
#[utoipa::path(post, path = "/auth/refresh", tag = "identity", request_body = RefreshBody,
    responses((status = 200, body = TokenResponse), (status = 401, description = "invalid_token")))]
pub async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Json<TokenResponse>, ApiError> {
    service::refresh(&state, &body.refresh_token, &client)
        .await
        .map(Json)
}

/// Sign out: the current session is revoked.
#[utoipa::path(post, path = "/auth/logout", tag = "identity",
    responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<StatusCode, ApiError> {
    service::logout(&state, &me).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailBody {
    pub email: String,
}

/// Ask for a password-reset mail. Always 202.
#[utoipa::path(post, path = "/auth/password-reset", tag = "identity", request_body = EmailBody,
    responses((status = 202)))]
pub async fn password_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<StatusCode, ApiError> {
    password::request_password_reset(&state, &body.email, &client).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetConfirmBody {
    pub token: String,
    pub new_password: String,
}

/// Set a new password with a reset token; every session is revoked.
#[utoipa::path(post, path = "/auth/password-reset/confirm", tag = "identity", request_body = ResetConfirmBody,
    responses((status = 204), (status = 400, description = "invalid_token"), (status = 422)))]
pub async fn password_reset_confirm(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetConfirmBody>,
) -> Result<StatusCode, ApiError> {
    password::confirm_password_reset(&state, &body.token, &body.new_password, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenBody {
    pub token: String,
}

/// Confirm an email address (or apply an email change).
#[utoipa::path(post, path = "/auth/verify-email", tag = "identity", request_body = TokenBody,
    responses((status = 204), (status = 400, description = "invalid_token")))]
pub async fn verify_email(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<StatusCode, ApiError> {
    email::verify_email(&state, &body.token, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Undo an email change with the link mailed to the old address: the old
/// address is restored and every session of the account is signed out.
#[utoipa::path(post, path = "/auth/revert-email", tag = "identity", request_body = TokenBody,
    responses((status = 204), (status = 400, description = "invalid_token"), (status = 409)))]
pub async fn revert_email(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<StatusCode, ApiError> {
    email::revert_email(&state, &body.token, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptInvitationBody {
    pub token: String,
    /// Required for a new person; ignored (may be omitted) for an existing
    /// account.
    #[serde(default)]
    pub name: String,
    /// A new person's chosen password, or an existing account's current one.
    pub password: String,
}

/// Accept an invitation and sign in. A new person sets `name` and
/// `password`; an existing account proves itself with its current
/// `password` (`name` is ignored, nothing of the account changes).
#[utoipa::path(post, path = "/auth/accept-invitation", tag = "identity", request_body = AcceptInvitationBody,
    responses((status = 200, body = TokenResponse), (status = 400, description = "invalid_token"),
        (status = 401, description = "invalid_credentials: not the existing account's password"),
        (status = 403, description = "account_disabled"), (status = 422),
        (status = 429, description = "account_locked")))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<AcceptInvitationBody>,
) -> Result<Json<TokenResponse>, ApiError> {
    service::accept_invitation(&state, &body.token, &body.name, &body.password, &client)
        .await
        .map(Json)
}

/// The signed-in user and their organizations and roles.
#[utoipa::path(get, path = "/me", tag = "identity",
    responses((status = 200, body = MeView)), security(("bearer" = [])))]
pub async fn get_me(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<MeView>, ApiError> {
    service::me(&state, &me).await.map(Json)
}

/// A sign-in session (a device signed in), not an exam session.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SignInSession)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device_fingerprint: Option<String>,
    /// The session this request is made with.
    pub current: bool,
}

/// The signed-in user's live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "identity",
    responses((status = 200, body = Page<SessionView>)), security(("bearer" = [])))]
pub async fn list_my_sessions(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Page<SessionView>>, ApiError> {
    let rows = sessions::list_for_user(state.db.read(), me.id(), state.now()).await?;
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|s| SessionView {
                current: s.id == me.session_id,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                ip: s.ip,
                user_agent: s.user_agent,
                device_fingerprint: s.device_fingerprint,
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Revoke one of your sessions (another person's is 404).
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "identity",
    params(("id" = Uuid, Path)), responses((status = 204), (status = 404)), security(("bearer" = [])))]
pub async fn revoke_my_session(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    if !sessions::revoke_own(&tx, me.id(), id, now).await? {
        return Err(ApiError::NotFound);
    }
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::AuthSessionRevoked,
            id,
            serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(&state).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change your password; every other session is signed out.
#[utoipa::path(post, path = "/me/password", tag = "identity", request_body = ChangePasswordBody,
    responses((status = 204), (status = 422)), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<ChangePasswordBody>,
) -> Result<StatusCode, ApiError> {
    password::change_password(&state, &me, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangeEmailBody {
    pub email: String,
    /// Proves the account holder; a wrong one counts like a failed sign-in.
    pub current_password: String,
}

/// Change your email: a verification link goes to the new address and a
/// notice with a revert link to the current one. Following the verification
/// link applies the change and signs out every other session.
#[utoipa::path(post, path = "/me/email", tag = "identity", request_body = ChangeEmailBody,
    responses((status = 202), (status = 403, description = "forbidden: current_password is not correct"),
        (status = 422), (status = 429, description = "account_locked")), security(("bearer" = [])))]
pub async fn change_email(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiJson(body): ApiJson<ChangeEmailBody>,
) -> Result<StatusCode, ApiError> {
    email::change_email(&state, &me, &body.email, &body.current_password).await?;
    Ok(StatusCode::ACCEPTED)
}
