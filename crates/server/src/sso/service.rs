//! SSO configuration, sign-up settings, and the sign-in through the
//! provider (start and callback).

use chrono::{DateTime, Utc};
use openidconnect::url::Url;
use uuid::Uuid;

use invigil_domain::identity::{Email, Role};
use invigil_domain::sso::{DomainList, SsoFailure, check_issuer};
use invigil_domain::text::Text;
use invigil_store::identity::{AccountStatus, users};
use invigil_store::sso::{self as store, Account, SignUpSettings, SsoConfig, SsoState};
use invigil_store::tenancy::{self, Organization};

use super::STATE_TTL;
use super::http::OidcHttp;
use super::net;
use super::oidc::{self, Provider};
use super::secret;
use super::views::{SignUpSettingsBody, SignUpSettingsView, SsoConfigBody, SsoConfigView};
use crate::audit::{Audit, AuditAction};
use crate::authz::Authorized;
use crate::http::auth::ClientInfo;
use crate::http::error::{ApiError, FieldError};
use crate::identity::crypto::{hash_token, new_token};
use crate::identity::service::{TokenResponse, open_session};
use crate::state::AppState;

/// The redirect URI to register at the provider.
pub fn redirect_uri(state: &AppState, slug: &str) -> String {
    format!("{}/sso/{slug}/callback", state.config.public_base())
}

fn http(state: &AppState) -> Result<OidcHttp, ApiError> {
    OidcHttp::new(state.config.sso_allow_private_networks).map_err(ApiError::caused_by)
}

/// 422 `sso_address_not_allowed` when `url` (the issuer or an endpoint its
/// metadata names) resolves to an internal address the server may not
/// reach.
async fn reachable(state: &AppState, what: &str, url: &Url) -> Result<(), ApiError> {
    net::check_url_resolved(url, state.config.sso_allow_private_networks)
        .await
        .map_err(|e| ApiError::Unprocessable {
            code: "sso_address_not_allowed",
            detail: format!("The provider's {what} cannot be used: {e}."),
        })
}

pub(crate) fn domains(field: &str, raw: Option<Vec<String>>) -> Result<DomainList, ApiError> {
    DomainList::parse(&raw.unwrap_or_default())
        .map_err(|e| ApiError::Validation(vec![FieldError::new(field, e.to_string())]))
}

fn view(state: &AppState, org: &Organization, c: &SsoConfig) -> Result<SsoConfigView, ApiError> {
    Ok(SsoConfigView {
        issuer_url: c.issuer_url.clone(),
        client_id: c.client_id.clone(),
        has_client_secret: true,
        display_name: c.display_name.clone(),
        enabled: c.enabled,
        allowed_domains: store::domains_of(&c.allowed_domains)?,
        redirect_uri: redirect_uri(state, &org.slug),
        updated_at: c.updated_at,
    })
}

/// `GET /orgs/{org}/sso`: 404 when none is configured.
pub async fn get_config(state: &AppState, org: &Organization) -> Result<SsoConfigView, ApiError> {
    let c = store::config(state.db.read(), org.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    view(state, org, &c)
}

/// Checks an issuer URL's form (not yet its metadata).
fn valid_issuer(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    let bad = |m: String| ApiError::Validation(vec![FieldError::new("issuer_url", m)]);
    let url = Url::parse(raw).map_err(|_| bad("must be an absolute https URL".into()))?;
    check_issuer(
        url.scheme(),
        url.host_str(),
        !url.username().is_empty() || url.password().is_some(),
        url.query().is_some() || url.fragment().is_some(),
        raw.len(),
    )
    .map_err(|e| bad(e.to_string()))?;
    Ok(raw.to_owned())
}

/// `PUT /orgs/{org}/sso`: validates, fetches the provider's discovery
/// document and keys (422 `sso_discovery_failed` saying why), seals the
/// secret and saves; audited `org.sso_configured`.
pub async fn put_config(
    state: &AppState,
    auth: &Authorized,
    org: &Organization,
    body: SsoConfigBody,
) -> Result<SsoConfigView, ApiError> {
    let issuer = valid_issuer(&body.issuer_url)?;
    let client_id = Text::<500>::parse("client_id", &body.client_id)?.into_string();
    let display_name = Text::<100>::parse("display_name", &body.display_name)?.into_string();
    let allowed = domains("allowed_domains", body.allowed_domains)?;
    let existing = store::config(state.db.read(), org.id).await?;
    let new_secret = match body.client_secret.as_deref() {
        Some(s) => Some(Text::<1000>::parse("client_secret", s)?.into_string()),
        None => None,
    };
    let (nonce, sealed) = match (&new_secret, &existing) {
        (Some(s), _) => secret::seal(state, org.id, s).await?,
        (None, Some(c)) => (c.secret_nonce.clone(), c.secret_sealed.clone()),
        (None, None) => {
            return Err(ApiError::field(
                "client_secret",
                "is required when single sign-on is first configured",
            ));
        }
    };
    let issuer_url = Url::parse(&issuer)
        .map_err(|_| ApiError::field("issuer_url", "must be an absolute https URL"))?;
    reachable(state, "issuer URL", &issuer_url).await?;
    let metadata =
        oidc::discover(&http(state)?, &issuer)
            .await
            .map_err(|e| ApiError::Unprocessable {
                code: "sso_discovery_failed",
                detail: format!("The provider's discovery document could not be used: {e}"),
            })?;
    for (what, url) in oidc::endpoints(&metadata) {
        reachable(state, what, &url).await?;
    }
    let now = state.now();
    let row = SsoConfig {
        org_id: org.id,
        issuer_url: issuer,
        client_id,
        secret_nonce: nonce,
        secret_sealed: sealed,
        display_name,
        enabled: body.enabled,
        allowed_domains: store::domains_json(allowed.as_slice()),
        updated_by: auth.actor.user_id,
        created_at: existing.as_ref().map_or(now, |c| c.created_at),
        updated_at: now,
    };
    let tx = state.db.begin().await?;
    store::put_config(&tx, row.clone()).await?;
    state.sso.forget(org.id);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::OrgSsoConfigured,
            org.id,
            serde_json::json!({
                "issuer_url": row.issuer_url,
                "client_id": row.client_id,
                "enabled": row.enabled,
                "allowed_domains": allowed.as_slice(),
                "secret_changed": new_secret.is_some(),
                "created": existing.is_none(),
            }),
        )
        .await?;
    tx.commit().await?;
    view(state, org, &row)
}

/// `DELETE /orgs/{org}/sso`: 404 when none; audited.
pub async fn delete_config(
    state: &AppState,
    auth: &Authorized,
    org: &Organization,
) -> Result<(), ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    if !store::delete_config(&tx, org.id).await? {
        return Err(ApiError::NotFound);
    }
    state.sso.forget(org.id);
    auth.audit(now)
        .record(
            &tx,
            AuditAction::OrgSsoConfigured,
            org.id,
            serde_json::json!({ "deleted": true }),
        )
        .await?;
    tx.commit().await?;
    Ok(())
}

fn settings_view(s: Option<&SignUpSettings>) -> Result<SignUpSettingsView, ApiError> {
    Ok(match s {
        Some(s) => SignUpSettingsView {
            enabled: s.enabled,
            allowed_domains: store::domains_of(&s.allowed_domains)?,
            updated_at: Some(s.updated_at),
        },
        None => SignUpSettingsView {
            enabled: false,
            allowed_domains: Vec::new(),
            updated_at: None,
        },
    })
}

/// `GET /orgs/{org}/sign-up-settings` (closed until set).
pub async fn get_sign_up_settings(
    state: &AppState,
    org_id: Uuid,
) -> Result<SignUpSettingsView, ApiError> {
    settings_view(store::sign_up(state.db.read(), org_id).await?.as_ref())
}

/// `PUT /orgs/{org}/sign-up-settings`; audited.
pub async fn put_sign_up_settings(
    state: &AppState,
    auth: &Authorized,
    body: SignUpSettingsBody,
) -> Result<SignUpSettingsView, ApiError> {
    let allowed = domains("allowed_domains", body.allowed_domains)?;
    let now = state.now();
    let row = SignUpSettings {
        org_id: auth.org_id,
        enabled: body.enabled,
        allowed_domains: store::domains_json(allowed.as_slice()),
        updated_by: auth.actor.user_id,
        updated_at: now,
    };
    let tx = state.db.begin().await?;
    store::put_sign_up(&tx, row.clone()).await?;
    auth.audit(now)
        .record(
            &tx,
            AuditAction::OrgSignUpSettingsChanged,
            auth.org_id,
            serde_json::json!({ "enabled": row.enabled, "allowed_domains": allowed.as_slice() }),
        )
        .await?;
    tx.commit().await?;
    settings_view(Some(&row))
}

/// The open sign-up settings of an organization: `None` when closed.
pub async fn open_sign_up(state: &AppState, org_id: Uuid) -> Result<Option<DomainList>, ApiError> {
    match store::sign_up(state.db.read(), org_id).await? {
        Some(s) if s.enabled => Ok(Some(
            DomainList::parse(&store::domains_of(&s.allowed_domains)?).unwrap_or_default(),
        )),
        _ => Ok(None),
    }
}

/// The enabled configuration of an organization (the sign-in button).
pub async fn enabled_config(state: &AppState, org_id: Uuid) -> Result<Option<SsoConfig>, ApiError> {
    Ok(store::config(state.db.read(), org_id)
        .await?
        .filter(|c| c.enabled))
}

/// A sign-in through the provider that failed: why, and what the log may
/// say about it (never shown to the person).
#[derive(Debug)]
pub struct Failed {
    pub reason: SsoFailure,
    pub detail: String,
}

impl From<SsoFailure> for Failed {
    fn from(reason: SsoFailure) -> Self {
        Failed {
            reason,
            detail: String::new(),
        }
    }
}

impl From<ApiError> for Failed {
    fn from(e: ApiError) -> Self {
        tracing::error!(error = %e, "single sign-on failed on our side");
        Failed {
            reason: SsoFailure::ProviderUnavailable,
            detail: "internal".into(),
        }
    }
}

impl From<invigil_store::DbErr> for Failed {
    fn from(e: invigil_store::DbErr) -> Self {
        Failed::from(ApiError::from(invigil_store::StoreError::from(e)))
    }
}

impl From<invigil_store::StoreError> for Failed {
    fn from(e: invigil_store::StoreError) -> Self {
        Failed::from(ApiError::from(e))
    }
}

/// The provider of `org`'s configuration `c`: its metadata and keys from
/// the cache unless `fresh` or too old (then fetched and kept). The flag
/// says whether they came from the cache.
async fn provider_of(
    state: &AppState,
    org: &Organization,
    c: &SsoConfig,
    fresh: bool,
) -> Result<(OidcHttp, Provider, bool), Failed> {
    let http = http(state)?;
    let now = state.now();
    let cached = if fresh {
        None
    } else {
        state.sso.get(org.id, &c.issuer_url, c.updated_at, now)
    };
    let from_cache = cached.is_some();
    let metadata = match cached {
        Some(m) => m,
        None => {
            let m = oidc::discover(&http, &c.issuer_url)
                .await
                .map_err(|e| Failed {
                    reason: SsoFailure::ProviderUnavailable,
                    detail: e.0,
                })?;
            state
                .sso
                .put(org.id, &c.issuer_url, c.updated_at, m.clone(), now);
            m
        }
    };
    let client_secret = secret::open(state, org.id, &c.secret_nonce, &c.secret_sealed).await?;
    let provider = Provider::new(
        metadata,
        &c.client_id,
        &client_secret,
        &redirect_uri(state, &org.slug),
    );
    Ok((http, provider, from_cache))
}

/// `GET /sso/{org}/start`: a pending sign-in and the provider's URL.
/// Returns (the URL, the state for the browser's cookie).
pub async fn start(
    state: &AppState,
    org: &Organization,
    next: Option<String>,
) -> Result<(String, String), Failed> {
    let c = enabled_config(state, org.id)
        .await?
        .ok_or(SsoFailure::NotEnabled)?;
    let (_, provider, _) = provider_of(state, org, &c, false).await?;
    let state_token = new_token();
    let nonce = new_token();
    let started = provider.start(&state_token, &nonce)?;
    let now = state.now();
    let tx = state.db.begin().await?;
    store::delete_expired_states(&tx, now).await?;
    store::insert_state(
        &tx,
        SsoState {
            id: Uuid::now_v7(),
            state_hash: hash_token(&state_token),
            org_id: org.id,
            nonce,
            pkce_verifier: started.pkce_verifier,
            next_path: next,
            expires_at: now + STATE_TTL,
            created_at: now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((started.url, state_token))
}

/// What the callback brought.
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    /// The state the browser's cookie holds.
    pub cookie_state: Option<String>,
}

/// A finished sign-in: the token pair (for the browser session) and where
/// to go next.
pub struct SignedIn {
    pub tokens: TokenResponse,
    pub next: Option<String>,
}

/// `GET /sso/{org}/callback`: the sign-in, or why not (audited either way).
pub async fn callback(
    state: &AppState,
    org: &Organization,
    cb: Callback,
    client: &ClientInfo,
) -> Result<SignedIn, Failed> {
    let outcome = finish(state, org, cb, client).await;
    if let Err(f) = &outcome {
        tracing::info!(org = %org.slug, reason = f.reason.code(), detail = %f.detail, "sso sign-in refused");
        let now = state.now();
        let recorded = async {
            let tx = state.db.begin().await?;
            Audit::anonymous(client, Some(org.id), now)
                .record(
                    &tx,
                    AuditAction::AuthSsoLoginFailed,
                    org.id,
                    serde_json::json!({ "reason": f.reason.code(), "detail": f.detail }),
                )
                .await?;
            tx.commit().await?;
            Ok::<(), ApiError>(())
        }
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not audit a refused sso sign-in");
        }
    }
    outcome
}

async fn finish(
    state: &AppState,
    org: &Organization,
    cb: Callback,
    client: &ClientInfo,
) -> Result<SignedIn, Failed> {
    let given = cb
        .state
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or(SsoFailure::BadState)?;
    let bound = cb
        .cookie_state
        .is_some_and(|c| crate::identity::crypto::secrets_match(&given, &c));
    if !bound {
        return Err(Failed {
            reason: SsoFailure::BadState,
            detail: "the state is not this browser's".into(),
        });
    }
    let now = state.now();
    let pending = {
        let tx = state.db.begin().await?;
        let taken = store::take_state(&tx, org.id, &hash_token(&given), now).await?;
        tx.commit().await?;
        taken.ok_or(SsoFailure::BadState)?
    };
    if let Some(error) = cb.error {
        return Err(Failed {
            reason: SsoFailure::ProviderError,
            detail: error.chars().take(100).collect(),
        });
    }
    let code = cb
        .code
        .filter(|c| !c.is_empty() && c.len() <= 2048)
        .ok_or(SsoFailure::ProviderError)?;
    let c = enabled_config(state, org.id)
        .await?
        .ok_or(SsoFailure::NotEnabled)?;
    let (http, provider, from_cache) = provider_of(state, org, &c, false).await?;
    let token = provider
        .exchange(&http, &code, &pending.pkce_verifier)
        .await
        .map_err(|(reason, detail)| Failed { reason, detail })?;
    let identity = match provider.verify(&token, &pending.nonce, state.now()) {
        Ok(identity) => identity,
        // Signed with a key the kept JWKS lacks: the provider may have
        // rotated its keys; fetched again once.
        Err(r) if r.unknown_key && from_cache => {
            let (_, provider, _) = provider_of(state, org, &c, true).await?;
            provider
                .verify(&token, &pending.nonce, state.now())
                .map_err(|r| Failed {
                    reason: r.reason,
                    detail: r.detail,
                })?
        }
        Err(r) => {
            return Err(Failed {
                reason: r.reason,
                detail: r.detail,
            });
        }
    };
    // Without email (or name) in the ID token, the userinfo endpoint's
    // claims: the address and whether it is verified come from one place.
    let identity = if identity.email.is_none() || identity.name.is_none() {
        match provider.userinfo(&http, &token, &identity.subject).await {
            Ok(info) if identity.email.is_none() => oidc::Identity {
                name: identity.name.or(info.name),
                ..info
            },
            Ok(info) => oidc::Identity {
                name: identity.name.clone().or(info.name),
                ..identity
            },
            Err((reason, detail)) if identity.email.is_none() => {
                return Err(Failed { reason, detail });
            }
            Err(_) => identity,
        }
    } else {
        identity
    };
    let email_raw = identity.email.clone().ok_or(SsoFailure::NoEmail)?;
    if identity.email_verified != Some(true) {
        return Err(SsoFailure::EmailNotVerified.into());
    }
    let email = Email::parse(&email_raw).map_err(|_| SsoFailure::NoEmail)?;
    let sso_domains =
        DomainList::parse(&store::domains_of(&c.allowed_domains)?).unwrap_or_default();
    if !sso_domains.allows(email.domain()) {
        return Err(SsoFailure::DomainNotAllowed.into());
    }
    let tokens = sign_in(
        state,
        org,
        &c,
        &identity.subject,
        &email,
        identity.name,
        client,
    )
    .await?;
    Ok(SignedIn {
        tokens,
        next: pending.next_path,
    })
}

/// Finds, links or creates the user of a verified identity and opens a
/// session, in one transaction with its audit entries.
async fn sign_in(
    state: &AppState,
    org: &Organization,
    c: &SsoConfig,
    subject: &str,
    email: &Email,
    name: Option<String>,
    client: &ClientInfo,
) -> Result<TokenResponse, Failed> {
    let now = state.now();
    let sign_up = open_sign_up(state, org.id).await?;
    let tx = state.db.begin().await?;
    let linked = store::account_by_provider(&tx, &c.issuer_url, subject).await?;
    let (user, account_id, how) = match linked {
        Some(acc) => {
            let user = users::by_id(&tx, acc.user_id)
                .await?
                .ok_or(SsoFailure::AccountDisabled)?;
            (user, acc.id, "linked")
        }
        None => match users::by_email(&tx, email.as_str()).await? {
            Some(user) => {
                if user.status != AccountStatus::Active {
                    return Err(SsoFailure::AccountDisabled.into());
                }
                let acc = link(&tx, org, c, user.id, subject, now).await?;
                Audit::user(user.id, client, Some(org.id), now)
                    .record(
                        &tx,
                        AuditAction::AuthSsoLinked,
                        user.id,
                        serde_json::json!({ "provider": c.issuer_url, "by": "verified_email" }),
                    )
                    .await?;
                (user, acc.id, "linked_by_email")
            }
            None => {
                let allowed = sign_up
                    .as_ref()
                    .is_some_and(|domains| domains.allows(email.domain()));
                if !allowed {
                    return Err(SsoFailure::SignUpClosed.into());
                }
                let name = name
                    .and_then(|n| Text::<200>::parse("name", &n).ok())
                    .map(Text::into_string)
                    .unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_owned());
                let user = users::create(
                    &tx,
                    users::NewUser {
                        email: email.as_str().to_owned(),
                        name,
                        status: AccountStatus::Active,
                        password_hash: None,
                        is_super_admin: false,
                        email_verified: true,
                    },
                    now,
                )
                .await?;
                tenancy::ensure_member(&tx, org.id, user.id, now).await?;
                tenancy::add_roles(&tx, org.id, user.id, &[(Role::Candidate, None)], now).await?;
                let acc = link(&tx, org, c, user.id, subject, now).await?;
                Audit::user(user.id, client, Some(org.id), now)
                    .record(
                        &tx,
                        AuditAction::AuthSignUp,
                        user.id,
                        serde_json::json!({ "via": "sso", "provider": c.issuer_url, "roles": ["CANDIDATE"] }),
                    )
                    .await?;
                (user, acc.id, "created")
            }
        },
    };
    if user.status != AccountStatus::Active {
        return Err(SsoFailure::AccountDisabled.into());
    }
    let (session_id, tokens) = open_session(&tx, &user, client, None, now).await?;
    users::touch_login(&tx, user.id, now).await?;
    store::touch_account(&tx, account_id, now).await?;
    Audit::user(user.id, client, Some(org.id), now)
        .record(
            &tx,
            AuditAction::AuthSsoLogin,
            session_id,
            serde_json::json!({ "provider": c.issuer_url, "account": how }),
        )
        .await?;
    tx.commit().await?;
    Ok(tokens)
}

async fn link(
    tx: &invigil_store::Tx,
    org: &Organization,
    c: &SsoConfig,
    user_id: Uuid,
    subject: &str,
    now: DateTime<Utc>,
) -> Result<Account, Failed> {
    Ok(store::insert_account(
        tx,
        Account {
            id: Uuid::now_v7(),
            user_id,
            org_id: org.id,
            kind: "oidc".into(),
            provider: c.issuer_url.clone(),
            provider_account_id: subject.chars().take(255).collect(),
            created_at: now,
            last_login_at: None,
        },
    )
    .await?)
}
