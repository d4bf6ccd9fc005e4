//! Delivery: start/resume, autosave, timing with an injected clock, submit,
//! auto-submit, proctor actions, grading and results — on both backends.

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
    let r = app
        .post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&s.candidate.token)
        .send()
        .await;
    r.assert(201);
    r.json()
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
    app.put(&format!("/api/v1/sessions/{session}/answers/{q}"))
        .token(token)
        .json(&json!({"response": response, "revision": revision}))
        .send()
        .await
}

async fn start_resume_and_no_keys(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    assert_eq!(body["status"], "IN_PROGRESS");
    assert_eq!(body["questions"].as_array().unwrap().len(), 5);
    let text = body.to_string();
    assert!(
        !text.contains("correct_answer")
            && !text.contains("accepted")
            && !text.contains("tolerance"),
        "{text}"
    );
    assert!(body["remaining_seconds"].as_u64().unwrap() > 3500);
    // Resume from another device: same session, 200.
    let r = app
        .post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&s.candidate.token)
        .json(&json!({"device_fingerprint": "tablet-2"}))
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["session_id"], sid);
    // Someone else cannot see it; a stranger is not enrolled.
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    app.get(&format!("/api/v1/sessions/{sid}"))
        .token(&other.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&other.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/sessions/{sid}"))
        .send()
        .await
        .assert_problem(401, "unauthenticated");
}

async fn autosave_revisions_are_monotonic(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let t = &s.candidate.token;
    let r = save(&app, t, &sid, &sa, json!({"text": "Lyon"}), 1).await;
    r.assert(200);
    assert_eq!(r.json()["revision"], 1);
    // Same revision again (a retry) and a lower one change nothing.
    assert_eq!(
        save(&app, t, &sid, &sa, json!({"text": "Nice"}), 1)
            .await
            .json()["revision"],
        1
    );
    assert_eq!(
        save(&app, t, &sid, &sa, json!({"text": "Nice"}), 0)
            .await
            .json()["revision"],
        1
    );
    assert_eq!(
        save(&app, t, &sid, &sa, json!({"text": "Paris"}), 5)
            .await
            .json()["revision"],
        5
    );
    assert_eq!(
        save(&app, t, &sid, &sa, json!({"text": "Old"}), 3)
            .await
            .json()["revision"],
        5
    );
    let view = app
        .get(&format!("/api/v1/sessions/{sid}"))
        .token(t)
        .send()
        .await
        .json();
    assert_eq!(view["answers"][&sa]["response"]["text"], "Paris");
    assert_eq!(view["answers"][&sa]["revision"], 5);
    // Wrong shapes, unknown questions, negative revisions.
    save(&app, t, &sid, &sa, json!({"option": 1}), 6)
        .await
        .assert_problem(422, "validation_failed");
    let sc = qid(&body, "single_choice");
    save(&app, t, &sid, &sc, json!({"option": 7}), 1)
        .await
        .assert_problem(422, "validation_failed");
    save(
        &app,
        t,
        &sid,
        &Uuid::new_v4().to_string(),
        json!({"text": "x"}),
        1,
    )
    .await
    .assert_problem(404, "not_found");
    save(&app, t, &sid, &sa, json!({"text": "x"}), -1)
        .await
        .assert_problem(422, "validation_failed");
}

async fn grace_edge_and_submit(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            duration_minutes: 10,
            ..Default::default()
        },
    )
    .await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let t = &s.candidate.token;
    let grace = app.state.config.grace();
    // deadline + grace - 1 s: accepted.
    app.clock
        .advance(Duration::minutes(10) + grace - Duration::seconds(1));
    save(&app, t, &sid, &sa, json!({"text": "Paris"}), 1)
        .await
        .assert(200);
    // deadline + grace + 1 s: rejected.
    app.clock.advance(Duration::seconds(2));
    save(&app, t, &sid, &sa, json!({"text": "Rome"}), 2)
        .await
        .assert_problem(409, "session_closed");
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await
        .assert_problem(409, "session_closed");
    // The sweeper finishes it with the deadline as finish time.
    assert_eq!(
        invigil_server::delivery::service::sweep(&app.state)
            .await
            .unwrap(),
        1
    );
    let view = app
        .get(&format!("/api/v1/sessions/{sid}"))
        .token(t)
        .send()
        .await
        .json();
    assert_eq!(view["status"], "AUTO_SUBMITTED");
    assert_eq!(view["finished_at"], view["expires_at"]);
    // The acknowledged answer was graded.
    let srow = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(srow.objective_score, Some(1.0));
}

async fn submit_grades_and_is_idempotent(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let t = &s.candidate.token;
    let sc = body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["type"] == "single_choice")
        .unwrap()
        .clone();
    let four = sc["options"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o == "4")
        .unwrap();
    save(
        &app,
        t,
        &sid,
        sc["id"].as_str().unwrap(),
        json!({"option": four}),
        1,
    )
    .await
    .assert(200);
    save(
        &app,
        t,
        &sid,
        &qid(&body, "true_false"),
        json!({"value": true}),
        1,
    )
    .await
    .assert(200);
    save(
        &app,
        t,
        &sid,
        &qid(&body, "numeric"),
        json!({"value": 2.715}),
        1,
    )
    .await
    .assert(200);
    save(
        &app,
        t,
        &sid,
        &qid(&body, "essay"),
        json!({"text": "Because."}),
        1,
    )
    .await
    .assert(200);
    let r = app
        .post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "SUBMITTED");
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await
        .assert(200);
    save(
        &app,
        t,
        &sid,
        &qid(&body, "short_answer"),
        json!({"text": "Paris"}),
        2,
    )
    .await
    .assert_problem(409, "session_closed");
    let row = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.objective_score, Some(4.0));
    assert_eq!(row.max_score, 10.0);
    assert_eq!(row.pending_manual, 1);
    assert_eq!(row.passed, None, "an essay waits for a grade");

    // The essay is in the grading queue; the coordinator grades it.
    let c = &s.coordinator.token;
    let queue = app
        .get("/api/v1/orgs/acme/grading-queue")
        .token(c)
        .send()
        .await;
    queue.assert(200);
    let items = queue.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let essay = items[0]["question_id"].as_str().unwrap().to_owned();
    app.put(&format!(
        "/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"
    ))
    .token(c)
    .json(&json!({"points": 9}))
    .send()
    .await
    .assert_problem(422, "validation_failed");
    let g = app
        .put(&format!(
            "/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"
        ))
        .token(c)
        .json(&json!({"points": 2, "comment": "thin"}))
        .send()
        .await;
    g.assert(200);
    let g = g.json();
    assert_eq!(g["final_score"], 6.0);
    assert_eq!(g["passed"], true);
    assert_eq!(
        app.get("/api/v1/orgs/acme/grading-queue")
            .token(c)
            .send()
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A candidate may not grade.
    app.put(&format!(
        "/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"
    ))
    .token(t)
    .json(&json!({"points": 5}))
    .send()
    .await
    .assert_problem(403, "forbidden");

    // Results appear after release, with the best attempt.
    assert_eq!(
        app.get("/api/v1/me/results").token(t).send().await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post(&format!(
        "/api/v1/orgs/acme/exams/{}/release-results",
        s.exam_id
    ))
    .token(c)
    .send()
    .await
    .assert(200);
    let results = app.get("/api/v1/me/results").token(t).send().await.json();
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["final_score"], 6.0);
    assert_eq!(items[0]["passed"], true);
    assert!(
        app.outbox()
            .await
            .iter()
            .any(|m| m.to_email == "cand@acme.org" && m.subject.contains("result"))
    );
}

async fn exam_not_open_and_attempts(app: TestApp) {
    let now = app.state.now();
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 1,
            start: Some(now + Duration::minutes(10)),
            end: Some(now + Duration::hours(3)),
            ..Default::default()
        },
    )
    .await;
    let t = &s.candidate.token;
    let start_path = format!("/api/v1/exams/{}/sessions", s.exam_id);
    app.post(&start_path)
        .token(t)
        .send()
        .await
        .assert_problem(409, "exam_not_open");
    app.clock.advance(Duration::minutes(10));
    let body = app.post(&start_path).token(t).send().await;
    body.assert(201);
    let sid = body.json()["session_id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await
        .assert(200);
    app.post(&start_path)
        .token(t)
        .send()
        .await
        .assert_problem(409, "attempts_exhausted");
    // A DRAFT exam is not open.
    let draft = insert_exam(
        &app,
        &s.org,
        s.bank_id,
        s.coordinator.id,
        &ExamOpts {
            status: "DRAFT",
            ..Default::default()
        },
    )
    .await;
    enroll(&app, &s.org, draft, s.candidate.id, None).await;
    app.post(&format!("/api/v1/exams/{draft}/sessions"))
        .token(t)
        .send()
        .await
        .assert_problem(409, "exam_not_open");
}

async fn parallel_starts_make_one_session(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 3,
            ..Default::default()
        },
    )
    .await;
    let path = format!("/api/v1/exams/{}/sessions", s.exam_id);
    let reqs = (0..6).map(|_| app.post(&path).token(&s.candidate.token).send());
    let responses = futures_util::future::join_all(reqs).await;
    let mut ids: Vec<String> = responses
        .iter()
        .map(|r| {
            assert!(
                r.status == 200 || r.status == 201,
                "{} {}",
                r.status,
                r.text()
            );
            r.json()["session_id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "parallel starts must resume one session");
    assert_eq!(responses.iter().filter(|r| r.status == 201).count(), 1);
    let e = invigil_store::exams::enrollment_of(app.db().read(), s.exam_id, s.candidate.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.attempts_used, 1);
}

async fn accommodations_are_not_capped_by_the_window(app: TestApp) {
    let now = app.state.now();
    let end = now + Duration::minutes(30);
    let s = setup_with(
        &app,
        ExamOpts {
            duration_minutes: 60,
            end: Some(end),
            ..Default::default()
        },
    )
    .await;
    // Without extra time: capped at the window end.
    let body = start(&app, &s).await;
    let expires: DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, end);
    // With 50 % extra time from the profile: 90 minutes, past the window.
    let other = app.member(&s.org, "acc@acme.org", &[Role::Candidate]).await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    tenancy::upsert_profile(
        app.db().write(),
        s.org.id,
        other.id,
        &tenancy::ProfileInput {
            student_number: None,
            class_year: None,
            has_accommodations: true,
            extra_time_percent: Some(50),
        },
        now,
    )
    .await
    .unwrap();
    let r = app
        .post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&other.token)
        .send()
        .await;
    r.assert(201);
    let expires: DateTime<Utc> = r.json()["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, now + Duration::minutes(90));
}

async fn proctor_actions_follow_the_timing_policy(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let expires0: DateTime<Utc> = body["expires_at"].as_str().unwrap().parse().unwrap();
    let p = &s.proctor.token;
    let t = &s.candidate.token;
    let act = |typ: &str, minutes: Option<i64>| {
        let mut b = json!({"type": typ, "reason": "checked by proctor"});
        if let Some(m) = minutes {
            b["minutes"] = json!(m);
        }
        app.post(&format!("/api/v1/orgs/acme/sessions/{sid}/actions"))
            .token(p)
            .json(&b)
            .send()
    };
    act("WARN", None).await.assert(200);
    act("PAUSE", None).await.assert(200);
    save(
        &app,
        t,
        &sid,
        &qid(&body, "short_answer"),
        json!({"text": "x"}),
        1,
    )
    .await
    .assert_problem(409, "session_paused");
    act("PAUSE", None).await.assert_problem(409, "conflict");
    app.clock.advance(Duration::minutes(10));
    let r = act("RESUME", None).await;
    r.assert(200);
    let expires1: DateTime<Utc> = r.json()["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires1, expires0 + Duration::minutes(10));
    let r = act("EXTEND_TIME", Some(5)).await;
    let expires2: DateTime<Utc> = r.json()["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires2, expires1 + Duration::minutes(5));
    act("EXTEND_TIME", None)
        .await
        .assert_problem(422, "validation_failed");
    act("DANCE", None)
        .await
        .assert_problem(422, "validation_failed");
    // Restart does not move deadlines: a fresh state on the same database.
    let restarted = invigil_server::state::AppState::new(
        app.db().clone(),
        (*app.state.config).clone(),
        app.clock.clone(),
    );
    let router = invigil_server::http::router(restarted.clone());
    use tower::ServiceExt;
    let req = axum::http::Request::get(format!("/api/v1/sessions/{sid}"))
        .header("authorization", format!("Bearer {t}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = router.oneshot(req).await.unwrap();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    let view: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        view["expires_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        expires2
    );
    restarted.background.shutdown().await;
    // The warning is visible to the candidate.
    let view = app
        .get(&format!("/api/v1/sessions/{sid}"))
        .token(t)
        .send()
        .await
        .json();
    assert_eq!(view["messages"][0]["text"], "checked by proctor");
    // Candidates cannot act; terminate ends it.
    app.post(&format!("/api/v1/orgs/acme/sessions/{sid}/actions"))
        .token(t)
        .json(&json!({"type": "PAUSE", "reason": "x"}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    act("TERMINATE", None).await.assert(200);
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await
        .assert_problem(409, "session_closed");
}

async fn regrade_after_key_correction(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let t = &s.candidate.token;
    let sa = qid(&body, "short_answer");
    save(&app, t, &sid, &sa, json!({"text": "Paname"}), 1)
        .await
        .assert(200);
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(t)
        .send()
        .await
        .assert(200);
    let before = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.objective_score, Some(0.0));
    // Key correction: a new version accepting "Paname" too.
    let row = content::question_any_bank(app.db().read(), s.org.id, sa.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let fixed = q(
        json!({"type": "short_answer", "text": "Capital of France", "correct_answer": {"accepted": ["Paris", "Paname"], "case_sensitive": false}, "points": 1}),
    );
    content::add_version(
        app.db().write(),
        &row,
        &meta_of(&fixed),
        s.coordinator.id,
        app.state.now(),
    )
    .await
    .unwrap();
    let r = app
        .post(&format!("/api/v1/orgs/acme/exams/{}/regrade", s.exam_id))
        .token(&s.coordinator.token)
        .json(&json!({"question_id": sa}))
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["sessions_regraded"], 1);
    let after = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.objective_score, Some(1.0));
    let audit = app
        .get("/api/v1/orgs/acme/audit-log?action=exam.regraded")
        .token(
            &app.member(&s.org, "oa@acme.org", &[Role::OrgAdmin])
                .await
                .token,
        )
        .send()
        .await
        .json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
}

async fn flagged_results_are_withheld(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(&s.candidate.token)
        .send()
        .await
        .assert(200);
    let mut row = invigil_store::delivery::session(app.db().read(), sid)
        .await
        .unwrap()
        .unwrap();
    row.integrity_status = "FLAGGED".into();
    invigil_store::delivery::update_session_if(app.db().write(), &row, "SUBMITTED")
        .await
        .unwrap();
    app.post(&format!(
        "/api/v1/orgs/acme/exams/{}/release-results",
        s.exam_id
    ))
    .token(&s.coordinator.token)
    .send()
    .await
    .assert(200);
    assert_eq!(
        app.get("/api/v1/me/results")
            .token(&s.candidate.token)
            .send()
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    row.integrity_status = "VIOLATION_CONFIRMED".into();
    invigil_store::delivery::update_session_if(app.db().write(), &row, "SUBMITTED")
        .await
        .unwrap();
    let items = app
        .get("/api/v1/me/results")
        .token(&s.candidate.token)
        .send()
        .await
        .json();
    assert_eq!(items["items"][0]["passed"], false);
    assert_eq!(items["items"][0]["integrity"], "VIOLATION_CONFIRMED");
}

/// Submit and the sweeper racing at the deadline: exactly one of them
/// finishes the session, once.
async fn parallel_submit_and_auto_submit_give_one_result(app: TestApp) {
    for (case, offset_ms) in [(0, -1i64), (1, 0), (2, 1)] {
        let email = format!("race{case}@acme.org");
        let s = if case == 0 {
            setup_with(
                &app,
                ExamOpts {
                    duration_minutes: 10,
                    ..Default::default()
                },
            )
            .await
        } else {
            let org = invigil_store::tenancy::org_by_slug(app.db().read(), "acme")
                .await
                .unwrap()
                .unwrap();
            let cand = app.member(&org, &email, &[Role::Candidate]).await;
            let coordinator = app
                .member(
                    &org,
                    &format!("co{case}@acme.org"),
                    &[Role::ExamCoordinator],
                )
                .await;
            let proctor = app
                .member(
                    &org,
                    &format!("pr{case}@acme.org"),
                    &[Role::ProctorReviewer],
                )
                .await;
            let bank_id = approved_bank(&app, &org, coordinator.id, &questions()).await;
            let exam_id = insert_exam(
                &app,
                &org,
                bank_id,
                coordinator.id,
                &ExamOpts {
                    duration_minutes: 10,
                    ..Default::default()
                },
            )
            .await;
            enroll(&app, &org, exam_id, cand.id, None).await;
            Setup {
                org,
                coordinator,
                proctor,
                candidate: cand,
                exam_id,
                bank_id,
            }
        };
        let body = start(&app, &s).await;
        let sid = body["session_id"].as_str().unwrap().to_owned();
        let grace = app.state.config.grace();
        app.clock
            .advance(Duration::minutes(10) + grace + Duration::milliseconds(offset_ms));
        let submit = app
            .post(&format!("/api/v1/sessions/{sid}/submit"))
            .token(&s.candidate.token)
            .send();
        let sweep = invigil_server::delivery::service::sweep(&app.state);
        let (r, swept) = tokio::join!(submit, sweep);
        let swept = swept.unwrap();
        let row = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        if r.status == 200 {
            assert_eq!(row.status, "SUBMITTED");
            assert_eq!(swept, 0);
        } else {
            r.assert_problem(409, "session_closed");
            assert_eq!(row.status, "AUTO_SUBMITTED");
            assert_eq!(swept, 1);
        }
        // Before deadline + grace the submit wins; from it on, the sweeper.
        assert_eq!(r.status == 200, offset_ms < 0, "offset {offset_ms} ms");
        app.clock
            .advance(-(Duration::minutes(10) + grace + Duration::milliseconds(offset_ms)));
    }
}

both!(
    parallel_submit_and_auto_submit_give_one_result,
    start_resume_and_no_keys,
    autosave_revisions_are_monotonic,
    grace_edge_and_submit,
    submit_grades_and_is_idempotent,
    exam_not_open_and_attempts,
    parallel_starts_make_one_session,
    accommodations_are_not_capped_by_the_window,
    proctor_actions_follow_the_timing_policy,
    regrade_after_key_correction,
    flagged_results_are_withheld,
);
