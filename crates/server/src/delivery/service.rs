//! Delivery services: the candidate's view, autosave, submit and the
//! auto-submit sweep. Start and resume are in [`super::start`], proctor
//! actions in [`super::actions`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{Question, render_markdown_safe};
use invigil_domain::delivery::answers::{apply_revision, clamp_latency_ms};
use invigil_domain::delivery::session::{DeliveryState, DeliveryStatus, SubmitOutcome};
use invigil_domain::review::AdminActionType;
use invigil_store::Tx;
use invigil_store::delivery::{self, Answer, AnswerSave, Served, Session};
use invigil_store::exams::{self as exam_store};

use super::{apply_state, clock_of, state_of};
use crate::audit::{Audit, AuditAction};
use crate::grading::{Graded, grade_session, served_questions};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

pub use super::start::{StartBody, question_pool, start_or_resume};

#[derive(Debug, Serialize, ToSchema)]
pub struct ServedQuestionView {
    pub id: Uuid,
    pub position: i32,
    #[serde(rename = "type")]
    pub question_type: String,
    pub text: String,
    pub text_html: String,
    /// In the order served to this candidate; answers refer to these indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options_html: Option<Vec<String>>,
    /// Number of `___` blanks (fill_blank).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blanks: Option<i32>,
    pub points: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SavedAnswerView {
    #[schema(value_type = crate::content::views::AnswerResponse)]
    pub response: serde_json::Value,
    pub revision: i64,
    pub saved_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub at: DateTime<Utc>,
    pub text: String,
}

/// What a candidate sees of their session. Never an answer key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ExamSession)]
pub struct SessionView {
    pub session_id: Uuid,
    pub exam_id: Uuid,
    pub attempt: i32,
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    pub started_at: DateTime<Utc>,
    /// The server's deadline (moves while paused, with extensions).
    pub expires_at: DateTime<Utc>,
    pub remaining_seconds: u64,
    /// Saves are accepted this many seconds after `expires_at`.
    pub grace_seconds: u64,
    pub finished_at: Option<DateTime<Utc>>,
    pub questions: Vec<ServedQuestionView>,
    /// Saved answers by question id.
    #[schema(value_type = std::collections::BTreeMap<String, SavedAnswerView>)]
    pub answers: std::collections::BTreeMap<Uuid, SavedAnswerView>,
    /// Proctor warnings.
    pub messages: Vec<MessageView>,
}

/// Builds the candidate's view of a session.
pub async fn session_view(state: &AppState, s: &Session) -> Result<SessionView, ApiError> {
    let served = delivery::served(state.db.read(), s.id).await?;
    let versions = served_questions(state.db.read(), s.org_id, &served).await?;
    let questions = question_views(&served, &versions)?;
    let answers = saved_answers(delivery::answers(state.db.read(), s.id).await?);
    let messages = messages_of(state, s.id).await?;
    Ok(view_of(state, s, questions, answers, messages))
}

/// The view of a session just finished, from what grading read: only the
/// proctor's messages are read again.
async fn graded_view(state: &AppState, s: &Session, g: Graded) -> Result<SessionView, ApiError> {
    let questions = question_views(&g.served, &g.questions)?;
    let messages = messages_of(state, s.id).await?;
    Ok(view_of(
        state,
        s,
        questions,
        saved_answers(g.answers),
        messages,
    ))
}

/// The questions as served, in position order, from their served versions.
fn question_views(
    served: &[Served],
    versions: &std::collections::HashMap<Uuid, Question>,
) -> Result<Vec<ServedQuestionView>, ApiError> {
    served
        .iter()
        .map(|sq| {
            versions
                .get(&sq.question_id)
                .map(|q| served_view(sq, q))
                .ok_or_else(|| ApiError::internal("served question version missing"))
        })
        .collect()
}

/// The saved answers by question id (rows graded but never saved have a
/// revision below 0).
fn saved_answers(rows: Vec<Answer>) -> std::collections::BTreeMap<Uuid, SavedAnswerView> {
    rows.into_iter()
        .filter(|a| a.revision >= 0)
        .map(|a| {
            (
                a.question_id,
                SavedAnswerView {
                    response: a.response.0,
                    revision: a.revision,
                    saved_at: a.saved_at,
                },
            )
        })
        .collect()
}

/// The proctor's warnings to the candidate, oldest first.
async fn messages_of(state: &AppState, session_id: Uuid) -> Result<Vec<MessageView>, ApiError> {
    Ok(delivery::admin_actions(state.db.read(), session_id)
        .await?
        .into_iter()
        .filter(|a| a.action_type == AdminActionType::Warn)
        .map(|a| MessageView {
            at: a.created_at,
            text: a.reason,
        })
        .collect())
}

/// The view of a session from its parts: the questions as served, the
/// saved answers and the proctor's messages.
pub(super) fn view_of(
    state: &AppState,
    s: &Session,
    questions: Vec<ServedQuestionView>,
    answers: std::collections::BTreeMap<Uuid, SavedAnswerView>,
    messages: Vec<MessageView>,
) -> SessionView {
    let now = state.now();
    let clock = clock_of(s);
    let st = state_of(s);
    let (expires_at, remaining) = match st.finished_at {
        Some(f) => (clock.deadline(f), 0),
        None => (clock.deadline(now), clock.remaining_seconds(now)),
    };
    SessionView {
        session_id: s.id,
        exam_id: s.exam_id,
        attempt: s.attempt_no,
        status: s.status,
        started_at: s.started_at,
        expires_at,
        remaining_seconds: remaining,
        grace_seconds: state.config.grace_seconds,
        finished_at: s.finished_at,
        questions,
        answers,
        messages,
    }
}

pub(super) fn served_view(sq: &Served, q: &Question) -> ServedQuestionView {
    let order = &sq.option_order.0;
    let options: Vec<String> = if order.is_empty() {
        q.options().to_vec()
    } else {
        order
            .iter()
            .filter_map(|i| q.options().get(*i).cloned())
            .collect()
    };
    let has_options = q.question_type().has_options();
    ServedQuestionView {
        id: sq.question_id,
        position: sq.position,
        question_type: sq.question_type.clone(),
        text_html: render_markdown_safe(q.text()),
        text: q.text().to_owned(),
        options_html: has_options
            .then(|| options.iter().map(|o| render_markdown_safe(o)).collect()),
        options: has_options.then_some(options),
        blanks: (sq.blank_count > 0).then_some(sq.blank_count),
        points: sq.points,
    }
}

/// The session of the signed-in candidate (another person's is 404), while
/// they are still an ACTIVE CANDIDATE member of its organization (else 403).
pub async fn own_session(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
) -> Result<Session, ApiError> {
    session_of_candidate(state, me.id(), id).await
}

/// [`own_session`] of the candidate `user_id`.
pub async fn session_of_candidate(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<Session, ApiError> {
    match delivery::session(state.db.read(), id).await? {
        Some(s) if s.user_id == user_id => {
            crate::authz::ensure_candidate_of_exam(state, s.org_id, s.exam_id, s.user_id).await?;
            Ok(s)
        }
        _ => Err(ApiError::NotFound),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveBody {
    /// The response in the shape of the question's type (served option indexes).
    #[schema(value_type = crate::content::views::AnswerResponse)]
    pub response: serde_json::Value,
    /// The client's revision of this answer; higher wins.
    pub revision: i64,
    /// Milliseconds the candidate spent on the question, as the client measured.
    pub latency_ms: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SaveResult {
    pub question_id: Uuid,
    /// The stored revision (the incoming one, or the higher one kept).
    pub revision: i64,
    pub saved_at: DateTime<Utc>,
}

/// Validates a save, hands it to the group-commit writer and waits for the
/// commit. `arrived_at` is when the request came in: the deadline is judged
/// against it, like submit's, however long the writer takes.
pub async fn save_answer(
    state: &AppState,
    me: &CurrentUser,
    session_id: Uuid,
    question_id: Uuid,
    body: SaveBody,
    arrived_at: DateTime<Utc>,
) -> Result<SaveResult, ApiError> {
    // What a save needs comes from the hot-path cache (`super::hot`).
    let mut entry = super::hot::own_session(state, me.id(), session_id).await?;
    let shape = *entry.served.get(&question_id).ok_or(ApiError::NotFound)?;
    apply_revision(None, body.revision)?;
    invigil_domain::content::parse_response(
        shape.question_type,
        shape.option_count,
        shape.blank_count,
        &body.response,
    )
    .map_err(|e| {
        ApiError::field(
            format!("response.{}", e.field)
                .trim_end_matches('.')
                .to_owned(),
            e.message,
        )
    })?;
    // Fast refusal before queueing; the writer checks again under lock. A
    // cached state that refuses is read again first (an extension or a
    // resume may have come since).
    if state_of(&entry.session)
        .check_save(arrived_at, state.config.grace())
        .is_err()
    {
        entry = super::hot::fresh_session(state, me.id(), entry).await?;
        state_of(&entry.session).check_save(arrived_at, state.config.grace())?;
    }
    let s = &entry.session;
    let saved = state
        .answers
        .save(AnswerSave {
            session_id: s.id,
            question_id,
            org_id: s.org_id,
            response: body.response,
            revision: body.revision,
            latency_ms: clamp_latency_ms(body.latency_ms),
            saved_at: arrived_at,
        })
        .await?;
    Ok(SaveResult {
        question_id,
        revision: saved.revision,
        saved_at: saved.saved_at,
    })
}

/// `POST /sessions/{s}/submit`.
pub async fn submit(
    state: &AppState,
    me: &CurrentUser,
    session_id: Uuid,
) -> Result<SessionView, ApiError> {
    // Judged at arrival: waiting for a turn never makes a submit late.
    let now = state.now();
    let _turn = state.session_turn().await?;
    own_session(state, me, session_id).await?;
    let tx = begin(state).await?;
    let s = delivery::session_for_update(&tx, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    match state_of(&s).submit(now, state.config.grace())? {
        SubmitOutcome::AlreadySubmitted => {
            drop(tx);
            session_view(state, &s).await
        }
        SubmitOutcome::Submitted(next) => {
            let (row, graded) = finish(&tx, state, &s, &next, now).await?;
            candidate_audit(me, s.org_id, now)
                .record(
                    &tx,
                    AuditAction::SessionSubmitted,
                    s.id,
                    serde_json::json!({ "final_score": row.final_score, "max_score": row.max_score, "pending_manual": row.pending_manual }),
                )
                .await?;
            commit(tx).await?;
            publish(state, &row);
            graded_view(state, &row, graded).await
        }
    }
}

/// The audit context of a candidate acting on their session.
pub(super) fn candidate_audit(me: &CurrentUser, org_id: Uuid, now: DateTime<Utc>) -> Audit<'_> {
    Audit::user(me.id(), &me.client, Some(org_id), now)
}

/// Tells the live feed that a session's delivery status changed.
pub(super) fn publish(state: &AppState, row: &Session) {
    crate::proctoring::publish_session_change(
        state,
        row.org_id,
        row.exam_id,
        row.id,
        row.status.name(),
    );
}

/// Persists a terminal state: grades, scores, enrollment completed.
pub(super) async fn finish(
    tx: &Tx,
    state: &AppState,
    s: &Session,
    next: &DeliveryState,
    now: DateTime<Utc>,
) -> Result<(Session, Graded), ApiError> {
    let exam = exam_store::exam(tx, s.org_id, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut row = s.clone();
    apply_state(&mut row, next, now);
    let graded = grade_session(tx, &mut row, exam.passing_score, now).await?;
    if !delivery::update_session_if(tx, &row, s.status).await? {
        return Err(ApiError::conflict_code(
            "session_closed",
            "the session was closed meanwhile",
        ));
    }
    exam_store::set_enrollment_status(
        tx,
        s.enrollment_id,
        invigil_domain::exams::EnrollmentStatus::Completed,
        now,
    )
    .await?;
    crate::courses::assessments::after_finish(tx, state, &exam.title, &row).await?;
    Ok((row, graded))
}

/// Auto-submits one session if its deadline plus grace has passed; returns
/// whether it did. The finish time recorded is the deadline.
pub async fn auto_submit_one(state: &AppState, session_id: Uuid) -> Result<bool, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let Some(s) = delivery::session_for_update(&tx, session_id).await? else {
        return Ok(false);
    };
    let Some(next) = state_of(&s).auto_submit(now, state.config.grace()) else {
        return Ok(false);
    };
    let (row, _) = finish(&tx, state, &s, &next, now).await?;
    let sweeper = ClientInfo {
        ip: None,
        user_agent: Some("invigil-sweeper".into()),
        ..ClientInfo::default()
    };
    Audit::anonymous(&sweeper, Some(s.org_id), now)
        .record(
            &tx,
            AuditAction::SessionAutoSubmitted,
            s.id,
            serde_json::json!({ "finished_at": row.finished_at, "final_score": row.final_score }),
        )
        .await?;
    commit(tx).await?;
    publish(state, &row);
    Ok(true)
}

/// The sweeper: auto-submits every running session past deadline + grace.
pub async fn sweep(state: &AppState) -> anyhow::Result<usize> {
    // Saves that arrived before their deadline and still wait for the
    // writer are stored first: they are judged by their arrival.
    state.answers.flush().await;
    let mut done = 0;
    loop {
        let cutoff = state.now() - state.config.grace();
        let due = delivery::due_sessions(state.db.read(), cutoff, 100).await?;
        if due.is_empty() {
            break;
        }
        let mut progressed = false;
        for s in &due {
            match auto_submit_one(state, s.id).await {
                Ok(true) => {
                    done += 1;
                    progressed = true;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(session_id = %s.id, error = %e, "auto-submit failed"),
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(done)
}
