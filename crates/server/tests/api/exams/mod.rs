//! Exams: exam types, exams fed by APPROVED banks (fixed or drawn), the
//! lifecycle and its checks at `open`, enrollment by JSON and CSV with
//! invitations and notice mails, per-candidate overrides, the candidate's
//! own list, roles and tenant isolation.

mod access;
mod authoring;
mod enrollment;
mod lifecycle;

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::content::{self, NewBank};
use invigil_store::tenancy::Organization;

use crate::both;
use crate::common::{TestApp, TestResponse, TestUser};

fn exams_url(org: &str) -> String {
    format!("/api/v1/orgs/{org}/exams")
}

fn exam_url(org: &str, exam: &str) -> String {
    format!("/api/v1/orgs/{org}/exams/{exam}")
}

fn enroll_url(org: &str, exam: &str) -> String {
    format!("{}/enrollments", exam_url(org, exam))
}

/// A question of the API shape with this difficulty and tags.
fn question(i: usize, difficulty: &str, tags: &[&str]) -> Value {
    json!({
        "type": "single_choice",
        "text": format!("Question {i}?"),
        "options": ["yes", "no", "maybe"],
        "correct_answer": { "option": 0 },
        "points": 1,
        "difficulty": difficulty,
        "tags": tags,
    })
}

/// A bank of `org` holding `questions`, moved through review to `status`
/// (DRAFT, IN_REVIEW or APPROVED) directly through the store.
async fn bank_with(
    app: &TestApp,
    org: &Organization,
    author: &TestUser,
    questions: &[Value],
    status: &str,
) -> Uuid {
    bank_in(app, org, None, author, questions, status).await
}

/// [`bank_with`] in a department (`None`: org-wide).
async fn bank_in(
    app: &TestApp,
    org: &Organization,
    department_id: Option<Uuid>,
    author: &TestUser,
    questions: &[Value],
    status: &str,
) -> Uuid {
    let now = app.state.now();
    let bank = content::create_bank(
        app.db().write(),
        org.id,
        NewBank {
            title: "Bank".into(),
            description: None,
            tags: Vec::new(),
            department_id,
            author_id: author.id,
        },
        invigil_domain::content::BankStatus::Draft,
        now,
    )
    .await
    .expect("bank");
    let metas: Vec<_> = questions
        .iter()
        .map(|q| {
            let input = serde_json::from_value(q.clone()).expect("question input");
            let q = invigil_domain::content::validate(input).expect("valid question");
            invigil_server::content::service::meta_of(&q)
        })
        .collect();
    content::insert_questions(app.db().write(), org.id, bank.id, &metas, author.id, now)
        .await
        .expect("questions");
    let steps = [
        (
            invigil_domain::content::BankStatus::Draft,
            invigil_domain::content::BankStatus::InReview,
        ),
        (
            invigil_domain::content::BankStatus::InReview,
            invigil_domain::content::BankStatus::Approved,
        ),
    ];
    for (from, to) in steps {
        if status == from.name() {
            break;
        }
        content::transition_bank(app.db().write(), org.id, bank.id, from, to, None, None, now)
            .await
            .expect("transition");
    }
    bank.id
}

/// An APPROVED bank of `n` MEDIUM questions.
async fn approved_bank(app: &TestApp, org: &Organization, author: &TestUser, n: usize) -> Uuid {
    let qs: Vec<Value> = (0..n).map(|i| question(i, "MEDIUM", &[])).collect();
    bank_with(app, org, author, &qs, "APPROVED").await
}

fn exam_body(bank: Uuid) -> Value {
    json!({
        "title": "Algebra midterm",
        "description": "Chapters 1-4",
        "question_bank_id": bank,
        "duration_minutes": 60,
        "passing_score": 50,
        "max_attempts": 1,
        "randomize_questions": true,
        "randomize_options": false,
        "enable_proctoring": true,
        "proctoring_sensitivity": "HIGH",
    })
}

async fn create_exam(app: &TestApp, org: &str, u: &TestUser, body: &Value) -> Value {
    let r = app.post_json(&exams_url(org), &u.token, body).await;
    r.assert(201);
    r.json()
}

async fn act(app: &TestApp, org: &str, exam: &str, u: &TestUser, action: &str) -> TestResponse {
    app.post_as(&format!("{}/{action}", exam_url(org, exam)), &u.token)
        .await
}

async fn act_ok(app: &TestApp, org: &str, exam: &str, u: &TestUser, action: &str, to: &str) {
    let r = act(app, org, exam, u, action).await;
    r.assert(200);
    assert_eq!(r.json()["status"], to, "{action}");
}

async fn enroll_json(
    app: &TestApp,
    org: &str,
    exam: &str,
    u: &TestUser,
    people: Value,
) -> TestResponse {
    app.post_json(
        &enroll_url(org, exam),
        &u.token,
        &json!({ "candidates": people }),
    )
    .await
}

fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or("").to_owned())
        .collect()
}

struct Setup {
    org: Organization,
    coord: TestUser,
    author: TestUser,
    manager: TestUser,
}

async fn setup(app: &TestApp) -> Setup {
    let org = app.org("uni").await;
    let coord = app
        .member(&org, "coord@uni.example", &[Role::ExamCoordinator])
        .await;
    let author = app
        .member(&org, "author@uni.example", &[Role::ExamAuthor])
        .await;
    let manager = app
        .member(&org, "manager@uni.example", &[Role::EnrollmentManager])
        .await;
    Setup {
        org,
        coord,
        author,
        manager,
    }
}
