//! Identity services: each public function is one use case, with its
//! transaction and audit entries. Handlers call these and map the result.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::identity::lockout::{LockoutPolicy, RateWindow, Throttle, rate_check};
use invigil_domain::identity::password::{PasswordError, check_new_password};
use invigil_domain::identity::{Email, MemberStatus, RevokeReason, Role};
use invigil_domain::text::Text;
use invigil_store::Tx;
use invigil_store::identity::one_time::OneTimeToken;
use invigil_store::identity::sessions::{self, ClientMeta, IssuedPair, RefreshOutcome};
use invigil_store::identity::{AccountStatus, OneTimeKind, one_time, throttle, users};
use invigil_store::tenancy;

use super::crypto::{hash_token, new_token};
use super::{ACCESS_TTL_MINUTES, REFRESH_TTL_DAYS};
use crate::audit::{Audit, AuditAction};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserSummary,
}

pub(crate) struct NewPair {
    access: String,
    refresh: String,
    issued: IssuedPair,
}

pub(crate) fn new_pair(now: DateTime<Utc>) -> NewPair {
    let access = new_token();
    let refresh = new_token();
    let issued = IssuedPair {
        access_hash: hash_token(&access),
        access_expires_at: now + Duration::minutes(ACCESS_TTL_MINUTES),
        refresh_hash: hash_token(&refresh),
        refresh_expires_at: now + Duration::days(REFRESH_TTL_DAYS),
    };
    NewPair {
        access,
        refresh,
        issued,
    }
}

pub(super) fn token_response(pair: NewPair, user: &users::User) -> TokenResponse {
    TokenResponse {
        access_token: pair.access,
        refresh_token: pair.refresh,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_MINUTES * 60,
        user: UserSummary {
            id: user.id,
            email: user.email.clone(),
            name: user.name.clone(),
        },
    }
}

pub(super) fn meta(client: &ClientInfo, fingerprint: Option<String>) -> ClientMeta {
    ClientMeta {
        ip: client.ip_string(),
        user_agent: client.user_agent.clone(),
        device_fingerprint: fingerprint.map(|f| f.chars().take(256).collect()),
    }
}

/// The key under which failures are counted: the normalised email when it
/// parses, else the trimmed lower-cased input (so garbage counts too).
pub(super) fn throttle_key(raw: &str) -> String {
    let norm = Email::parse(raw)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| raw.trim().to_lowercase().chars().take(320).collect());
    format!("login:{norm}")
}

pub(super) fn to_throttle(r: throttle::ThrottleRow) -> Throttle {
    Throttle {
        failures: r.failures,
        window_started_at: r.window_started_at,
        locked_until: r.locked_until,
        lock_streak: r.lock_streak,
        last_locked_at: r.last_locked_at,
    }
}

pub(super) fn to_row(t: Throttle) -> throttle::ThrottleRow {
    throttle::ThrottleRow {
        failures: t.failures,
        window_started_at: t.window_started_at,
        locked_until: t.locked_until,
        lock_streak: t.lock_streak,
        last_locked_at: t.last_locked_at,
    }
}

/// Counts a request against a fixed-window limit shared by all replicas.
pub async fn rate_limit(
    state: &AppState,
    key: &str,
    limit: u32,
    window: Duration,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let current = throttle::rate_get(&tx, key)
        .await?
        .map(|(window_start, count)| RateWindow {
            window_start,
            count,
        });
    match rate_check(current.as_ref(), now, window, limit) {
        Ok(w) => {
            throttle::rate_put(&tx, key, w.window_start, w.count).await?;
            tx.commit().await?;
            Ok(())
        }
        Err(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
    }
}

pub(super) async fn limit_ip(
    state: &AppState,
    what: &str,
    client: &ClientInfo,
) -> Result<(), ApiError> {
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

pub(super) fn password_error(field: &str, e: PasswordError) -> ApiError {
    ApiError::Validation(vec![FieldError::new(field, e.to_string())])
}

/// Checks a password an already identified account presents to prove itself
/// (password change, email change, accepting an invitation as an existing
/// account). Refused while the email is locked; a wrong password counts like
/// a failed sign-in (same key, same lockout) and is audited.
pub(super) async fn prove_password(
    state: &AppState,
    user: &users::User,
    password: &str,
    client: &ClientInfo,
) -> Result<bool, ApiError> {
    let key = format!("login:{}", user.email);
    let policy = LockoutPolicy::default();
    let now = state.now();
    let t = to_throttle(throttle::get(state.db.read(), &key).await?);
    if let Err(retry_after_secs) = policy.check(&t, now) {
        return Err(ApiError::AccountLocked { retry_after_secs });
    }
    let ok = state
        .hasher
        .verify(password, user.password_hash.as_deref())
        .await?
        .ok;
    if !ok {
        let now = state.now();
        let tx = state.db.begin().await?;
        let latest = to_throttle(throttle::get(&tx, &key).await?);
        let (next, locked) = policy.on_failure(&latest, now);
        throttle::put(&tx, &key, to_row(next)).await?;
        Audit::user(user.id, client, None, now)
            .record(
                &tx,
                AuditAction::AuthPasswordCheckFailed,
                user.id,
                serde_json::json!({ "locked": locked }),
            )
            .await?;
        tx.commit().await?;
    }
    Ok(ok)
}

/// `POST /auth/login`.
pub async fn login(
    state: &AppState,
    email_raw: &str,
    password: &str,
    fingerprint: Option<String>,
    client: &ClientInfo,
) -> Result<TokenResponse, ApiError> {
    limit_ip(state, "login-ip", client).await?;
    let now = state.now();
    let key = throttle_key(email_raw);
    let policy = LockoutPolicy::default();
    let current = to_throttle(throttle::get(state.db.read(), &key).await?);
    if let Err(retry_after_secs) = policy.check(&current, now) {
        return Err(ApiError::AccountLocked { retry_after_secs });
    }
    let email = Email::parse(email_raw).ok();
    let user = match &email {
        Some(e) => users::by_email(state.db.read(), e.as_str()).await?,
        None => None,
    };
    let verified = state
        .hasher
        .verify(
            password,
            user.as_ref().and_then(|u| u.password_hash.as_deref()),
        )
        .await?;
    let now = state.now();
    let tx = state.db.begin().await?;
    let Some(user) = user.filter(|_| verified.ok) else {
        let latest = to_throttle(throttle::get(&tx, &key).await?);
        let (next, locked) = policy.on_failure(&latest, now);
        throttle::put(&tx, &key, to_row(next)).await?;
        let who = key.trim_start_matches("login:").to_owned();
        Audit::anonymous(client, None, now)
            .record(
                &tx,
                AuditAction::AuthLoginFailed,
                who.clone(),
                serde_json::json!({}),
            )
            .await?;
        if locked {
            Audit::anonymous(client, None, now)
                .record(
                    &tx,
                    AuditAction::AuthLocked,
                    who,
                    serde_json::json!({ "locked_until": next.locked_until }),
                )
                .await?;
        }
        tx.commit().await?;
        return Err(ApiError::InvalidCredentials);
    };
    if user.status != AccountStatus::Active {
        return Err(ApiError::AccountDisabled);
    }
    if current != Throttle::default() {
        throttle::put(&tx, &key, to_row(policy.on_success(&current))).await?;
    }
    if verified.needs_rehash {
        let phc = state.hasher.hash(password).await?;
        users::set_password_hash(&tx, user.id, &phc, now).await?;
    }
    let (session_id, response) = open_session(&tx, &user, client, fingerprint, now).await?;
    users::touch_login(&tx, user.id, now).await?;
    Audit::user(user.id, client, None, now)
        .record(
            &tx,
            AuditAction::AuthLogin,
            session_id,
            serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    Ok(response)
}

/// Opens a session for `user` in the caller's transaction and returns the
/// token pair (sign-in, accepted invitation, test fixtures).
pub async fn open_session(
    tx: &invigil_store::Tx,
    user: &users::User,
    client: &ClientInfo,
    fingerprint: Option<String>,
    now: DateTime<Utc>,
) -> Result<(Uuid, TokenResponse), ApiError> {
    let pair = new_pair(now);
    let session_id =
        sessions::create(tx, user.id, meta(client, fingerprint), &pair.issued, now).await?;
    Ok((session_id, token_response(pair, user)))
}

/// `POST /auth/refresh`.
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    client: &ClientInfo,
) -> Result<TokenResponse, ApiError> {
    let now = state.now();
    let pair = new_pair(now);
    let window =
        Duration::seconds(i64::try_from(state.config.refresh_retry_window_secs).unwrap_or(0));
    let outcome = sessions::refresh(
        &state.db,
        &hash_token(refresh_token),
        &pair.issued,
        window,
        now,
    )
    .await?;
    match outcome {
        RefreshOutcome::Rotated { user_id, .. } | RefreshOutcome::Retried { user_id, .. } => {
            let user = users::by_id(state.db.read(), user_id)
                .await?
                .ok_or(ApiError::InvalidToken)?;
            if user.status != AccountStatus::Active {
                return Err(ApiError::InvalidToken);
            }
            Ok(token_response(pair, &user))
        }
        RefreshOutcome::Reused {
            session_id,
            user_id,
        } => {
            let tx = state.db.begin().await?;
            Audit::user(user_id, client, None, now)
                .record(
                    &tx,
                    AuditAction::AuthRefreshTokenReused,
                    session_id,
                    serde_json::json!({ "effect": "session revoked" }),
                )
                .await?;
            tx.commit().await?;
            // Whatever was revoked no longer works on the autosave path.
            crate::delivery::hot::standing_changed(state).await;
            Err(ApiError::InvalidToken)
        }
        RefreshOutcome::Invalid => Err(ApiError::InvalidToken),
    }
}

/// `POST /auth/logout`.
pub async fn logout(state: &AppState, me: &CurrentUser) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    sessions::revoke(&tx, me.session_id, RevokeReason::Logout, now).await?;
    Audit::user(me.id(), &me.client, None, now)
        .record(
            &tx,
            AuditAction::AuthLogout,
            me.session_id,
            serde_json::json!({}),
        )
        .await?;
    tx.commit().await?;
    // Whatever was revoked no longer works on the autosave path.
    crate::delivery::hot::standing_changed(state).await;
    Ok(())
}

/// Uses up a one-time token of `kind` and reads its user; a token that is
/// unknown, expired, used or of a user that is gone is `BadOneTimeToken`.
pub(super) async fn consume_token(
    tx: &Tx,
    kind: OneTimeKind,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(OneTimeToken, users::User), ApiError> {
    let t = one_time::consume(tx, kind, hash, now)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    let user = users::by_id(tx, t.user_id)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    Ok((t, user))
}

/// The user a one-time token belongs to, without using the token up.
pub(super) async fn peek_token_user(
    state: &AppState,
    kind: OneTimeKind,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<users::User, ApiError> {
    let token = one_time::find(state.db.read(), kind, hash)
        .await?
        .ok_or(ApiError::BadOneTimeToken)?;
    if token.expires_at <= now {
        return Err(ApiError::BadOneTimeToken);
    }
    users::by_id(state.db.read(), token.user_id)
        .await?
        .ok_or(ApiError::BadOneTimeToken)
}

/// A person's name.
pub type PersonName = Text<200>;

pub(super) fn valid_name(name: &str) -> Result<String, ApiError> {
    Ok(PersonName::parse("name", name)?.into_string())
}

/// `POST /auth/accept-invitation`. Two cases, decided by the account the
/// invitation was made for:
/// - a new person (PENDING_VERIFICATION): `name` and `password` are set, the
///   account becomes ACTIVE and verified, and signs in;
/// - an existing account: `password` must be the account's current password
///   (a wrong one counts like a failed sign-in, 401 `invalid_credentials`,
///   and the link stays usable), `name` is ignored, nothing of the account
///   changes. An old link can never set an existing account's password.
///
/// Either way the invitation's organization membership and roles are added
/// and the answer is a sign-in like `POST /auth/login`.
pub async fn accept_invitation(
    state: &AppState,
    token: &str,
    name: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<TokenResponse, ApiError> {
    let hash = hash_token(token);
    let now = state.now();
    let user = peek_token_user(state, OneTimeKind::Invitation, &hash, now).await?;
    let pending = user.status == AccountStatus::PendingVerification;
    let phc = if pending {
        let name = valid_name(name)?;
        check_new_password(password, Some(&user.email))
            .map_err(|e| password_error("password", e))?;
        let phc = state.hasher.hash(password).await?;
        Some((name, phc))
    } else {
        if !prove_password(state, &user, password, client).await? {
            return Err(ApiError::InvalidCredentials);
        }
        if user.status != AccountStatus::Active {
            return Err(ApiError::AccountDisabled);
        }
        None
    };
    let now = state.now();
    let tx = state.db.begin().await?;
    let (t, current) = consume_token(&tx, OneTimeKind::Invitation, &hash, now).await?;
    if current.status != user.status {
        // The account changed state between the check and now (activated
        // another way, or suspended): the caller must try again.
        tx.commit().await?;
        return Err(ApiError::BadOneTimeToken);
    }
    let user = match phc {
        Some((name, phc)) => {
            users::set_password_hash(&tx, current.id, &phc, now).await?;
            users::set_name(&tx, current.id, &name, now).await?;
            users::set_email_verified(&tx, current.id, &current.email, now).await?;
            users::set_status(&tx, current.id, AccountStatus::Active, now).await?;
            // Exams they were invited to are now accepted.
            invigil_store::exams::accept_invited_enrollments(&tx, current.id, now).await?;
            users::User {
                name,
                status: AccountStatus::Active,
                ..current
            }
        }
        None => current,
    };
    let grants = match t.org_id {
        Some(org_id) => {
            crate::tenancy::invitations::join_by_invitation(&tx, org_id, user.id, &t, now).await?
        }
        None => Vec::new(),
    };
    let (session_id, response) = open_session(&tx, &user, client, None, now).await?;
    Audit::user(user.id, client, t.org_id, now)
        .record(
            &tx,
            AuditAction::MemberInvitationAccepted,
            user.id,
            serde_json::json!({
                "invitation_id": t.id,
                "session_id": session_id,
                "new_account": pending,
                "roles": grants,
            }),
        )
        .await?;
    tx.commit().await?;
    Ok(response)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    #[schema(value_type = String, example = "EXAM_AUTHOR")]
    pub role: Role,
    pub department_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    /// The organization's slug.
    pub org: String,
    pub org_name: String,
    pub org_id: Uuid,
    #[schema(value_type = String)]
    pub status: MemberStatus,
    /// Role names, each once.
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<Role>,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    #[schema(value_type = String)]
    pub status: AccountStatus,
    pub is_super_admin: bool,
    pub email_verified: bool,
    pub memberships: Vec<MembershipView>,
    /// `GET /users/{id}/avatar` when the person has an avatar.
    pub avatar_url: Option<String>,
}

/// `GET /me`.
pub async fn me(state: &AppState, me: &CurrentUser) -> Result<MeView, ApiError> {
    let mut memberships = Vec::new();
    for (m, org) in tenancy::memberships_of(state.db.read(), me.id()).await? {
        let grants =
            crate::authz::parse_grants(tenancy::roles_of(state.db.read(), org.id, me.id()).await?);
        let mut roles: Vec<Role> = grants.iter().map(|g| g.role).collect();
        roles.sort();
        roles.dedup();
        memberships.push(MembershipView {
            org: org.slug,
            org_name: org.name,
            org_id: org.id,
            status: m.status,
            roles,
            grants: grants
                .into_iter()
                .map(|g| GrantView {
                    role: g.role,
                    department_id: g.department_id,
                })
                .collect(),
        });
    }
    Ok(MeView {
        id: me.user.id,
        email: me.user.email.clone(),
        name: me.user.name.clone(),
        status: me.user.status,
        is_super_admin: me.user.is_super_admin,
        email_verified: me.user.email_verified_at.is_some(),
        memberships,
        avatar_url: crate::people::profile::avatar_url(
            me.id(),
            invigil_store::people::profile(state.db.read(), me.id())
                .await?
                .as_ref(),
        ),
    })
}
