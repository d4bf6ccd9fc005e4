//! The proctor's live console of an exam, `/orgs/{org}/exams/{exam}/live`:
//! every session of the exam (the roster service of
//! `GET /api/v1/orgs/{org}/exams/{exam}/sessions`) with state, time left,
//! each device's last heartbeat, the newest webcam frame and open flags;
//! filtered by `?status=`, paginated by cursor.
//!
//! Live without reload: `.../live/feed?csrf=` is the cookie twin of the
//! API's SSE feed (EventSource cannot send headers, so the page's CSRF token
//! travels in the query); assets/live.js listens to it and, on a `flag` or
//! `session` event, fetches `.../live/rows` (the same roster page, rows
//! only) and announces new flags. The feed re-checks the browser session
//! and the viewer's right like the API's feed does.
//!
//! Actions (warn, pause, resume, extend, terminate, each with a reason) post
//! to `/orgs/{org}/sessions/{session}/actions`, the service of
//! `POST /api/v1/orgs/{org}/sessions/{session}/actions`. Frames are served
//! by `/orgs/{org}/sessions/{session}/frames/{frame}` through the review
//! evidence service (decrypted on view, audited `evidence.read`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::identity::Action;
use invigil_domain::review::IntegrityStatus;
use invigil_store::delivery as delivery_store;
use invigil_store::proctoring::evidence as frames;

use super::{Pager, Section, Staff, is_htmx};
use crate::delivery::actions::{self, ActionBody};
use crate::delivery::roster::{self, RosterQuery, RosterRow};
use crate::http::error::ApiError;
use crate::proctoring::live::{FeedAccess, sse_response};
use crate::review::evidence;
use crate::state::AppState;
use crate::web::errors::{ErrorPage, error_page, page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// Rows per page of the console.
const PAGE_ROWS: u64 = 50;

/// The console's pages and forms (request/response routes).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/exams/{exam}/live", get(live_page))
        .route("/orgs/{org}/exams/{exam}/live/rows", get(live_rows))
        .route("/orgs/{org}/sessions/{session}/actions", post(act))
        .route("/orgs/{org}/sessions/{session}/frames/{frame}", get(frame))
}

/// The console's feed: long-lived, mounted outside the request timeout
/// (see `crate::http::router`).
pub fn streaming_router() -> Router<AppState> {
    Router::new().route("/orgs/{org}/exams/{exam}/live/feed", get(feed))
}

/// A refusal as a page that says why: a service's conflict, denial or
/// validation message (htmx shows its heading and message in the page's
/// alert region); anything else is the usual error page.
pub fn refused(e: &ApiError) -> Response {
    let message = match e {
        ApiError::Conflict { detail, .. } | ApiError::Unprocessable { detail, .. } => {
            sentence(detail)
        }
        ApiError::Denied(why) => sentence(why),
        ApiError::Validation(fields) => fields
            .iter()
            .map(|f| sentence(&format!("{}: {}", f.field, f.message)))
            .collect::<Vec<_>>()
            .join(" "),
        _ => return error_page(e),
    };
    let (status, _) = e.parts();
    page(
        status,
        ErrorPage {
            layout: Layout::anonymous("Not done"),
            heading: "That was not done".to_owned(),
            message,
            link: ("/staff".to_owned(), "Back to the console".to_owned()),
        },
    )
}

/// An id of the path; anything else is the 404 page.
fn uuid_or_404(s: &str) -> Result<Uuid, ApiError> {
    s.parse::<Uuid>().map_err(|_| ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One device's last heartbeat.
#[derive(Debug)]
pub struct Beat {
    /// Seconds since, when the device was ever heard from.
    pub age: Option<i64>,
}

impl Beat {
    /// "12 s ago", "3 min ago", "never".
    pub fn text(&self) -> String {
        match self.age {
            None => "never".to_owned(),
            Some(s) if s < 60 => format!("{} s ago", s.max(0)),
            Some(s) if s < 3600 => format!("{} min ago", s / 60),
            Some(s) => format!("{} h ago", s / 3600),
        }
    }

    /// Silent for more than 30 s: worth a look.
    pub fn stale(&self) -> bool {
        self.age.is_none_or(|a| a > 30)
    }
}

/// One row of the console.
#[derive(Debug)]
pub struct LiveRow {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub attempt: i32,
    pub status: String,
    pub status_class: &'static str,
    /// IN_PROGRESS: the clock runs (the page ticks it).
    pub running: bool,
    /// Not finished: actions apply.
    pub open: bool,
    pub paused: bool,
    pub remaining_seconds: u64,
    pub integrity: String,
    pub integrity_class: &'static str,
    pub laptop: Beat,
    pub mobile: Beat,
    pub frame_url: Option<String>,
    pub open_flags: i64,
    pub score: i32,
    /// The session's review page, for those who review.
    pub review_href: Option<String>,
    pub actions_url: String,
    pub started: String,
}

impl LiveRow {
    /// The time left as a clock.
    pub fn left(&self) -> String {
        clock(self.remaining_seconds)
    }
}

/// `h:mm:ss` or `mm:ss`.
pub fn clock(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// The badge class of a delivery status.
fn status_class(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::InProgress => "ok",
        DeliveryStatus::Paused => "warn",
        DeliveryStatus::Terminated => "bad",
        DeliveryStatus::Submitted | DeliveryStatus::AutoSubmitted => "muted",
    }
}

/// The badge class of an integrity status.
pub fn integrity_class(s: IntegrityStatus) -> &'static str {
    match s {
        IntegrityStatus::Clean | IntegrityStatus::Cleared => "ok",
        IntegrityStatus::Flagged | IntegrityStatus::UnderReview => "warn",
        IntegrityStatus::ViolationConfirmed => "bad",
    }
}

/// The console's rows for a roster page: the roster's data, the newest
/// frame of each session (for those who may see evidence) and links.
async fn rows_of(
    state: &AppState,
    staff: &Staff,
    department: Option<Uuid>,
    items: Vec<RosterRow>,
) -> Result<Vec<LiveRow>, ApiError> {
    let reviewer = staff
        .ctx
        .authorize_in(Action::ReviewSessions, department)
        .is_ok();
    let now = state.now();
    let age = |t: Option<chrono::DateTime<chrono::Utc>>| Beat {
        age: t.map(|t| (now - t).num_seconds()),
    };
    let mut out = Vec::with_capacity(items.len());
    for r in items {
        let frame_url = if reviewer && r.candidate.id != staff.ctx.user.id() {
            frames::latest_frame_of_session(state.db.read(), staff.ctx.org_id(), r.session_id)
                .await?
                .map(|f| staff.href(&format!("/sessions/{}/frames/{}", r.session_id, f.id)))
        } else {
            None
        };
        out.push(LiveRow {
            id: r.session_id,
            name: r.candidate.name,
            email: r.candidate.email,
            attempt: r.attempt,
            status: r.status.to_string(),
            status_class: status_class(r.status),
            running: r.status == DeliveryStatus::InProgress,
            open: !r.status.is_terminal(),
            paused: r.status == DeliveryStatus::Paused,
            remaining_seconds: r.remaining_seconds,
            integrity: r.integrity.to_string(),
            integrity_class: integrity_class(r.integrity),
            laptop: age(r.last_heartbeat.laptop),
            mobile: age(r.last_heartbeat.mobile),
            frame_url,
            open_flags: r.open_flags,
            score: r.violation_score,
            review_href: reviewer.then(|| staff.href(&format!("/review/{}", r.session_id))),
            actions_url: staff.href(&format!("/sessions/{}/actions", r.session_id)),
            started: when(r.started_at),
        });
    }
    Ok(out)
}

/// The state filter's choices: (value, label).
const FILTERS: [(&str, &str); 6] = [
    ("", "All sessions"),
    ("IN_PROGRESS", "In progress"),
    ("PAUSED", "Paused"),
    ("SUBMITTED", "Submitted"),
    ("AUTO_SUBMITTED", "Auto-submitted"),
    ("TERMINATED", "Terminated"),
];

#[derive(Template, WebTemplate)]
#[template(path = "staff/live.html")]
pub struct LivePage {
    pub layout: Layout,
    pub exam_title: String,
    pub exams_href: String,
    pub base: String,
    pub rows_url: String,
    pub feed_url: String,
    pub filters: Vec<(&'static str, &'static str, bool)>,
    pub status: String,
    pub rows: Vec<LiveRow>,
    pub csrf: String,
    pub back: String,
    pub pager: Pager,
    pub may_act: bool,
    /// This exam's review queue, for reviewers.
    pub queue_href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/live_rows.html")]
pub struct LiveRows {
    pub rows: Vec<LiveRow>,
    pub csrf: String,
    pub back: String,
    pub may_act: bool,
}

/// What a page of the console shows: the exam and its roster rows.
struct Loaded {
    exam_id: Uuid,
    title: String,
    rows: Vec<LiveRow>,
    next_cursor: Option<String>,
    may_act: bool,
}

async fn load(
    state: &AppState,
    staff: &Staff,
    exam: &str,
    q: &LiveQuery,
) -> Result<Loaded, Response> {
    let exam_id = uuid_or_404(exam).map_err(|e| error_page(&e))?;
    let (exam, _auth) =
        crate::exams::service::load_exam(state, &staff.ctx, exam_id, Action::SessionActions)
            .await
            .map_err(|e| error_page(&e))?;
    let page = roster::roster(
        state,
        &staff.ctx,
        exam.id,
        RosterQuery {
            status: q.status.clone(),
            integrity: None,
            limit: Some(PAGE_ROWS),
            cursor: q.cursor.clone().filter(|c| !c.is_empty()),
        },
    )
    .await
    .map_err(|e| error_page(&e))?;
    let rows = rows_of(state, staff, exam.department_id, page.items)
        .await
        .map_err(|e| error_page(&e))?;
    Ok(Loaded {
        exam_id: exam.id,
        title: exam.title,
        rows,
        next_cursor: page.next_cursor,
        may_act: true,
    })
}

/// The page's own address with its filter and cursor (where forms return).
fn here(staff: &Staff, exam_id: Uuid, q: &LiveQuery) -> String {
    let mut pairs = Vec::new();
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        pairs.push(("status", s));
    }
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        pairs.push(("cursor", c));
    }
    let base = staff.href(&format!("/exams/{exam_id}/live"));
    if pairs.is_empty() {
        base
    } else {
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

/// `GET /orgs/{org}/exams/{exam}/live`: the console.
pub async fn live_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    Query(q): Query<LiveQuery>,
) -> Response {
    let loaded = match load(&state, &staff, &exam, &q).await {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    let status = q.status.clone().unwrap_or_default();
    let filter_base = {
        let base = staff.href(&format!("/exams/{}/live", loaded.exam_id));
        match status.as_str() {
            "" => base,
            s => format!(
                "{base}?{}",
                serde_urlencoded::to_string([("status", s)]).unwrap_or_default()
            ),
        }
    };
    let pager = Pager::new(
        &filter_base,
        q.cursor.as_deref().filter(|c| !c.is_empty()),
        loaded.next_cursor.as_deref(),
    );
    let live_base = staff.href(&format!("/exams/{}/live", loaded.exam_id));
    let feed_q = serde_urlencoded::to_string([("csrf", staff.csrf.as_str())]).unwrap_or_default();
    LivePage {
        layout: staff.layout(&format!("Live: {}", loaded.title), Section::Exams),
        exam_title: loaded.title,
        exams_href: staff.href("/exams"),
        base: live_base.clone(),
        rows_url: format!("{live_base}/rows"),
        feed_url: format!("{live_base}/feed?{feed_q}"),
        filters: FILTERS
            .iter()
            .map(|(v, l)| (*v, *l, *v == status))
            .collect(),
        status,
        back: here(&staff, loaded.exam_id, &q),
        rows: loaded.rows,
        csrf: staff.csrf.clone(),
        pager,
        may_act: loaded.may_act,
        queue_href: staff
            .may(Action::ReviewSessions)
            .then(|| staff.href(&format!("/review?exam_id={}", loaded.exam_id))),
    }
    .into_response()
}

/// `GET /orgs/{org}/exams/{exam}/live/rows`: the rows of the same page (for
/// live.js after a feed event or an action).
pub async fn live_rows(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    Query(q): Query<LiveQuery>,
) -> Response {
    let loaded = match load(&state, &staff, &exam, &q).await {
        Ok(l) => l,
        Err(resp) => return resp,
    };
    let mut resp = LiveRows {
        back: here(&staff, loaded.exam_id, &q),
        rows: loaded.rows,
        csrf: staff.csrf.clone(),
        may_act: loaded.may_act,
    }
    .into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    resp
}

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    #[serde(default)]
    pub csrf: String,
}

/// `GET /orgs/{org}/exams/{exam}/live/feed?csrf=`: the exam's SSE feed for
/// the signed-in browser (see the module documentation).
pub async fn feed(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, exam)): Path<(String, String)>,
    Query(q): Query<FeedQuery>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&q.csrf) {
        return no;
    }
    let exam_id = match uuid_or_404(&exam) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let exam =
        match crate::exams::service::load_exam(&state, &staff.ctx, exam_id, Action::SessionActions)
            .await
        {
            Ok((exam, _)) => exam,
            Err(e) => return error_page(&e),
        };
    let Some(secret) = staff.visitor.session_secret() else {
        return error_page(&ApiError::Unauthenticated);
    };
    let access = FeedAccess::for_browser(
        &state,
        secret,
        Action::SessionActions,
        staff.ctx.org_id(),
        exam.department_id,
    );
    sse_response(
        state.proctoring.live.subscribe(),
        staff.ctx.org_id(),
        exam.id,
        state.background.token(),
        access,
        std::time::Duration::from_secs(state.config.live_recheck_secs),
    )
}

#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(rename = "type", default)]
    pub action_type: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub minutes: String,
    /// The console page to return to (plain forms).
    #[serde(default)]
    pub back: String,
}

/// The message of a done action, for the page's status region.
#[derive(Template, WebTemplate)]
#[template(source = r#"<p class="live-done">{{ message }}</p>"#, ext = "html")]
pub struct ActionDone {
    pub message: String,
}

/// `POST /orgs/{org}/sessions/{session}/actions`: a proctor's action, the
/// API's service. htmx gets a sentence for the status region (and the event
/// `live-refresh`); a plain form goes back to the console.
pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path((_, session)): Path<(String, String)>,
    form: WebForm<ActionForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let session_id = match uuid_or_404(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let s = match delivery_store::session_in_org(state.db.read(), staff.ctx.org_id(), session_id)
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(&ApiError::NotFound),
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let auth = match crate::exams::service::load_exam(
        &state,
        &staff.ctx,
        s.exam_id,
        Action::SessionActions,
    )
    .await
    .and_then(|(_, auth)| auth.on_session_of(s.user_id).map(|()| auth))
    {
        Ok(auth) => auth,
        Err(e) => return refused(&e),
    };
    let f = form.value;
    let minutes = match f.minutes.trim() {
        "" => None,
        m => match m.parse::<i64>() {
            Ok(m) => Some(m),
            Err(_) => {
                return refused(&ApiError::field("minutes", "must be a whole number"));
            }
        },
    };
    let kind = f.action_type.trim().to_owned();
    let body = ActionBody {
        action_type: kind.clone(),
        reason: f.reason,
        // Minutes only count for an extension.
        minutes: if kind == "EXTEND_TIME" { minutes } else { None },
    };
    let result = match actions::act(&state, &auth, s, body).await {
        Ok(r) => r,
        Err(e) => return refused(&e),
    };
    if !is_htmx(&headers) {
        let exam_live = staff.href("/exams/");
        let back = if f.back.starts_with(&exam_live) && !f.back.contains("//") {
            f.back
        } else {
            staff.href("/exams")
        };
        return see_other(&back);
    }
    let message = match kind.as_str() {
        "WARN" => "Warning sent.".to_owned(),
        "PAUSE" => "Session paused.".to_owned(),
        "RESUME" => "Session resumed.".to_owned(),
        "EXTEND_TIME" => format!("Time extended: {} left.", clock(result.remaining_seconds)),
        _ => "Session terminated.".to_owned(),
    };
    let mut resp = ActionDone { message }.into_response();
    resp.headers_mut().insert(
        "hx-trigger",
        header::HeaderValue::from_static("live-refresh"),
    );
    resp
}

/// `GET /orgs/{org}/sessions/{session}/frames/{frame}`: a frame's image,
/// decrypted on view through the review evidence service (which audits it).
pub async fn frame(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session, frame)): Path<(String, String, String)>,
) -> Response {
    let (session_id, frame_id) = match (uuid_or_404(&session), uuid_or_404(&frame)) {
        (Ok(s), Ok(f)) => (s, f),
        (Err(e), _) | (_, Err(e)) => return error_page(&e),
    };
    match evidence::read_frame(&state, &staff.ctx, session_id, frame_id).await {
        Ok(img) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, img.content_type.name().to_owned()),
                (header::CACHE_CONTROL, "private, no-store".to_owned()),
                (header::CONTENT_DISPOSITION, "inline".to_owned()),
            ],
            img.bytes,
        )
            .into_response(),
        Err(e) => error_page(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::{Beat, clock};

    #[test]
    fn clocks_and_ages_read_like_a_person_writes_them() {
        assert_eq!(clock(0), "00:00");
        assert_eq!(clock(65), "01:05");
        assert_eq!(clock(3725), "1:02:05");
        assert_eq!(Beat { age: Some(12) }.text(), "12 s ago");
        assert_eq!(Beat { age: Some(125) }.text(), "2 min ago");
        assert_eq!(Beat { age: None }.text(), "never");
        assert!(Beat { age: None }.stale() && !Beat { age: Some(3) }.stale());
    }
}
