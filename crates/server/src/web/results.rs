//! My results: `/me/results` (the service of `GET /api/v1/me/results`) and
//! `/me/results/{session}` (the scores of the session, its per-question
//! points and grader comments, and the service of
//! `GET /api/v1/me/sessions/{s}/integrity`: flags, decision, appeal), with
//! the appeal form (`POST /me/results/{session}/appeal`, the service of
//! `POST /api/v1/me/sessions/{s}/appeal`). Nothing shows before the
//! organization releases the exam's results: the services refuse it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use invigil_domain::content::QuestionType;
use invigil_domain::grading::Outcome;
use invigil_domain::proctoring::{FlagSeverity, FlagType};
use invigil_domain::review::{DecisionType, IntegrityStatus, result_passed, results_withheld};
use invigil_store::content as content_store;
use invigil_store::delivery;
use invigil_store::exams as exam_store;

use super::errors::{ErrorPage, FormErrors, csrf_refused, error_page, page, sentence};
use super::form::WebForm;
use super::session::{SignedIn, see_other};
use super::{Layout, when};
use crate::grading::results::{ResultView, my_results};
use crate::http::error::{ApiError, FieldError};
use crate::review::candidate::{self, AppealBody, MyIntegrity};
use crate::state::AppState;

/// Points without trailing zeros: `7`, `7.5`, `7.25`.
fn points(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The badge's classes for an outcome.
fn badge(passed: Option<bool>) -> &'static str {
    match passed {
        Some(true) => "badge pass",
        Some(false) => "badge fail",
        None => "badge",
    }
}

fn outcome_words(passed: Option<bool>, pending_manual: bool) -> &'static str {
    match passed {
        Some(true) => "Passed",
        Some(false) => "Not passed",
        None if pending_manual => "Waiting for a grader",
        None => "Not decided",
    }
}

/// The integrity review in plain words.
pub fn integrity_words(s: IntegrityStatus) -> &'static str {
    match s {
        IntegrityStatus::Clean => "No integrity concerns were raised.",
        IntegrityStatus::Flagged => {
            "Some activity was flagged and waits for a person to review it. \
             Flags are signals for a reviewer, not a penalty."
        }
        IntegrityStatus::UnderReview => "A reviewer is looking at the flagged activity.",
        IntegrityStatus::Cleared => {
            "A reviewer looked at the flagged activity and cleared it: no violation."
        }
        IntegrityStatus::ViolationConfirmed => {
            "A reviewer confirmed a violation of the exam rules. Your score is kept for \
             the record, but the exam counts as not passed."
        }
    }
}

fn integrity_short(s: IntegrityStatus) -> &'static str {
    match s {
        IntegrityStatus::Clean => "No concerns",
        IntegrityStatus::Flagged => "Flagged, waiting for review",
        IntegrityStatus::UnderReview => "Under review",
        IntegrityStatus::Cleared => "Reviewed and cleared",
        IntegrityStatus::ViolationConfirmed => "Violation confirmed",
    }
}

fn flag_words(t: FlagType) -> &'static str {
    match t {
        FlagType::NoFaceDetected => "No face was visible to the camera",
        FlagType::MultipleFaces => "More than one face was visible to the camera",
        FlagType::LookingAway => "Looking away from the screen",
        FlagType::PhoneDetected => "A phone was visible",
        FlagType::TabSwitch => "Switching away from the exam tab or window",
        FlagType::CopyPaste => "Copying or pasting",
        FlagType::ScreenshotAttempt => "A screenshot attempt",
        FlagType::SuspiciousActivity => "Other unusual activity",
        FlagType::Other => "Other activity",
    }
}

fn severity_words(s: FlagSeverity) -> &'static str {
    match s {
        FlagSeverity::Low => "low",
        FlagSeverity::Medium => "medium",
        FlagSeverity::High => "high",
    }
}

fn decision_words(d: DecisionType) -> &'static str {
    match d {
        DecisionType::Cleared => "Cleared: no violation",
        DecisionType::ViolationConfirmed => "Violation confirmed",
    }
}

fn type_words(name: &str) -> &'static str {
    match QuestionType::parse(name) {
        Some(QuestionType::SingleChoice) => "Single choice",
        Some(QuestionType::MultipleSelect) => "Multiple select",
        Some(QuestionType::TrueFalse) => "True or false",
        Some(QuestionType::ShortAnswer) => "Short answer",
        Some(QuestionType::Numeric) => "Numeric",
        Some(QuestionType::FillBlank) => "Fill in the blanks",
        Some(QuestionType::Essay) => "Essay",
        None => "Question",
    }
}

// ---- the list

/// One released result, ready to show.
#[derive(Debug)]
pub struct ResultRow {
    pub session_id: Uuid,
    pub title: String,
    pub exam_type: Option<String>,
    pub attempt: i32,
    pub finished: String,
    pub score: String,
    pub percent: String,
    pub outcome: &'static str,
    pub badge: &'static str,
    pub integrity: &'static str,
}

impl ResultRow {
    fn of(r: &ResultView) -> ResultRow {
        let integrity = IntegrityStatus::parse(&r.integrity).unwrap_or(IntegrityStatus::Clean);
        ResultRow {
            session_id: r.session_id,
            title: r.exam_title.clone(),
            exam_type: r.exam_type.as_ref().map(|t| t.name.clone()),
            attempt: r.attempt,
            finished: r.finished_at.map(when).unwrap_or_default(),
            score: match r.final_score {
                Some(s) => format!("{} of {} points", points(s), points(r.max_score)),
                None => "Not graded yet".to_owned(),
            },
            percent: r
                .percent
                .map(|p| format!("{} %", points(p)))
                .unwrap_or_default(),
            outcome: outcome_words(r.passed, r.final_score.is_none()),
            badge: badge(r.passed),
            integrity: integrity_short(integrity),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub results: Vec<ResultRow>,
}

/// `GET /me/results`.
pub async fn results_page(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    let results = match my_results(&state, signed_in.user.id()).await {
        Ok(r) => r,
        Err(e) => return error_page(&e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    ResultsPage {
        layout: Layout::for_visitor("My results", &signed_in.visitor, &csrf),
        results: results.iter().map(ResultRow::of).collect(),
    }
    .into_response()
}

// ---- one result

#[derive(Debug)]
pub struct QuestionRow {
    pub number: usize,
    pub text: String,
    pub kind: &'static str,
    pub points: String,
    pub comment: Option<String>,
}

#[derive(Debug)]
pub struct FlagRow {
    pub what: &'static str,
    pub description: String,
    pub severity: &'static str,
    pub when: String,
    pub resolution: Option<&'static str>,
}

/// Everything the result page shows.
#[derive(Debug)]
pub struct Detail {
    pub session_id: Uuid,
    pub title: String,
    pub attempt: i32,
    pub finished: String,
    /// Scores held back while the integrity review is open.
    pub withheld: bool,
    pub score: String,
    pub percent: String,
    pub outcome: &'static str,
    pub badge: &'static str,
    pub questions: Vec<QuestionRow>,
    pub integrity: &'static str,
    pub integrity_short: &'static str,
    pub flags: Vec<FlagRow>,
    pub decision: Option<(&'static str, String)>,
    pub appeal: Option<(String, String)>,
    pub can_appeal: bool,
    /// Why no appeal is possible, when it is not.
    pub no_appeal: String,
}

async fn questions(
    state: &AppState,
    s: &invigil_store::delivery::Session,
) -> Result<Vec<QuestionRow>, ApiError> {
    let db = state.db.read();
    let served = delivery::served(db, s.id).await?;
    let answers = delivery::answers(db, s.id).await?;
    let keys: Vec<(Uuid, i32)> = served.iter().map(|q| (q.question_id, q.version)).collect();
    let versions = content_store::versions_by_keys(db, s.org_id, &keys).await?;
    let mut out = Vec::with_capacity(served.len());
    for (i, q) in served.iter().enumerate() {
        let text = versions
            .iter()
            .find(|v| v.question_id == q.question_id && v.version == q.version)
            .and_then(crate::content::views::parse_body)
            .map(|b| b.text().to_owned())
            .unwrap_or_default();
        let a = answers.iter().find(|a| a.question_id == q.question_id);
        let awarded = match a {
            Some(a) if a.outcome == Some(Outcome::NeedsManual) && a.graded_by.is_none() => {
                "waiting for a grader".to_owned()
            }
            Some(a) => format!(
                "{} of {}",
                points(a.points_awarded.unwrap_or(0.0)),
                points(q.points)
            ),
            None => format!("0 of {} (not answered)", points(q.points)),
        };
        out.push(QuestionRow {
            number: i + 1,
            text,
            kind: type_words(&q.question_type),
            points: awarded,
            comment: a.and_then(|a| a.grader_comment.clone()),
        });
    }
    Ok(out)
}

async fn detail(state: &AppState, signed_in: &SignedIn, id: Uuid) -> Result<Detail, ApiError> {
    let integrity: MyIntegrity = candidate::my_integrity(state, &signed_in.user, id).await?;
    let s = delivery::session(state.db.read(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exam_store::exam(state.db.read(), s.org_id, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let withheld = results_withheld(s.integrity_status);
    let passed = s.passed.map(|p| result_passed(p, s.integrity_status));
    let status = integrity.integrity_status;
    let no_appeal = match (&integrity.appeal, status.is_decided()) {
        (Some(_), true) => "You have used your one appeal for this session.",
        (Some(_), false) => {
            "Your appeal is with the reviewers; the result shows here once they decide."
        }
        (None, false) if status == IntegrityStatus::Clean => {
            "There is no review decision to appeal: no concerns were raised."
        }
        (None, false) => "You can appeal once a reviewer has decided.",
        (None, true) => "",
    };
    Ok(Detail {
        session_id: s.id,
        title: exam.title,
        attempt: s.attempt_no,
        finished: s.finished_at.map(when).unwrap_or_default(),
        withheld,
        score: match s.final_score {
            Some(f) => format!("{} of {} points", points(f), points(s.max_score)),
            None => "Not graded yet".to_owned(),
        },
        percent: s
            .percent
            .map(|p| format!("{} %", points(p)))
            .unwrap_or_default(),
        outcome: outcome_words(passed, s.pending_manual > 0),
        badge: badge(passed),
        questions: if withheld {
            Vec::new()
        } else {
            questions(state, &s).await?
        },
        integrity: integrity_words(status),
        integrity_short: integrity_short(status),
        flags: integrity
            .flags
            .iter()
            .map(|f| FlagRow {
                what: flag_words(f.flag_type),
                description: f.description.clone(),
                severity: severity_words(f.severity),
                when: when(f.first_at),
                resolution: f.resolution.map(decision_words),
            })
            .collect(),
        decision: integrity
            .decision
            .as_ref()
            .map(|d| (decision_words(d.decision), d.notes.clone())),
        appeal: integrity
            .appeal
            .as_ref()
            .map(|a| (a.text.clone(), a.appealed_at.map(when).unwrap_or_default())),
        can_appeal: integrity.can_appeal,
        no_appeal: no_appeal.to_owned(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "result_detail.html")]
pub struct ResultDetailPage {
    pub layout: Layout,
    pub r: Detail,
    pub errors: FormErrors,
    pub text: String,
    pub notice: Option<&'static str>,
}

/// The page for a session that is not (yet) to be shown.
fn refused(signed_in: &SignedIn, e: &ApiError) -> Response {
    match e {
        ApiError::Conflict {
            code: "results_not_released",
            ..
        } => {
            let (csrf, _) = signed_in.visitor.csrf_for_page();
            page(
                StatusCode::CONFLICT,
                ErrorPage {
                    layout: Layout::for_visitor("Result not released", &signed_in.visitor, &csrf),
                    heading: "This result is not released yet".to_owned(),
                    message: "Your organization releases results after grading and review; \
                              you get an email when it does."
                        .to_owned(),
                    link: ("/me/exams".to_owned(), "Back to my exams".to_owned()),
                },
            )
        }
        other => error_page(other),
    }
}

async fn render_detail(
    state: &AppState,
    signed_in: &SignedIn,
    id: Uuid,
    errors: FormErrors,
    text: String,
    notice: Option<&'static str>,
    status: StatusCode,
) -> Response {
    let r = match detail(state, signed_in, id).await {
        Ok(d) => d,
        Err(e) => return refused(signed_in, &e),
    };
    let (csrf, _) = signed_in.visitor.csrf_for_page();
    let title = format!("Result: {}", r.title);
    page(
        status,
        ResultDetailPage {
            layout: Layout::for_visitor(&title, &signed_in.visitor, &csrf),
            r,
            errors,
            text,
            notice,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailQuery {
    pub appealed: Option<String>,
}

/// `GET /me/results/{session}`.
pub async fn result_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(session): Path<String>,
    query: Result<Query<DetailQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(id) = session.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let notice = q.appealed.is_some().then_some(
        "Your appeal was sent. A reviewer looks at the session again; \
         the result shows here once they decide.",
    );
    render_detail(
        &state,
        &signed_in,
        id,
        FormErrors::default(),
        String::new(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AppealForm {
    #[serde(default)]
    pub text: String,
}

/// `POST /me/results/{session}/appeal`.
pub async fn appeal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(session): Path<String>,
    form: WebForm<AppealForm>,
) -> Response {
    if !signed_in.visitor.session_csrf_ok(&form.csrf) {
        return csrf_refused();
    }
    let Ok(id) = session.parse::<Uuid>() else {
        return error_page(&ApiError::NotFound);
    };
    let s = match candidate::own_released(&state, &signed_in.user, id).await {
        Ok(s) => s,
        Err(e) => return refused(&signed_in, &e),
    };
    let text = form.value.text;
    let body = AppealBody { text: text.clone() };
    let e = match candidate::appeal(&state, &signed_in.user, s, body).await {
        Ok(_) => return see_other(&format!("/me/results/{id}?appealed=1")),
        Err(e) => e,
    };
    let (status, _) = e.parts();
    let errors = match e {
        ApiError::Validation(list) if !list.iter().any(|f| f.field == "text") => {
            FormErrors::general("The appeal could not be sent; check the text and try again.")
        }
        ApiError::Validation(list) => FormErrors {
            fields: list
                .into_iter()
                .filter(|f| f.field == "text")
                .map(|f| {
                    FieldError::new(
                        "text",
                        if text.trim().is_empty() {
                            "Write why you appeal the decision.".to_owned()
                        } else {
                            sentence(&f.message)
                        },
                    )
                })
                .collect(),
            general: Vec::new(),
        },
        ApiError::Conflict {
            code: "appeal_already_used",
            ..
        } => FormErrors::general("You have already used your one appeal for this session."),
        ApiError::Conflict { .. } => FormErrors::general(
            "An appeal is possible only after a review decision, once per session.",
        ),
        other => return error_page(&other),
    };
    render_detail(&state, &signed_in, id, errors, text, None, status).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn points_read_without_trailing_zeros() {
        assert_eq!(super::points(7.0), "7");
        assert_eq!(super::points(7.5), "7.5");
        assert_eq!(super::points(7.25), "7.25");
        assert_eq!(super::points(0.0), "0");
    }
}
