//! The Grading section: `/orgs/{org}/grading` (the queue of answers that
//! need a person, the service of `GET /orgs/{org}/grading-queue`) and one
//! answer at a time, `/orgs/{org}/grading/{session}/{question}`: the
//! question, its rubric (the author's grading notes), the candidate's
//! answer and the points + comment form (the service of `PUT
//! .../sessions/{session}/answers/{q}/grade`); saving goes on to the next
//! answer. Grading is blind: the page names the session, not the person.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use invigil_domain::grading::Outcome;
use invigil_domain::identity::{Action, Visibility};
use invigil_store::{content, delivery, exams as exam_store};

use super::{Pager, Section, Staff};
use crate::content::views::parse_body;
use crate::grading::manual::{self, GradeBody};
use crate::http::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::web::errors::{FormErrors, error_page, sentence};
use crate::web::form::WebForm;
use crate::web::session::see_other;
use crate::web::{Layout, when};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/grading", get(queue))
        .route("/orgs/{org}/grading/next", get(next))
        .route(
            "/orgs/{org}/grading/{session}/{question}",
            get(answer).post(grade),
        )
}

/// Points without trailing zeros.
fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The first words of a text, for the queue.
fn excerpt(s: &str, n: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= n {
        s
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

fn forbidden_unless_grader(staff: &Staff) -> Result<(), ApiError> {
    match staff.ctx.visibility(Action::GradeAnswers) {
        Visibility::Nothing => Err(ApiError::Forbidden),
        _ => Ok(()),
    }
}

/// A queue cursor `session.question`.
fn parse_cursor(c: Option<&str>) -> Result<Option<(Uuid, Uuid)>, ApiError> {
    match c.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => {
            let bad = || ApiError::BadRequest("invalid cursor".into());
            let (a, b) = c.split_once('.').ok_or_else(bad)?;
            Ok(Some((
                a.parse().map_err(|_| bad())?,
                b.parse().map_err(|_| bad())?,
            )))
        }
    }
}

#[derive(Debug)]
pub struct QueueRow {
    pub href: String,
    pub exam: String,
    pub question: String,
    pub max_points: String,
    pub session: String,
    pub submitted: String,
    pub submitted_sort: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/grading.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub rows: Vec<QueueRow>,
    pub pager: Pager,
    pub exam_filter: Option<String>,
    pub clear_filter: String,
    pub notice: String,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    pub exam: Option<String>,
    pub cursor: Option<String>,
    pub saved: Option<String>,
}

fn exam_param(q: Option<&str>) -> Result<Option<Uuid>, ApiError> {
    match q.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field("exam", "not an exam id")),
    }
}

/// `GET /orgs/{org}/grading`.
pub async fn queue(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<QueueQuery>,
) -> Response {
    match queue_page(&state, &staff, q).await {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

async fn queue_page(state: &AppState, staff: &Staff, q: QueueQuery) -> Result<QueuePage, ApiError> {
    forbidden_unless_grader(staff)?;
    let exam_id = exam_param(q.exam.as_deref())?;
    let after = parse_cursor(q.cursor.as_deref())?;
    let (items, next_cursor) = manual::queue(state, &staff.ctx, exam_id, after, 50).await?;
    let mut titles: HashMap<Uuid, String> = HashMap::new();
    for i in &items {
        if !titles.contains_key(&i.exam_id)
            && let Some(e) =
                exam_store::exam(state.db.read(), staff.ctx.org_id(), i.exam_id).await?
        {
            titles.insert(i.exam_id, e.title);
        }
    }
    let exam_filter = match exam_id {
        None => None,
        Some(id) => Some(
            exam_store::exam(state.db.read(), staff.ctx.org_id(), id)
                .await?
                .map(|e| e.title)
                .ok_or(ApiError::NotFound)?,
        ),
    };
    let rows = items
        .iter()
        .map(|i| QueueRow {
            href: staff.href(&format!("/grading/{}/{}", i.session_id, i.question_id)),
            exam: titles.get(&i.exam_id).cloned().unwrap_or_default(),
            question: excerpt(&i.question_text, 120),
            max_points: points(i.max_points),
            session: i.session_id.to_string()[..8].to_owned(),
            submitted: i.submitted_at.map(when).unwrap_or_default(),
            submitted_sort: i.submitted_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        })
        .collect();
    let base = match exam_id {
        Some(id) => staff.href(&format!("/grading?exam={id}")),
        None => staff.href("/grading"),
    };
    Ok(QueuePage {
        layout: staff.layout("Grading", Section::Grading),
        rows,
        pager: Pager::new(&base, q.cursor.as_deref(), next_cursor.as_deref()),
        exam_filter,
        clear_filter: staff.href("/grading"),
        notice: if q.saved.is_some() {
            "Grade saved. Nothing else waits for you here.".to_owned()
        } else {
            String::new()
        },
    })
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub exam: Option<String>,
}

/// `GET /orgs/{org}/grading/next`: the oldest answer waiting, else the queue.
pub async fn next(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<NextQuery>,
) -> Response {
    let found = async {
        forbidden_unless_grader(&staff)?;
        let exam_id = exam_param(q.exam.as_deref())?;
        let (items, _) = manual::queue(&state, &staff.ctx, exam_id, None, 1).await?;
        Ok::<_, ApiError>((exam_id, items.into_iter().next()))
    }
    .await;
    match found {
        Ok((exam, Some(i))) => {
            let filter = exam.map(|e| format!("&exam={e}")).unwrap_or_default();
            see_other(&staff.href(&format!(
                "/grading/{}/{}?saved=1{filter}",
                i.session_id, i.question_id
            )))
        }
        Ok((exam, None)) => {
            let filter = exam.map(|e| format!("&exam={e}")).unwrap_or_default();
            see_other(&staff.href(&format!("/grading?saved=1{filter}")))
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/grade.html")]
pub struct GradePage {
    pub layout: Layout,
    pub queue_href: String,
    pub exam_title: String,
    pub session: String,
    pub attempt: i32,
    pub submitted: String,
    pub question: String,
    pub rubric: Option<String>,
    pub max_points: String,
    pub answer: Option<String>,
    pub action: String,
    pub csrf: String,
    pub points: String,
    pub comment: String,
    pub errors: FormErrors,
    pub graded: Option<String>,
    pub notice: String,
    pub exam_filter: String,
}

#[derive(Debug, Deserialize)]
pub struct AnswerQuery {
    pub saved: Option<String>,
    pub exam: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GradeForm {
    #[serde(default)]
    pub points: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub exam: String,
}

fn ids(session: &str, question: &str) -> Result<(Uuid, Uuid), ApiError> {
    Ok((
        session.parse().map_err(|_| ApiError::NotFound)?,
        question.parse().map_err(|_| ApiError::NotFound)?,
    ))
}

/// The answer's text as the candidate wrote it.
fn answer_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::Object(m) => match m.get("text") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            _ => Some(v.to_string()),
        },
        other => Some(other.to_string()),
    }
}

#[expect(clippy::too_many_arguments, reason = "one page's parts")]
async fn grade_page(
    state: &AppState,
    staff: &Staff,
    session_id: Uuid,
    question_id: Uuid,
    form: Option<GradeForm>,
    errors: FormErrors,
    notice: String,
    exam_filter: String,
) -> Result<GradePage, ApiError> {
    manual::authorize_session(state, &staff.ctx, session_id, Action::GradeAnswers).await?;
    let db = state.db.read();
    let org = staff.ctx.org_id();
    let s = delivery::session_in_org(db, org, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let served = delivery::served_one(db, s.id, question_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let a = delivery::answer(db, s.id, question_id).await?;
    if a.as_ref().and_then(|a| a.outcome) != Some(Outcome::NeedsManual) {
        return Err(ApiError::conflict("this answer is graded automatically"));
    }
    let q = content::version(db, org, question_id, served.version)
        .await?
        .and_then(|v| parse_body(&v))
        .ok_or_else(|| ApiError::internal("served question version missing"))?;
    let exam = exam_store::exam(db, org, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let graded = a.as_ref().and_then(|a| {
        a.graded_by.map(|_| {
            format!(
                "Graded: {} of {} points{}.",
                points(a.points_awarded.unwrap_or(0.0)),
                points(served.points),
                a.graded_at
                    .map(|t| format!(" on {}", when(t)))
                    .unwrap_or_default()
            )
        })
    });
    let (pts, comment) = match form {
        Some(f) => (f.points, f.comment),
        None => (
            a.as_ref()
                .filter(|a| a.graded_by.is_some())
                .and_then(|a| a.points_awarded)
                .map(points)
                .unwrap_or_default(),
            a.as_ref()
                .and_then(|a| a.grader_comment.clone())
                .unwrap_or_default(),
        ),
    };
    Ok(GradePage {
        layout: staff.layout("Grade an answer", Section::Grading),
        queue_href: staff.href("/grading"),
        exam_title: exam.title,
        session: s.id.to_string()[..8].to_owned(),
        attempt: s.attempt_no,
        submitted: s.finished_at.map(when).unwrap_or_default(),
        question: q.text().to_owned(),
        rubric: q.explanation().map(str::to_owned),
        max_points: points(served.points),
        answer: a.as_ref().and_then(|a| answer_text(&a.response.0)),
        action: staff.href(&format!("/grading/{session_id}/{question_id}")),
        csrf: staff.csrf.clone(),
        points: pts,
        comment,
        errors,
        graded,
        notice,
        exam_filter,
    })
}

/// `GET /orgs/{org}/grading/{session}/{question}`.
pub async fn answer(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session, question)): Path<(String, String, String)>,
    Query(q): Query<AnswerQuery>,
) -> Response {
    let (s, qid) = match ids(&session, &question) {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let notice = if q.saved.is_some() {
        "Grade saved. Here is the next answer.".to_owned()
    } else {
        String::new()
    };
    let filter = q.exam.unwrap_or_default();
    match grade_page(
        &state,
        &staff,
        s,
        qid,
        None,
        FormErrors::default(),
        notice,
        filter,
    )
    .await
    {
        Ok(p) => p.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /orgs/{org}/grading/{session}/{question}`: save the grade, then
/// the next answer.
pub async fn grade(
    State(state): State<AppState>,
    staff: Staff,
    Path((_, session, question)): Path<(String, String, String)>,
    form: WebForm<GradeForm>,
) -> Response {
    if let Some(no) = staff.csrf_refusal(&form.csrf) {
        return no;
    }
    let (s, qid) = match ids(&session, &question) {
        Ok(x) => x,
        Err(e) => return error_page(&e),
    };
    let f = form.value;
    let result = match f.points.trim().replace(',', ".").parse::<f64>() {
        Ok(p) if p.is_finite() => {
            let body = GradeBody {
                points: p,
                comment: Some(f.comment.clone()),
            };
            match manual::authorize_session(&state, &staff.ctx, s, Action::GradeAnswers).await {
                Ok(()) => manual::grade_answer(&state, &staff.ctx, s, qid, body).await,
                Err(e) => Err(e),
            }
        }
        _ => Err(ApiError::field("points", "enter the points as a number")),
    };
    match result {
        Ok(_) => {
            let filter = Some(f.exam.trim())
                .filter(|e| !e.is_empty())
                .map(|e| {
                    format!(
                        "?{}",
                        serde_urlencoded::to_string([("exam", e)]).unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            see_other(&staff.href(&format!("/grading/next{filter}")))
        }
        Err(ApiError::Validation(list)) => {
            let errors = FormErrors {
                fields: list
                    .into_iter()
                    .map(|e| FieldError::new(e.field, sentence(&e.message)))
                    .collect(),
                general: Vec::new(),
            };
            let exam = f.exam.clone();
            match grade_page(&state, &staff, s, qid, Some(f), errors, String::new(), exam).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => error_page(&e),
            }
        }
        Err(e) => error_page(&e),
    }
}
