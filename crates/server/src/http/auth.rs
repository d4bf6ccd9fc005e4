//! Who is calling: the client's address (trusting `X-Forwarded-For` only from
//! configured proxies) and the signed-in user behind a bearer token.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};
use uuid::Uuid;

use invigil_store::identity::entities::user;
use invigil_store::identity::{AccountStatus, TokenKind, sessions};

use super::error::ApiError;
use crate::identity::crypto::hash_token;
use crate::state::AppState;

/// The caller's address and user agent, for audit entries and rate limits.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The API key the request authenticated with (its audit entries name
    /// it); `None` for a person's own sign-in.
    pub api_key_id: Option<Uuid>,
}

impl ClientInfo {
    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|i| i.to_string())
    }
}

/// The client address: the peer, or, when the peer is a trusted proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(xff) = forwarded_for else {
        return Some(peer);
    };
    let mut last = peer;
    for hop in xff.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last = ip,
            Ok(ip) => return Some(ip),
            Err(_) => return Some(last),
        }
    }
    Some(last)
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let xff = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(ClientInfo {
            ip: client_ip(peer, xff, &state.config.trusted_proxies),
            user_agent,
            api_key_id: None,
        })
    }
}

/// The bearer token of the request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty() && token.len() <= 256).then_some(token)
}

/// A signed-in, active user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: user::Model,
    pub session_id: Uuid,
    pub client: ClientInfo,
}

impl CurrentUser {
    pub fn id(&self) -> Uuid {
        self.user.id
    }
}

/// A browser session already proven by the guard of `/web-api/v1`
/// ([`crate::web::api`]: the session cookie plus the page's CSRF token in
/// `X-CSRF-Token`). On those routes it stands in for an ACCESS token; only
/// that guard inserts it (a request extension, which no client can set), so
/// `/api/v1` never accepts a cookie.
#[derive(Debug, Clone)]
pub struct BrowserSession(pub sessions::Authenticated);

/// The user and auth session behind the request's credential: the browser
/// session the web API's guard proved, else an `Authorization: Bearer` token
/// of `kind`. `None`: a bearer token that is unknown, expired or revoked.
pub async fn authenticate(
    parts: &Parts,
    state: &AppState,
    kind: TokenKind,
) -> Result<Option<sessions::Authenticated>, ApiError> {
    if let Some(BrowserSession(found)) = parts.extensions.get::<BrowserSession>() {
        return Ok((kind == TokenKind::Access).then(|| found.clone()));
    }
    let token = bearer(parts).ok_or(ApiError::Unauthenticated)?;
    Ok(sessions::authenticate(state.db.read(), &hash_token(token), kind, state.now()).await?)
}

/// An API key acts only on its organization's routes ([`OrgCtx`]): on a
/// route for a person (`/me`, an exam attempt, ...) a working key is 403
/// `api_key_not_allowed`, a bad one 401. Other credentials pass.
pub async fn refuse_api_key(parts: &mut Parts, state: &AppState) -> Result<(), ApiError> {
    if parts.extensions.get::<BrowserSession>().is_none()
        && bearer(parts).is_some_and(crate::people::api_keys::is_api_key)
    {
        crate::people::api_keys::authenticate(parts, state).await?;
        return Err(ApiError::api_key_not_allowed());
    }
    Ok(())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        refuse_api_key(parts, state).await?;
        let found = authenticate(parts, state, TokenKind::Access)
            .await?
            .ok_or(ApiError::InvalidToken)?;
        if found.user.status != AccountStatus::Active {
            return Err(ApiError::InvalidToken);
        }
        let client = ClientInfo::from_request_parts(parts, state).await?;
        Ok(CurrentUser {
            user: found.user,
            session_id: found.session_id,
            client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_trusted_only_from_proxies() {
        let proxy = ip("10.0.0.1");
        let trusted = [proxy];
        // Untrusted peer: its header is ignored.
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &trusted),
            Some(ip("203.0.113.9"))
        );
        // Trusted peer: the right-most untrusted hop.
        assert_eq!(
            client_ip(Some(proxy), Some("1.2.3.4, 198.51.100.7"), &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_ip(Some(proxy), Some("1.2.3.4, 10.0.0.1"), &trusted),
            Some(ip("1.2.3.4"))
        );
        // Garbage stops at the last trusted address.
        assert_eq!(
            client_ip(Some(proxy), Some("nonsense"), &trusted),
            Some(proxy)
        );
        assert_eq!(client_ip(Some(proxy), None, &trusted), Some(proxy));
    }
}
