//! The platform's account administration (super admin, `ManageAccounts`):
//! searching people and setting an account's status. Suspending or
//! deactivating signs the person out everywhere.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use invigil_domain::identity::{AccountStatus, Action, Decision, RevokeReason, decide};
use invigil_domain::text::Text;
use invigil_store::identity::{sessions, users};
use invigil_store::people;

use crate::audit::{Audit, AuditAction};
use crate::authz::Actor;
use crate::http::auth::CurrentUser;
use crate::http::error::{ApiError, FieldError};
use crate::http::page::Page;
use crate::state::AppState;

/// Proof that the caller may administer accounts (platform-wide).
#[must_use]
#[derive(Debug, Clone)]
pub struct AccountAdmin {
    pub actor: Actor,
}

impl AccountAdmin {
    /// 403 unless the policy allows `ManageAccounts` (super admins only).
    pub fn of(me: &CurrentUser) -> Result<AccountAdmin, ApiError> {
        match decide(me.user.is_super_admin, &[], Action::ManageAccounts, None) {
            Decision::Allow => Ok(AccountAdmin {
                actor: Actor::from(me),
            }),
            Decision::Deny => Err(ApiError::Forbidden),
        }
    }

    pub fn audit(&self, now: DateTime<Utc>) -> Audit<'_> {
        Audit::by(&self.actor, None, now)
    }
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Part of the email or name (case-insensitive).
    pub q: Option<String>,
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    #[schema(value_type = String)]
    pub status: AccountStatus,
    pub is_super_admin: bool,
    pub email_verified: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<users::User> for UserView {
    fn from(u: users::User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            status: u.status,
            is_super_admin: u.is_super_admin,
            email_verified: u.email_verified_at.is_some(),
            last_login_at: u.last_login_at,
            created_at: u.created_at,
        }
    }
}

pub async fn search(
    state: &AppState,
    _admin: &AccountAdmin,
    q: &UserQuery,
) -> Result<Page<UserView>, ApiError> {
    let page = crate::http::page::PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    }
    .keyset()?;
    let term = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => Some(
            Text::<200>::parse("q", t)
                .map_err(|e| ApiError::field("q", e.to_string()))?
                .into_string(),
        ),
    };
    let rows = people::search_users(state.db.read(), term.as_deref(), page).await?;
    Ok(Page::from_keyset(rows, UserView::from))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    #[schema(value_type = String)]
    pub status: AccountStatus,
    /// Why (1-500 characters), kept in the audit log.
    pub reason: String,
}

/// `PATCH /users/{id}` (`user.status_changed` {from, to, reason}). Nobody
/// changes their own status (403); an erased account stays as it is (409).
pub async fn set_status(
    state: &AppState,
    admin: &AccountAdmin,
    user_id: Uuid,
    body: StatusBody,
) -> Result<UserView, ApiError> {
    if user_id == admin.actor.user_id {
        return Err(ApiError::Denied(
            "nobody changes their own account status".into(),
        ));
    }
    let reason = Text::<500>::parse("reason", &body.reason)
        .map_err(|e| ApiError::Validation(vec![FieldError::new("reason", e.to_string())]))?;
    let now = state.now();
    let tx = state.db.begin().await?;
    let before = users::by_id(&tx, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if before.email == people::erased_email(user_id) {
        return Err(ApiError::conflict_code(
            "already_erased",
            "this account was erased",
        ));
    }
    users::set_status(&tx, user_id, body.status, now).await?;
    let revoked = if body.status == AccountStatus::Active {
        0
    } else {
        sessions::revoke_all_for_user(&tx, user_id, None, RevokeReason::AccountStatusChanged, now)
            .await?
    };
    admin
        .audit(now)
        .record(
            &tx,
            AuditAction::UserStatusChanged,
            user_id,
            serde_json::json!({ "from": before.status, "to": body.status,
                "reason": reason.as_str(), "sessions_revoked": revoked }),
        )
        .await?;
    tx.commit().await?;
    // Cached principals of the hot path must not outlive the change.
    crate::delivery::hot::standing_changed(state).await;
    let after = users::by_id(state.db.read(), user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(after.into())
}
