//! The browser's sign-in: a cookie naming one row of the sessions table.
//!
//! See the module documentation of [`crate::web`] for the model. Here: the
//! cookie names and attributes, reading the cookies of a request (the
//! [`Visitor`] extractor), turning a fresh sign-in into a browser session
//! ([`adopt`]) and the `Set-Cookie` values.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use chrono::Duration;

use invigil_store::identity::{AccountStatus, TokenKind, sessions};

use super::csrf;
use super::errors::error_page;
use crate::config::Config;
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::identity::crypto::{hash_token, new_token};
use crate::identity::service::TokenResponse;
use crate::state::AppState;

/// A browser session lasts at most this long from sign-in (a working day);
/// the cookie's `Max-Age` is the same.
pub const WEB_SESSION_TTL: Duration = Duration::hours(12);

/// Names and the `Secure` attribute of the two cookies, by how people reach
/// the server: `__Host-` names (which browsers accept only with `Secure`,
/// `Path=/` and no `Domain`) when `public_url` is https, plain names on
/// http (loopback, development).
#[derive(Debug, Clone, Copy)]
pub struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    pub secure: bool,
}

impl CookieNames {
    pub fn of(config: &Config) -> CookieNames {
        if config.behind_tls() {
            CookieNames {
                session: "__Host-invigil_session",
                csrf: "__Host-invigil_csrf",
                secure: true,
            }
        } else {
            CookieNames {
                session: "invigil_session",
                csrf: "invigil_csrf",
                secure: false,
            }
        }
    }

    fn build(&self, name: &str, value: &str, max_age: Option<i64>) -> Option<HeaderValue> {
        let mut v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(age) = max_age {
            v.push_str(&format!("; Max-Age={age}"));
        }
        if self.secure {
            v.push_str("; Secure");
        }
        HeaderValue::from_str(&v).ok()
    }

    /// The session cookie for a new sign-in.
    pub fn session_cookie(&self, token: &str) -> Option<HeaderValue> {
        self.build(self.session, token, Some(WEB_SESSION_TTL.num_seconds()))
    }

    /// Removes the session cookie.
    pub fn clear_session(&self) -> Option<HeaderValue> {
        self.build(self.session, "", Some(0))
    }

    /// The anonymous CSRF secret (a browser-session cookie, no `Max-Age`).
    pub fn csrf_cookie(&self, secret: &str) -> Option<HeaderValue> {
        self.build(self.csrf, secret, None)
    }
}

/// The value of cookie `name`, if it looks like one of our secrets
/// (base64url, 20 to 128 characters); anything else is ignored.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
        .filter(|v| {
            (20..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Who is at the browser: the signed-in user (from a live WEB token whose
/// account is ACTIVE), the secrets the CSRF tokens derive from, and the
/// client's address. `Debug` leaves the secrets out.
#[derive(Clone)]
pub struct Visitor {
    pub user: Option<CurrentUser>,
    pub names: CookieNames,
    /// The session cookie's value, when it names a live session.
    session_secret: Option<String>,
    /// The anonymous CSRF cookie's value.
    anon_secret: Option<String>,
    pub client: ClientInfo,
    /// The signed-in user's unread notifications (the header's badge),
    /// counted on GET pages only: one COUNT.
    pub unread: u64,
    /// The signed-in user's avatar address, with its version (GET pages
    /// only).
    pub avatar: Option<String>,
}

impl std::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visitor")
            .field("user", &self.user.as_ref().map(|u| u.user.id))
            .field("names", &self.names)
            .field(
                "session_secret",
                &self.session_secret.as_ref().map(|_| "<hidden>"),
            )
            .field(
                "anon_secret",
                &self.anon_secret.as_ref().map(|_| "<hidden>"),
            )
            .field("client", &self.client)
            .finish()
    }
}

impl Visitor {
    /// The session cookie's secret when it names a live session: what a
    /// long-lived response (the live console's feed) re-authenticates with.
    pub fn session_secret(&self) -> Option<&str> {
        self.session_secret.as_deref()
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let names = CookieNames::of(&state.config);
        let client = ClientInfo::from_request_parts(parts, state)
            .await
            .map_err(|e| error_page(&e))?;
        let anon_secret = cookie(&parts.headers, names.csrf).map(str::to_owned);
        let mut visitor = Visitor {
            user: None,
            names,
            session_secret: None,
            anon_secret,
            client,
            unread: 0,
            avatar: None,
        };
        let Some(token) = cookie(&parts.headers, names.session) else {
            return Ok(visitor);
        };
        let found = sessions::authenticate(
            state.db.read(),
            &hash_token(token),
            TokenKind::Web,
            state.now(),
        )
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
        if let Some(found) = found.filter(|f| f.user.status == AccountStatus::Active) {
            visitor.session_secret = Some(token.to_owned());
            if parts.method == axum::http::Method::GET {
                // A failed count hides the badge rather than the page.
                visitor.unread =
                    invigil_store::notify::unread_count(state.db.read(), found.user.id)
                        .await
                        .unwrap_or(0);
                // Likewise a failed look-up shows the name alone.
                visitor.avatar = invigil_store::people::profile(state.db.read(), found.user.id)
                    .await
                    .ok()
                    .flatten()
                    .filter(|p| p.avatar_key.is_some())
                    .map(|p| crate::web::profile::avatar_href(Some(p.updated_at)));
            }
            visitor.user = Some(CurrentUser {
                user: found.user,
                session_id: found.session_id,
                client: visitor.client.clone(),
            });
        }
        Ok(visitor)
    }
}

/// A signed-in visitor: the guard of pages for signed-in people. Without a
/// live session the answer is a redirect to the sign-in page, which comes
/// back to the page asked for (GET) afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub visitor: Visitor,
    pub user: CurrentUser,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        match visitor.user.clone() {
            Some(user) => Ok(SignedIn { visitor, user }),
            None if parts.method == axum::http::Method::GET => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                let query = serde_urlencoded::to_string([("next", here)]).unwrap_or_default();
                Err(see_other(&format!("/signin?{query}")))
            }
            None => Err(see_other("/signin?notice=signin_required")),
        }
    }
}

impl Visitor {
    /// The CSRF token for the forms of a page, and the cookie to set when
    /// an anonymous visitor has no secret yet.
    pub fn csrf_for_page(&self) -> (String, Option<HeaderValue>) {
        if let Some(s) = self
            .session_secret
            .as_deref()
            .or(self.anon_secret.as_deref())
        {
            return (csrf::token_of(s), None);
        }
        let secret = new_token();
        (csrf::token_of(&secret), self.names.csrf_cookie(&secret))
    }

    /// Whether `presented` is the CSRF token of this browser: the one of its
    /// session, or of its anonymous secret (a form rendered before signing
    /// in, e.g. in another tab).
    pub fn csrf_ok(&self, presented: &str) -> bool {
        [self.session_secret.as_deref(), self.anon_secret.as_deref()]
            .into_iter()
            .flatten()
            .any(|s| csrf::verify(s, presented))
    }

    /// Only the signed-in session's token (actions of a signed-in user).
    pub fn session_csrf_ok(&self, presented: &str) -> bool {
        self.session_secret
            .as_deref()
            .is_some_and(|s| csrf::verify(s, presented))
    }
}

/// Turns the sign-in that `issued` came from (a session with an access and a
/// refresh token, fresh from the identity service) into a browser session:
/// those two tokens are revoked unused and a new secret, stored hashed as the
/// session's WEB token, goes into the cookie. Returns the cookie's value.
pub async fn adopt(state: &AppState, issued: &TokenResponse) -> Result<String, ApiError> {
    let now = state.now();
    let tx = state.db.begin().await?;
    let found = sessions::authenticate(
        &tx,
        &hash_token(&issued.access_token),
        TokenKind::Access,
        now,
    )
    .await?
    .ok_or(ApiError::InvalidToken)?;
    let secret = new_token();
    let converted = sessions::convert_to_web(
        &tx,
        found.session_id,
        &hash_token(&secret),
        now + WEB_SESSION_TTL,
        now,
    )
    .await?;
    if !converted {
        return Err(ApiError::InvalidToken);
    }
    tx.commit().await?;
    Ok(secret)
}

/// Finishes a sign-in in this browser: the fresh sign-in (`issued`) becomes
/// the browser's session ([`adopt`]; a new cookie), the browser's previous
/// sign-in, if any, ends, and the answer is a `303` to `to`.
pub async fn begin(
    state: &AppState,
    visitor: &Visitor,
    issued: &TokenResponse,
    to: &str,
) -> Response {
    let secret = match adopt(state, issued).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    if let Some(old) = &visitor.user
        && let Err(e) = crate::identity::service::logout(state, old).await
    {
        tracing::warn!(error = %e, "could not end the previous browser session");
    }
    with_cookies(see_other(to), visitor.names.session_cookie(&secret))
}

/// Adds `Set-Cookie` headers to a response.
pub fn with_cookies(
    mut resp: Response,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    for c in cookies {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

/// A `303 See Other` to a local path (after a POST: reloading the result
/// page never repeats the action).
pub fn see_other(location: &str) -> Response {
    let mut resp = axum::http::StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

/// A `next` parameter that stays on this site: an absolute path, not
/// `//host` or `/\host`, without control characters; else `None`.
pub fn local_path(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && n.len() <= 512
        && !n.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| n.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/me/exams")).as_deref(), Some("/me/exams"));
        for bad in [
            "//evil.example",
            "/\\evil",
            "https://evil",
            "me",
            "/a\nb",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn cookies_are_read_by_name_and_shape() {
        let mut h = HeaderMap::new();
        let good = "A".repeat(43);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; invigil_session={good}")).unwrap(),
        );
        assert_eq!(cookie(&h, "invigil_session"), Some(good.as_str()));
        assert_eq!(cookie(&h, "invigil_csrf"), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("invigil_session=x y"),
        );
        assert_eq!(cookie(&h, "invigil_session"), None);
    }
}
