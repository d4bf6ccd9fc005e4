//! The exam page, `/exam/{session}`, and its service worker, `/exam/sw.js`.
//!
//! The page is a skeleton: `assets/exam.js` loads the session from
//! `/web-api/v1/sessions/{s}` and runs the exam (questions, palette, timer,
//! local journal and autosave, proctor actions). What the script needs from
//! the server comes in `data-*` attributes on the page's root: the session
//! id, the API base, whether proctoring is on with the organization's
//! snapshot interval and fullscreen rule, and the URLs of the proctoring
//! assets (a module cannot import a content-hashed file by name).
//!
//! Only the candidate's own session opens (another person's, or an unknown
//! id, is the 404 page, like the API); a finished session shows the end view
//! instead of the questions.
//!
//! The service worker keeps the page usable through a reload while offline:
//! it caches the page, its assets and the last session document (network
//! first, cache when offline) and never touches PUT or POST, so the answers
//! themselves always go through the page's own journal.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_store::exams as exam_store;
use invigil_store::tenancy;

use super::Layout;
use super::errors::error_page;
use super::session::SignedIn;
use crate::delivery::service::own_session;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Organization setting: seconds between webcam snapshots.
pub const SNAPSHOT_SETTING: &str = "proctoring.snapshot_interval_seconds";
/// Organization setting: whether leaving fullscreen is a signal.
pub const FULLSCREEN_SETTING: &str = "proctoring.require_fullscreen";

/// The proctoring options the page passes to `proctor.js`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProctorSettings {
    /// 5 to 300, default 30.
    pub snapshot_seconds: u32,
    /// Default false.
    pub require_fullscreen: bool,
}

/// A proctoring setting, written nested (`{"proctoring": {"x": ..}}`) or
/// with its dotted key (`{"proctoring.x": ..}`); the nested one wins.
fn setting<'a>(settings: &'a serde_json::Value, dotted: &str) -> Option<&'a serde_json::Value> {
    let (group, key) = dotted.split_once('.')?;
    settings
        .get(group)
        .and_then(|g| g.get(key))
        .or_else(|| settings.get(dotted))
        .filter(|v| !v.is_null())
}

/// Reads the proctoring options from an organization's settings object:
/// a missing or malformed value takes the default, an interval out of range
/// is clamped to 5..=300 seconds. The pre-exam check tells the candidate
/// the same interval.
pub fn proctor_settings(settings: &serde_json::Value) -> ProctorSettings {
    let snapshot_seconds = setting(settings, SNAPSHOT_SETTING)
        .and_then(serde_json::Value::as_f64)
        .filter(|s| s.is_finite())
        .map_or(30, |s| {
            // Clamped first, so the conversion cannot overflow.
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 5..=300"
            )]
            let secs = s.round().clamp(5.0, 300.0) as u32;
            secs
        });
    let require_fullscreen = setting(settings, FULLSCREEN_SETTING)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false);
    ProctorSettings {
        snapshot_seconds,
        require_fullscreen,
    }
}

/// The running exam: the skeleton `exam.js` fills.
#[derive(Template, WebTemplate)]
#[template(path = "exam.html")]
pub struct ExamPage {
    pub layout: Layout,
    pub exam_title: String,
    pub session_id: Uuid,
    pub proctoring: bool,
    pub settings: ProctorSettings,
}

/// A finished session: when it ended and how.
#[derive(Template, WebTemplate)]
#[template(path = "exam_end.html")]
pub struct ExamEndPage {
    pub layout: Layout,
    pub exam_title: String,
    /// "Your answers were submitted at ...", or why the exam ended.
    pub message: String,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%H:%M UTC on %a %-d %b %Y").to_string()
}

/// What the end view says about a finished session.
fn end_message(status: DeliveryStatus, finished_at: Option<DateTime<Utc>>) -> String {
    let at = finished_at.map_or_else(|| "the end of the exam".to_owned(), when);
    match status {
        DeliveryStatus::AutoSubmitted => {
            format!("Time was up. Your answers were submitted automatically at {at}.")
        }
        DeliveryStatus::Terminated => format!(
            "The proctor ended this exam at {at}. The answers you had saved were submitted."
        ),
        _ => format!("Your answers were submitted at {at}."),
    }
}

/// `GET /exam/{session}`.
pub async fn exam_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(session): Path<String>,
) -> Response {
    let SignedIn { visitor, user } = signed_in;
    let Ok(session_id) = Uuid::parse_str(&session) else {
        return error_page(&ApiError::NotFound);
    };
    let s = match own_session(&state, &user, session_id).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let exam = match exam_store::exam(state.db.read(), s.org_id, s.exam_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let (csrf, _) = visitor.csrf_for_page();
    let layout = Layout::for_visitor(&exam.title, &visitor, &csrf);
    if s.status.is_terminal() {
        return ExamEndPage {
            layout,
            exam_title: exam.title,
            message: end_message(s.status, s.finished_at),
        }
        .into_response();
    }
    let settings = match tenancy::org_by_id(state.db.read(), s.org_id).await {
        Ok(Some(org)) => {
            let json = org.settings_json().unwrap_or_else(|e| {
                tracing::error!(org_id = %s.org_id, error = %e, "organization settings are not JSON; using the defaults");
                serde_json::Value::Null
            });
            proctor_settings(&json)
        }
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&ApiError::from(e)),
    };
    ExamPage {
        layout,
        exam_title: exam.title,
        session_id: s.id,
        proctoring: exam.enable_proctoring,
        settings,
    }
    .into_response()
}

const SERVICE_WORKER: &str = include_str!("../../assets/exam-sw.js");

/// `GET /exam/sw.js`: the exam page's service worker. Served from `/exam/`
/// (not under a hashed name) so its scope is `/exam/` and its URL stays the
/// same across versions; `no-cache` makes browsers check it on every load.
pub async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn proctor_settings_default_clamp_and_ignore_malformed_values() {
        let defaults = ProctorSettings {
            snapshot_seconds: 30,
            require_fullscreen: false,
        };
        assert_eq!(proctor_settings(&json!({})), defaults);
        assert_eq!(proctor_settings(&serde_json::Value::Null), defaults);
        assert_eq!(
            proctor_settings(&json!({SNAPSHOT_SETTING: "10", FULLSCREEN_SETTING: "yes"})),
            defaults
        );
        let read = |v: serde_json::Value| proctor_settings(&json!({ SNAPSHOT_SETTING: v }));
        assert_eq!(read(json!(12)).snapshot_seconds, 12);
        assert_eq!(read(json!(1)).snapshot_seconds, 5);
        assert_eq!(read(json!(-40)).snapshot_seconds, 5);
        assert_eq!(read(json!(10_000)).snapshot_seconds, 300);
        assert_eq!(read(json!(1e300)).snapshot_seconds, 300);
        assert_eq!(read(json!(7.6)).snapshot_seconds, 8);
        assert!(proctor_settings(&json!({ FULLSCREEN_SETTING: true })).require_fullscreen);
        // The nested form, as an admin writes it, wins over the dotted key.
        let nested = json!({"proctoring": {"snapshot_interval_seconds": 12, "require_fullscreen": true},
            SNAPSHOT_SETTING: 60});
        assert_eq!(
            proctor_settings(&nested),
            ProctorSettings {
                snapshot_seconds: 12,
                require_fullscreen: true
            }
        );
    }

    #[test]
    fn the_end_view_says_how_the_exam_ended() {
        let at = DateTime::parse_from_rfc3339("2026-03-02T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            end_message(DeliveryStatus::Submitted, Some(at)),
            "Your answers were submitted at 10:15 UTC on Mon 2 Mar 2026."
        );
        assert!(end_message(DeliveryStatus::AutoSubmitted, Some(at)).starts_with("Time was up."));
        assert!(end_message(DeliveryStatus::Terminated, None).contains("proctor ended"));
    }
}
