//! Passwords: reset by mail, confirm, and change by the signed-in user.

use invigil_domain::identity::password::{PasswordError, check_new_password};
use invigil_domain::identity::{Email, RevokeReason};
use invigil_store::identity::sessions;
use invigil_store::identity::{AccountStatus, OneTimeKind, one_time, throttle, users};

use super::PASSWORD_RESET_TTL;
use super::crypto::{hash_token, new_token};
use super::service::*;
use crate::audit::{Audit, AuditAction};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::mail;
use crate::state::AppState;

/// `POST /auth/password-reset`: the same answer whether or not the email
/// belongs to an account.
pub async fn request_password_reset(
    state: &AppState,
    email_raw: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    limit_ip(state, "reset-ip", client).await?;
    let Ok(email) = Email::parse(email_raw) else {
        return Ok(());
    };
    let Some(user) = users::by_email(state.db.read(), email.as_str()).await? else {
        return Ok(());
    };
    if user.status != AccountStatus::Active {
        return Ok(());
    }
    let now = state.now();
    let token = new_token();
    let tx = state.db.begin().await?;
    one_time::delete_for_user(&tx, user.id, OneTimeKind::PasswordReset).await?;
    one_time::create(
        &tx,
        one_time::NewOneTime {
            hash: &hash_token(&token),
            kind: OneTimeKind::PasswordReset,
            user_id: user.id,
            email: None,
            org_id: None,
            payload: None,
            expires_at: now + PASSWORD_RESET_TTL,
        },
        now,
    )
    .await?;
    let link = mail::token_link(state, "reset-password", &token);
    crate::notify::mail_to(
        &tx,
        state,
        None,
        "password_reset",
        &user.email,
        crate::notify::Vars::new()
            .set("name", &user.name)
            .set("link", link),
    )
    .await?;
    Audit::user(user.id, client, None, now)
        .record(
            &tx,
            AuditAction::AuthPasswordResetRequested,
            user.id,
            serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /auth/password-reset/confirm`: sets the password and signs the user
/// out everywhere.
pub async fn confirm_password_reset(
    state: &AppState,
    token: &str,
    new_password: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let hash = hash_token(token);
    let now = state.now();
    let user = peek_token_user(state, OneTimeKind::PasswordReset, &hash, now).await?;
    check_new_password(new_password, Some(&user.email))
        .map_err(|e| password_error("new_password", e))?;
    if state
        .hasher
        .verify(new_password, user.password_hash.as_deref())
        .await?
        .ok
    {
        return Err(password_error("new_password", PasswordError::SameAsCurrent));
    }
    let phc = state.hasher.hash(new_password).await?;
    let tx = state.db.begin().await?;
    one_time::consume(&tx, OneTimeKind::PasswordReset, &hash, now)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    users::set_password_hash(&tx, user.id, &phc, now).await?;
    let revoked =
        sessions::revoke_all_for_user(&tx, user.id, None, RevokeReason::PasswordReset, now).await?;
    throttle::put(
        &tx,
        &format!("login:{}", user.email),
        throttle::ThrottleRow::default(),
    )
    .await?;
    Audit::user(user.id, client, None, now)
        .record(
            &tx,
            AuditAction::AuthPasswordReset,
            user.id,
            serde_json::json!({ "sessions_revoked": revoked }),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}

/// `POST /me/password`: every other session is signed out.
pub async fn change_password(
    state: &AppState,
    me: &CurrentUser,
    current: &str,
    new: &str,
) -> Result<(), ApiError> {
    if !prove_password(state, &me.user, current, &me.client).await? {
        return Err(ApiError::field("current_password", "is not correct"));
    }
    if new == current {
        return Err(password_error("new_password", PasswordError::SameAsCurrent));
    }
    check_new_password(new, Some(&me.user.email)).map_err(|e| password_error("new_password", e))?;
    let phc = state.hasher.hash(new).await?;
    let now = state.now();
    let tx = state.db.begin().await?;
    users::set_password_hash(&tx, me.id(), &phc, now).await?;
    let revoked = sessions::revoke_all_for_user(
        &tx,
        me.id(),
        Some(me.session_id),
        RevokeReason::PasswordChanged,
        now,
    )
    .await?;
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::AuthPasswordChanged,
            me.id(),
            serde_json::json!({ "sessions_revoked": revoked }),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}
