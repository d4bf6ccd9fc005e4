//! Delivery: start/resume, autosave, timing with an injected clock, submit,
//! auto-submit, proctor actions, grading and results — on both backends.

pub mod gradebook;
mod hot_cache;
mod results;
mod sessions;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;
use invigil_server::content::service::meta_of;
use invigil_store::content::{self, NewBank};
use invigil_store::exams::entities::{enrollment, exam};
use invigil_store::tenancy::{self, Organization};

use crate::both;
use crate::common::{TestApp, TestUser};

pub struct Setup {
    pub org: Organization,
    pub coordinator: TestUser,
    pub proctor: TestUser,
    pub candidate: TestUser,
    pub exam_id: Uuid,
    pub bank_id: Uuid,
}

fn q(v: Value) -> invigil_domain::content::Question {
    let input: QuestionInput = serde_json::from_value(v).unwrap();
    validate(input).unwrap()
}

/// Questions: single_choice (key 1), true_false (true), short_answer ("Paris"),
/// numeric (2.72 ± 0.01), essay.
fn questions() -> Vec<invigil_domain::content::Question> {
    vec![
        q(
            json!({"type": "single_choice", "text": "2+2?", "options": ["3", "4", "5"], "correct_answer": {"option": 1}, "points": 2}),
        ),
        q(
            json!({"type": "true_false", "text": "Sky is blue", "correct_answer": {"value": true}, "points": 1}),
        ),
        q(
            json!({"type": "short_answer", "text": "Capital of France", "correct_answer": {"accepted": ["Paris"], "case_sensitive": false}, "points": 1}),
        ),
        q(
            json!({"type": "numeric", "text": "e", "correct_answer": {"value": 2.72, "tolerance": 0.01}, "points": 1}),
        ),
        q(json!({"type": "essay", "text": "Explain", "points": 5})),
    ]
}

pub async fn approved_bank(
    app: &TestApp,
    org: &Organization,
    author: Uuid,
    qs: &[invigil_domain::content::Question],
) -> Uuid {
    let now = app.state.now();
    let tx = app.db().begin().await.unwrap();
    let bank = content::create_bank(
        &tx,
        org.id,
        NewBank {
            title: "Bank".into(),
            description: None,
            tags: vec![],
            department_id: None,
            author_id: author,
        },
        invigil_domain::content::BankStatus::Draft,
        now,
    )
    .await
    .unwrap();
    let metas: Vec<_> = qs.iter().map(meta_of).collect();
    content::insert_questions(&tx, org.id, bank.id, &metas, author, now)
        .await
        .unwrap();
    content::transition_bank(
        &tx,
        org.id,
        bank.id,
        invigil_domain::content::BankStatus::Draft,
        invigil_domain::content::BankStatus::InReview,
        None,
        None,
        now,
    )
    .await
    .unwrap();
    content::transition_bank(
        &tx,
        org.id,
        bank.id,
        invigil_domain::content::BankStatus::InReview,
        invigil_domain::content::BankStatus::Approved,
        Some(author),
        None,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    bank.id
}

pub struct ExamOpts {
    pub status: &'static str,
    pub duration_minutes: i32,
    pub max_attempts: i32,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub randomize: bool,
}

impl Default for ExamOpts {
    fn default() -> Self {
        ExamOpts {
            status: "ACTIVE",
            duration_minutes: 60,
            max_attempts: 2,
            start: None,
            end: None,
            randomize: false,
        }
    }
}

pub async fn insert_exam(
    app: &TestApp,
    org: &Organization,
    bank_id: Uuid,
    by: Uuid,
    o: &ExamOpts,
) -> Uuid {
    let now = app.state.now();
    let id = Uuid::now_v7();
    exam::ActiveModel {
        id: Set(id),
        org_id: Set(org.id),
        department_id: Set(None),
        title: Set("Exam".into()),
        description: Set(None),
        status: Set(invigil_domain::exams::ExamStatus::parse(o.status).unwrap()),
        question_bank_id: Set(Some(bank_id)),
        draw_rules: Set(None),
        duration_minutes: Set(o.duration_minutes),
        passing_score: Set(50),
        max_attempts: Set(o.max_attempts),
        scheduled_start_at: Set(o.start),
        scheduled_end_at: Set(o.end),
        randomize_questions: Set(o.randomize),
        randomize_options: Set(o.randomize),
        enable_proctoring: Set(true),
        proctoring_sensitivity: Set(invigil_domain::exams::Sensitivity::Medium),
        exam_type_id: Set(None),
        results_released_at: Set(None),
        created_by: Set(by),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(app.db().write())
    .await
    .unwrap();
    id
}

pub async fn enroll(
    app: &TestApp,
    org: &Organization,
    exam_id: Uuid,
    user: Uuid,
    extra: Option<i32>,
) {
    let now = app.state.now();
    enrollment::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org.id),
        exam_id: Set(exam_id),
        user_id: Set(user),
        status: Set(invigil_domain::exams::EnrollmentStatus::Accepted),
        attempts_used: Set(0),
        override_window_start: Set(None),
        override_window_end: Set(None),
        override_duration_minutes: Set(None),
        override_max_attempts: Set(None),
        override_extra_time_percent: Set(extra),
        invited_at: Set(now),
        accepted_at: Set(Some(now)),
        completed_at: Set(None),
        updated_at: Set(now),
    }
    .insert(app.db().write())
    .await
    .unwrap();
}

pub async fn setup_with(app: &TestApp, o: ExamOpts) -> Setup {
    let org = app.org("acme").await;
    let coordinator = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let proctor = app
        .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    let candidate = app.member(&org, "cand@acme.org", &[Role::Candidate]).await;
    let bank_id = approved_bank(app, &org, coordinator.id, &questions()).await;
    let exam_id = insert_exam(app, &org, bank_id, coordinator.id, &o).await;
    enroll(app, &org, exam_id, candidate.id, None).await;
    Setup {
        org,
        coordinator,
        proctor,
        candidate,
        exam_id,
        bank_id,
    }
}

pub async fn start(app: &TestApp, s: &Setup) -> Value {
    app.start_session(s.exam_id, &s.candidate.token).await
}

pub fn qid(session: &Value, qtype: &str) -> String {
    session["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["type"] == qtype)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn save(
    app: &TestApp,
    token: &str,
    session: &str,
    q: &str,
    response: Value,
    revision: i64,
) -> crate::common::TestResponse {
    app.put_json(
        &format!("/api/v1/sessions/{session}/answers/{q}"),
        token,
        &json!({"response": response, "revision": revision}),
    )
    .await
}
