//! Starting a session, or resuming the running one: the start window and
//! attempts (timing policy), the reproducible question draw, and the race of
//! parallel starts (one attempt, one session).

use std::collections::HashMap;
use std::sync::Arc;

use rand::RngCore;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::delivery::draw::{CandidateQuestion, DrawOptions, Selection, draw_questions};
use invigil_domain::delivery::session::DeliveryState;
use invigil_domain::delivery::timing::plan_new_session;
use invigil_domain::exams::{ExamSettings, QuestionSource};
use invigil_store::delivery::entities::OptionOrder;
use invigil_store::delivery::{self, Served, Session};
use invigil_store::exams::{self as exam_store, Enrollment, Exam};
use invigil_store::{content, tenancy};

use super::pool::{BankPool, PoolQuestion};
use super::service::{
    SessionView, auto_submit_one, candidate_audit, publish, served_view, session_view, view_of,
};
use super::{apply_state, state_of};
use crate::audit::AuditAction;
use crate::content::views::parse_body;
use crate::exams::{overrides_of, settings_of};
use crate::http::auth::CurrentUser;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

/// The question pool of an exam's source: active questions of APPROVED
/// banks, one shared pool per bank ([`super::pool`]: parsed once per bank
/// version; the bank row is read at every start).
pub async fn question_pool(
    state: &AppState,
    org_id: Uuid,
    settings: &ExamSettings,
) -> Result<Vec<BankPool>, ApiError> {
    let banks: Vec<Uuid> = match &settings.source {
        QuestionSource::Bank { question_bank_id } => vec![*question_bank_id],
        QuestionSource::Draw { rules } => {
            let mut b: Vec<Uuid> = rules.iter().map(|r| r.bank_id).collect();
            b.sort();
            b.dedup();
            b
        }
    };
    let mut pools = Vec::with_capacity(banks.len());
    for bank_id in banks {
        let bank = content::bank(state.db.read(), org_id, bank_id)
            .await?
            .ok_or_else(|| {
                ApiError::conflict_code(
                    "exam_not_open",
                    "a question bank of this exam no longer exists",
                )
            })?;
        if bank.status != invigil_domain::content::BankStatus::Approved {
            return Err(ApiError::conflict_code(
                "exam_not_open",
                "a question bank of this exam is not APPROVED (it is being revised)",
            ));
        }
        if let Some(pool) = state.pools.get(org_id, bank_id, bank.revision) {
            pools.push(pool);
            continue;
        }
        let mut pool = Vec::new();
        for (row, v) in content::active_questions(state.db.read(), org_id, bank_id).await? {
            let Some(q) = parse_body(&v) else { continue };
            pool.push(PoolQuestion {
                candidate: CandidateQuestion {
                    id: row.id,
                    bank_id,
                    difficulty: q.difficulty().name().to_owned(),
                    tags: q.tags().to_vec(),
                    option_count: q.options().len(),
                },
                version: v.version,
                question: q,
            });
        }
        let pool = Arc::new(pool);
        // At the revision read before the questions: an edit since moves
        // the revision on, and this pool is never used for it.
        state
            .pools
            .put(org_id, bank_id, bank.revision, pool.clone());
        pools.push(pool);
    }
    Ok(pools)
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
    // A bounded number of starts at once (a burst at the opening queues
    // briefly, then is shed) before anything is read.
    let _turn = state.session_turn().await?;
    let enrollment = exam_store::enrollment_of(state.db.read(), exam_id, me.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let exam = exam_store::exam(state.db.read(), enrollment.org_id, exam_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // Enrolled, but still an ACTIVE CANDIDATE member? Checked before
    // anything is written (a resume may write the device change).
    crate::authz::ensure_candidate(state, exam.org_id, exam.department_id, me.id()).await?;
    let fingerprint = body
        .device_fingerprint
        .map(|f| f.chars().take(256).collect::<String>());
    // The enrollment just read serves the first try; a retry reads it again.
    let mut read = Some(enrollment.clone());
    for _ in 0..3 {
        if let Some(s) = resume(state, me, &enrollment, fingerprint.clone()).await? {
            return Ok((session_view(state, &s).await?, false));
        }
        match create(state, me, &exam, read.take(), fingerprint.clone()).await {
            Ok(view) => return Ok((view, true)),
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
    if state_of(&s).is_expired(now, state.config.grace()) {
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
        delivery::set_session_device(
            &tx,
            s.id,
            fingerprint.clone().or(s.last_device_fingerprint.clone()),
            ip.or(s.ip.clone()),
            now,
        )
        .await?;
        if device_changed {
            // A second device: an event for proctoring, not a failure.
            candidate_audit(me, s.org_id, now)
                .record(
                    &tx,
                    AuditAction::SessionDeviceChanged,
                    s.id,
                    serde_json::json!({ "from": previous, "to": fingerprint }),
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

/// Opens a new session and answers its view (built from what was written:
/// no answers or messages yet). `enrollment` as just read, or `None` to read
/// it again (after a parallel start took an attempt).
async fn create(
    state: &AppState,
    me: &CurrentUser,
    exam: &Exam,
    enrollment: Option<Enrollment>,
    fingerprint: Option<String>,
) -> Result<SessionView, ApiError> {
    let now = state.now();
    let settings = settings_of(exam)?;
    let status = exam.status;
    let enrollment = match enrollment {
        Some(e) => e,
        None => exam_store::enrollment_of(state.db.read(), exam.id, me.id())
            .await?
            .ok_or(ApiError::NotFound)?,
    };
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
    )?;
    let pools = question_pool(state, exam.org_id, &settings).await?;
    let mut pool: HashMap<Uuid, &PoolQuestion> = HashMap::new();
    let mut candidates: Vec<CandidateQuestion> = Vec::new();
    for q in pools.iter().flat_map(|p| p.iter()) {
        pool.insert(q.candidate.id, q);
        candidates.push(q.candidate.clone());
    }
    let seed = rand::rng().next_u64();
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
    let mut questions = Vec::with_capacity(drawn.len());
    for (pos, d) in drawn.iter().enumerate() {
        let Some(PoolQuestion {
            version,
            question: q,
            ..
        }) = pool.get(&d.question_id).copied()
        else {
            continue;
        };
        let sq = Served {
            session_id: id,
            position: i32::try_from(pos).unwrap_or(i32::MAX),
            org_id: exam.org_id,
            question_id: d.question_id,
            version: *version,
            question_type: q.question_type().name().to_owned(),
            option_order: OptionOrder(d.option_order.clone()),
            option_count: i32::try_from(q.options().len()).unwrap_or(0),
            blank_count: i32::try_from(q.blank_count()).unwrap_or(0),
            points: q.points(),
        };
        questions.push(served_view(&sq, q));
        served.push(sq);
    }
    let st = DeliveryState::start(clock);
    let mut row = Session {
        id,
        org_id: exam.org_id,
        exam_id: exam.id,
        enrollment_id: enrollment.id,
        user_id: me.id(),
        attempt_no: enrollment.attempts_used + 1,
        status: st.status,
        integrity_status: invigil_domain::review::IntegrityStatus::Clean,
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
    candidate_audit(me, exam.org_id, now)
        .record(
            &tx,
            AuditAction::SessionStarted,
            row.id,
            serde_json::json!({ "exam_id": exam.id, "attempt": row.attempt_no, "deadline": row.deadline_at }),
        )
        .await?;
    commit(tx).await?;
    publish(state, &row);
    Ok(view_of(
        state,
        &row,
        questions,
        Default::default(),
        Vec::new(),
    ))
}
