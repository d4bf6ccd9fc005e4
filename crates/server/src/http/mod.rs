//! The HTTP edge: router assembly, layers, errors and extractors. Handlers
//! live in each module's `routes` file and stay thin.

pub mod auth;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod ops;
pub mod page;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Default body limit of API routes.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Imports (question banks, candidate and enrollment CSVs).
pub const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Evidence frames.
pub const FRAME_BODY_LIMIT: usize = 4 * 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Invigil API",
        description = "Proctored online assessment. Errors are RFC 9457 problem+json documents with a stable `code`.",
        license(name = "AGPL-3.0-or-later")
    ),
    components(schemas(error::Problem, error::FieldError, error::LineError, ProblemItem)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

/// One item of a problem's `errors` (OpenAPI shape only).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ProblemItem {
    Field(error::FieldError),
    Line(error::LineError),
}

/// Gives every 4xx/5xx response of the document the problem+json body it
/// really has (the annotations name only the status and a description).
fn problem_bodies(spec: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, RefOr};
    for item in spec.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in ops.into_iter().flatten() {
            for (status, resp) in op.responses.responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, RefOr::T(r)) = (is_error, resp)
                    && r.content.is_empty()
                {
                    r.content.insert(
                        error::PROBLEM_JSON.to_owned(),
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    );
                }
            }
        }
    }
}

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Routes under `/api/v1`, grouped by body limit.
fn api_v1() -> OpenApiRouter<AppState> {
    let default_limit = OpenApiRouter::new()
        .merge(crate::identity::routes::routes())
        .merge(crate::tenancy::routes::routes())
        .merge(crate::content::routes::routes())
        .merge(crate::exams::routes::routes())
        .merge(crate::delivery::routes::routes())
        .merge(crate::grading::routes::routes())
        .merge(crate::proctoring::routes::routes())
        .merge(crate::review::routes::routes())
        .merge(crate::audit::routes::routes())
        .merge(crate::reports::routes::routes())
        .merge(crate::records::routes::routes())
        .merge(crate::courses::routes::routes())
        .merge(crate::courses::routes_learn::routes())
        .merge(crate::notify::routes::routes())
        .merge(crate::payments::routes::routes())
        .merge(crate::live::routes::routes())
        .merge(crate::people::routes::routes())
        .merge(crate::hiring::routes::routes())
        .merge(crate::practice::routes::routes())
        .merge(crate::certificates::routes::routes())
        .merge(crate::sso::routes::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    let import_limit = OpenApiRouter::new()
        .merge(crate::tenancy::routes::import_routes())
        .merge(crate::content::routes::import_routes())
        .merge(crate::exams::routes::import_routes())
        .merge(crate::records::routes::import_routes())
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(IMPORT_BODY_LIMIT));
    let frame_limit = OpenApiRouter::new()
        .merge(crate::review::routes::frame_routes())
        .merge(crate::people::routes::image_routes())
        .layer(DefaultBodyLimit::max(FRAME_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(FRAME_BODY_LIMIT));
    OpenApiRouter::new()
        .merge(default_limit)
        .merge(import_limit)
        .merge(frame_limit)
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    build_parts().2
}

/// (request/response routes, streaming routes, OpenAPI document). Streaming
/// routes (the live feed) are mounted outside the per-request timeout.
fn build_parts() -> (Router<AppState>, Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .nest("/api/v1", api_v1())
        .split_for_parts();
    let (streaming, streaming_spec) = OpenApiRouter::new()
        .nest(
            "/api/v1",
            crate::proctoring::routes::streaming_routes()
                // Files: long uploads and downloads, the kind's own size limit.
                .merge(crate::files::routes::routes()),
        )
        .split_for_parts();
    spec.merge(streaming_spec);
    problem_bodies(&mut spec);
    (routes, streaming, spec)
}

/// The whole application router with its layers.
pub fn router(state: AppState) -> Router {
    // Install the recorder before the first request is counted.
    let _ = crate::telemetry::metrics_handle();
    let (routes, streaming, spec) = build_parts();
    let spec = Arc::new(spec.to_json().unwrap_or_else(|_| "{}".to_owned()));
    let timeout = state.config.request_timeout();
    let hsts = state.config.behind_tls();

    let routes = routes
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let spec = spec.clone();
                async move {
                    (
                        [(header::CONTENT_TYPE, "application/json")],
                        (*spec).clone(),
                    )
                        .into_response()
                }
            }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        // The web UI (HTML pages, cookie sign-in); not under /api/v1.
        .merge(crate::web::router())
        // The JSON of the pages' scripts: /api/v1 handlers, cookie + CSRF.
        .merge(crate::web::api::router(state.clone()))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::tag_route))
        .layer(axum::middleware::from_fn_with_state(
            timeout,
            middleware::timeout,
        ))
        .merge(streaming.route_layer(axum::middleware::from_fn(middleware::tag_route)))
        // The staff live console's feed (cookie session), long-lived too.
        .merge(
            crate::web::staff::live::streaming_router()
                .route_layer(axum::middleware::from_fn(middleware::tag_route)),
        )
        // The staff lecture form: its video or PDF streamed to the files service.
        .merge(
            crate::web::staff::courses::streaming_router()
                .route_layer(axum::middleware::from_fn(middleware::tag_route)),
        )
        // The staff files page's streamed upload and ranged download.
        .merge(
            crate::web::staff::files::streaming_router()
                .route_layer(axum::middleware::from_fn(middleware::tag_route)),
        );

    let security = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; \
                 object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(self), microphone=(self), geolocation=()"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .into_inner();
    let hsts_value = if hsts {
        Some(HeaderValue::from_static(
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        None
    };

    // problem_net wraps CatchPanic, so a panic's plain 500 becomes problem+json.
    let router = routes
        .with_state(state)
        .layer(axum::middleware::from_fn(middleware::input_hygiene))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(middleware::problem_net))
        .layer(axum::middleware::from_fn(middleware::record_metrics))
        .layer(CompressionLayer::new().compress_when(
            // Ranged downloads (files) go out as stored: compressing would
            // drop `Accept-Ranges` and spend CPU on video.
            tower_http::compression::Predicate::and(
                tower_http::compression::predicate::DefaultPredicate::new(),
                |_: axum::http::StatusCode,
                 _: axum::http::Version,
                 h: &axum::http::HeaderMap,
                 _: &axum::http::Extensions| !h.contains_key(header::ACCEPT_RANGES),
            ),
        ))
        .layer(security);
    let router = match hsts_value {
        Some(v) => router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            v,
        )),
        None => router,
    };
    let request_id = HeaderName::from_static("x-request-id");
    router
        .layer(TraceLayer::new_for_http().on_response(middleware::LogResponse).on_failure(middleware::LogFailure).make_span_with(
            |req: &axum::http::Request<axum::body::Body>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // Never the headers: they carry tokens and cookies.
                tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
            },
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
