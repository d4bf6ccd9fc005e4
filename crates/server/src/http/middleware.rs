//! Cross-cutting HTTP layers: per-request timeout, Prometheus metrics per
//! route and status, and the problem+json safety net that turns any plain
//! error response (a framework rejection, an unknown method, a panic) into a
//! problem document.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, FieldError, PROBLEM_JSON, ProblemCode, problem_response};

/// Fails a request that takes longer than the configured timeout with 503
/// `timeout`. Streaming routes (the live feed) are mounted outside it.
pub async fn timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// Records `http_requests_total` and `http_request_duration_seconds` by
/// method, route template and status.
pub async fn record_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let route = resp
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = resp.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// Copies the matched route template into the response, where the outer
/// metrics layer (which runs before routing) can read it.
pub async fn tag_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    if let Some(m) = matched {
        resp.extensions_mut().insert(m);
    }
    resp
}

/// Any 4xx/5xx that is not already problem+json becomes one, so clients never
/// see a plain-text error, whatever produced it. Error responses also carry
/// the request id in their extensions, for [`LogResponse`].
pub async fn problem_net(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    if let Some(id) = request_id {
        resp.extensions_mut().insert(RequestIdField(id));
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    // The web UI's error pages are HTML on purpose.
    let is_page = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_problem || is_page {
        return resp;
    }
    let (code, detail) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "the request is malformed"),
        StatusCode::UNAUTHORIZED => ("unauthenticated", "authentication required"),
        StatusCode::FORBIDDEN => ("forbidden", "not allowed"),
        StatusCode::NOT_FOUND => ("not_found", "the resource does not exist"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed on this route",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than this route accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "unsupported content type")
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            ("validation_failed", "the request could not be processed")
        }
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "the service is unavailable"),
        s if s.is_server_error() => ("internal", "an internal error occurred; it has been logged"),
        _ => ("error", "the request failed"),
    };
    let (parts, _body) = resp.into_parts();
    let mut out = problem_response(status, code, detail.to_owned(), None);
    out.extensions_mut().extend(parts.extensions);
    out.extensions_mut().insert(ProblemCode(code));
    // Keep headers such as Allow and Retry-After.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The byte of a `%XX` escape at `bytes[i]`, if there is one.
fn escaped_byte(bytes: &[u8], i: usize) -> Option<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
        (Some(b'%'), Some(&h), Some(&l)) => {
            let (h, l) = (hex(h)?, hex(l)?);
            u8::try_from(h * 16 + l).ok()
        }
        _ => None,
    }
}

/// Whether a raw (percent-encoded) URI part decodes to text holding a
/// forbidden control character. A URI cannot carry raw control bytes, so
/// only `%00`..`%1F` escapes need a look.
fn has_escaped_control(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    (0..bytes.len()).any(|i| {
        escaped_byte(bytes, i)
            .is_some_and(|b| invigil_domain::text::is_forbidden_control(char::from(b)))
    })
}

/// Percent-decodes a query-string name for an error message (lossy).
fn decode_name(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(d) = escaped_byte(bytes, i) {
            out.push(d);
            i += 3;
        } else {
            out.push(if b == b'+' { b' ' } else { b });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).escape_debug().to_string()
}

/// Refuses control characters (NUL and the other C0 controls except tab, LF
/// and CR) wherever the URL or a header brings text in, before any route
/// runs: in the path (a name holding one cannot exist: 404), in a query
/// parameter (422 naming it) and in `Idempotency-Key` (422). JSON bodies are
/// checked by [`super::extract::parse_json`], uploads by their parsers.
pub async fn input_hygiene(req: Request, next: Next) -> Response {
    if has_escaped_control(req.uri().path()) {
        return refuse(&req, ApiError::NotFound);
    }
    if let Some(query) = req.uri().query() {
        let bad: Vec<_> = query
            .split('&')
            .filter(|pair| has_escaped_control(pair))
            .map(|pair| {
                let name = pair.split('=').next().unwrap_or(pair);
                FieldError::new(decode_name(name), "must not contain control characters")
            })
            .collect();
        if !bad.is_empty() {
            return refuse(&req, ApiError::Validation(bad));
        }
    }
    if let Some(key) = req.headers().get("idempotency-key") {
        let ok = key
            .to_str()
            .is_ok_and(|k| invigil_domain::text::find_forbidden_control(k).is_none());
        if !ok {
            return refuse(
                &req,
                ApiError::field(
                    "Idempotency-Key",
                    "must be printable ASCII without control characters",
                ),
            );
        }
    }
    next.run(req).await
}

/// Logs each response in the request's span (method, path, request id) at a
/// level by status: 5xx at ERROR, 4xx at INFO (a client's mistake is not the
/// server's error, and a scanner must not page anyone), the rest at DEBUG.
/// The one exception is a 503 `overloaded`: shedding load is deliberate and
/// comes in floods, so it is DEBUG here (the overload itself is logged once
/// per interval where it is detected).
/// The request id is also a field of the event itself, so a log pipeline that
/// drops span context still has it.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogResponse;

impl<B> tower_http::trace::OnResponse<B> for LogResponse {
    fn on_response(
        self,
        response: &axum::http::Response<B>,
        latency: Duration,
        _span: &tracing::Span,
    ) {
        let status = response.status().as_u16();
        let latency_ms = latency.as_millis();
        let request_id = response
            .extensions()
            .get::<RequestIdField>()
            .map_or("-", |r| r.0.as_str());
        let code = response
            .extensions()
            .get::<ProblemCode>()
            .map_or("-", |c| c.0);
        if code == "overloaded" {
            // Load shedding is deliberate (503 + Retry-After) and comes in
            // floods: the shedder logs it once per interval, not here.
            tracing::debug!(status, %code, latency_ms, %request_id, "request shed");
        } else if response.status().is_server_error() {
            tracing::error!(status, %code, latency_ms, %request_id, "request failed");
        } else if response.status().is_client_error() {
            tracing::info!(status, %code, latency_ms, %request_id, "request refused");
        } else {
            tracing::debug!(status, latency_ms, %request_id, "request done");
        }
    }
}

/// Only failures that are not a status (a body that broke mid-stream) are
/// logged here; statuses are [`LogResponse`]'s, so a 5xx is logged once.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogFailure;

impl tower_http::trace::OnFailure<tower_http::classify::ServerErrorsFailureClass> for LogFailure {
    fn on_failure(
        &mut self,
        class: tower_http::classify::ServerErrorsFailureClass,
        latency: Duration,
        _span: &tracing::Span,
    ) {
        if let tower_http::classify::ServerErrorsFailureClass::Error(error) = class {
            let latency_ms = latency.as_millis();
            tracing::error!(%error, latency_ms, "response failed");
        }
    }
}

/// The request id, copied into the response for [`LogResponse`].
#[derive(Clone, Debug)]
pub struct RequestIdField(pub String);

/// Unknown routes. A browser asking for a page outside `/api/` gets the web
/// UI's 404 page instead of a problem document.
pub async fn not_found(req: Request) -> Response {
    refuse(&req, ApiError::NotFound)
}

/// Whether a request comes from a person's browser asking for a page (not
/// the API, not a page script): its errors are pages, not problem+json.
fn wants_page(req: &Request) -> bool {
    let path = req.uri().path();
    !path.starts_with("/api/")
        && !path.starts_with("/web-api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}

/// An error answer in the form the client reads: a page for a browser's
/// page request, else problem+json.
fn refuse(req: &Request, e: ApiError) -> Response {
    if wants_page(req) {
        crate::web::errors::error_page(&e)
    } else {
        e.into_response()
    }
}

/// Known route, wrong method.
pub async fn method_not_allowed(req: Request) -> Response {
    refuse(&req, ApiError::MethodNotAllowed)
}
