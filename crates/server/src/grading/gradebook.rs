//! The staff's gradebook of an exam: one row per session (every attempt of
//! every candidate) with its delivery state, scores, grading progress, time
//! used and integrity — `GET /orgs/{org}/exams/{exam}/results` (cursor
//! pages), the same rows as CSV (`.../results.csv`, streamed by
//! [`super::results_csv`]), and one session's answers per question with
//! the points given, the key and the grader's comment
//! (`.../results/{session}`).
//!
//! Who: `Action::ReadReports` on the exam's department — EXAM_COORDINATOR,
//! REPORT_VIEWER, QUALITY_ASSURANCE and ORG_ADMIN, exactly API.md's "an
//! exam's results (gradebook)" row. Graders (EXAM_AUTHOR) are left out on
//! purpose: the grading queue shows them the answers they grade, not the
//! whole exam's results with the candidates' names.
//!
//! A page costs a fixed number of queries whatever its size: the sessions,
//! their candidates and their open flag counts, each batched by page.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::content::{CorrectAnswer, Question, QuestionType, Response as Answered};
use invigil_domain::delivery::session::DeliveryStatus;
use invigil_domain::grading::Outcome;
use invigil_domain::identity::Action;
use invigil_domain::review::{IntegrityStatus, result_passed, results_withheld};
use invigil_store::Keyset;
use invigil_store::content as content_store;
use invigil_store::delivery::{self, Session};
use invigil_store::exams::Exam;
use invigil_store::identity::users;
use invigil_store::proctoring;

use super::response_of;
use super::results_csv::{CsvQuery, csv_response, gradebook_csv};
use crate::authz::OrgCtx;
use crate::delivery::clock_of;
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(exam_results))
        .routes(routes!(exam_results_csv))
        .routes(routes!(exam_session_result))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradebookCandidate {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// Where grading of a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GradingStatus {
    /// Still running: nothing to grade yet.
    NotSubmitted,
    /// Some answers wait for a human grade (`pending_manual`).
    PendingManual,
    /// Every answer has its points.
    Graded,
}

/// One session of the gradebook.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradebookRow {
    pub session_id: Uuid,
    pub candidate: GradebookCandidate,
    pub attempt: i32,
    /// Delivery status: IN_PROGRESS, PAUSED, SUBMITTED, AUTO_SUBMITTED, TERMINATED.
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub objective_score: Option<f64>,
    pub subjective_score: Option<f64>,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    /// Unknown while answers wait for a grade; false when a violation was
    /// confirmed (the score is kept for the record).
    pub passed: Option<bool>,
    pub grading_status: GradingStatus,
    /// Answers waiting for a human grade.
    pub pending_manual: i32,
    /// Working time: from the start to the finish (or now), pauses excluded.
    pub time_used_seconds: u64,
    /// CLEAN, FLAGGED, UNDER_REVIEW, CLEARED, VIOLATION_CONFIRMED.
    #[schema(value_type = String)]
    pub integrity: IntegrityStatus,
    /// Flags not yet resolved by a review decision.
    pub open_flags: i64,
    pub started_at: DateTime<Utc>,
    /// When it was submitted (or auto-submitted, or terminated).
    pub submitted_at: Option<DateTime<Utc>>,
    /// Whether the candidate sees the result: released, finished and not
    /// withheld by an open integrity review.
    pub released: bool,
}

/// Seconds of working time: start to finish (or `now`), pauses excluded.
pub fn time_used_seconds(s: &Session, now: DateTime<Utc>) -> u64 {
    let end = s.finished_at.unwrap_or(now);
    let worked = (end - s.started_at) - clock_of(s).paused_until(end);
    u64::try_from(worked.num_seconds()).unwrap_or(0)
}

fn grading_status(s: &Session) -> GradingStatus {
    if s.finished_at.is_none() {
        GradingStatus::NotSubmitted
    } else if s.pending_manual > 0 || s.final_score.is_none() {
        GradingStatus::PendingManual
    } else {
        GradingStatus::Graded
    }
}

/// One page of the gradebook (see the module documentation).
pub async fn gradebook(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    page: PageQuery,
) -> Result<(Exam, Page<GradebookRow>), ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ReadReports).await?;
    let keyset = page.keyset::<Uuid>()?;
    let (items, next) = page_rows(state, auth.org_id, &exam, keyset).await?;
    let next_cursor = next.map(|k| k.to_string());
    Ok((exam, Page { items, next_cursor }))
}

/// The rows of one page of an exam's sessions (the caller has authorized
/// the read) and the key of the next page: the sessions, their candidates
/// and their open flag counts, three queries whatever the page size.
pub(crate) async fn page_rows(
    state: &AppState,
    org_id: Uuid,
    exam: &Exam,
    keyset: Keyset<Uuid>,
) -> Result<(Vec<GradebookRow>, Option<Uuid>), ApiError> {
    let db = state.db.read();
    let page = delivery::sessions_page_of_exam(db, org_id, exam.id, None, None, keyset).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|s| s.id).collect();
    let people: HashMap<Uuid, users::User> =
        users::by_ids(db, page.items.iter().map(|s| s.user_id).collect())
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    let flags: HashMap<Uuid, i64> = proctoring::open_flag_counts(db, org_id, &ids)
        .await?
        .into_iter()
        .collect();
    let now = state.now();
    let released_exam = exam.results_released_at.is_some();
    let mut items = Vec::with_capacity(page.items.len());
    for s in page.items {
        let u = people
            .get(&s.user_id)
            .ok_or_else(|| ApiError::internal("a session's candidate is missing"))?;
        items.push(GradebookRow {
            session_id: s.id,
            candidate: GradebookCandidate {
                id: u.id,
                name: u.name.clone(),
                email: u.email.clone(),
            },
            attempt: s.attempt_no,
            status: s.status,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s.passed.map(|p| result_passed(p, s.integrity_status)),
            grading_status: grading_status(&s),
            pending_manual: s.pending_manual,
            time_used_seconds: time_used_seconds(&s, now),
            integrity: s.integrity_status,
            open_flags: flags.get(&s.id).copied().unwrap_or(0),
            started_at: s.started_at,
            submitted_at: s.finished_at,
            released: released_exam
                && s.finished_at.is_some()
                && !results_withheld(s.integrity_status),
        });
    }
    Ok((items, page.next))
}

/// The points an answer has been given: none while it waits for a human
/// grade (an essay's automatic zero is not a grade).
pub(crate) fn awarded_points(
    points: Option<f64>,
    outcome: Option<Outcome>,
    graded_by: Option<Uuid>,
) -> Option<f64> {
    if outcome == Some(Outcome::NeedsManual) && graded_by.is_none() {
        None
    } else {
        points
    }
}

// ---- one session's answers

/// One served question of a session, as graded.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AnswerRow {
    /// 1-based position as served.
    pub position: i32,
    pub question_id: Uuid,
    /// The version the answer was graded against (the served one, or the
    /// corrected one after a regrade).
    pub version: i32,
    /// single_choice, multiple_select, ...
    pub question_type: String,
    pub text: String,
    /// The options in their original order (choice questions).
    pub options: Vec<String>,
    /// The response in original option indexes; `null` when unanswered.
    #[schema(value_type = Option<crate::content::views::AnswerResponse>)]
    pub response: Option<serde_json::Value>,
    /// The response in words ("B. Paris", "true", the essay's text).
    pub response_text: Option<String>,
    /// The key; `null` for essays.
    #[schema(value_type = Option<crate::content::views::CorrectAnswer>)]
    pub correct_answer: Option<serde_json::Value>,
    /// The key in words; `null` for essays.
    pub correct_text: Option<String>,
    /// `null` while the answer waits for a human grade.
    pub points_awarded: Option<f64>,
    pub max_points: f64,
    /// CORRECT, PARTIAL, INCORRECT, NEEDS_MANUAL; `null` before grading.
    pub outcome: Option<String>,
    pub graded_by_person: bool,
    pub grader_comment: Option<String>,
}

/// A session with its answers per question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionResult {
    #[serde(flatten)]
    pub row: GradebookRow,
    pub exam_id: Uuid,
    pub exam_title: String,
    pub answers: Vec<AnswerRow>,
}

fn letter(i: usize) -> String {
    u8::try_from(i)
        .ok()
        .filter(|i| *i < 26)
        .map(|i| char::from(b'A' + i).to_string())
        .unwrap_or_else(|| (i + 1).to_string())
}

fn option_words(q: &Question, i: usize) -> String {
    match q.options().get(i) {
        Some(text) => format!("{}. {text}", letter(i)),
        None => format!("option {}", i + 1),
    }
}

/// A response in words.
pub fn response_words(q: &Question, r: &Answered) -> String {
    match r {
        Answered::SingleChoice { option } => option_words(q, *option),
        Answered::MultipleSelect { options } => options
            .iter()
            .map(|i| option_words(q, *i))
            .collect::<Vec<_>>()
            .join("; "),
        Answered::TrueFalse { value } => if *value { "True" } else { "False" }.to_owned(),
        Answered::ShortAnswer { text } | Answered::Essay { text } => text.clone(),
        Answered::Numeric { value } => value.to_string(),
        Answered::FillBlank { blanks } => blanks
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{}: {b}", i + 1))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A key in words; `None` for essays.
pub fn key_words(q: &Question) -> Option<String> {
    Some(match q.correct_answer()? {
        CorrectAnswer::SingleChoice { option } => option_words(q, *option),
        CorrectAnswer::MultipleSelect { options } => options
            .iter()
            .map(|i| option_words(q, *i))
            .collect::<Vec<_>>()
            .join("; "),
        CorrectAnswer::TrueFalse { value } => if *value { "True" } else { "False" }.to_owned(),
        CorrectAnswer::ShortAnswer {
            accepted,
            case_sensitive,
        } => format!(
            "{}{}",
            accepted.join(" or "),
            if *case_sensitive {
                " (case sensitive)"
            } else {
                ""
            }
        ),
        CorrectAnswer::Numeric { value, tolerance } => {
            if *tolerance > 0.0 {
                format!("{value} ± {tolerance}")
            } else {
                value.to_string()
            }
        }
        CorrectAnswer::FillBlank { blanks } => blanks
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{}: {}", i + 1, b.join(" or ")))
            .collect::<Vec<_>>()
            .join("; "),
    })
}

/// One session of the exam with its answers per question.
pub async fn session_result(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    session_id: Uuid,
) -> Result<SessionResult, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ReadReports).await?;
    let db = state.db.read();
    let s = delivery::session_in_org(db, auth.org_id, session_id)
        .await?
        .filter(|s| s.exam_id == exam.id)
        .ok_or(ApiError::NotFound)?;
    // Staff never look into their own session (its key included).
    auth.on_session_of(s.user_id)?;
    let u = users::by_ids(db, vec![s.user_id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a session's candidate is missing"))?;
    let open_flags = proctoring::open_flag_counts(db, auth.org_id, &[s.id])
        .await?
        .first()
        .map_or(0, |(_, n)| *n);
    let served = delivery::served(db, s.id).await?;
    let answers = delivery::answers(db, s.id).await?;
    let version_of = |q: Uuid, served_version: i32| {
        answers
            .iter()
            .find(|a| a.question_id == q)
            .and_then(|a| a.graded_version)
            .unwrap_or(served_version)
    };
    let mut keys: Vec<(Uuid, i32)> = served
        .iter()
        .flat_map(|q| {
            [
                (q.question_id, q.version),
                (q.question_id, version_of(q.question_id, q.version)),
            ]
        })
        .collect();
    keys.sort();
    keys.dedup();
    let versions = content_store::versions_by_keys(db, auth.org_id, &keys).await?;
    let mut rows = Vec::with_capacity(served.len());
    for q in &served {
        let version = version_of(q.question_id, q.version);
        let question = versions
            .iter()
            .find(|v| v.question_id == q.question_id && v.version == version)
            .and_then(crate::content::views::parse_body)
            .ok_or_else(|| ApiError::internal("a served question version is missing"))?;
        let a = answers.iter().find(|a| a.question_id == q.question_id);
        let response = match a {
            Some(a) => response_of(q, a)?,
            None => None,
        };
        let is_essay = question.question_type() == QuestionType::Essay;
        rows.push(AnswerRow {
            position: q.position + 1,
            question_id: q.question_id,
            version,
            question_type: q.question_type.clone(),
            text: question.text().to_owned(),
            options: question.options().to_vec(),
            response_text: response.as_ref().map(|r| response_words(&question, r)),
            response: response.as_ref().and_then(|r| serde_json::to_value(r).ok()),
            correct_text: key_words(&question),
            correct_answer: if is_essay {
                None
            } else {
                question
                    .correct_answer()
                    .and_then(|k| serde_json::to_value(k).ok())
            },
            points_awarded: a
                .and_then(|a| awarded_points(a.points_awarded, a.outcome, a.graded_by)),
            max_points: q.points,
            outcome: a.and_then(|a| a.outcome).map(|o| o.to_string()),
            graded_by_person: a.is_some_and(|a| a.graded_by.is_some()),
            grader_comment: a.and_then(|a| a.grader_comment.clone()),
        });
    }
    let now = state.now();
    let released = exam.results_released_at.is_some()
        && s.finished_at.is_some()
        && !results_withheld(s.integrity_status);
    Ok(SessionResult {
        row: GradebookRow {
            session_id: s.id,
            candidate: GradebookCandidate {
                id: u.id,
                name: u.name,
                email: u.email,
            },
            attempt: s.attempt_no,
            status: s.status,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s.passed.map(|p| result_passed(p, s.integrity_status)),
            grading_status: grading_status(&s),
            pending_manual: s.pending_manual,
            time_used_seconds: time_used_seconds(&s, now),
            integrity: s.integrity_status,
            open_flags,
            started_at: s.started_at,
            submitted_at: s.finished_at,
            released,
        },
        exam_id: exam.id,
        exam_title: exam.title,
        answers: rows,
    })
}

// ---- routes

/// An exam's results: one row per session, every attempt (EXAM_COORDINATOR,
/// REPORT_VIEWER, QUALITY_ASSURANCE, ORG_ADMIN within their departments).
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/results", tag = "grading",
    params(("org" = String, Path), ("exam" = Uuid, Path), PageQuery),
    responses((status = 200, body = Page<GradebookRow>), (status = 400, description = "bad cursor"),
        (status = 403), (status = 404), (status = 422)), security(("bearer" = [])))]
pub async fn exam_results(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<GradebookRow>>, ApiError> {
    gradebook(&state, &ctx, exam, page)
        .await
        .map(|(_, p)| Json(p))
}

/// The whole gradebook as CSV, streamed a page of sessions at a time: the
/// columns of the JSON rows, then with `?questions=true` one column per
/// question served in the exam (the points awarded in that session). Cells
/// that a spreadsheet would run as a formula are prefixed with `'`.
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/results.csv", tag = "grading",
    params(("org" = String, Path), ("exam" = Uuid, Path), CsvQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, description = "a `questions` value other than true or false"),
        (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn exam_results_csv(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam)): ApiPath<(String, Uuid)>,
    ApiQuery(q): ApiQuery<CsvQuery>,
) -> Result<Response, ApiError> {
    let (exam, body) = gradebook_csv(&state, &ctx, exam, &q).await?;
    Ok(csv_response(&exam, body))
}

/// One session's result with its answers per question: the points given,
/// the key and the grader's comment (same roles as the gradebook).
#[utoipa::path(get, path = "/orgs/{org}/exams/{exam}/results/{session}", tag = "grading",
    params(("org" = String, Path), ("exam" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, body = SessionResult), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn exam_session_result(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, exam, session)): ApiPath<(String, Uuid, Uuid)>,
) -> Result<Json<SessionResult>, ApiError> {
    session_result(&state, &ctx, exam, session).await.map(Json)
}
