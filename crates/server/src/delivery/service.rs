//! Delivery services: start or resume, the candidate's view, autosave,
//! submit, the auto-submit sweep, proctor actions.

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::{Question, render_markdown_safe};
use invigil_domain::delivery::answers::{apply_revision, clamp_latency_ms};
use invigil_domain::delivery::draw::{CandidateQuestion, DrawOptions, Selection, draw_questions};
use invigil_domain::delivery::session::{DeliveryState, DeliveryStatus, SubmitOutcome};
use invigil_domain::delivery::timing::plan_new_session;
use invigil_domain::exams::{ExamSettings, QuestionSource};
use invigil_domain::review::{AdminActionType, validate_admin_action};
use invigil_store::delivery::{self, AdminAction, AnswerSave, Served, Session};
use invigil_store::exams::{self as exam_store, Enrollment, Exam};
use invigil_store::{Tx, content, tenancy};

use super::grading::grade_session;
use super::{apply_state, clock_of, session_error, state_of, status_of};
use crate::audit;
use crate::authz::{Actor, Authorized};
use crate::content::views::parse_body;
use crate::exams::{overrides_of, settings_of, status_of as exam_status};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};
use crate::wire;

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
    #[schema(value_type = Object)]
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
    #[schema(value_type = Object)]
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

/// The session of the signed-in candidate (another person's is 404).
pub async fn own_session(
    state: &AppState,
    me: &CurrentUser,
    id: Uuid,
) -> Result<Session, ApiError> {
    match delivery::session(state.db.read(), id).await? {
        Some(s) if s.user_id == me.id() => Ok(s),
        _ => Err(ApiError::NotFound),
    }
}

/// The question pool of an exam's source: active questions of APPROVED banks.
pub async fn question_pool(
    state: &AppState,
    org_id: Uuid,
    settings: &ExamSettings,
) -> Result<Vec<(CandidateQuestion, i32, Question)>, ApiError> {
    let banks: Vec<Uuid> = match &settings.source {
        QuestionSource::Bank { question_bank_id } => vec![*question_bank_id],
        QuestionSource::Draw { rules } => {
            let mut b: Vec<Uuid> = rules.iter().map(|r| r.bank_id).collect();
            b.sort();
            b.dedup();
            b
        }
    };
    let mut pool = Vec::new();
    for bank_id in banks {
        let bank = content::bank(state.db.read(), org_id, bank_id)
            .await?
            .ok_or_else(|| {
                ApiError::conflict_code(
                    "exam_not_open",
                    "a question bank of this exam no longer exists",
                )
            })?;
        if bank.status != "APPROVED" {
            return Err(ApiError::conflict_code(
                "exam_not_open",
                "a question bank of this exam is not APPROVED (it is being revised)",
            ));
        }
        for (row, v) in content::active_questions(state.db.read(), org_id, bank_id).await? {
            let Some(q) = parse_body(&v) else { continue };
            pool.push((
                CandidateQuestion {
                    id: row.id,
                    bank_id,
                    difficulty: q.difficulty().as_str().to_owned(),
                    tags: q.tags().to_vec(),
                    option_count: q.options().len(),
                },
                v.version,
                q,
            ));
        }
    }
    Ok(pool)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct StartBody {
    /// A stable identifier of the device, stored with the session.
    pub device_fingerprint: Option<String>,
}

/// Starts a new session or resumes the running one. Returns the view and
/// whether it was created.
pub async fn start_or_resume(
    state: &AppState,
    me: &CurrentUser,
    exam_id: Uuid,
    body: StartBody,
) -> Result<(SessionView, bool), ApiError> {
    let enrollment = exam_store::enrollment_of(state.db.read(), exam_id, me.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exam_store::exam(state.db.read(), enrollment.org_id, exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let fingerprint = body
        .device_fingerprint
        .map(|f| f.chars().take(256).collect::<String>());
    for _ in 0..3 {
        if let Some(s) = resume(state, me, &enrollment, fingerprint.clone()).await? {
            return Ok((session_view(state, &s).await?, false));
        }
        match create(state, me, &exam, fingerprint.clone()).await {
            Ok(s) => return Ok((session_view(state, &s).await?, true)),
            // A parallel start took this attempt: resume what it created.
            Err(ApiError::Conflict {
                code: "attempt_race",
                ..
            }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::conflict("could not start the session; try again"))
}

/// The running session, if any, after finishing it when its time is over.
async fn resume(
    state: &AppState,
    me: &CurrentUser,
    enrollment: &Enrollment,
    fingerprint: Option<String>,
) -> Result<Option<Session>, ApiError> {
    let Some(s) = delivery::open_session_of(state.db.read(), enrollment.id).await? else {
        return Ok(None);
    };
    let now = state.now();
    let st = state_of(&s)?;
    if st.is_expired(now, state.config.grace()) {
        auto_submit_one(state, s.id).await?;
        return Ok(None);
    }
    let previous = s
        .last_device_fingerprint
        .clone()
        .or(s.device_fingerprint.clone());
    let device_changed = fingerprint.is_some() && previous.is_some() && fingerprint != previous;
    let ip = me.client.ip_string();
    if device_changed || (ip.is_some() && ip != s.ip) {
        let tx = begin(state).await?;
        let mut row = s.clone();
        row.last_device_fingerprint = fingerprint.clone().or(row.last_device_fingerprint);
        row.ip = ip.or(row.ip);
        row.updated_at = now;
        delivery::update_session_if(&tx, &row, &s.status).await?;
        if device_changed {
            // A second device: an event for proctoring, not a failure.
            audit::record(
                &tx,
                Some(s.org_id),
                Some(me.id()),
                &me.client,
                "session.device_changed",
                ("exam_session", Some(s.id.to_string())),
                serde_json::json!({ "from": previous, "to": fingerprint }),
                now,
            )
            .await?;
        }
        commit(tx).await?;
        if device_changed {
            crate::proctoring::second_device_login(
                state,
                &s,
                serde_json::json!({ "from": previous, "to": fingerprint }),
            )
            .await;
        }
        return Ok(delivery::session(state.db.read(), s.id).await?);
    }
    Ok(Some(s))
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    exam: &Exam,
    fingerprint: Option<String>,
) -> Result<Session, ApiError> {
    let now = state.now();
    let settings = settings_of(exam)?;
    let status = exam_status(exam)?;
    let enrollment = exam_store::enrollment_of(state.db.read(), exam.id, me.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let profile_extra = tenancy::profile(state.db.read(), exam.org_id, me.id())
        .await?
        .and_then(|p| p.extra_time_percent)
        .and_then(|p| u32::try_from(p).ok());
    let used = u32::try_from(enrollment.attempts_used).unwrap_or(u32::MAX);
    let clock = plan_new_session(
        now,
        status,
        &settings,
        &overrides_of(&enrollment),
        profile_extra,
        used,
    )
    .map_err(|e| match e.code() {
        "attempts_exhausted" => {
            ApiError::conflict_code("attempts_exhausted", "no attempts left for this exam")
        }
        _ => ApiError::conflict_code("exam_not_open", e.to_string()),
    })?;
    let pool = question_pool(state, exam.org_id, &settings).await?;
    let seed = rand::rng().next_u64();
    let candidates: Vec<CandidateQuestion> = pool.iter().map(|(c, _, _)| c.clone()).collect();
    let fixed: Vec<Uuid> = candidates.iter().map(|c| c.id).collect();
    let selection = match &settings.source {
        QuestionSource::Bank { .. } => Selection::Fixed(&fixed),
        QuestionSource::Draw { rules } => Selection::Draw(rules),
    };
    let drawn = draw_questions(
        seed,
        &candidates,
        selection,
        DrawOptions {
            randomize_questions: settings.randomize_questions,
            randomize_options: settings.randomize_options,
        },
    )
    .map_err(|e| {
        ApiError::conflict_code(
            "exam_not_open",
            format!("the exam's questions cannot be drawn: {e}"),
        )
    })?;
    if drawn.is_empty() {
        return Err(ApiError::conflict_code(
            "exam_not_open",
            "the exam has no questions",
        ));
    }
    let id = Uuid::now_v7();
    let mut served = Vec::with_capacity(drawn.len());
    for (pos, d) in drawn.iter().enumerate() {
        let Some((_, version, q)) = pool.iter().find(|(c, _, _)| c.id == d.question_id) else {
            continue;
        };
        served.push(Served {
            session_id: id,
            position: i32::try_from(pos).unwrap_or(i32::MAX),
            org_id: exam.org_id,
            question_id: d.question_id,
            version: *version,
            question_type: q.question_type().as_str().to_owned(),
            option_order: serde_json::to_string(&d.option_order).unwrap_or_else(|_| "[]".into()),
            option_count: i32::try_from(q.options().len()).unwrap_or(0),
            blank_count: i32::try_from(q.blank_count()).unwrap_or(0),
            points: q.points(),
        });
    }
    let st = DeliveryState::start(clock);
    let mut row = Session {
        id,
        org_id: exam.org_id,
        exam_id: exam.id,
        enrollment_id: enrollment.id,
        user_id: me.id(),
        attempt_no: enrollment.attempts_used + 1,
        status: String::new(),
        integrity_status: "CLEAN".into(),
        seed: i64::from_ne_bytes(seed.to_ne_bytes()),
        started_at: now,
        base_duration_ms: clock.base_duration.num_milliseconds(),
        extra_percent: clock.extra_percent.and_then(|p| i32::try_from(p).ok()),
        window_end: clock.window_end,
        extensions_ms: 0,
        paused_total_ms: 0,
        paused_since: None,
        deadline_at: None,
        finished_at: None,
        device_fingerprint: fingerprint.clone(),
        last_device_fingerprint: fingerprint,
        ip: me.client.ip_string(),
        objective_score: None,
        subjective_score: None,
        final_score: None,
        max_score: served.iter().map(|s| s.points).sum(),
        percent: None,
        passed: None,
        pending_manual: 0,
        graded_at: None,
        created_at: now,
        updated_at: now,
        violation_score: 0,
        claimed_by: None,
        claimed_at: None,
        decision: None,
        decision_notes: None,
        decided_by: None,
        decided_at: None,
        appeal_text: None,
        appealed_at: None,
    };
    apply_state(&mut row, &st, now);
    let tx = begin(state).await?;
    // A parallel start may have committed a session since we looked: then
    // resume that one instead of opening a second attempt.
    if delivery::open_session_of(&tx, enrollment.id)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict_code(
            "attempt_race",
            "another start opened a session",
        ));
    }
    if !exam_store::take_attempt(&tx, enrollment.id, enrollment.attempts_used, now).await? {
        return Err(ApiError::conflict_code(
            "attempt_race",
            "another start took this attempt",
        ));
    }
    let row = match delivery::insert_session(&tx, row).await {
        Ok(r) => r,
        Err(invigil_store::StoreError::Conflict(_)) => {
            return Err(ApiError::conflict_code(
                "attempt_race",
                "another start took this attempt",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    delivery::insert_served(&tx, served).await?;
    audit::record(
        &tx,
        Some(exam.org_id),
        Some(me.id()),
        &me.client,
        "session.started",
        ("exam_session", Some(row.id.to_string())),
        serde_json::json!({ "exam_id": exam.id, "attempt": row.attempt_no, "deadline": row.deadline_at }),
        now,
    )
    .await?;
    commit(tx).await?;
    crate::proctoring::publish_session_change(state, row.org_id, row.exam_id, row.id, &row.status);
    Ok(row)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SaveBody {
    /// The response in the shape of the question's type (served option indexes).
    #[schema(value_type = Object)]
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
/// commit.
pub async fn save_answer(
    state: &AppState,
    me: &CurrentUser,
    session_id: Uuid,
    question_id: Uuid,
    body: SaveBody,
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
        .check_save(state.now(), state.config.grace())
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
            saved_at: state.now(),
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
    exam_store::set_enrollment_status(tx, s.enrollment_id, "COMPLETED", now).await?;
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
