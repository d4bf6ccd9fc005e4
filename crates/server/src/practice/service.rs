//! The practice services: authoring scenarios, running a session question
//! by question, abandoning it, a learner's list, and the retention purge.
//! Scenarios are read with the organization; a session only by its owner
//! (anyone else gets 404).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use invigil_domain::practice::{
    self as rules, AnswerEvaluation, Difficulty, ExpectedPoint, MAX_ANSWER_BYTES, MAX_KEYWORDS,
    MAX_POINTS, MAX_QUESTIONS, MessageRole, PracticeStatus, Question, QuestionScore,
    keyword_is_usable,
};
use invigil_domain::text::check_text;
use invigil_store::Keyset;
use invigil_store::practice::{
    self as store, Judgement, Overall, PracticeMessage, PracticeSession, Questions, Scenario,
    Scores,
};

use super::evaluator;
use super::views::{
    PracticeAnswerBody, PracticeQuestionBody, ScenarioBody, ScenarioView, SessionView,
};
use crate::audit::{Audit, AuditAction};
use crate::courses::access::Caller;
use crate::courses::validate::Errors;
use crate::http::auth::ClientInfo;
use crate::http::error::ApiError;
use crate::http::page::Page;
use crate::state::AppState;
use crate::tenancy::service::{begin, commit};

fn number(e: &mut Errors, field: &str, x: f64, max: f64) -> f64 {
    if !(x.is_finite() && x > 0.0 && x <= max) {
        e.push(
            field,
            format!("must be a number more than 0 and at most {max}"),
        );
    }
    x
}

fn long_text(e: &mut Errors, field: &str, raw: &str, max: usize) -> String {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        e.push(field, format!("must be 1 to {max} characters"));
    } else if let Err(m) = check_text(t) {
        e.push(field, m);
    }
    t.to_owned()
}

fn question(e: &mut Errors, i: usize, q: &PracticeQuestionBody) -> Question {
    let f = |s: &str| format!("questions[{i}].{s}");
    let prompt = long_text(e, &f("prompt"), &q.prompt, 2000);
    if q.expected_points.is_empty() || q.expected_points.len() > MAX_POINTS {
        e.push(
            &f("expected_points"),
            format!("must have 1 to {MAX_POINTS} points"),
        );
    }
    let mut points = Vec::new();
    for (j, p) in q.expected_points.iter().take(MAX_POINTS).enumerate() {
        let pf = |s: &str| format!("questions[{i}].expected_points[{j}].{s}");
        let text = e.line::<500>(&pf("text"), &p.text);
        if p.keywords.is_empty() || p.keywords.len() > MAX_KEYWORDS {
            e.push(
                &pf("keywords"),
                format!("must have 1 to {MAX_KEYWORDS} keywords"),
            );
        }
        let mut keywords = Vec::new();
        for (k, kw) in p.keywords.iter().take(MAX_KEYWORDS).enumerate() {
            let kf = format!("questions[{i}].expected_points[{j}].keywords[{k}]");
            let kw = e.line::<100>(&kf, kw);
            if !kw.is_empty() && !keyword_is_usable(&kw) {
                e.push(&kf, "every alternative (between |) needs a letter or digit");
            }
            keywords.push(kw);
        }
        let weight = number(e, &pf("weight"), p.weight, 100.0);
        points.push(ExpectedPoint {
            text,
            keywords,
            weight,
        });
    }
    let max_score = number(e, &f("max_score"), q.max_score, 1000.0);
    let model_answer = match q.model_answer.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(long_text(e, &f("model_answer"), a, 8000)),
    };
    Question {
        prompt,
        expected_points: points,
        max_score,
        model_answer,
    }
}

struct Checked {
    title: String,
    topic: String,
    difficulty: Difficulty,
    published: bool,
    questions: Vec<Question>,
}

fn check(body: &ScenarioBody) -> Result<Checked, ApiError> {
    let mut e = Errors::default();
    let title = e.line::<200>("title", &body.title);
    let topic = e.line::<100>("topic", &body.topic);
    if body.questions.is_empty() || body.questions.len() > MAX_QUESTIONS {
        e.push(
            "questions",
            format!("must have 1 to {MAX_QUESTIONS} questions"),
        );
    }
    let questions = body
        .questions
        .iter()
        .take(MAX_QUESTIONS)
        .enumerate()
        .map(|(i, q)| question(&mut e, i, q))
        .collect();
    e.done(Checked {
        title,
        topic,
        difficulty: body.difficulty,
        published: body.published,
        questions,
    })
    .map_err(ApiError::Validation)
}

async fn audit_saved(
    tx: &invigil_store::Tx,
    caller: &Caller,
    now: DateTime<Utc>,
    s: &Scenario,
    change: &str,
) -> Result<(), ApiError> {
    caller
        .auth
        .audit(now)
        .record(
            tx,
            AuditAction::PracticeScenarioSaved,
            s.id,
            json!({ "change": change, "title": s.title, "published": s.published,
                "questions": s.questions.0.len() }),
        )
        .await?;
    Ok(())
}

fn may_author(caller: &Caller) -> bool {
    caller.manage || caller.teach
}

/// Creates a scenario (authors).
#[tracing::instrument(skip_all, err)]
pub async fn create(
    state: &AppState,
    caller: &Caller,
    body: ScenarioBody,
) -> Result<ScenarioView, ApiError> {
    let c = check(&body)?;
    let now = state.now();
    let tx = begin(state).await?;
    let row = store::insert_scenario(
        &tx,
        Scenario {
            id: Uuid::now_v7(),
            org_id: caller.org_id(),
            title: c.title,
            topic: c.topic,
            difficulty: c.difficulty,
            published: c.published,
            questions: Questions(c.questions),
            created_by: caller.user_id(),
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    audit_saved(&tx, caller, now, &row, "created").await?;
    commit(tx).await?;
    Ok(ScenarioView::of(&row, true))
}

/// Replaces a scenario's fields and questions (authors). Sessions already
/// started keep the questions they started with.
#[tracing::instrument(skip_all, err, fields(scenario_id = %id))]
pub async fn update(
    state: &AppState,
    caller: &Caller,
    id: Uuid,
    body: ScenarioBody,
) -> Result<ScenarioView, ApiError> {
    let c = check(&body)?;
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = store::scenario(&tx, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    row.title = c.title;
    row.topic = c.topic;
    row.difficulty = c.difficulty;
    row.published = c.published;
    row.questions = Questions(c.questions);
    row.updated_at = now;
    let row = store::update_scenario(&tx, row).await?;
    audit_saved(&tx, caller, now, &row, "updated").await?;
    commit(tx).await?;
    Ok(ScenarioView::of(&row, true))
}

/// Deletes a scenario (authors); past sessions keep their copy.
#[tracing::instrument(skip_all, err, fields(scenario_id = %id))]
pub async fn delete(state: &AppState, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let row = store::scenario(&tx, caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    store::delete_scenario(&tx, caller.org_id(), id).await?;
    audit_saved(&tx, caller, now, &row, "deleted").await?;
    commit(tx).await?;
    Ok(())
}

/// One scenario: authors see it all, learners a published one without its
/// rubric (404 for an unpublished one).
pub async fn get(state: &AppState, caller: &Caller, id: Uuid) -> Result<ScenarioView, ApiError> {
    let row = store::scenario(state.db.read(), caller.org_id(), id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let author = may_author(caller);
    if !author && !row.published {
        return Err(ApiError::NotFound);
    }
    Ok(ScenarioView::of(&row, author))
}

/// The organization's scenarios, newest first; learners see only the
/// published ones.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    published_only: bool,
    page: Keyset<Uuid>,
) -> Result<Page<ScenarioView>, ApiError> {
    let author = may_author(caller);
    let rows = store::scenarios_page(
        state.db.read(),
        caller.org_id(),
        published_only || !author,
        page,
    )
    .await?;
    Ok(Page::from_keyset(rows, |s| ScenarioView::of(&s, author)))
}

fn asked(session: &PracticeSession, index: i32, now: DateTime<Utc>) -> Option<PracticeMessage> {
    let q = session.questions.0.get(usize::try_from(index).ok()?)?;
    Some(PracticeMessage {
        id: Uuid::now_v7(),
        session_id: session.id,
        org_id: session.org_id,
        seq: index * 2,
        role: MessageRole::Assistant,
        question_index: index,
        content: q.prompt.clone(),
        evaluation: None,
        created_at: now,
    })
}

/// Starts a session of a scenario: ACTIVE, the first question asked.
/// Learners start published scenarios; authors may try any.
#[tracing::instrument(skip_all, err, fields(scenario_id = %scenario_id))]
pub async fn start(
    state: &AppState,
    caller: &Caller,
    scenario_id: Uuid,
) -> Result<SessionView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let sc = store::scenario(&tx, caller.org_id(), scenario_id)
        .await?
        .filter(|s| s.published || may_author(caller))
        .ok_or(ApiError::NotFound)?;
    let row = PracticeSession {
        id: Uuid::now_v7(),
        org_id: caller.org_id(),
        user_id: caller.user_id(),
        scenario_id: sc.id,
        title: sc.title,
        topic: sc.topic,
        difficulty: sc.difficulty,
        status: PracticeStatus::Active,
        questions: sc.questions,
        next_index: 0,
        scores: Scores(Vec::new()),
        evaluation: None,
        overall_score: None,
        started_at: now,
        ended_at: None,
        duration_secs: None,
        purged_at: None,
    };
    let row = store::insert_session(&tx, row).await?;
    let first =
        asked(&row, 0, now).ok_or_else(|| ApiError::conflict("the scenario has no questions"))?;
    let first = store::insert_message(&tx, first).await?;
    commit(tx).await?;
    Ok(SessionView::of(&row, &[first]))
}

/// `user_id`'s session `id` with its transcript; 404 for anyone else's.
pub async fn get_session(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
) -> Result<SessionView, ApiError> {
    let db = state.db.read();
    let s = store::session_of(db, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let messages = store::messages_of(db, s.id).await?;
    Ok(SessionView::of(&s, &messages))
}

/// `user_id`'s sessions in every organization, newest first (no transcripts).
pub async fn mine(
    state: &AppState,
    user_id: Uuid,
    page: Keyset<Uuid>,
) -> Result<Page<SessionView>, ApiError> {
    let rows = store::sessions_of_user(state.db.read(), user_id, page).await?;
    Ok(Page::from_keyset(rows, |s| SessionView::of(&s, &[])))
}

fn check_answer(raw: &str) -> Result<String, ApiError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(ApiError::field("content", "must not be empty"));
    }
    if raw.len() > MAX_ANSWER_BYTES {
        return Err(ApiError::field(
            "content",
            format!("must be at most {MAX_ANSWER_BYTES} bytes (8 KiB)"),
        ));
    }
    check_text(t).map_err(|m| ApiError::field("content", m))?;
    Ok(t.to_owned())
}

fn not_active(s: &PracticeSession) -> ApiError {
    ApiError::conflict_code(
        "practice_not_active",
        format!(
            "the practice session is {}: it takes no more answers",
            s.status
        ),
    )
}

/// Answers the current question: the answer is scored and stored with its
/// evaluation, then the next question is asked, or, after the last, the
/// session is COMPLETED with its overall evaluation. A session that moved
/// meanwhile (a racing or replayed answer) is 409 and nothing is scored
/// twice.
#[tracing::instrument(skip_all, err, fields(practice_session_id = %id))]
pub async fn answer(
    state: &AppState,
    user_id: Uuid,
    id: Uuid,
    body: PracticeAnswerBody,
) -> Result<SessionView, ApiError> {
    let content = check_answer(&body.content)?;
    let s = store::session_of(state.db.read(), user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if s.status != PracticeStatus::Active {
        return Err(not_active(&s));
    }
    let index = s.next_index;
    if body.question_index.is_some_and(|i| i != index) {
        return Err(ApiError::conflict_code(
            "out_of_order",
            format!("the current question is number {}", index + 1),
        ));
    }
    let q = usize::try_from(index)
        .ok()
        .and_then(|i| s.questions.0.get(i))
        .ok_or_else(|| not_active(&s))?;
    // Scored outside the transaction: a remote evaluator may take seconds.
    let judged: AnswerEvaluation = evaluator::from_config(&state.config)
        .evaluate(q, &content)
        .await;

    let now = state.now();
    let tx = begin(state).await?;
    let mut row = store::session_of(&tx, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.status != PracticeStatus::Active {
        return Err(not_active(&row));
    }
    if row.next_index != index {
        return Err(ApiError::conflict_code(
            "out_of_order",
            "this question was answered already",
        ));
    }
    store::insert_message(
        &tx,
        PracticeMessage {
            id: Uuid::now_v7(),
            session_id: row.id,
            org_id: row.org_id,
            seq: index * 2 + 1,
            role: MessageRole::User,
            question_index: index,
            content,
            evaluation: Some(Judgement(judged.clone())),
            created_at: now,
        },
    )
    .await?;
    row.scores.0.push(QuestionScore {
        question_index: usize::try_from(index).unwrap_or_default(),
        score: judged.score,
        max: judged.max,
    });
    row.next_index = index + 1;
    if let Some(next) = asked(&row, index + 1, now) {
        store::insert_message(&tx, next).await?;
    } else {
        finish(&tx, &mut row, now).await?;
    }
    store::update_session_if(&tx, &row, PracticeStatus::Active, index).await?;
    commit(tx).await?;
    let messages = store::messages_of(state.db.read(), row.id).await?;
    Ok(SessionView::of(&row, &messages))
}

/// Completes the session: the overall evaluation from every answer's
/// evaluation, the end time and duration.
async fn finish(
    tx: &invigil_store::Tx,
    row: &mut PracticeSession,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let answers: Vec<(usize, AnswerEvaluation)> = store::messages_of(tx, row.id)
        .await?
        .into_iter()
        .filter_map(|m| {
            let i = usize::try_from(m.question_index).ok()?;
            m.evaluation.map(|e| (i, e.0))
        })
        .collect();
    let overall = rules::overall(&answers);
    row.overall_score = Some(i32::from(overall.overall_score));
    row.evaluation = Some(Overall(overall));
    row.status = PracticeStatus::Completed;
    row.ended_at = Some(now);
    row.duration_secs = Some((now - row.started_at).num_seconds().max(0));
    Ok(())
}

/// Gives up an ACTIVE session (409 otherwise).
#[tracing::instrument(skip_all, err, fields(practice_session_id = %id))]
pub async fn abandon(state: &AppState, user_id: Uuid, id: Uuid) -> Result<SessionView, ApiError> {
    let now = state.now();
    let tx = begin(state).await?;
    let mut row = store::session_of(&tx, user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.status != PracticeStatus::Active {
        return Err(not_active(&row));
    }
    let index = row.next_index;
    row.status = PracticeStatus::Abandoned;
    row.ended_at = Some(now);
    row.duration_secs = Some((now - row.started_at).num_seconds().max(0));
    store::update_session_if(&tx, &row, PracticeStatus::Active, index).await?;
    commit(tx).await?;
    let messages = store::messages_of(state.db.read(), row.id).await?;
    Ok(SessionView::of(&row, &messages))
}

/// The retention job: deletes the transcripts of sessions started more
/// than `practice_retention_days` ago (scores and evaluations stay), one
/// `practice_session.purged` audit entry per organization and run, in the
/// transaction of that organization's deletions. The number of sessions
/// purged.
pub async fn purge(state: &AppState) -> anyhow::Result<u64> {
    const BATCH: u64 = 500;
    let now = state.now();
    let days = i64::try_from(state.config.practice_retention_days).unwrap_or(180);
    let cutoff = now - Duration::days(days);
    let mut total = 0;
    loop {
        let due = store::due_for_purge(state.db.read(), cutoff, BATCH).await?;
        if due.is_empty() {
            break;
        }
        let mut orgs: Vec<Uuid> = due.iter().map(|s| s.org_id).collect();
        orgs.sort();
        orgs.dedup();
        for org_id in orgs {
            let tx = state.db.begin().await?;
            let (mut sessions, mut messages) = (0u64, 0u64);
            for s in due.iter().filter(|s| s.org_id == org_id) {
                messages += store::purge_transcript(&tx, s.id, now).await?;
                sessions += 1;
            }
            let client = ClientInfo::default();
            Audit::anonymous(&client, Some(org_id), now)
                .record(
                    &tx,
                    AuditAction::PracticeTranscriptsPurged,
                    org_id,
                    json!({ "sessions": sessions, "messages": messages,
                        "retention_days": days, "cutoff": cutoff }),
                )
                .await?;
            tx.commit().await?;
            total += sessions;
        }
        if (due.len() as u64) < BATCH {
            break;
        }
    }
    if total > 0 {
        tracing::info!(sessions = total, "practice transcripts purged");
    }
    Ok(total)
}
