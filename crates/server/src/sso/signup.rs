//! Self sign-up: the public form's service and the mailed link's.

use chrono::Duration;

use invigil_domain::identity::password::check_new_password;
use invigil_domain::identity::{Email, Role};
use invigil_store::identity::{AccountStatus, OneTimeKind, one_time, users};
use invigil_store::tenancy::{self, Organization};

use super::SIGN_UP_TTL;
use super::service::open_sign_up;
use crate::audit::{Audit, AuditAction};
use crate::http::auth::ClientInfo;
use crate::http::error::{ApiError, FieldError};
use crate::identity::crypto::{hash_token, new_token};
use crate::identity::service::{PersonName, TokenResponse, open_session, rate_limit};
use crate::mail;
use crate::notify::Vars;
use crate::state::AppState;

/// Sign-ups (and verification attempts) per client address per minute:
/// the same budget as sign-in and password reset.
async fn limit(state: &AppState, what: &str, client: &ClientInfo) -> Result<(), ApiError> {
    match client.ip {
        Some(ip) => {
            rate_limit(
                state,
                &format!("{what}:{ip}"),
                state.config.login_rate_per_ip_per_minute,
                Duration::minutes(1),
            )
            .await
        }
        None => Ok(()),
    }
}

/// The organization of a public sign-up page or request: 404 unless it
/// exists and accepts sign-ups.
pub async fn open_org(state: &AppState, slug: &str) -> Result<Organization, ApiError> {
    let org = tenancy::org_by_slug(state.db.read(), slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    if open_sign_up(state, org.id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(org)
}

/// `POST /orgs/{org}/sign-up`. Bad input is a 422 naming the field (and
/// `domain_not_allowed` for an address outside the allow-list); otherwise
/// the answer is the same whether or not the address has an account: a new
/// address gets a PENDING_VERIFICATION account and a verification link, a
/// known one a notice mail to its owner (nothing else changes).
pub async fn sign_up(
    state: &AppState,
    slug: &str,
    email_raw: &str,
    name_raw: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    limit(state, "sign-up-ip", client).await?;
    let org = open_org(state, slug).await?;
    let domains = open_sign_up(state, org.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let email = Email::parse(email_raw)?;
    let name = PersonName::parse("name", name_raw)?.into_string();
    if !domains.allows(email.domain()) {
        return Err(ApiError::Unprocessable {
            code: "domain_not_allowed",
            detail: format!(
                "{} does not accept sign-ups from addresses at {}; use an address at {}.",
                org.name,
                email.domain(),
                domains.as_slice().join(", ")
            ),
        });
    }
    check_new_password(password, Some(email.as_str()))
        .map_err(|e| ApiError::Validation(vec![FieldError::new("password", e.to_string())]))?;
    // Hashed whatever happens next, so both answers take the same time.
    let phc = state.hasher.hash(password).await?;
    let existing = users::by_email(state.db.read(), email.as_str()).await?;
    let now = state.now();
    let token = new_token();
    // An earlier sign-up that was never verified (an account waiting for
    // its link, with the password it chose then): the link is sent again
    // (a new one; the password stays the first). Any other account gets a
    // notice instead, so its owner learns of the attempt.
    if let Some(user) = existing
        .as_ref()
        .filter(|u| u.status == AccountStatus::PendingVerification && u.password_hash.is_some())
    {
        let tx = state.db.begin().await?;
        send_link(&tx, state, &org, user, &token, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    if let Some(user) = existing {
        let tx = state.db.begin().await?;
        crate::notify::mail_to(
            &tx,
            state,
            Some(org.id),
            "sign_up_existing",
            &user.email,
            Vars::new()
                .set("name", &user.name)
                .set("org", &org.name)
                .set("link", format!("{}/signin", state.config.public_base())),
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    let tx = state.db.begin().await?;
    let user = match users::create(
        &tx,
        users::NewUser {
            email: email.as_str().to_owned(),
            name,
            status: AccountStatus::PendingVerification,
            password_hash: Some(phc),
            is_super_admin: false,
            email_verified: false,
        },
        now,
    )
    .await
    {
        Ok(u) => u,
        // Made by a concurrent request meanwhile: same answer, no account.
        Err(invigil_store::StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    send_link(&tx, state, &org, &user, &token, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A `SignUp` one-time token of `org` for `user` and the mail with its link.
async fn send_link(
    tx: &invigil_store::Tx,
    state: &AppState,
    org: &Organization,
    user: &users::User,
    token: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    one_time::create(
        tx,
        one_time::NewOneTime {
            hash: &hash_token(token),
            kind: OneTimeKind::SignUp,
            user_id: user.id,
            email: None,
            org_id: Some(org.id),
            payload: None,
            expires_at: now + SIGN_UP_TTL,
        },
        now,
    )
    .await?;
    crate::notify::mail_to(
        tx,
        state,
        Some(org.id),
        "sign_up_verification",
        &user.email,
        Vars::new()
            .set("name", &user.name)
            .set("org", &org.name)
            .set("link", mail::token_link(state, "sign-up/verify", token)),
    )
    .await?;
    Ok(())
}

/// `POST /auth/sign-up/verify`: uses the link's token up, activates the
/// account (email verified), makes it a CANDIDATE member of the
/// organization and signs in; audited `auth.sign_up`.
pub async fn verify(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> Result<TokenResponse, ApiError> {
    limit(state, "sign-up-verify-ip", client).await?;
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::BadOneTimeToken);
    }
    let now = state.now();
    let tx = state.db.begin().await?;
    let t = one_time::consume(&tx, OneTimeKind::SignUp, &hash_token(token), now)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    let user = users::by_id(&tx, t.user_id)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    let org_id = t.org_id.ok_or(ApiError::BadOneTimeToken)?;
    if user.status != AccountStatus::PendingVerification {
        return Err(ApiError::BadOneTimeToken);
    }
    users::set_email_verified(&tx, user.id, &user.email, now).await?;
    users::set_status(&tx, user.id, AccountStatus::Active, now).await?;
    tenancy::ensure_member(&tx, org_id, user.id, now).await?;
    tenancy::add_roles(&tx, org_id, user.id, &[(Role::Candidate, None)], now).await?;
    let user = users::User {
        status: AccountStatus::Active,
        email_verified_at: Some(now),
        ..user
    };
    let (session_id, response) = open_session(&tx, &user, client, None, now).await?;
    users::touch_login(&tx, user.id, now).await?;
    Audit::user(user.id, client, Some(org_id), now)
        .record(
            &tx,
            AuditAction::AuthSignUp,
            user.id,
            serde_json::json!({ "via": "password", "session_id": session_id, "roles": ["CANDIDATE"] }),
        )
        .await?;
    tx.commit().await?;
    Ok(response)
}
