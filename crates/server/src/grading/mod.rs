//! Grading: objective answers are graded with the domain's pure functions
//! (`invigil_domain::grading`) against the version each session was served
//! (or, after a key correction, the corrected version); essays wait for a
//! human. Scores are `{objective_score, subjective_score, final_score,
//! max_score, percent, passed}`; `passed` stays unknown while any answer
//! waits for a grade.
//!
//! - this file: grading a session and computing its scores;
//! - [`manual`]: the grading queue and a human's grade;
//! - [`regrade`]: re-scoring after a key correction;
//! - [`results`]: releasing results and the candidate's results;
//! - [`gradebook`]: the staff's results of an exam (rows, CSV, answers);
//! - [`results_csv`]: the gradebook as a streamed CSV download.

pub mod gradebook;
pub mod manual;
pub mod regrade;
pub mod results;
pub mod results_csv;
pub mod routes;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use invigil_store::ConnectionTrait;
use uuid::Uuid;

use invigil_domain::content::{
    Question, QuestionType, Response, parse_response, unpermute_response,
};
use invigil_domain::grading::{Outcome, grade, grade_missing};
use invigil_store::Tx;
use invigil_store::content;
use invigil_store::delivery::{self, Answer, Served, Session};
use invigil_store::grading::{self as store, AnswerGrade};

use crate::content::views::parse_body;
use crate::http::error::ApiError;

/// The type of a served question; a stored name that is not a type is a
/// broken row, never a default.
pub fn served_type(served: &Served) -> Result<QuestionType, ApiError> {
    QuestionType::parse(&served.question_type).ok_or_else(|| {
        ApiError::internal(format!(
            "session {} position {}: unknown question type {:?}",
            served.session_id, served.position, served.question_type
        ))
    })
}

/// The stored response of an answer as the domain type, in original option
/// indexes; `None` when there is none or it does not fit the question.
pub fn response_of(served: &Served, answer: &Answer) -> Result<Option<Response>, ApiError> {
    let value = &answer.response.0;
    if value.is_null() {
        return Ok(None);
    }
    let Ok(parsed) = parse_response(
        served_type(served)?,
        usize::try_from(served.option_count).unwrap_or(0),
        usize::try_from(served.blank_count).unwrap_or(0),
        value,
    ) else {
        return Ok(None);
    };
    let order = &served.option_order.0;
    Ok(Some(if order.is_empty() {
        parsed
    } else {
        unpermute_response(parsed, order)
    }))
}

/// Grades one served question; `None` points means "waits for a human".
pub fn grade_one(
    question: &Question,
    served: &Served,
    answer: Option<&Answer>,
) -> Result<(Option<f64>, Outcome), ApiError> {
    let response = match answer {
        Some(a) => response_of(served, a)?,
        None => None,
    };
    let g = match response {
        Some(r) if !r.is_empty() => grade(question, &r),
        _ => grade_missing(question),
    };
    Ok(match g.outcome {
        Outcome::NeedsManual => (None, g.outcome),
        o => (Some(g.points_awarded), o),
    })
}

/// Scores of a session from its answers' grades.
pub fn recompute(
    session: &mut Session,
    served: &[Served],
    answers: &[Answer],
    passing_score: i32,
    now: DateTime<Utc>,
) {
    let mut objective = 0.0;
    let mut subjective = 0.0;
    let mut pending = 0;
    let max: f64 = served.iter().map(|s| s.points).sum();
    for s in served {
        let a = answers.iter().find(|a| a.question_id == s.question_id);
        match a {
            Some(a) if a.outcome == Some(Outcome::NeedsManual) => {
                if a.graded_by.is_some() {
                    subjective += a.points_awarded.unwrap_or(0.0);
                } else {
                    pending += 1;
                }
            }
            Some(a) => objective += a.points_awarded.unwrap_or(0.0),
            None => {}
        }
    }
    let final_score = objective + subjective;
    let percent = if max > 0.0 {
        final_score / max * 100.0
    } else {
        0.0
    };
    session.objective_score = Some(round2(objective));
    session.subjective_score = Some(round2(subjective));
    session.final_score = Some(round2(final_score));
    session.max_score = round2(max);
    session.percent = Some(round2(percent));
    session.pending_manual = pending;
    session.passed = (pending == 0).then(|| percent + 1e-9 >= f64::from(passing_score));
    session.graded_at = Some(now);
    session.updated_at = now;
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Loads the served versions of a session as domain questions, by id.
pub async fn served_questions<C: ConnectionTrait>(
    conn: &C,
    org_id: Uuid,
    served: &[Served],
) -> Result<HashMap<Uuid, Question>, ApiError> {
    let keys: Vec<(Uuid, i32)> = served.iter().map(|s| (s.question_id, s.version)).collect();
    let versions = content::versions_by_keys(conn, org_id, &keys).await?;
    let mut out = HashMap::new();
    for v in versions {
        let q =
            parse_body(&v).ok_or_else(|| ApiError::internal("stored question does not parse"))?;
        out.insert(v.question_id, q);
    }
    Ok(out)
}

/// What grading a session read, with the grades it stored: enough for the
/// candidate's view of the finished session without reading it all again.
#[derive(Debug, Clone)]
pub struct Graded {
    /// The questions as served, in position order.
    pub served: Vec<Served>,
    /// The served version of each question, by question id.
    pub questions: HashMap<Uuid, Question>,
    /// Every answer row after grading.
    pub answers: Vec<Answer>,
}

/// Grades every objective answer of a finished session (essays become
/// NEEDS_MANUAL unless already graded) and sets its scores.
pub async fn grade_session(
    tx: &Tx,
    session: &mut Session,
    passing_score: i32,
    now: DateTime<Utc>,
) -> Result<Graded, ApiError> {
    let served = delivery::served(tx, session.id).await?;
    let answers = delivery::answers(tx, session.id).await?;
    let questions = served_questions(tx, session.org_id, &served).await?;
    let mut grades = Vec::with_capacity(served.len());
    for s in &served {
        let Some(q) = questions.get(&s.question_id) else {
            continue;
        };
        let existing = answers.iter().find(|a| a.question_id == s.question_id);
        if existing.is_some_and(|a| a.graded_by.is_some()) {
            continue; // a human's grade stands
        }
        let graded = grade_one(q, s, existing)?;
        grades.push(AnswerGrade::automatic(
            session,
            s.question_id,
            graded,
            s.version,
            now,
        ));
    }
    store::set_grades(tx, &grades, now).await?;
    let answers = score(tx, session, &served, passing_score, now).await?;
    Ok(Graded {
        served,
        questions,
        answers,
    })
}

/// Recomputes scores from the stored grades (after a manual grade).
pub async fn rescore(
    tx: &Tx,
    session: &mut Session,
    passing_score: i32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let served = delivery::served(tx, session.id).await?;
    score(tx, session, &served, passing_score, now)
        .await
        .map(|_| ())
}

/// Sets a session's scores from its answers' stored grades; answers the
/// answers it read.
async fn score(
    tx: &Tx,
    session: &mut Session,
    served: &[Served],
    passing_score: i32,
    now: DateTime<Utc>,
) -> Result<Vec<Answer>, ApiError> {
    let answers = delivery::answers(tx, session.id).await?;
    recompute(session, served, &answers, passing_score, now);
    Ok(answers)
}
