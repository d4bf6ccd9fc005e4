//! Delivery services: start or resume, the candidate's view, autosave,
//! submit, the auto-submit sweep, proctor actions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{Question, render_markdown_safe};
use invigil_domain::delivery::answers::{apply_revision, clamp_latency_ms};
use invigil_domain::delivery::session::{DeliveryState, DeliveryStatus, SubmitOutcome};
use invigil_domain::review::{AdminActionType, validate_admin_action};
use invigil_store::delivery::{self, AdminAction, AnswerSave, Served, Session};
use invigil_store::exams::{self as exam_store};
use invigil_store::{Tx, content};

use super::grading::grade_session;
use super::{apply_state, clock_of, session_error, state_of, status_of};
use crate::audit;
use crate::authz::{Actor, Authorized};
use crate::content::views::parse_body;
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};
use crate::wire;

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
    pub status: String,
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
    let now = state.now();
    let served = delivery::served(state.db.read(), s.id).await?;
    let keys: Vec<(Uuid, i32)> = served.iter().map(|q| (q.question_id, q.version)).collect();
    let versions = content::versions_by_keys(state.db.read(), s.org_id, &keys).await?;
    let mut questions = Vec::with_capacity(served.len());
    for sq in &served {
        let Some(q) = versions
            .iter()
            .find(|v| v.question_id == sq.question_id && v.version == sq.version)
            .and_then(parse_body)
        else {
            return Err(ApiError::internal("served question version missing"));
        };
        questions.push(served_view(sq, &q));
    }
    let answers = delivery::answers(state.db.read(), s.id)
        .await?
        .into_iter()
        .filter(|a| a.revision >= 0)
        .map(|a| {
            (
                a.question_id,
                SavedAnswerView {
                    response: serde_json::from_str(&a.response).unwrap_or(serde_json::Value::Null),
                    revision: a.revision,
                    saved_at: a.saved_at,
                },
            )
        })
        .collect();
    let messages = delivery::admin_actions(state.db.read(), s.id)
        .await?
        .into_iter()
        .filter(|a| a.action_type == "WARN")
        .map(|a| MessageView {
            at: a.created_at,
            text: a.reason,
        })
        .collect();
    let clock = clock_of(s);
    let st = state_of(s)?;
    let (expires_at, remaining) = match st.finished_at {
        Some(f) => (clock.deadline(f), 0),
        None => (clock.deadline(now), clock.remaining_seconds(now)),
    };
    Ok(SessionView {
        session_id: s.id,
        exam_id: s.exam_id,
        attempt: s.attempt_no,
        status: s.status.clone(),
        started_at: s.started_at,
        expires_at,
        remaining_seconds: remaining,
        grace_seconds: state.config.grace_seconds,
        finished_at: s.finished_at,
        questions,
        answers,
        messages,
    })
}

fn served_view(sq: &Served, q: &Question) -> ServedQuestionView {
    let order: Vec<usize> = serde_json::from_str(&sq.option_order).unwrap_or_default();
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
    match delivery::session(state.db.read(), id).await? {
        Some(s) if s.user_id == me.id() => {
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
    let s = own_session(state, me, session_id).await?;
    let served = delivery::served_one(state.db.read(), s.id, question_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    apply_revision(None, body.revision)
        .map_err(|_| ApiError::field("revision", "must be 0 or more"))?;
    let qtype = wire::parse(&served.question_type)
        .ok_or_else(|| ApiError::internal("bad question type"))?;
    invigil_domain::content::parse_response(
        qtype,
        usize::try_from(served.option_count).unwrap_or(0),
        usize::try_from(served.blank_count).unwrap_or(0),
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
    // Fast refusal before queueing; the writer checks again under lock.
    state_of(&s)?
        .check_save(arrived_at, state.config.grace())
        .map_err(session_error)?;
    let saved = state
        .answers
        .save(AnswerSave {
            session_id: s.id,
            question_id,
            org_id: s.org_id,
            response: body.response.to_string(),
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
    own_session(state, me, session_id).await?;
    let now = state.now();
    let tx = begin(state).await?;
    let s = delivery::session_for_update(&tx, session_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let st = state_of(&s)?;
    match st
        .submit(now, state.config.grace())
        .map_err(session_error)?
    {
        SubmitOutcome::AlreadySubmitted => {
            drop(tx);
            session_view(state, &s).await
        }
        SubmitOutcome::Submitted(next) => {
            let row = finish(&tx, &s, &next, now).await?;
            audit::record(
                &tx,
                Some(s.org_id),
                Some(me.id()),
                &me.client,
                "session.submitted",
                ("exam_session", Some(s.id.to_string())),
                serde_json::json!({ "final_score": row.final_score, "max_score": row.max_score, "pending_manual": row.pending_manual }),
                now,
            )
            .await?;
            commit(tx).await?;
            crate::proctoring::publish_session_change(
                state,
                row.org_id,
                row.exam_id,
                row.id,
                &row.status,
            );
            session_view(state, &row).await
        }
    }
}

/// Persists a terminal state: grades, scores, enrollment completed.
async fn finish(
    tx: &Tx,
    s: &Session,
    next: &DeliveryState,
    now: DateTime<Utc>,
) -> Result<Session, ApiError> {
    let exam = exam_store::exam(tx, s.org_id, s.exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut row = s.clone();
    apply_state(&mut row, next, now);
    grade_session(tx, &mut row, exam.passing_score, now).await?;
    if !delivery::update_session_if(tx, &row, &s.status).await? {
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
    Ok(row)
}

/// Auto-submits one session if its deadline plus grace has passed; returns
/// whether it did. The finish time recorded is the deadline.
pub async fn auto_submit_one(state: &AppState, session_id: Uuid) -> Result<bool, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let Some(s) = delivery::session_for_update(&tx, session_id).await? else {
        return Ok(false);
    };
    let Some(next) = state_of(&s)?.auto_submit(now, state.config.grace()) else {
        return Ok(false);
    };
    let row = finish(&tx, &s, &next, now).await?;
    audit::record(
        &tx,
        Some(s.org_id),
        None,
        &crate::http::auth::ClientInfo {
            ip: None,
            user_agent: Some("invigil-sweeper".into()),
        },
        "session.auto_submitted",
        ("exam_session", Some(s.id.to_string())),
        serde_json::json!({ "finished_at": row.finished_at, "final_score": row.final_score }),
        now,
    )
    .await?;
    commit(tx).await?;
    crate::proctoring::publish_session_change(state, row.org_id, row.exam_id, row.id, &row.status);
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActionBody {
    /// WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE.
    #[serde(rename = "type")]
    pub action_type: String,
    pub reason: String,
    /// For EXTEND_TIME: 1..=600.
    pub minutes: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActionResult {
    pub session_id: Uuid,
    pub status: String,
    pub expires_at: DateTime<Utc>,
    pub remaining_seconds: u64,
}

/// A proctor's action on a session, through the timing policy.
pub async fn act(
    state: &AppState,
    auth: &Authorized,
    s: Session,
    body: ActionBody,
) -> Result<ActionResult, ApiError> {
    let action_type: AdminActionType = wire::parse(body.action_type.trim()).ok_or_else(|| {
        ApiError::field(
            "type",
            "must be WARN, PAUSE, RESUME, EXTEND_TIME or TERMINATE",
        )
    })?;
    let valid = validate_admin_action(action_type, &body.reason, body.minutes).map_err(|errs| {
        ApiError::Validation(
            errs.into_iter()
                .map(|e| crate::http::error::FieldError::new(e.field, e.message))
                .collect(),
        )
    })?;
    let now = state.now();
    let grace = state.config.grace();
    let tx = begin(state).await?;
    let current = delivery::session_for_update(&tx, s.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let st = state_of(&current)?;
    let next = match action_type {
        AdminActionType::Warn => None,
        AdminActionType::Pause => Some(st.pause(now, grace).map_err(session_error)?),
        AdminActionType::Resume => Some(st.resume(now, grace).map_err(session_error)?),
        AdminActionType::ExtendTime => Some(
            st.extend_time(i64::from(valid.minutes.unwrap_or(0)), now, grace)
                .map_err(session_error)?,
        ),
        AdminActionType::Terminate => Some(st.terminate(now, grace).map_err(session_error)?),
    };
    if action_type == AdminActionType::Warn && status_of(&current)?.is_terminal() {
        return Err(ApiError::conflict_code(
            "session_closed",
            "the session is over",
        ));
    }
    let row = match next {
        None => current.clone(),
        Some(next) if next.status == DeliveryStatus::Terminated => {
            finish(&tx, &current, &next, now).await?
        }
        Some(next) => {
            let mut row = current.clone();
            apply_state(&mut row, &next, now);
            if !delivery::update_session_if(&tx, &row, &current.status).await? {
                return Err(ApiError::conflict("the session changed meanwhile"));
            }
            row
        }
    };
    delivery::insert_admin_action(
        &tx,
        AdminAction {
            id: Uuid::now_v7(),
            org_id: auth.org_id,
            session_id: s.id,
            actor_id: auth.actor.user_id,
            action_type: wire::name(&action_type),
            reason: valid.reason.clone(),
            minutes: valid.minutes.and_then(|m| i32::try_from(m).ok()),
            created_at: now,
        },
    )
    .await?;
    audit_action(
        &tx,
        auth.org_id,
        &auth.actor,
        &row,
        &wire::name(&action_type),
        &valid.reason,
        valid.minutes,
        now,
    )
    .await?;
    commit(tx).await?;
    if action_type != AdminActionType::Warn {
        crate::proctoring::publish_session_change(
            state,
            row.org_id,
            row.exam_id,
            row.id,
            &row.status,
        );
    }
    let clock = clock_of(&row);
    Ok(ActionResult {
        session_id: row.id,
        status: row.status.clone(),
        expires_at: clock.deadline(now),
        remaining_seconds: if row.finished_at.is_some() {
            0
        } else {
            clock.remaining_seconds(now)
        },
    })
}

#[expect(clippy::too_many_arguments, reason = "one audit entry's fields")]
async fn audit_action(
    tx: &Tx,
    org_id: Uuid,
    actor: &Actor,
    row: &Session,
    action: &str,
    reason: &str,
    minutes: Option<u32>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    audit::by(
        tx,
        Some(org_id),
        actor,
        &format!("session.{}", action.to_lowercase()),
        ("exam_session", Some(row.id.to_string())),
        serde_json::json!({ "reason": reason, "minutes": minutes, "status": row.status, "deadline": row.deadline_at }),
        now,
    )
    .await?;
    Ok(())
}
