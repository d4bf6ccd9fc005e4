//! The learner's practice and progress pages: `/me/practice` (the
//! published scenarios of my organizations, and my past sessions with
//! their scores), `/me/practice/{session}` (the interview: questions,
//! answers with feedback, the final evaluation; plain form posts, no
//! script needed) and `/me/progress` (streaks, level, badges and a
//! 12-week calendar as a table). The same services as
//! `/api/v1/.../practice-*` and `/api/v1/me/progress`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::practice::{MessageRole, PracticeStatus, score_text};
use invigil_domain::progress::{DayCount, Summary};
use invigil_store::{Keyset, tenancy};

use super::errors::{csrf_refused, error_page};
use super::form::WebForm;
use super::live_classes::refused;
use super::session::{SignedIn, see_other};
use super::{Layout, when};
use crate::authz::OrgCtx;
use crate::courses::access::{Caller, READERS};
use crate::http::error::ApiError;
use crate::practice::views::{PracticeAnswerBody, SessionView};
use crate::practice::{progress, service};
use crate::state::AppState;

const BACK: (&str, &str) = ("/me/practice", "Back to practice");

pub struct ScenarioCard {
    pub id: Uuid,
    pub org_slug: String,
    pub org_name: String,
    pub title: String,
    pub topic: String,
    pub difficulty: String,
    pub questions: usize,
}

pub struct SessionRow {
    pub id: Uuid,
    pub title: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub started: String,
    pub score: Option<i32>,
}

fn status(s: PracticeStatus) -> (&'static str, &'static str) {
    match s {
        PracticeStatus::Active => ("In progress", "badge warn"),
        PracticeStatus::Completed => ("Completed", "badge ok"),
        PracticeStatus::Abandoned => ("Abandoned", "badge muted"),
    }
}

fn difficulty(d: invigil_domain::practice::Difficulty) -> String {
    let n = d.name();
    format!("{}{}", &n[..1], n[1..].to_lowercase())
}

#[derive(Template, WebTemplate)]
#[template(path = "practice.html")]
pub struct PracticePage {
    pub layout: Layout,
    pub scenarios: Vec<ScenarioCard>,
    pub sessions: Vec<SessionRow>,
}

/// `GET /me/practice`.
pub async fn list_page(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let memberships = match tenancy::memberships_of(state.db.read(), signed_in.user.id()).await {
        Ok(m) => m,
        Err(e) => return error_page(&e.into()),
    };
    let mut scenarios = Vec::new();
    for (_, org) in memberships {
        let Ok(ctx) = OrgCtx::resolve(&state, signed_in.user.clone(), &org.slug).await else {
            continue;
        };
        let Ok(caller) = Caller::of(&ctx, READERS) else {
            continue;
        };
        match service::list(&state, &caller, true, Keyset::new(None, 50)).await {
            Ok(p) => scenarios.extend(p.items.into_iter().map(|s| ScenarioCard {
                id: s.id,
                org_slug: org.slug.clone(),
                org_name: org.name.clone(),
                title: s.title,
                topic: s.topic,
                difficulty: difficulty(s.difficulty),
                questions: s.question_count,
            })),
            Err(e) => return error_page(&e),
        }
    }
    let sessions = match service::mine(&state, signed_in.user.id(), Keyset::new(None, 30)).await {
        Ok(p) => p
            .items
            .into_iter()
            .map(|s| {
                let (label, badge) = status(s.status);
                SessionRow {
                    id: s.id,
                    title: s.title,
                    status: label,
                    badge,
                    started: when(s.started_at),
                    score: s.overall_score,
                }
            })
            .collect(),
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    PracticePage {
        layout: Layout::for_visitor("Practice interviews", &signed_in.visitor, &csrf),
        scenarios,
        sessions,
    }
    .into_response()
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    pub scenario_id: Uuid,
}

/// `POST /me/practice/{org}/start`: starts a session, then its page.
pub async fn start(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(org): Path<String>,
    form: WebForm<StartForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let ctx = match OrgCtx::resolve(&state, signed_in.user, &org).await {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    let caller = match Caller::of(&ctx, READERS) {
        Ok(c) => c,
        Err(e) => return error_page(&e),
    };
    match service::start(&state, &caller, form.value.scenario_id).await {
        Ok(s) => see_other(&format!("/me/practice/{}", s.id)),
        Err(e) => refused(&e, BACK),
    }
}

pub struct Turn {
    pub number: i32,
    pub question: String,
    pub answer: Option<String>,
    pub score: Option<String>,
    pub feedback: Option<String>,
    pub model_answer: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "practice_session.html")]
pub struct SessionPage {
    pub layout: Layout,
    pub s: SessionView,
    pub status: &'static str,
    pub badge: &'static str,
    pub difficulty: String,
    pub turns: Vec<Turn>,
    /// (0-based index, 1-based number) of the question to answer now.
    pub current: Option<(i32, i32)>,
    pub overall: Option<i32>,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    pub scores: Vec<(usize, String)>,
    pub duration: Option<String>,
}

fn turns(s: &SessionView) -> Vec<Turn> {
    let mut out: Vec<Turn> = Vec::new();
    for m in &s.messages {
        match m.role {
            MessageRole::Assistant => out.push(Turn {
                number: m.question_index + 1,
                question: m.content.clone(),
                answer: None,
                score: None,
                feedback: None,
                model_answer: usize::try_from(m.question_index)
                    .ok()
                    .and_then(|i| s.model_answers.get(i).cloned().flatten()),
            }),
            MessageRole::User => {
                if let Some(t) = out.last_mut() {
                    t.answer = Some(m.content.clone());
                    if let Some(e) = &m.evaluation {
                        t.score = Some(format!("{} of {}", score_text(e.score), score_text(e.max)));
                        t.feedback = Some(e.feedback.clone());
                    }
                }
            }
        }
    }
    out
}

fn session_page(signed_in: &SignedIn, s: SessionView) -> Response {
    let (label, badge) = status(s.status);
    let current = s.current_question_index.map(|i| (i, i + 1));
    let ev = s.evaluation.clone();
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    SessionPage {
        layout: Layout::for_visitor(&format!("Practice: {}", s.title), &signed_in.visitor, &csrf),
        status: label,
        badge,
        difficulty: difficulty(s.difficulty),
        turns: turns(&s),
        current,
        overall: ev.as_ref().map(|e| i32::from(e.overall_score)),
        strengths: ev.as_ref().map(|e| e.strengths.clone()).unwrap_or_default(),
        improvements: ev
            .as_ref()
            .map(|e| e.improvements.clone())
            .unwrap_or_default(),
        scores: s
            .scores
            .iter()
            .map(|q| {
                (
                    q.question_index + 1,
                    format!("{} of {}", score_text(q.score), score_text(q.max)),
                )
            })
            .collect(),
        duration: s
            .duration_secs
            .map(|d| format!("{} min {} s", d / 60, d % 60)),
        s,
    }
    .into_response()
}

fn session_id(raw: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// `GET /me/practice/{session}`.
pub async fn session_page_get(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let id = match session_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    match service::get_session(&state, signed_in.user.id(), id).await {
        Ok(s) => session_page(&signed_in, s),
        Err(e) => error_page(&e),
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    pub content: String,
    pub question_index: Option<i32>,
}

/// `POST /me/practice/{session}/answer`: scores the answer, then the page
/// again (the next question, or the evaluation).
pub async fn answer(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<AnswerForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let id = match session_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    let body = PracticeAnswerBody {
        content: form.value.content,
        question_index: form.value.question_index,
    };
    let back = format!("/me/practice/{id}");
    match service::answer(&state, signed_in.user.id(), id, body).await {
        Ok(_) => see_other(&format!("{back}#latest")),
        Err(e) => refused(&e, (&back, "Back to the interview")),
    }
}

#[derive(Debug, Deserialize)]
pub struct Empty {}

/// `POST /me/practice/{session}/abandon`.
pub async fn abandon(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    form: WebForm<Empty>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let id = match session_id(&id) {
        Ok(id) => id,
        Err(e) => return error_page(&e),
    };
    match service::abandon(&state, signed_in.user.id(), id).await {
        Ok(_) => see_other("/me/practice"),
        Err(e) => refused(&e, BACK),
    }
}

/// One cell of the calendar.
pub struct Cell {
    pub date: String,
    pub label: String,
    pub level: u32,
    pub total: u32,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress.html")]
pub struct ProgressPage {
    pub layout: Layout,
    pub p: ProgressCard,
    /// Weeks (columns) of the calendar: the Monday's date label.
    pub weeks: Vec<String>,
    /// Rows Monday..Sunday: (weekday name, cells).
    pub rows: Vec<(&'static str, Vec<Option<Cell>>)>,
    pub active_days: usize,
}

/// The compact progress summary (also the card on `/me/exams`).
pub struct ProgressCard {
    pub current_streak: u32,
    pub longest_streak: u32,
    pub points: u64,
    pub level: String,
    pub last_activity: Option<String>,
    /// (name, earned on).
    pub badges: Vec<(String, String)>,
}

impl ProgressCard {
    pub fn of(s: &Summary) -> Self {
        let level = s.level.name();
        ProgressCard {
            current_streak: s.current_streak,
            longest_streak: s.longest_streak,
            points: s.points,
            level: format!("{}{}", &level[..1].to_uppercase(), &level[1..]),
            last_activity: s
                .last_activity_date
                .map(|d| d.format("%-d %b %Y").to_string()),
            badges: s
                .badges
                .iter()
                .map(|e| {
                    (
                        e.badge.title().to_owned(),
                        e.at.format("%-d %b %Y").to_string(),
                    )
                })
                .collect(),
        }
    }
}

/// The card for `/me/exams`; `None` when it cannot be read (the exams
/// page still shows).
pub async fn card(state: &AppState, user_id: Uuid) -> Option<ProgressCard> {
    progress::summary(state, user_id, 1)
        .await
        .ok()
        .map(|s| ProgressCard::of(&s))
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn describe(d: NaiveDate, c: &DayCount) -> String {
    let mut parts = Vec::new();
    for (n, one, many) in [
        (c.exams, "exam", "exams"),
        (c.practices, "practice interview", "practice interviews"),
        (c.lectures, "lecture", "lectures"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    }
    let what = if parts.is_empty() {
        "no activity".to_owned()
    } else {
        parts.join(", ")
    };
    format!("{}: {what}", d.format("%a %-d %b"))
}

/// `GET /me/progress`.
pub async fn progress_page(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let s = match progress::summary(&state, signed_in.user.id(), progress::WINDOW_DAYS).await {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    // The last 12 weeks, Monday to Sunday, ending with this week.
    let today = state.now().date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let first = monday - Duration::weeks(11);
    let weeks: Vec<String> = (0..12)
        .map(|w| (first + Duration::weeks(w)).format("%-d %b").to_string())
        .collect();
    let count_of = |d: NaiveDate| s.days.iter().find(|(x, _)| *x == d).map(|(_, c)| *c);
    let rows = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(wd, name)| {
            let cells = (0..12)
                .map(|w| {
                    let d = first + Duration::weeks(w) + Duration::days(wd as i64);
                    if d > today {
                        return None;
                    }
                    let c = count_of(d).unwrap_or_default();
                    Some(Cell {
                        date: d.to_string(),
                        label: describe(d, &c),
                        level: c.total().min(3),
                        total: c.total(),
                    })
                })
                .collect();
            (*name, cells)
        })
        .collect();
    let active_days = s
        .days
        .iter()
        .filter(|(d, c)| *d >= first && c.total() > 0)
        .count();
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    ProgressPage {
        layout: Layout::for_visitor("My progress", &signed_in.visitor, &csrf),
        p: ProgressCard::of(&s),
        weeks,
        rows,
        active_days,
    }
    .into_response()
}
