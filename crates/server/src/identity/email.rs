//! The account's email address: verification, change (with the current
//! password and a revert link to the old address) and revert.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use invigil_domain::identity::{Email, EmailError, RevokeReason};
use invigil_store::identity::sessions;
use invigil_store::identity::{OneTimeKind, one_time, users};
use invigil_store::{StoreError, Tx};

use super::crypto::{hash_token, new_token};
use super::service::*;
use super::{EMAIL_REVERT_TTL, VERIFY_EMAIL_TTL};
use crate::audit::{Audit, AuditAction};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::mail;
use crate::notify::Vars;
use crate::state::AppState;

/// An address that does not parse is a 422 on the `email` field (every
/// request that takes an address names it `email`).
impl From<EmailError> for ApiError {
    fn from(e: EmailError) -> Self {
        ApiError::field("email", e.to_string())
    }
}

/// `POST /auth/verify-email`: confirms an address, or applies an email change.
pub async fn verify_email(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let (t, user) = consume_token(&tx, OneTimeKind::VerifyEmail, &hash_token(token), now).await?;
    let new_email = t.email.clone().unwrap_or_else(|| user.email.clone());
    set_email(
        &tx,
        user.id,
        &new_email,
        now,
        "another account uses this email",
    )
    .await?;
    let mut revoked = 0;
    if new_email != user.email {
        // Every other session ends; the one that asked for the change stays.
        let keep = t.payload_as::<EmailChangePayload>()?.map(|p| p.session_id);
        revoked =
            sessions::revoke_all_for_user(&tx, user.id, keep, RevokeReason::EmailChanged, now)
                .await?;
    }
    Audit::user(user.id, client, None, now)
        .record(
            &tx,
            AuditAction::AuthEmailVerified,
            user.id,
            serde_json::json!({ "from": user.email, "to": new_email, "sessions_revoked": revoked }),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}

/// Sets the account's (verified) address; `taken` is the 409 detail when
/// another account has it.
async fn set_email(
    tx: &Tx,
    user_id: Uuid,
    email: &str,
    now: DateTime<Utc>,
    taken: &str,
) -> Result<(), ApiError> {
    users::set_email_verified(tx, user_id, email, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict(taken),
            other => other.into(),
        })
}

/// What an email-change token remembers: the session that asked, which
/// stays signed in when the change applies.
#[derive(Debug, Serialize, serde::Deserialize)]
struct EmailChangePayload {
    session_id: Uuid,
}

/// `POST /me/email`: needs the current password (a wrong one counts like a
/// failed sign-in). Mails a verification link to the new address and a
/// notice with a one-click revert link (7 days) to the old one; the change
/// applies when the verification link is followed.
pub async fn change_email(
    state: &AppState,
    me: &CurrentUser,
    email_raw: &str,
    current_password: &str,
) -> Result<(), ApiError> {
    let email = Email::parse(email_raw)?;
    if email.as_str() == me.user.email {
        return Err(ApiError::field("email", "is already your address"));
    }
    if !prove_password(state, &me.user, current_password, &me.client).await? {
        return Err(ApiError::Denied("current_password is not correct".into()));
    }
    if users::by_email(state.db.read(), email.as_str())
        .await?
        .is_some()
    {
        // Say nothing about other accounts.
        return Ok(());
    }
    let now = state.now();
    let token = new_token();
    let revert = new_token();
    let payload = serde_json::to_string(&EmailChangePayload {
        session_id: me.session_id,
    })
    .map_err(ApiError::caused_by)?;
    let tx = state.db.begin().await?;
    one_time::delete_for_user(&tx, me.id(), OneTimeKind::VerifyEmail).await?;
    one_time::create(
        &tx,
        one_time::NewOneTime {
            hash: &hash_token(&token),
            kind: OneTimeKind::VerifyEmail,
            user_id: me.id(),
            email: Some(email.as_str().to_owned()),
            org_id: None,
            payload: Some(payload),
            expires_at: now + VERIFY_EMAIL_TTL,
        },
        now,
    )
    .await?;
    // Earlier revert links stay valid: an attacker changing the address twice
    // must not cancel the owner's way back.
    one_time::create(
        &tx,
        one_time::NewOneTime {
            hash: &hash_token(&revert),
            kind: OneTimeKind::EmailRevert,
            user_id: me.id(),
            email: Some(me.user.email.clone()),
            org_id: None,
            payload: None,
            expires_at: now + EMAIL_REVERT_TTL,
        },
        now,
    )
    .await?;
    let link = mail::token_link(state, "verify-email", &token);
    crate::notify::mail_to(
        &tx,
        state,
        None,
        "email_verification",
        email.as_str(),
        Vars::new().set("name", &me.user.name).set("link", link),
    )
    .await?;
    let revert_link = mail::token_link(state, "revert-email", &revert);
    crate::notify::mail_to(
        &tx,
        state,
        None,
        "email_change_notice",
        &me.user.email,
        Vars::new()
            .set("name", &me.user.name)
            .set("new_email", email.as_str())
            .set("link", revert_link),
    )
    .await?;
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::AuthEmailChangeRequested,
            me.id(),
            serde_json::json!({ "from": me.user.email, "to": email.as_str() }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /auth/revert-email`: the link mailed to the old address on an email
/// change. Restores that address (cancelling changes requested after it),
/// signs out every session of the account, and is audited.
pub async fn revert_email(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let (t, user) = consume_token(&tx, OneTimeKind::EmailRevert, &hash_token(token), now).await?;
    let old_email = t.email.clone().ok_or(ApiError::BadOneTimeToken)?;
    // Pending and later changes go, and so do the revert links those later
    // changes sent (to addresses the attacker may hold).
    one_time::delete_for_user(&tx, user.id, OneTimeKind::VerifyEmail).await?;
    one_time::delete_for_user_after(&tx, user.id, OneTimeKind::EmailRevert, t.created_at).await?;
    if old_email != user.email {
        set_email(
            &tx,
            user.id,
            &old_email,
            now,
            "another account uses this email now",
        )
        .await?;
    }
    let revoked =
        sessions::revoke_all_for_user(&tx, user.id, None, RevokeReason::EmailReverted, now).await?;
    Audit::user(user.id, client, None, now)
        .record(
            &tx,
            AuditAction::AuthEmailReverted,
            user.id,
            serde_json::json!({ "from": user.email, "to": old_email, "sessions_revoked": revoked }),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}
