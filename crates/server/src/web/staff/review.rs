//! Review (Section::Review): `/orgs/{org}/review` the queue of flagged
//! sessions (the service of `GET /api/v1/orgs/{org}/review-queue`) with a
//! claim button; `/orgs/{org}/review/decisions` QUALITY_ASSURANCE's list of
//! decisions with reopen; `/orgs/{org}/review/{session}` one session's
//! timeline (the service of `GET .../sessions/{session}/timeline`): each
//! flag with the rule that raised it and the events behind it, technical
//! causes apart from behaviour, frames (through the console's audited frame
//! route), the appeal and its answer, and the claim / release / decide /
//! reopen forms, each through the API's service.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::proctoring::{Cause, EventType, FlagSeverity};
use invigil_domain::review::{DecisionType, IntegrityStatus};
use invigil_store::identity::users;

use super::live::{integrity_class, refused};
use super::{Pager, Section, Staff};
use crate::http::error::ApiError;
use crate::review::service::{self, DecideBody, QueueQuery, ReopenBody, ReviewView};
use crate::review::timeline::{self, TimelineItem};
use crate::state::AppState;
use crate::web::errors::error_page;
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

/// Rows per page of the lists.
const PAGE_ROWS: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/review", get(queue_page))
        .route("/orgs/{org}/review/decisions", get(decisions_page))
        .route("/orgs/{org}/review/{session}", get(session_page))
        .route("/orgs/{org}/review/{session}/claim", post(claim))
        .route("/orgs/{org}/review/{session}/release", post(release))
        .route("/orgs/{org}/review/{session}/decide", post(decide))
        .route("/orgs/{org}/review/{session}/reopen", post(reopen))
}

/// The session id of the path; anything else is the 404 page.
fn session_id(s: &str) -> Result<Uuid, ApiError> {
    s.parse::<Uuid>().map_err(|_| ApiError::NotFound)
}

/// Names of people by id (reviewers, proctors), for "claimed by".
async fn names(state: &AppState, mut ids: Vec<Uuid>) -> Result<HashMap<Uuid, String>, ApiError> {
    ids.sort();
    ids.dedup();
    Ok(users::by_ids(state.db.read(), ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// A session of a list.
#[derive(Debug)]
pub struct QueueRow {
    pub id: Uuid,
    pub href: String,
    pub candidate: String,
    pub email: String,
    pub exam: String,
    pub attempt: i32,
    pub status: String,
    pub integrity: String,
    pub integrity_class: &'static str,
    pub score: i32,
    pub flags: i64,
    pub claimed: String,
    pub claimable: bool,
    pub started: String,
    pub decision: String,
    pub decided: String,
    pub notes: String,
    pub appealed: bool,
}

fn row_of(staff: &Staff, v: ReviewView, people: &HashMap<Uuid, String>) -> QueueRow {
    let me = staff.ctx.user.id();
    let name_of = |id: Option<Uuid>| match id {
        None => String::new(),
        Some(id) if id == me => "you".to_owned(),
        Some(id) => people
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "another reviewer".to_owned()),
    };
    QueueRow {
        id: v.session_id,
        href: staff.href(&format!("/review/{}", v.session_id)),
        candidate: v.candidate.name,
        email: v.candidate.email,
        exam: v.exam_title,
        attempt: v.attempt,
        status: v.status,
        integrity: v.integrity_status.to_string(),
        integrity_class: integrity_class(v.integrity_status),
        score: v.violation_score,
        flags: v.flag_count,
        claimed: name_of(v.claimed_by),
        claimable: v.integrity_status == IntegrityStatus::Flagged,
        started: when(v.started_at),
        decision: v.decision.map(|d| d.to_string()).unwrap_or_default(),
        decided: v
            .decided_at
            .map(when)
            .map(|t| format!("{t} by {}", name_of(v.decided_by)))
            .unwrap_or_default(),
        notes: v.decision_notes.unwrap_or_default(),
        appealed: v.appealed_at.is_some(),
    }
}

async fn rows_of(
    state: &AppState,
    staff: &Staff,
    views: Vec<ReviewView>,
) -> Result<Vec<QueueRow>, ApiError> {
    let ids = views
        .iter()
        .flat_map(|v| [v.claimed_by, v.decided_by])
        .flatten()
        .collect();
    let people = names(state, ids).await?;
    Ok(views
        .into_iter()
        .map(|v| row_of(staff, v, &people))
        .collect())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/review_queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub rows: Vec<QueueRow>,
    pub csrf: String,
    pub pager: Pager,
    pub decisions_href: Option<String>,
    /// The filter form's target and choices (value, label, selected).
    pub action: String,
    pub filters: Vec<(&'static str, &'static str, bool)>,
    /// The exam the queue is narrowed to (kept by the filter form).
    pub exam_id: Option<String>,
}

/// `GET /orgs/{org}/review?status=&exam_id=`: the queue (PROCTOR_REVIEWER);
/// QA without the reviewer's role goes to the decisions.
pub async fn queue_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Response {
    let decisions_href = staff
        .may(Action::ReopenDecisions)
        .then(|| staff.href("/review/decisions"));
    if let Some(href) = decisions_href
        .as_deref()
        .filter(|_| !staff.may(Action::ReviewSessions))
    {
        return see_other(href);
    }
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => return refused(&e),
    };
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let (views, next) = match service::queue(&state, &staff.ctx, &filter, cursor, PAGE_ROWS).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let rows = match rows_of(&state, &staff, views).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let status = filter.status.map(|s| s.to_string()).unwrap_or_default();
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !status.is_empty() {
        pairs.push(("status", status.clone()));
    }
    if let Some(exam) = filter.exam_id {
        pairs.push(("exam_id", exam.to_string()));
    }
    let base = if pairs.is_empty() {
        staff.href("/review")
    } else {
        format!(
            "{}?{}",
            staff.href("/review"),
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    };
    QueuePage {
        layout: staff.layout("Review queue", Section::Review),
        pager: Pager::new(&base, cursor, next.as_deref()),
        rows,
        csrf: staff.csrf.clone(),
        decisions_href,
        action: staff.href("/review"),
        filters: [
            ("", "Waiting and claimed"),
            ("FLAGGED", "Waiting for a reviewer"),
            ("UNDER_REVIEW", "Claimed"),
        ]
        .iter()
        .map(|(v, l)| (*v, *l, *v == status))
        .collect(),
        exam_id: filter.exam_id.map(|e| e.to_string()),
    }
    .into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/review_decisions.html")]
pub struct DecisionsPage {
    pub layout: Layout,
    pub rows: Vec<QueueRow>,
    pub csrf: String,
    pub pager: Pager,
    pub queue_href: Option<String>,
}

/// `GET /orgs/{org}/review/decisions`: decided sessions, newest first, each
/// with a reopen form (QUALITY_ASSURANCE).
pub async fn decisions_page(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let cursor = q.cursor.as_deref().filter(|c| !c.is_empty());
    let (views, next) = match service::decisions(&state, &staff.ctx, cursor, PAGE_ROWS).await {
        Ok(p) => p,
        Err(e) => return error_page(&e),
    };
    let rows = match rows_of(&state, &staff, views).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    DecisionsPage {
        layout: staff.layout("Review decisions", Section::Review),
        pager: Pager::new(&staff.href("/review/decisions"), cursor, next.as_deref()),
        rows,
        csrf: staff.csrf.clone(),
        queue_href: staff
            .may(Action::ReviewSessions)
            .then(|| staff.href("/review")),
    }
    .into_response()
}

/// A proctoring event as the page shows it.
#[derive(Debug, Clone)]
pub struct EventView {
    pub id: Uuid,
    pub at: String,
    pub time: String,
    pub source: String,
    pub kind: String,
    pub detail: String,
    pub frame_url: Option<String>,
    pub technical: bool,
}

/// A flag with the rule that raised it and the events behind it.
#[derive(Debug)]
pub struct FlagCard {
    pub id: Uuid,
    pub flag_type: String,
    pub severity: String,
    pub severity_class: &'static str,
    pub rule_id: String,
    pub description: String,
    pub points: u32,
    pub reason: String,
    pub span: String,
    pub resolution: String,
    pub events: Vec<EventView>,
}

/// One line of the full timeline.
#[derive(Debug)]
pub struct Line {
    pub at: String,
    pub time: String,
    pub category: &'static str,
    pub what: String,
    pub detail: String,
}

/// An evidence frame's thumbnail.
#[derive(Debug)]
pub struct Thumb {
    pub url: String,
    pub alt: String,
    pub caption: String,
}

/// Events caused by the network or the devices rather than the candidate.
fn is_technical(t: EventType) -> bool {
    matches!(
        t,
        EventType::NetworkOffline
            | EventType::NetworkOnline
            | EventType::DeviceDisconnected
            | EventType::DeviceReconnected
            | EventType::HeartbeatMissed
    )
}

fn severity_class(s: FlagSeverity) -> &'static str {
    match s {
        FlagSeverity::Low => "muted",
        FlagSeverity::Medium => "warn",
        _ => "bad",
    }
}

/// `14:03:07`: the time of day of an event (the page header says the day).
fn time_of(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

/// An event's meta as `key: value` pairs.
fn meta_text(meta: Option<&serde_json::Value>) -> String {
    match meta {
        Some(serde_json::Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/review.html")]
pub struct SessionPage {
    pub layout: Layout,
    pub csrf: String,
    pub queue_href: String,
    pub base: String,
    pub s: QueueRow,
    pub status: String,
    pub flag_points: u32,
    pub finished: String,
    pub behaviour: Vec<FlagCard>,
    pub technical: Vec<FlagCard>,
    pub lines: Vec<Line>,
    pub thumbs: Vec<Thumb>,
    pub appeal: Option<(String, String)>,
    /// The answer to the appeal: the decision made after it, or "pending".
    pub appeal_answer: Option<String>,
    pub may_claim: bool,
    pub may_decide: bool,
    pub may_release: bool,
    pub claimed_by_other: bool,
    pub may_reopen: bool,
    pub done: Option<&'static str>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// `GET /orgs/{org}/review/{session}`: the session's timeline and the
/// reviewer's forms.
pub async fn session_page(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session)): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let id = match session_id(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let t = match timeline::timeline(&state, &staff.ctx, id).await {
        Ok(t) => t,
        Err(e) => return error_page(&e),
    };
    match build(&state, &staff, t, q.done.as_deref()).await {
        Ok(page) => page.into_response(),
        Err(e) => error_page(&e),
    }
}

async fn build(
    state: &AppState,
    staff: &Staff,
    t: timeline::Timeline,
    done: Option<&str>,
) -> Result<SessionPage, ApiError> {
    let v = t.session;
    let sid = v.session_id;
    let me = staff.ctx.user.id();
    let frame_url = |f: Uuid| staff.href(&format!("/sessions/{sid}/frames/{f}"));
    let mut actor_ids: Vec<Uuid> = [v.claimed_by, v.decided_by].into_iter().flatten().collect();
    for item in &t.items {
        match item {
            TimelineItem::AdminAction { actor_id, .. } => actor_ids.push(*actor_id),
            TimelineItem::Review {
                actor_id: Some(a), ..
            } => actor_ids.push(*a),
            _ => {}
        }
    }
    let people = names(state, actor_ids).await?;
    let who = |id: Option<Uuid>| match id {
        Some(id) if id == me => "you".to_owned(),
        Some(id) => people
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "someone".to_owned()),
        None => "the system".to_owned(),
    };

    // Events by id, for the flags that cite them.
    let mut events: HashMap<Uuid, EventView> = HashMap::new();
    let mut lines = Vec::new();
    let mut thumbs = Vec::new();
    let mut flags = Vec::new();
    for item in t.items {
        match item {
            TimelineItem::Session { at, what, status } => lines.push(Line {
                at: when(at),
                time: time_of(at),
                category: "Session",
                what: match what {
                    timeline::Lifecycle::Started => "Started".to_owned(),
                    timeline::Lifecycle::Finished => "Finished".to_owned(),
                },
                detail: status.unwrap_or_default(),
            }),
            TimelineItem::Event {
                at,
                id,
                source,
                event_type,
                meta,
                frame_id,
                ..
            } => {
                let technical = is_technical(event_type);
                let ev = EventView {
                    id,
                    at: when(at),
                    time: time_of(at),
                    source: source.to_string(),
                    kind: event_type.to_string(),
                    detail: meta_text(meta.as_ref()),
                    frame_url: frame_id.map(frame_url),
                    technical,
                };
                lines.push(Line {
                    at: ev.at.clone(),
                    time: ev.time.clone(),
                    category: if technical { "Technical" } else { "Behaviour" },
                    what: format!("{} ({})", ev.kind, ev.source),
                    detail: ev.detail.clone(),
                });
                events.insert(id, ev);
            }
            TimelineItem::Flag {
                at,
                id,
                flag_type,
                severity,
                cause,
                rule_id,
                description,
                event_ids,
                first_at,
                last_at,
                points,
                reason,
                resolved_at,
                resolution,
                resolved_by,
            } => {
                lines.push(Line {
                    at: when(at),
                    time: time_of(at),
                    category: "Flag",
                    what: format!("{flag_type} ({severity}) by rule {rule_id}"),
                    detail: description.clone(),
                });
                flags.push((
                    cause,
                    FlagCard {
                        id,
                        flag_type: flag_type.to_string(),
                        severity: severity.to_string(),
                        severity_class: severity_class(severity),
                        rule_id,
                        description,
                        points,
                        reason,
                        span: format!("{} to {}", time_of(first_at), time_of(last_at)),
                        resolution: match (resolution, resolved_at) {
                            (Some(r), Some(t)) => {
                                format!("{r} on {} by {}", when(t), who(resolved_by))
                            }
                            _ => String::new(),
                        },
                        events: Vec::new(),
                    },
                    event_ids,
                ));
            }
            TimelineItem::Answer {
                at,
                position,
                revision,
                ..
            } => lines.push(Line {
                at: when(at),
                time: time_of(at),
                category: "Answer",
                what: match position {
                    Some(p) => format!("Answer to question {}", p + 1),
                    None => "Answer".to_owned(),
                },
                detail: format!("revision {revision}"),
            }),
            TimelineItem::AdminAction {
                at,
                actor_id,
                action_type,
                reason,
                minutes,
                ..
            } => lines.push(Line {
                at: when(at),
                time: time_of(at),
                category: "Proctor",
                what: match minutes {
                    Some(m) => format!("{action_type} ({m} min) by {}", who(Some(actor_id))),
                    None => format!("{action_type} by {}", who(Some(actor_id))),
                },
                detail: reason,
            }),
            TimelineItem::Frame {
                at,
                id,
                source,
                purged,
                ..
            } => {
                lines.push(Line {
                    at: when(at),
                    time: time_of(at),
                    category: "Frame",
                    what: format!("Webcam frame ({source})"),
                    detail: if purged {
                        "removed by retention".to_owned()
                    } else {
                        String::new()
                    },
                });
                if !purged {
                    thumbs.push(Thumb {
                        url: frame_url(id),
                        alt: format!("Webcam frame ({source}) at {}", time_of(at)),
                        caption: format!("{} · {source}", time_of(at)),
                    });
                }
            }
            TimelineItem::Review {
                at,
                action,
                actor_id,
                details,
            } => lines.push(Line {
                at: when(at),
                time: time_of(at),
                category: "Review",
                what: format!(
                    "{} by {}",
                    action.strip_prefix("review.").unwrap_or(&action),
                    who(actor_id)
                ),
                detail: meta_text(Some(&details)),
            }),
        }
    }
    let (mut behaviour, mut technical) = (Vec::new(), Vec::new());
    for (cause, mut card, ids) in flags {
        card.events = ids
            .iter()
            .filter_map(|id| events.get(id).cloned())
            .collect();
        match cause {
            Cause::Technical => technical.push(card),
            Cause::Behavioural => behaviour.push(card),
        }
    }
    let appeal = v
        .appeal_text
        .clone()
        .zip(v.appealed_at)
        .map(|(text, at)| (when(at), text));
    // An appeal sends the session back to the queue: once it is decided
    // again, that decision is the answer.
    let answered = v.integrity_status.is_decided();
    let appeal_answer = v.appealed_at.map(|_| match (v.decision, v.decided_at) {
        (Some(d), Some(at)) if answered => format!(
            "Answered: {d} on {}{}",
            when(at),
            v.decision_notes
                .as_deref()
                .map(|n| format!(". Notes: {n}"))
                .unwrap_or_default()
        ),
        _ => "Not answered yet: the session is back in the queue for a new decision.".to_owned(),
    });
    let claimed_by_me = v.claimed_by == Some(me);
    let integrity = v.integrity_status;
    let department =
        crate::exams::service::load_exam(state, &staff.ctx, v.exam_id, Action::ReviewSessions)
            .await
            .ok()
            .and_then(|(e, _)| e.department_id);
    let may_reopen = integrity.is_decided()
        && staff
            .ctx
            .authorize_in(Action::ReopenDecisions, department)
            .is_ok();
    let finished = v.finished_at.map(when).unwrap_or_default();
    let status = v.status.clone();
    let people_row: HashMap<Uuid, String> = people;
    Ok(SessionPage {
        layout: staff.layout(
            &format!("Review: {} ({})", v.candidate.name, v.exam_title),
            Section::Review,
        ),
        csrf: staff.csrf.clone(),
        queue_href: staff.href("/review"),
        base: staff.href(&format!("/review/{sid}")),
        flag_points: t.flag_points,
        finished,
        status,
        behaviour,
        technical,
        lines,
        thumbs,
        appeal,
        appeal_answer,
        may_claim: integrity == IntegrityStatus::Flagged,
        may_decide: integrity == IntegrityStatus::UnderReview && claimed_by_me,
        may_release: integrity == IntegrityStatus::UnderReview && claimed_by_me,
        claimed_by_other: integrity == IntegrityStatus::UnderReview && !claimed_by_me,
        may_reopen,
        done: match done {
            Some("claimed") => Some("You claimed this session: decide when you have looked at it."),
            Some("released") => Some("The session is back in the queue."),
            Some("decided") => Some("Decision recorded; the session's flags are resolved."),
            Some("reopened") => Some("Decision reopened: the session is back in the queue."),
            _ => None,
        },
        s: row_of(staff, v, &people_row),
    })
}

/// Where a review step goes back to: the session's page with a note.
fn back_to(staff: &Staff, id: Uuid, done: &str) -> Response {
    see_other(&staff.href(&format!("/review/{id}?done={done}")))
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

/// `POST /orgs/{org}/review/{session}/claim`.
pub async fn claim(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session)): Path<(String, String)>,
    form: WebForm<EmptyForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let id = match session_id(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    match service::claim(&state, &staff.ctx, id).await {
        Ok(_) => back_to(&staff, id, "claimed"),
        Err(e) => refused(&e),
    }
}

/// `POST /orgs/{org}/review/{session}/release`.
pub async fn release(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session)): Path<(String, String)>,
    form: WebForm<EmptyForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let id = match session_id(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    match service::release(&state, &staff.ctx, id).await {
        Ok(_) => back_to(&staff, id, "released"),
        Err(e) => refused(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub notes: String,
}

/// `POST /orgs/{org}/review/{session}/decide`: CLEARED or
/// VIOLATION_CONFIRMED with notes.
pub async fn decide(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session)): Path<(String, String)>,
    form: WebForm<DecideForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let id = match session_id(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let target = match service::target(&state, &staff.ctx, id, Action::ReviewSessions).await {
        Ok(t) => t,
        Err(e) => return refused(&e),
    };
    let Some(decision) = DecisionType::parse(form.value.decision.trim()) else {
        return refused(&ApiError::field(
            "decision",
            "choose CLEARED or VIOLATION_CONFIRMED",
        ));
    };
    let notes = form.value.notes.trim().to_owned();
    let body = DecideBody {
        decision,
        notes: (!notes.is_empty()).then_some(notes),
    };
    match service::decide(&state, target, body).await {
        Ok(_) => back_to(&staff, id, "decided"),
        Err(e) => refused(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    pub reason: String,
    /// `decisions` when sent from the decisions list.
    #[serde(default)]
    pub from: String,
}

/// `POST /orgs/{org}/review/{session}/reopen` (QUALITY_ASSURANCE, with a
/// reason).
pub async fn reopen(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session)): Path<(String, String)>,
    form: WebForm<ReopenForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let id = match session_id(&session) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let target = match service::target(&state, &staff.ctx, id, Action::ReopenDecisions).await {
        Ok(t) => t,
        Err(e) => return refused(&e),
    };
    let body = ReopenBody {
        reason: form.value.reason,
    };
    match service::reopen(&state, target, body).await {
        Ok(_) if form.value.from == "decisions" || !staff.may(Action::ReviewSessions) => {
            see_other(&staff.href("/review/decisions?reopened=1"))
        }
        Ok(_) => back_to(&staff, id, "reopened"),
        Err(e) => refused(&e),
    }
}
