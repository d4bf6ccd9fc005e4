//! Grading: objective answers are graded with the content module's pure
//! functions against the version each session was served (or, after a key
//! correction, the corrected version); essays wait for a human. Scores are
//! `{objective_score, subjective_score, final_score, max_score, percent,
//! passed}`; `passed` stays unknown while any answer waits for a grade.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use invigil_domain::content::{
    Outcome, Question, Response, grade, grade_missing, parse_response, unpermute_response,
};
use invigil_store::Tx;
use invigil_store::content;
use invigil_store::delivery::{self, Answer, AnswerGrade, Served, Session};

use crate::content::views::parse_body;
use crate::http::error::ApiError;
use crate::wire;

pub const NEEDS_MANUAL: &str = "NEEDS_MANUAL";

fn outcome_name(o: Outcome) -> String {
    match o {
        Outcome::Correct => "CORRECT",
        Outcome::Partial => "PARTIAL",
        Outcome::Incorrect => "INCORRECT",
        Outcome::NeedsManual => NEEDS_MANUAL,
    }
    .to_owned()
}

fn order_of(s: &Served) -> Vec<usize> {
    serde_json::from_str(&s.option_order).unwrap_or_default()
}

/// The stored response of an answer as the domain type, in original option
/// indexes.
pub fn response_of(served: &Served, answer: &Answer) -> Option<Response> {
    let value: serde_json::Value = serde_json::from_str(&answer.response).ok()?;
    if value.is_null() {
        return None;
    }
    let qtype = wire::parse(&served.question_type)?;
    let parsed = parse_response(
        qtype,
        usize::try_from(served.option_count).unwrap_or(0),
        usize::try_from(served.blank_count).unwrap_or(0),
        &value,
    )
    .ok()?;
    let order = order_of(served);
    Some(if order.is_empty() {
        parsed
    } else {
        unpermute_response(parsed, &order)
    })
}

/// Grades one served question; `None` points means "waits for a human".
pub fn grade_one(
    question: &Question,
    served: &Served,
    answer: Option<&Answer>,
) -> (Option<f64>, String) {
    let g = match answer.and_then(|a| response_of(served, a)) {
        Some(r) if !r.is_empty() => grade(question, &r),
        _ => grade_missing(question),
    };
    match g.outcome {
        Outcome::NeedsManual => (None, outcome_name(g.outcome)),
        o => (Some(g.points_awarded), outcome_name(o)),
    }
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
            Some(a) if a.outcome.as_deref() == Some(NEEDS_MANUAL) => {
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

/// Loads the served versions of a session as domain questions.
async fn served_questions(
    tx: &Tx,
    org_id: Uuid,
    served: &[Served],
) -> Result<HashMap<Uuid, Question>, ApiError> {
    let keys: Vec<(Uuid, i32)> = served.iter().map(|s| (s.question_id, s.version)).collect();
    let versions = content::versions_by_keys(tx, org_id, &keys).await?;
    let mut out = HashMap::new();
    for v in versions {
        let q =
            parse_body(&v).ok_or_else(|| ApiError::internal("stored question does not parse"))?;
        out.insert(v.question_id, q);
    }
    Ok(out)
}

/// Grades every objective answer of a finished session (essays become
/// NEEDS_MANUAL unless already graded) and sets its scores.
pub async fn grade_session(
    tx: &Tx,
    session: &mut Session,
    passing_score: i32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let served = delivery::served(tx, session.id).await?;
    let answers = delivery::answers(tx, session.id).await?;
    let questions = served_questions(tx, session.org_id, &served).await?;
    for s in &served {
        let Some(q) = questions.get(&s.question_id) else {
            continue;
        };
        let existing = answers.iter().find(|a| a.question_id == s.question_id);
        if existing.is_some_and(|a| a.graded_by.is_some()) {
            continue; // a human's grade stands
        }
        let (points, outcome) = grade_one(q, s, existing);
        delivery::set_grade(
            tx,
            &AnswerGrade {
                session_id: session.id,
                question_id: s.question_id,
                org_id: session.org_id,
                points,
                outcome,
                graded_version: s.version,
                graded_by: None,
                comment: None,
                graded_at: Some(now),
            },
            now,
        )
        .await?;
    }
    let answers = delivery::answers(tx, session.id).await?;
    recompute(session, &served, &answers, passing_score, now);
    Ok(())
}

/// Recomputes scores from the stored grades (after a manual grade).
pub async fn rescore(
    tx: &Tx,
    session: &mut Session,
    passing_score: i32,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let served = delivery::served(tx, session.id).await?;
    let answers = delivery::answers(tx, session.id).await?;
    recompute(session, &served, &answers, passing_score, now);
    Ok(())
}

// ---- services: grading queue, manual grades, regrade, release, results

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use invigil_domain::identity::Action;
use invigil_store::exams::{self as exam_store};

use crate::audit;
use crate::authz::OrgCtx;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub question_id: Uuid,
    pub question_version: i32,
    pub question_text: String,
    pub max_points: f64,
    #[schema(value_type = crate::content::views::AnswerResponse)]
    pub response: serde_json::Value,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// Answers waiting for a human, oldest sessions first (EXAM_COORDINATOR,
/// EXAM_AUTHOR), limited to exams the grader may grade.
pub async fn queue(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Option<Uuid>,
    after: Option<(Uuid, Uuid)>,
    limit: u64,
) -> Result<(Vec<QueueItem>, Option<String>), ApiError> {
    let rows =
        delivery::grading_queue(state.db.read(), ctx.org_id(), exam_id, after, limit + 1).await?;
    let mut items = Vec::new();
    let mut more = false;
    for (a, s) in rows {
        if items.len() as u64 >= limit {
            more = true;
            break;
        }
        // Nobody grades their own answers: they are not in their queue.
        if s.user_id == ctx.user.id() {
            continue;
        }
        let Some(exam) = exam_store::exam(state.db.read(), ctx.org_id(), s.exam_id).await? else {
            continue;
        };
        if ctx
            .authorize_in(Action::GradeAnswers, exam.department_id)
            .is_err()
        {
            continue;
        }
        let Some(sq) = delivery::served_one(state.db.read(), s.id, a.question_id).await? else {
            continue;
        };
        let text = content::version(state.db.read(), ctx.org_id(), a.question_id, sq.version)
            .await?
            .and_then(|v| parse_body(&v))
            .map(|q| q.text().to_owned())
            .unwrap_or_default();
        items.push(QueueItem {
            session_id: s.id,
            exam_id: s.exam_id,
            question_id: a.question_id,
            question_version: sq.version,
            question_text: text,
            max_points: sq.points,
            response: serde_json::from_str(&a.response).unwrap_or(serde_json::Value::Null),
            submitted_at: s.finished_at,
        });
    }
    let next = if more {
        items
            .last()
            .map(|i| format!("{}.{}", i.session_id, i.question_id))
    } else {
        None
    };
    Ok((items, next))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GradeBody {
    pub points: f64,
    pub comment: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreView {
    pub session_id: Uuid,
    pub objective_score: Option<f64>,
    pub subjective_score: Option<f64>,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    pub passed: Option<bool>,
    pub pending_manual: i32,
}

impl From<&Session> for ScoreView {
    fn from(s: &Session) -> Self {
        ScoreView {
            session_id: s.id,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s.passed,
            pending_manual: s.pending_manual,
        }
    }
}

/// Checks `action` on the exam of a session of the organization, and that
/// the session is not the caller's own (before the body is read).
pub async fn authorize_session(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    action: Action,
) -> Result<(), ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (_, auth) = crate::exams::service::load_exam(state, ctx, s.exam_id, action).await?;
    auth.on_session_of(s.user_id)
}

/// Checks `action` on an exam of the organization.
pub async fn authorize_exam(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    action: Action,
) -> Result<(), ApiError> {
    crate::exams::service::load_exam(state, ctx, exam_id, action)
        .await
        .map(|_| ())
}

/// A human grade for an answer that needs one (essays).
pub async fn grade_answer(
    state: &AppState,
    ctx: &OrgCtx,
    session_id: Uuid,
    question_id: Uuid,
    body: GradeBody,
) -> Result<ScoreView, ApiError> {
    let s = delivery::session_in_org(state.db.read(), ctx.org_id(), session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, s.exam_id, Action::GradeAnswers).await?;
    auth.on_session_of(s.user_id)?;
    let sq = delivery::served_one(state.db.read(), s.id, question_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if s.finished_at.is_none() {
        return Err(ApiError::conflict("the session is still running"));
    }
    let answer = delivery::answer(state.db.read(), s.id, question_id).await?;
    if answer.as_ref().and_then(|a| a.outcome.as_deref()) != Some(NEEDS_MANUAL) {
        return Err(ApiError::conflict("this answer is graded automatically"));
    }
    if !body.points.is_finite() || body.points < 0.0 || body.points > sq.points + 1e-9 {
        return Err(ApiError::field(
            "points",
            format!("must be between 0 and {}", sq.points),
        ));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > 10_000) {
        return Err(ApiError::field("comment", "at most 10000 characters"));
    }
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = delivery::session_for_update(&tx, s.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let before = row.final_score;
    delivery::set_grade(
        &tx,
        &AnswerGrade {
            session_id: s.id,
            question_id,
            org_id: s.org_id,
            points: Some(body.points),
            outcome: NEEDS_MANUAL.into(),
            graded_version: sq.version,
            graded_by: Some(auth.actor.user_id),
            comment: comment.clone(),
            graded_at: Some(now),
        },
        now,
    )
    .await?;
    rescore(&tx, &mut row, exam.passing_score, now).await?;
    let status = row.status.clone();
    delivery::update_session_if(&tx, &row, &status).await?;
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "answer.graded",
        ("exam_session", Some(s.id.to_string())),
        serde_json::json!({ "question_id": question_id, "points": body.points, "comment": comment, "final_before": before, "final_after": row.final_score }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(ScoreView::from(&row))
}

/// Re-scores every finished session of the exam that was served the
/// question, with its current (corrected) version.
pub async fn regrade(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
    question_id: Uuid,
) -> Result<usize, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let sessions =
        delivery::served_question_in_exam(state.db.read(), auth.org_id, exam_id, question_id)
            .await?;
    if sessions.is_empty() {
        return Err(ApiError::field(
            "question_id",
            "no session of this exam was served this question",
        ));
    }
    // A regrade re-scores every session: not by someone who sat the exam.
    for s in &sessions {
        auth.on_session_of(s.user_id)?;
    }
    let now = state.now();
    let tx = begin(state).await?;
    let mut changed = Vec::new();
    let mut count = 0;
    for s in sessions.into_iter().filter(|s| s.finished_at.is_some()) {
        let mut row = delivery::session_for_update(&tx, s.id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let sq = delivery::served_one(&tx, s.id, question_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let qrow = content::question_any_bank(&tx, auth.org_id, question_id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let v = content::version(&tx, auth.org_id, question_id, qrow.current_version)
            .await?
            .ok_or(ApiError::NotFound)?;
        let corrected =
            parse_body(&v).ok_or_else(|| ApiError::internal("stored question does not parse"))?;
        if corrected.options().len() != usize::try_from(sq.option_count).unwrap_or(0) {
            return Err(ApiError::conflict(
                "the corrected version changed the number of options; answers cannot be mapped onto it",
            ));
        }
        let answer = delivery::answer(&tx, s.id, question_id).await?;
        if answer.as_ref().is_some_and(|a| a.graded_by.is_some()) {
            continue;
        }
        let (points, outcome) = grade_one(&corrected, &sq, answer.as_ref());
        delivery::set_grade(
            &tx,
            &AnswerGrade {
                session_id: s.id,
                question_id,
                org_id: s.org_id,
                points,
                outcome,
                graded_version: v.version,
                graded_by: None,
                comment: None,
                graded_at: Some(now),
            },
            now,
        )
        .await?;
        let before = row.final_score;
        rescore(&tx, &mut row, exam.passing_score, now).await?;
        let status = row.status.clone();
        delivery::update_session_if(&tx, &row, &status).await?;
        changed.push(serde_json::json!({ "session_id": s.id, "final_before": before, "final_after": row.final_score }));
        count += 1;
    }
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "exam.regraded",
        ("exam", Some(exam_id.to_string())),
        serde_json::json!({ "question_id": question_id, "sessions": changed }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(count)
}

/// Makes results visible to candidates and mails them a notice.
pub async fn release_results(
    state: &AppState,
    ctx: &OrgCtx,
    exam_id: Uuid,
) -> Result<usize, ApiError> {
    let (exam, auth) =
        crate::exams::service::load_exam(state, ctx, exam_id, Action::ManageExams).await?;
    let sessions = delivery::sessions_of_exam(state.db.read(), auth.org_id, exam_id).await?;
    let mut users: Vec<Uuid> = sessions
        .iter()
        .filter(|s| s.finished_at.is_some())
        .map(|s| s.user_id)
        .collect();
    users.sort();
    users.dedup();
    let now = state.now();
    let tx = begin(state).await?;
    exam_store::release_results(&tx, auth.org_id, exam_id, now).await?;
    for u in invigil_store::identity::users::by_ids(&tx, users.clone()).await? {
        crate::mail::queue(
            &tx,
            &u.email,
            &format!("Your result for {} is available", exam.title),
            &format!(
                "Hello {},\n\nThe results of \"{}\" are released. See them at {}/ (My results).\n",
                u.name,
                exam.title,
                state.config.public_base()
            ),
            now,
        )
        .await?;
    }
    let withheld = sessions
        .iter()
        .filter(|s| invigil_domain::review::results_withheld(s.integrity_status))
        .count();
    audit::by(
        &tx,
        Some(auth.org_id),
        &auth.actor,
        "exam.results_released",
        ("exam", Some(exam_id.to_string())),
        serde_json::json!({ "candidates": users.len(), "withheld_sessions": withheld }),
        now,
    )
    .await?;
    commit(tx).await?;
    Ok(users.len())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExamTypeRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub default_weight: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultView {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub exam_title: String,
    pub exam_type: Option<ExamTypeRef>,
    pub attempt: i32,
    pub objective_score: Option<f64>,
    pub subjective_score: Option<f64>,
    pub final_score: Option<f64>,
    pub max_score: f64,
    pub percent: Option<f64>,
    /// False when the integrity review confirmed a violation (the score is kept).
    pub passed: Option<bool>,
    pub integrity: String,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The caller's released results, the best attempt per exam.
pub async fn my_results(state: &AppState, user_id: Uuid) -> Result<Vec<ResultView>, ApiError> {
    let sessions = delivery::sessions_of_user(state.db.read(), user_id).await?;
    let mut best: HashMap<Uuid, Session> = HashMap::new();
    for s in sessions.into_iter().filter(|s| {
        s.finished_at.is_some() && !invigil_domain::review::results_withheld(s.integrity_status)
    }) {
        let better = match best.get(&s.exam_id) {
            None => true,
            Some(b) => s.final_score.unwrap_or(-1.0) > b.final_score.unwrap_or(-1.0),
        };
        if better {
            best.insert(s.exam_id, s);
        }
    }
    let mut out = Vec::new();
    for s in best.into_values() {
        let Some(exam) = exam_store::exam(state.db.read(), s.org_id, s.exam_id).await? else {
            continue;
        };
        if exam.results_released_at.is_none() {
            continue;
        }
        let exam_type = match exam.exam_type_id {
            Some(t) => exam_store::exam_type(state.db.read(), s.org_id, t)
                .await?
                .map(|t| ExamTypeRef {
                    id: t.id,
                    code: t.code,
                    name: t.name,
                    default_weight: t.default_weight,
                }),
            None => None,
        };
        let integrity = s.integrity_status;
        out.push(ResultView {
            session_id: s.id,
            exam_id: s.exam_id,
            exam_title: exam.title,
            exam_type,
            attempt: s.attempt_no,
            objective_score: s.objective_score,
            subjective_score: s.subjective_score,
            final_score: s.final_score,
            max_score: s.max_score,
            percent: s.percent,
            passed: s
                .passed
                .map(|p| invigil_domain::review::result_passed(p, integrity)),
            integrity: integrity.name().to_owned(),
            finished_at: s.finished_at,
        });
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.finished_at));
    Ok(out)
}
