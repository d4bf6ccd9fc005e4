//! Form bodies (`application/x-www-form-urlencoded`) for the pages, with
//! errors as pages: wrong content type 415, too large 413, unparsable 400, a
//! control character in any value 422; a POST the browser marks
//! `Sec-Fetch-Site: cross-site` is refused like a bad CSRF token (403).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::csrf;
use super::errors::{csrf_refused, error_page};
use crate::http::error::ApiError;

/// A parsed form and the CSRF token it presented (the `csrf` field, else
/// the `X-CSRF-Token` header).
#[derive(Debug)]
pub struct WebForm<T> {
    pub value: T,
    pub csrf: String,
}

impl<T, S> FromRequest<S> for WebForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers();
        if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
        {
            return Err(csrf_refused());
        }
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(error_page(&ApiError::UnsupportedMediaType(
                "expected a form".into(),
            )));
        }
        let header_token = headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                error_page(&ApiError::PayloadTooLarge)
            } else {
                error_page(&ApiError::BadRequest("unreadable form".into()))
            }
        })?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| error_page(&ApiError::BadRequest("malformed form".into())))?;
        let bad = pairs.iter().find(|(k, v)| {
            invigil_domain::text::find_forbidden_control(k).is_some()
                || invigil_domain::text::find_forbidden_control(v).is_some()
        });
        if let Some((name, _)) = bad {
            return Err(error_page(&ApiError::field(
                name.escape_debug().to_string(),
                "must not contain control characters",
            )));
        }
        let csrf = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.clone())
            .or(header_token)
            .unwrap_or_default();
        let value = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| error_page(&ApiError::BadRequest("malformed form".into())))?;
        Ok(WebForm { value, csrf })
    }
}

/// The trimmed value of the form field `name` in `pairs` (empty when the
/// form does not have it).
pub fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}
