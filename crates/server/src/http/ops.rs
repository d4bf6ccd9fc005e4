//! Operational endpoints: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Ready {
    pub status: &'static str,
    pub database: &'static str,
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Ready), (status = 503, description = "database unreachable")))]
pub async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Ready>, ApiError> {
    match state.db.ping().await {
        Ok(()) => Ok(axum::Json(Ready {
            status: "ok",
            database: state.db.backend().name(),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(ApiError::Overloaded {
                retry_after_secs: 5,
            })
        }
    }
}

/// Prometheus text exposition. With `metrics_token` configured it needs
/// `Authorization: Bearer <metrics_token>`; with `metrics_addr` configured
/// it is served only on that address (404 here).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus metrics", content_type = "text/plain", body = String),
        (status = 401, description = "`metrics_token` is configured and the request lacks it"),
        (status = 404, description = "`metrics_addr` is configured: /metrics lives on that listener")))]
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.config.metrics_addr.is_some() {
        return ApiError::NotFound.into_response();
    }
    render_metrics(&state, &headers)
}

/// `/metrics` on the separate `metrics_addr` listener.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(
                |State(state): State<AppState>, headers: HeaderMap| async move {
                    render_metrics(&state, &headers)
                },
            ),
        )
        .fallback(super::middleware::not_found)
        .with_state(state)
}

/// Whether the request carries the configured metrics token (or none is
/// configured), compared in constant time (`secrets_match`).
fn metrics_allowed(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = &state.config.metrics_token else {
        return true;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or("");
    !given.is_empty() && crate::identity::crypto::secrets_match(given, expected.expose().trim())
}

fn render_metrics(state: &AppState, headers: &HeaderMap) -> Response {
    if !metrics_allowed(state, headers) {
        let mut resp = ApiError::Unauthenticated.into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return resp;
    }
    match crate::telemetry::metrics_handle() {
        Some(h) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => ApiError::internal("metrics recorder unavailable").into_response(),
    }
}
