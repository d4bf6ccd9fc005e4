//! Form bodies with a file: `multipart/form-data` (an htmx form with
//! `hx-encoding="multipart/form-data"`, or a plain form with
//! `enctype=...`), or a plain `application/x-www-form-urlencoded` form
//! (pasted text only). A small parser of our own: axum's `multipart`
//! feature would add a dependency for a few dozen lines.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;

use crate::http::error::ApiError;
use crate::web::csrf;
use crate::web::errors::{csrf_refused, error_page};

/// One field of a form; `filename` is set for a file input.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub data: Vec<u8>,
}

/// A parsed form with files and the CSRF token it presented (the `csrf`
/// field, else the `X-CSRF-Token` header).
#[derive(Debug)]
pub struct UploadForm {
    pub parts: Vec<Part>,
    pub csrf: String,
}

impl UploadForm {
    /// The text of field `name` (lossy UTF-8), empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .unwrap_or_default()
    }

    /// The file of input `name` when one was chosen (not empty).
    pub fn file(&self, name: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.name == name && p.filename.as_deref().is_some_and(|f| !f.is_empty()))
    }
}

impl<S: Send + Sync> FromRequest<S> for UploadForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers();
        if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"))
        {
            return Err(csrf_refused());
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
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
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let parts = match mime.as_str() {
            "multipart/form-data" => parse_multipart(&content_type, &bytes)
                .ok_or_else(|| error_page(&ApiError::BadRequest("malformed form".into())))?,
            "application/x-www-form-urlencoded" => {
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                    .map_err(|_| error_page(&ApiError::BadRequest("malformed form".into())))?
                    .into_iter()
                    .map(|(name, value)| Part {
                        name,
                        filename: None,
                        data: value.into_bytes(),
                    })
                    .collect()
            }
            _ => {
                return Err(error_page(&ApiError::UnsupportedMediaType(
                    "expected a form".into(),
                )));
            }
        };
        let csrf = parts
            .iter()
            .find(|p| p.name == "csrf" && p.filename.is_none())
            .map(|p| String::from_utf8_lossy(&p.data).into_owned())
            .or(header_token)
            .unwrap_or_default();
        Ok(UploadForm { parts, csrf })
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The boundary parameter of a `multipart/form-data` content type.
fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// The `name` and `filename` of a part's `Content-Disposition` header.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.split("\r\n").find(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let (_, value) = line.split_once(':')?;
    let mut name = None;
    let mut filename = None;
    for param in value.split(';').skip(1) {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_owned();
        match k.trim().to_ascii_lowercase().as_str() {
            "name" => name = Some(v),
            "filename" => filename = Some(v),
            _ => {}
        }
    }
    Some((name?, filename))
}

/// Splits a `multipart/form-data` body into its parts; `None` when it is
/// malformed.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<Part>> {
    let b = boundary(content_type)?;
    let first = format!("--{b}");
    let next = format!("\r\n--{b}");
    let start = find(body, first.as_bytes())?;
    let mut rest = body.get(start + first.len()..)?;
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, next.as_bytes())?;
        let part = rest.get(..end)?;
        rest = rest.get(end + next.len()..)?;
        let split = find(part, b"\r\n\r\n")?;
        let head = std::str::from_utf8(part.get(..split)?).ok()?;
        let (name, filename) = disposition(head)?;
        parts.push(Part {
            name,
            filename,
            data: part.get(split + 4..)?.to_vec(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::parse_multipart;

    #[test]
    fn a_multipart_body_splits_into_fields_and_files() {
        let body = "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n\
                    --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q.gift\"\r\n\
                    Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body.as_bytes()).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"tok");
        assert_eq!(parts[1].filename.as_deref(), Some("q.gift"));
        assert_eq!(parts[1].data, b"line 1\r\nline 2");
        assert!(parse_multipart("multipart/form-data; boundary=XyZ", b"--XyZ\r\nbad").is_none());
        assert!(parse_multipart("multipart/form-data", body.as_bytes()).is_none());
    }
}
