//! OpenID Connect with the `openidconnect` crate: discovery (metadata and
//! JWKS; kept for a while by [`super::cache`]), the
//! authorization URL (code flow, PKCE S256, state, nonce) and the code
//! exchange with the ID token's validation (signature against the JWKS,
//! issuer, audience, nonce, expiry against the server's clock).

use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, SubjectIdentifier, TokenResponse,
};

use openidconnect::url::Url;

use invigil_domain::sso::SsoFailure;

use super::http::OidcHttp;

/// Discovery failed: the message says why (for the admin's 422).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DiscoveryError(pub String);

/// The provider's metadata, fetched and validated (the issuer it names is
/// the one asked for; the crate checks that and fetches the JWKS).
pub async fn discover(
    http: &OidcHttp,
    issuer: &str,
) -> Result<CoreProviderMetadata, DiscoveryError> {
    let url = IssuerUrl::new(issuer.to_owned())
        .map_err(|e| DiscoveryError(format!("the issuer URL is not valid: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(url, http)
        .await
        .map_err(|e| DiscoveryError(describe(&e)))?;
    if metadata.token_endpoint().is_none() {
        return Err(DiscoveryError(
            "the provider's metadata names no token endpoint".into(),
        ));
    }
    if metadata.jwks().keys().is_empty() {
        return Err(DiscoveryError(
            "the provider publishes no signing keys (its JWKS is empty)".into(),
        ));
    }
    Ok(metadata)
}

/// The endpoints the server itself calls (the token endpoint, the JWKS and
/// the userinfo endpoint), to check where they point.
pub fn endpoints(metadata: &CoreProviderMetadata) -> Vec<(&'static str, Url)> {
    let mut out = vec![("JWKS URL", metadata.jwks_uri().url().clone())];
    if let Some(t) = metadata.token_endpoint() {
        out.push(("token endpoint", t.url().clone()));
    }
    if let Some(u) = metadata.userinfo_endpoint() {
        out.push(("userinfo endpoint", u.url().clone()));
    }
    out
}

/// The error and its causes in one line.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.chars().take(400).collect()
}

/// What the start of a sign-in hands the provider and keeps for the callback.
pub struct Started {
    pub url: String,
    pub pkce_verifier: String,
}

/// The client of one organization's configuration.
pub struct Provider {
    metadata: CoreProviderMetadata,
    client_id: String,
    client_secret: String,
    redirect: String,
}

impl Provider {
    pub fn new(
        metadata: CoreProviderMetadata,
        client_id: &str,
        client_secret: &str,
        redirect: &str,
    ) -> Provider {
        Provider {
            metadata,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect: redirect.to_owned(),
        }
    }

    fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        SsoFailure,
    > {
        let redirect =
            RedirectUrl::new(self.redirect.clone()).map_err(|_| SsoFailure::NotEnabled)?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.client_id.clone()),
            Some(ClientSecret::new(self.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }

    /// The authorization URL for `state` and `nonce` (code flow, PKCE S256,
    /// scopes openid email profile).
    pub fn start(&self, state: &str, nonce: &str) -> Result<Started, SsoFailure> {
        let client = self.client()?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (state, nonce) = (state.to_owned(), nonce.to_owned());
        let (url, _, _) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            url: url.to_string(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges `code` for the provider's tokens (the ID token is checked
    /// by [`Provider::verify`]).
    pub async fn exchange(
        &self,
        http: &OidcHttp,
        code: &str,
        pkce_verifier: &str,
    ) -> Result<CoreTokenResponse, (SsoFailure, String)> {
        let client = self.client().map_err(|f| (f, "redirect URL".to_owned()))?;
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| (SsoFailure::TokenExchange, describe(&e)))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        request
            .request_async(http)
            .await
            .map_err(|e| (SsoFailure::TokenExchange, describe(&e)))
    }

    /// Validates the ID token of `token` (signature against this
    /// provider's keys, issuer, audience, `nonce`, expiry at `now`); the
    /// verified claims.
    pub fn verify(
        &self,
        token: &CoreTokenResponse,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, Rejected> {
        let client = self.client().map_err(|f| Rejected {
            reason: f,
            detail: "redirect URL".to_owned(),
            unknown_key: false,
        })?;
        let id_token = token.id_token().ok_or(Rejected {
            reason: SsoFailure::InvalidIdToken,
            detail: "the token answer has no ID token".to_owned(),
            unknown_key: false,
        })?;
        let verifier = client.id_token_verifier().set_time_fn(move || now);
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| Rejected {
                reason: SsoFailure::InvalidIdToken,
                detail: describe(&e),
                unknown_key: matches!(
                    e,
                    ClaimsVerificationError::SignatureVerification(
                        SignatureVerificationError::NoMatchingKey
                    )
                ),
            })?;
        Ok(Identity {
            subject: claims.subject().as_str().to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        })
    }
}

impl Provider {
    /// The userinfo endpoint's claims for the access token of `token`
    /// (they must be about `subject`): for an ID token without email or
    /// name.
    pub async fn userinfo(
        &self,
        http: &OidcHttp,
        token: &CoreTokenResponse,
        subject: &str,
    ) -> Result<Identity, (SsoFailure, String)> {
        let client = self.client().map_err(|f| (f, "redirect URL".to_owned()))?;
        let request = client
            .user_info(
                token.access_token().clone(),
                Some(SubjectIdentifier::new(subject.to_owned())),
            )
            .map_err(|e| (SsoFailure::ProviderUnavailable, describe(&e)))?;
        let claims: CoreUserInfoClaims = request
            .request_async(http)
            .await
            .map_err(|e| (SsoFailure::ProviderUnavailable, describe(&e)))?;
        Ok(Identity {
            subject: subject.to_owned(),
            email: claims.email().map(|e| e.as_str().to_owned()),
            email_verified: claims.email_verified(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_owned()),
        })
    }
}

/// An ID token that did not pass.
#[derive(Debug)]
pub struct Rejected {
    pub reason: SsoFailure,
    pub detail: String,
    /// Signed with a key this provider's JWKS does not have (rotated?).
    pub unknown_key: bool,
}

/// The verified claims of an ID token that matter here.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
}
