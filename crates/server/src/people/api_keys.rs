//! API keys of an organization (issue 16 item 8): made by ORG_ADMIN with a
//! set of the organization's roles, shown once (`ivk_` + 32 random bytes,
//! base64url), stored only as their SHA-256. A key authenticates as
//! `Authorization: Bearer ivk_...` on its organization's routes only, with
//! only its roles; its actions are audited with the key's creator as the
//! actor and the key's id in the details.

use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::{AccountStatus, Role};
use invigil_domain::people::check_key_roles;
use invigil_domain::text::Text;
use invigil_store::identity::users;
use invigil_store::people::{self, ApiKey};

use crate::audit::AuditAction;
use crate::authz::Authorized;
use crate::http::auth::{ClientInfo, CurrentUser, bearer};
use crate::http::error::{ApiError, FieldError};
use crate::http::page::Page;
use crate::identity::crypto::{hash_token, new_token};
use crate::state::AppState;
use axum::extract::FromRequestParts;

/// The prefix of every key's secret.
pub const PREFIX: &str = "ivk_";

/// Whether a bearer credential is an API key (by its prefix).
pub fn is_api_key(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// An authenticated key: its organization, roles, and the creator it acts
/// as (with the key's id in the client info, for audit entries).
#[derive(Debug, Clone)]
pub struct KeyPrincipal {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub roles: Vec<Role>,
    pub user: CurrentUser,
}

/// The key of the request's bearer credential: 401 `invalid_token` when it
/// is unknown, revoked or expired, or its creator's account is not ACTIVE.
/// Marks it used (at most once a minute).
pub async fn authenticate(parts: &mut Parts, state: &AppState) -> Result<KeyPrincipal, ApiError> {
    let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
    let now = state.now();
    let key = people::usable_api_key(state.db.read(), &hash_token(token), now)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let user = users::by_id(state.db.read(), key.created_by)
        .await?
        .filter(|u| u.status == AccountStatus::Active)
        .ok_or(ApiError::InvalidToken)?;
    if key
        .last_used_at
        .is_none_or(|t| t < now - chrono::Duration::minutes(1))
    {
        people::touch_api_key(state.db.write(), key.id, now).await?;
    }
    let mut client = ClientInfo::from_request_parts(parts, state).await?;
    client.api_key_id = Some(key.id);
    Ok(KeyPrincipal {
        key_id: key.id,
        org_id: key.org_id,
        roles: roles_of(&key),
        user: CurrentUser {
            user,
            session_id: key.id,
            client,
        },
    })
}

fn roles_of(key: &ApiKey) -> Vec<Role> {
    serde_json::from_str(&key.roles).unwrap_or_default()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyBody {
    /// What the key is for (1-100 characters).
    pub name: String,
    /// Roles of the organization, not SUPER_ADMIN nor CANDIDATE.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    /// When the key stops working (in the future); none: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as listed: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the secret.
    pub prefix: String,
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            roles: roles_of(&k),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_by: k.created_by,
            created_at: k.created_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A new key with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyView,
    pub secret: String,
}

/// Makes a key (`api_key.created`).
pub async fn create(
    state: &AppState,
    auth: &Authorized,
    body: CreateKeyBody,
) -> Result<CreatedKey, ApiError> {
    let now = state.now();
    let mut errors = Vec::new();
    let name = Text::<100>::parse("name", &body.name)
        .map_err(|e| errors.push(FieldError::new("name", e.to_string())))
        .ok();
    let roles = check_key_roles(&body.roles)
        .map_err(|m| errors.push(FieldError::new("roles", m)))
        .ok();
    if body.expires_at.is_some_and(|t| t <= now) {
        errors.push(FieldError::new("expires_at", "must be in the future"));
    }
    let (Some(name), Some(roles), true) = (name, roles, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let secret = format!("{PREFIX}{}", new_token());
    let row = ApiKey {
        id: Uuid::now_v7(),
        org_id: auth.org_id,
        name: name.into_string(),
        prefix: secret.chars().take(PREFIX.len() + 6).collect(),
        hash: hash_token(&secret),
        roles: serde_json::to_string(&roles).map_err(ApiError::caused_by)?,
        created_by: auth.actor.user_id,
        created_at: now,
        expires_at: body.expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    let tx = state.db.begin().await?;
    let row = people::insert_api_key(&tx, row).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ApiKeyCreated,
            row.id,
            serde_json::json!({"name": row.name, "roles": roles, "expires_at": row.expires_at}),
        )
        .await?;
    tx.commit().await?;
    Ok(CreatedKey {
        key: row.into(),
        secret,
    })
}

pub async fn list(
    state: &AppState,
    auth: &Authorized,
    page: invigil_store::Keyset<Uuid>,
) -> Result<Page<ApiKeyView>, ApiError> {
    let rows = people::api_keys(state.db.read(), auth.org_id, page).await?;
    Ok(Page::from_keyset(rows, ApiKeyView::from))
}

/// Revokes a key (`api_key.revoked`); 404 for another organization's key,
/// 409 for one revoked already.
pub async fn revoke(state: &AppState, auth: &Authorized, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let key = people::api_key(&tx, auth.org_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !people::revoke_api_key(&tx, auth.org_id, id, now).await? {
        return Err(ApiError::conflict("the key is revoked already"));
    }
    auth.audit(now)
        .record(
            &tx,
            AuditAction::ApiKeyRevoked,
            id,
            serde_json::json!({"name": key.name}),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}
