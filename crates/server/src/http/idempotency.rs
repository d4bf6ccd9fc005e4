//! `Idempotency-Key` on POSTs: the same key with the same body replays the
//! stored response; with a different body, 422 `idempotency_key_reused`;
//! while the first request runs, 409. Keys are per signed-in user and kept
//! 24 hours. Requests without the header, or without a bearer token, pass
//! through untouched.
//!
//! Three rules keep replay storage safe:
//! - **No secrets at rest.** Routes that mint tokens ([`SECRET_ROUTES`]:
//!   sign-in, refresh, accepting an invitation, phone pairing) ignore the
//!   key: they are answered normally and nothing is stored (each of them is
//!   already safe to retry: refresh has its retry window, a second pairing
//!   token replaces nothing, a second claim is 409). Any other response that
//!   carries a `*token` field is not stored either: the key then keeps a
//!   notice (`idempotent_response_not_kept`) instead of the body.
//! - **Cancelled work frees the key.** A reservation is released when the
//!   request's future is dropped (client disconnect, request timeout) or the
//!   answer is a 5xx, so a retry is not refused with 409 for 24 hours. One
//!   left by a killed process is taken over by a retry once it is older than
//!   twice the request timeout plus a minute.
//! - **Large responses are not a failure.** A response over
//!   [`MAX_STORED_RESPONSE`] is sent to the client in full; the key keeps
//!   its status and a small notice body, so a retry does not repeat the work.

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use invigil_store::idempotency::{self, Reservation};
use invigil_store::identity::{TokenKind, sessions};

use super::error::ApiError;
use crate::identity::crypto::hash_token;
use crate::state::AppState;

const MAX_BODY: usize = 16 * 1024 * 1024;
/// Largest response body kept for replay; a larger one keeps a notice.
pub const MAX_STORED_RESPONSE: usize = 1024 * 1024;

/// Routes (as matched, with the `/api/v1` prefix) whose responses carry
/// secrets. `Idempotency-Key` is ignored on them and nothing is stored.
pub const SECRET_ROUTES: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/accept-invitation",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/sessions/{session}/pairing",
    "/api/v1/pairing/claim",
    "/api/v1/auth/sign-up/verify",
];

/// The code of the notice kept instead of a response that cannot be replayed.
pub const NOT_KEPT_CODE: &str = "idempotent_response_not_kept";

/// Frees the reservation unless the request finished: dropping the request
/// future (the client went away, or the timeout layer cut it) drops this.
struct Reserved {
    state: AppState,
    user: Uuid,
    key: String,
    finished: bool,
}

impl Reserved {
    /// The response was stored (or released) by the normal path.
    fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let state = self.state.clone();
        let user = self.user;
        let key = std::mem::take(&mut self.key);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                match idempotency::release_pending(state.db.write(), user, &key).await {
                    Ok(_) => tracing::info!("idempotency key released: the request did not finish"),
                    Err(e) => tracing::warn!(error = %e, "cannot release an idempotency key"),
                }
            });
        }
    }
}

/// The body kept instead of a response that must not or cannot be replayed.
fn notice(status: StatusCode, why: &str) -> String {
    serde_json::json!({
        "type": "about:blank",
        "title": "Response not kept",
        "status": status.as_u16(),
        "code": NOT_KEPT_CODE,
        "detail": format!(
            "the request with this Idempotency-Key was done (status {}), but its response {why}; read the resource to see the result",
            status.as_u16()
        ),
    })
    .to_string()
}

/// Whether a JSON response body carries a token (a field named `token` or
/// ending in `_token`, at the top level).
fn carries_secret(bytes: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(serde_json::Value::Object(m)) => m.keys().any(|k| k == "token" || k.ends_with("_token")),
        _ => false,
    }
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return ApiError::field("Idempotency-Key", "must be 1 to 255 characters").into_response();
    }
    if req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| SECRET_ROUTES.contains(&p.as_str()))
    {
        return next.run(req).await;
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned());
    let Some(token) = token else {
        return next.run(req).await;
    };
    let user = match sessions::authenticate(
        state.db.read(),
        &hash_token(&token),
        TokenKind::Access,
        state.now(),
    )
    .await
    {
        Ok(Some(a)) => a.user.id,
        Ok(None) => return next.run(req).await,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let (parts, body) = req.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"?");
    hasher.update(parts.uri.query().unwrap_or("").as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());
    // A request cannot run longer than the request timeout; a reservation
    // pending well past it was left by a killed process.
    let stale_after = i64::try_from(state.config.request_timeout_secs)
        .ok()
        .and_then(|s| chrono::TimeDelta::try_seconds(s.saturating_mul(2).saturating_add(60)))
        .unwrap_or(chrono::TimeDelta::days(1));
    match idempotency::reserve(
        state.db.write(),
        user,
        &key,
        &request_hash,
        state.now(),
        stale_after,
    )
    .await
    {
        Ok(Reservation::Fresh) => {}
        Ok(Reservation::Replay { status, body }) => {
            let mut resp =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp.headers_mut()
                .insert("idempotent-replay", HeaderValue::from_static("true"));
            return resp;
        }
        Ok(Reservation::Mismatch) => {
            return ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "this Idempotency-Key was used with a different request".into(),
            }
            .into_response();
        }
        Ok(Reservation::InProgress) => {
            return ApiError::conflict("a request with this Idempotency-Key is still running")
                .into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    }
    // From here on, dropping this future (disconnect, timeout) frees the key.
    let reserved = Reserved {
        state: state.clone(),
        user,
        key: key.clone(),
        finished: false,
    };
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    if status.is_server_error() {
        let _ = idempotency::release(state.db.write(), user, &key).await;
        reserved.finish();
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let rbytes: Bytes = match rbody.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            let _ = idempotency::release(state.db.write(), user, &key).await;
            reserved.finish();
            return ApiError::internal(format!("cannot read the response body: {e}"))
                .into_response();
        }
    };
    let kept = if rbytes.len() > MAX_STORED_RESPONSE {
        notice(status, "was too large to keep for replay")
    } else if carries_secret(&rbytes) {
        notice(status, "carries a secret and is never stored")
    } else {
        String::from_utf8_lossy(&rbytes).into_owned()
    };
    if let Err(e) =
        idempotency::complete(state.db.write(), user, &key, status.as_u16(), &kept).await
    {
        tracing::warn!(error = %e, "cannot store idempotent response");
        let _ = idempotency::release(state.db.write(), user, &key).await;
    }
    reserved.finish();
    Response::from_parts(rparts, Body::from(rbytes))
}
