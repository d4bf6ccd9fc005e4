//! `/web-api/v1`: the JSON the page scripts call (the exam page's autosave,
//! timer and proctoring signals, the results page), authenticated by the
//! browser's session cookie instead of a bearer token.
//!
//! The routes are the **same handlers** as their `/api/v1` twins (same
//! bodies, status codes and problem+json errors); only the credential
//! differs. [`WebApiAuth`] guards every one of them: the session cookie must
//! name a live browser session of an ACTIVE account, and the request must
//! carry the page's CSRF token in `X-CSRF-Token` (GET included, so another
//! site can neither write nor read) and must not be labelled
//! `Sec-Fetch-Site: cross-site`. It then hands the handlers a
//! [`BrowserSession`], which `CurrentUser` and the proctoring credential
//! accept in place of an ACCESS token. Only the candidate's own routes are
//! mirrored here; staff routes stay bearer-only until their pages need them.

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use tower_http::limit::RequestBodyLimitLayer;

use invigil_store::identity::{AccountStatus, TokenKind, sessions};

use super::csrf;
use super::session::{CookieNames, cookie};
use crate::http::auth::BrowserSession;
use crate::http::error::ApiError;
use crate::http::{BODY_LIMIT, FRAME_BODY_LIMIT};
use crate::identity::crypto::hash_token;
use crate::state::AppState;
use crate::{delivery, grading, proctoring, review};

/// The prefix of these routes.
pub const PREFIX: &str = "/web-api/v1";

/// The guard of every `/web-api/v1` route (see the module documentation).
/// 401 without a live browser session, 403 without the right CSRF token.
#[derive(Debug, Clone)]
pub struct WebApiAuth;

impl FromRequestParts<AppState> for WebApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let names = CookieNames::of(&state.config);
        let secret = cookie(&parts.headers, names.session).ok_or(ApiError::Unauthenticated)?;
        let found = sessions::authenticate(
            state.db.read(),
            &hash_token(secret),
            TokenKind::Web,
            state.now(),
        )
        .await?
        .filter(|f| f.user.status == AccountStatus::Active)
        .ok_or(ApiError::InvalidToken)?;
        let cross_site = parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cross-site"));
        let presented = parts
            .headers
            .get(csrf::HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if cross_site || !csrf::verify(secret, presented) {
            return Err(ApiError::Denied(
                "missing or wrong X-CSRF-Token: reload the page".into(),
            ));
        }
        parts.extensions.insert(BrowserSession(found));
        Ok(WebApiAuth)
    }
}

/// The routes, nested under [`PREFIX`].
pub fn router(state: AppState) -> Router<AppState> {
    let default_limit = Router::new()
        .route(
            "/exams/{exam}/sessions",
            post(delivery::routes::start_session),
        )
        .route("/sessions/{session}", get(delivery::routes::get_session))
        .route(
            "/sessions/{session}/answers/{question_id}",
            put(delivery::routes::save_answer),
        )
        .route(
            "/sessions/{session}/submit",
            post(delivery::routes::submit_session),
        )
        .route(
            "/sessions/{session}/events",
            post(proctoring::routes::post_events),
        )
        .route(
            "/sessions/{session}/heartbeat",
            post(proctoring::routes::heartbeat),
        )
        .route(
            "/sessions/{session}/pairing",
            post(proctoring::routes::create_pairing),
        )
        .route(
            "/sessions/{session}/pairing-qr",
            post(super::pair::pairing_qr),
        )
        .route(
            "/orgs/{org}/courses/{course}/lectures/{lecture}/progress",
            put(crate::courses::routes_learn::save_progress),
        )
        .route("/me/results", get(grading::routes::my_results))
        .route(
            "/me/sessions/{session}/integrity",
            get(review::routes::my_integrity),
        )
        .route(
            "/me/sessions/{session}/appeal",
            post(review::routes::appeal_decision),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT));
    let frame_limit = Router::new()
        .route(
            "/sessions/{session}/frames",
            post(review::routes::upload_frame),
        )
        .layer(DefaultBodyLimit::max(FRAME_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(FRAME_BODY_LIMIT));
    let routes = default_limit.merge(frame_limit).route_layer(
        axum::middleware::from_extractor_with_state::<WebApiAuth, AppState>(state),
    );
    Router::new().nest(PREFIX, routes)
}
