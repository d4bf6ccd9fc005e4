//! `Idempotency-Key` on POSTs: the same key with the same body replays the
//! stored response; with a different body, 422 `idempotency_key_reused`;
//! while the first request runs, 409. Keys are per signed-in user and kept
//! 24 hours. Requests without the header, or without a bearer token, pass
//! through untouched.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::{Digest, Sha256};

use invigil_store::idempotency::{self, Reservation};
use invigil_store::identity::{sessions, token_kind};

use super::error::ApiError;
use crate::identity::crypto::hash_token;
use crate::state::AppState;

const MAX_BODY: usize = 16 * 1024 * 1024;
const MAX_STORED_RESPONSE: usize = 1024 * 1024;

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
        token_kind::ACCESS,
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
    match idempotency::reserve(state.db.write(), user, &key, &request_hash, state.now()).await {
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
    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    if status.is_server_error() {
        let _ = idempotency::release(state.db.write(), user, &key).await;
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let rbytes: Bytes = match http_body_util::Limited::new(rbody, MAX_STORED_RESPONSE)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            let _ = idempotency::release(state.db.write(), user, &key).await;
            return ApiError::internal("response too large to keep for idempotency")
                .into_response();
        }
    };
    let text = String::from_utf8_lossy(&rbytes).into_owned();
    if let Err(e) =
        idempotency::complete(state.db.write(), user, &key, status.as_u16(), &text).await
    {
        tracing::warn!(error = %e, "cannot store idempotent response");
    }
    Response::from_parts(rparts, Body::from(rbytes))
}
