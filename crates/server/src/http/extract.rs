//! Extractors whose rejections are problem+json with useful details: a JSON
//! body (415 wrong content type, 413 too large, 400 malformed, 422 with the
//! failing field's path), path parameters (a malformed id cannot exist: 404)
//! and query strings (400).
//!
//! Every JSON body is checked here, in one place, for control characters
//! (NUL and the other C0 controls except tab, LF and CR) in any string value
//! or object key, before it is deserialized: 422 `validation_failed` naming
//! each field. Path and query parameters and the `Idempotency-Key` header are
//! checked by [`super::middleware::input_hygiene`] before routing.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

use super::error::{ApiError, FieldError};

/// `Json<T>` with Invigil's errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

fn is_json(req: &Request) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(ct) = ct.to_str() else { return false };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Reads the body, mapping the length limit to 413.
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BadRequest(rej.body_text())
        }
    })
}

/// Reads a CSV upload: 415 unless the request says `Content-Type:
/// text/csv`, 400 unless the body is UTF-8, 413 over the route's limit.
pub async fn csv_body<S: Send + Sync>(req: Request, state: &S) -> Result<String, ApiError> {
    let ct = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !ct.starts_with("text/csv") {
        return Err(ApiError::UnsupportedMediaType(
            "expected Content-Type: text/csv".into(),
        ));
    }
    let bytes = body_bytes(req, state).await?;
    String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError::BadRequest("the CSV must be UTF-8".into()))
}

/// At most this many fields with control characters are reported.
const MAX_CONTROL_FIELDS: usize = 20;

/// The fields of a JSON document whose strings or keys hold a forbidden
/// control character. JSON forbids raw control characters inside strings (a
/// syntax error, 400), so they can only arrive escaped (`\u0000`, `\b`,
/// `\f`...): a body without a backslash is clean and is not parsed twice.
pub fn json_control_fields(bytes: &[u8]) -> Vec<FieldError> {
    let mut out = Vec::new();
    if !bytes.contains(&b'\\') {
        return out;
    }
    // Malformed JSON is reported by the typed parse.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        walk_json(&value, &mut String::new(), &mut out);
    }
    out
}

fn walk_json(value: &serde_json::Value, path: &mut String, out: &mut Vec<FieldError>) {
    use invigil_domain::text::{control_message, find_forbidden_control};
    use serde_json::Value;
    if out.len() >= MAX_CONTROL_FIELDS {
        return;
    }
    let here = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        Value::String(s) => {
            if let Some((i, c)) = find_forbidden_control(s) {
                out.push(FieldError::new(here(path), control_message(i, c)));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk_json(item, path, out);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // The field's name is shown with its controls escaped.
                path.push_str(&key.escape_debug().to_string());
                if let Some((i, c)) = find_forbidden_control(key) {
                    out.push(FieldError::new(
                        path.clone(),
                        format!("the key {}", control_message(i, c)),
                    ));
                }
                walk_json(item, path, out);
                path.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Parses JSON bytes, naming the failing field on a type error; strings and
/// keys with control characters are refused first (422, every such field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bad = json_control_fields(bytes);
    if !bad.is_empty() {
        return Err(ApiError::Validation(bad));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            use serde_json::error::Category;
            match inner.classify() {
                Category::Syntax | Category::Eof | Category::Io => {
                    Err(ApiError::MalformedJson(inner.to_string()))
                }
                Category::Data => {
                    let field = if path == "." { "body".to_owned() } else { path };
                    // serde's message carries the line/column; keep only the sense.
                    let msg = inner.to_string();
                    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
                    Err(ApiError::Validation(vec![FieldError::new(field, msg)]))
                }
            }
        }
    }
}

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&req) {
            return Err(ApiError::UnsupportedMediaType(
                "expected Content-Type: application/json".into(),
            ));
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads and parses a JSON body from a request taken whole by the handler,
/// so that authorization can run first: a caller without the right gets 403
/// whatever the body holds.
pub async fn json_body<T: DeserializeOwned, S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<T, ApiError> {
    ApiJson::<T>::from_request(req, state)
        .await
        .map(|ApiJson(body)| body)
}

/// Path parameters; an id that does not parse cannot exist, so 404.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_| ApiError::NotFound)
    }
}

/// Query string parameters.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rej| ApiError::BadRequest(rej.body_text()))
    }
}
