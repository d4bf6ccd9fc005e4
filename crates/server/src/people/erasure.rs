//! Erasure of a person (issue 16 item 1, super admin): their personal data
//! is deleted or anonymized in every module, in one transaction, while
//! their graded records (exam sessions, answers, scores, audit entries)
//! stay, now pointing at an anonymous account. The one list of per-module
//! steps is [`erase_in_modules`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::RevokeReason;
use invigil_domain::text::Text;
use invigil_store::identity::{one_time, sessions, users};
use invigil_store::{StoreError, Tx, people};

use super::accounts::AccountAdmin;
use crate::audit::AuditAction;
use crate::files::blob::BlobKey;
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureBody {
    /// Why (1-500 characters), kept in the audit log.
    pub reason: String,
}

/// What the erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureSummary {
    pub user_id: Uuid,
    /// The anonymous name the account now has.
    pub name: String,
    pub email: String,
    pub sessions_revoked: u64,
    pub one_time_tokens_deleted: u64,
    pub avatar_removed: bool,
    /// The modules whose personal data was erased, in order.
    pub modules: Vec<&'static str>,
}

/// Every module's erasure of the person's data, in one transaction. Each
/// module owns its tables: add a module here with ONE line.
async fn erase_in_modules(
    tx: &Tx,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<&'static str>, StoreError> {
    let mut done = Vec::new();
    invigil_store::people::erase_person(tx, user_id).await?;
    done.push("people");
    invigil_store::tenancy::erase_person(tx, user_id).await?;
    done.push("tenancy");
    invigil_store::notify::erase_person(tx, user_id).await?;
    done.push("notify");
    invigil_store::sso::erase_person(tx, user_id).await?;
    done.push("sso");
    invigil_store::certificates::erase_person(tx, user_id).await?;
    done.push("certificates");
    invigil_store::hiring::erase_person(tx, user_id).await?;
    done.push("hiring");
    invigil_store::practice::erase_person(tx, user_id, now).await?;
    done.push("practice");
    Ok(done)
}

/// `POST /users/{id}/erasure` (`user.erased`, with the SHA-256 of the old
/// email, never the email). 409 `already_erased` the second time, 409
/// `super_admin` for a super admin, 403 for oneself.
pub async fn erase(
    state: &AppState,
    admin: &AccountAdmin,
    user_id: Uuid,
    body: ErasureBody,
) -> Result<ErasureSummary, ApiError> {
    if user_id == admin.actor.user_id {
        return Err(ApiError::Denied(
            "nobody erases their own account here".into(),
        ));
    }
    let reason = Text::<500>::parse("reason", &body.reason)
        .map_err(|e| ApiError::Validation(vec![FieldError::new("reason", e.to_string())]))?;
    let now = state.now();
    let tx = state.db.begin().await?;
    let user = users::by_id(&tx, user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if user.email == people::erased_email(user_id) {
        return Err(ApiError::conflict_code(
            "already_erased",
            "this account was erased already",
        ));
    }
    if user.is_super_admin {
        return Err(ApiError::conflict_code(
            "super_admin",
            "a super admin cannot be erased; revoke the platform role first",
        ));
    }
    let avatar = people::avatar_key(&tx, user_id).await?;
    let revoked =
        sessions::revoke_all_for_user(&tx, user_id, None, RevokeReason::AccountErased, now).await?;
    let tokens = one_time::delete_all_for_user(&tx, user_id).await?;
    let modules = erase_in_modules(&tx, user_id, now).await?;
    people::anonymize_user(&tx, user_id, now).await?;
    let email_sha256 = hex::encode(Sha256::digest(user.email.as_bytes()));
    admin
        .audit(now)
        .record(
            &tx,
            AuditAction::UserErased,
            user_id,
            serde_json::json!({ "email_sha256": email_sha256, "reason": reason.as_str(),
                "sessions_revoked": revoked, "modules": modules }),
        )
        .await?;
    tx.commit().await?;
    crate::delivery::hot::standing_changed(state).await;
    if let Some(key) = avatar.as_deref().and_then(|k| BlobKey::parse(k).ok())
        && let Err(e) = state.blobs.files.delete(&key).await
    {
        tracing::warn!(error = %e, "removing an erased person's avatar failed");
    }
    let after = users::by_id(state.db.read(), user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ErasureSummary {
        user_id,
        name: after.name,
        email: after.email,
        sessions_revoked: revoked,
        one_time_tokens_deleted: tokens,
        avatar_removed: avatar.is_some(),
        modules,
    })
}
