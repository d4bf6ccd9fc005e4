//! The phone as a second camera, in the browser.
//!
//! - `POST /web-api/v1/sessions/{s}/pairing-qr` (the candidate's page, cookie
//!   and CSRF token): the service of `POST /sessions/{s}/pairing`, answered as the
//!   link for the phone and that link as a QR code (SVG rendered here). The
//!   link starts with the configured `public_url`, never with the request's
//!   Host header (a forged Host must not send a phone elsewhere).
//! - `GET /pair?token=...`: the page the phone opens. No sign-in: the token is
//!   the credential, and a GET never claims it (link scanners and previews
//!   open links); the "Start camera" button does, through
//!   `POST /api/v1/pairing/claim`, in `pair.js`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use qrcode::QrCode;
use qrcode::render::svg;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Layout;
use super::errors::{ErrorPage, page};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::http::extract::ApiPath;
use crate::state::AppState;

/// How often the phone sends a photo, in seconds.
pub const PHONE_SNAPSHOT_SECS: u32 = 20;

/// What the pre-exam check shows.
#[derive(Debug, Serialize)]
pub struct PairingQr {
    /// The link the phone opens: `{public_url}/pair?token=...`.
    pub url: String,
    /// The link as a QR code: an `<svg role="img">`, dark modules on white
    /// with the standard quiet zone.
    pub svg: String,
    /// The token can be claimed until then (5 minutes).
    pub expires_at: DateTime<Utc>,
}

/// `text` as an inline SVG QR code with an accessible name.
pub fn qr_svg(text: &str, label: &str) -> Result<String, ApiError> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot encode the pairing QR: {e}")))?;
    let image = code
        .render::<svg::Color<'_>>()
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .min_dimensions(232, 232)
        .build();
    // Inline in HTML: no XML prolog; a name for screen readers.
    let body = image
        .find("<svg")
        .and_then(|at| image.get(at + "<svg".len()..))
        .unwrap_or_default();
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    Ok(format!(
        r#"<svg class="qr" role="img" aria-label="{label}"{body}"#
    ))
}

/// `POST /web-api/v1/sessions/{s}/pairing-qr`.
pub async fn pairing_qr(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(session): ApiPath<Uuid>,
) -> Result<Json<PairingQr>, ApiError> {
    let view = crate::proctoring::pairing::create(&state, &me, session).await?;
    // The service's link, built from `public_url` (never the Host header).
    let url = view.pair_url;
    let svg = qr_svg(
        &url,
        "QR code: scan it with your phone's camera to open the phone page",
    )?;
    Ok(Json(PairingQr {
        url,
        svg,
        expires_at: view.expires_at,
    }))
}

#[derive(Debug, Deserialize)]
pub struct PairQuery {
    token: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pair.html")]
pub struct PairPage {
    pub layout: Layout,
    pub token: String,
    pub snapshot_seconds: u32,
}

/// A token as `new_token` makes them: URL-safe base64, not absurdly long.
fn plausible_token(token: &str) -> bool {
    (16..=256).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `GET /pair?token=...`: the phone page. Never claims the token.
pub async fn pair_page(query: Result<Query<PairQuery>, QueryRejection>) -> Response {
    let token = query
        .ok()
        .and_then(|Query(q)| q.token)
        .map(|t| t.trim().to_owned())
        .filter(|t| plausible_token(t));
    match token {
        Some(token) => PairPage {
            layout: Layout::anonymous("Phone camera"),
            token,
            snapshot_seconds: PHONE_SNAPSHOT_SECS,
        }
        .into_response(),
        None => page(
            StatusCode::BAD_REQUEST,
            ErrorPage {
                layout: Layout::anonymous("Phone camera"),
                heading: "This link is not complete".to_owned(),
                message: "The phone page opens from the QR code on your exam page. \
                          Scan a new code from the exam page with this phone's camera."
                    .to_owned(),
                link: ("/".to_owned(), "Go to the start page".to_owned()),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_is_an_inline_svg_with_a_name() {
        let svg = qr_svg("https://exams.example.org/pair?token=x", "QR \"code\"").unwrap();
        assert!(
            svg.starts_with(
                r#"<svg class="qr" role="img" aria-label="QR &quot;code&quot;" xmlns="#
            ),
            "{svg}"
        );
        assert!(svg.contains(r##"fill="#ffffff""##) && svg.contains(r##"fill="#000000""##));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn only_plausible_tokens_get_the_page() {
        assert!(plausible_token(&crate::identity::crypto::new_token()));
        assert!(!plausible_token("short"));
        assert!(!plausible_token("has spaces in it, quite long"));
        assert!(!plausible_token(&"a".repeat(257)));
    }
}
