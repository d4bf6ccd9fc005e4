//! Exams: exam types, exams fed by APPROVED banks (fixed or drawn), the
//! lifecycle and its checks at `open`, enrollment by JSON and CSV with
//! invitations and notice mails, per-candidate overrides, the candidate's
//! own list, roles and tenant isolation.

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
    let r = app
        .post(&exams_url(org))
        .token(&u.token)
        .json(body)
        .send()
        .await;
    r.assert(201);
    r.json()
}

async fn act(app: &TestApp, org: &str, exam: &str, u: &TestUser, action: &str) -> TestResponse {
    app.post(&format!("{}/{action}", exam_url(org, exam)))
        .token(&u.token)
        .send()
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
    app.post(&enroll_url(org, exam))
        .token(&u.token)
        .json(&json!({ "candidates": people }))
        .send()
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

async fn create_with_fixed_bank_and_with_draw_rules(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 3).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    assert_eq!(exam["status"], "DRAFT");
    assert_eq!(exam["question_bank_id"], bank.to_string());
    assert_eq!(exam["draw"], Value::Null);
    assert_eq!(exam["proctoring_sensitivity"], "HIGH");
    assert_eq!(exam["created_by"], s.coord.id.to_string());

    let drawn = create_exam(
        &app,
        "uni",
        &s.coord,
        &json!({
            "title": "Quiz",
            "draw": [{ "bank_id": bank, "count": 2, "difficulty": "medium", "tags": [" x ", "x"] }],
            "duration_minutes": 15,
            "passing_score": 60,
            "max_attempts": 2,
        }),
    )
    .await;
    assert_eq!(drawn["question_bank_id"], Value::Null);
    assert_eq!(
        drawn["draw"],
        json!([{ "bank_id": bank, "count": 2, "difficulty": "MEDIUM", "tags": ["x"] }])
    );
    assert_eq!(drawn["proctoring_sensitivity"], "MEDIUM");
    assert_eq!(drawn["randomize_questions"], false);

    let id = exam["id"].as_str().expect("id");
    let r = app
        .get(&exam_url("uni", id))
        .token(&s.coord.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["title"], "Algebra midterm");
    let r = app
        .get(&format!("{}?limit=1", exams_url("uni")))
        .token(&s.manager.token)
        .send()
        .await;
    r.assert(200);
    let page = r.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let r = app
        .get(&format!("{}?cursor={cursor}", exams_url("uni")))
        .token(&s.manager.token)
        .send()
        .await;
    assert_eq!(r.json()["items"][0]["id"], drawn["id"]);
    let r = app
        .get(&format!("{}?status=ACTIVE", exams_url("uni")))
        .token(&s.coord.token)
        .send()
        .await;
    assert_eq!(r.json()["items"], json!([]));
    let actions = app.audit_actions(&s.org).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "exam.created").count(),
        2,
        "{actions:?}"
    );
}

async fn banks_must_be_approved_and_of_this_org(app: TestApp) {
    let s = setup(&app).await;
    let draft = bank_with(
        &app,
        &s.org,
        &s.author,
        &[question(1, "EASY", &[])],
        "DRAFT",
    )
    .await;
    let in_review = bank_with(
        &app,
        &s.org,
        &s.author,
        &[question(1, "EASY", &[])],
        "IN_REVIEW",
    )
    .await;
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(&exam_body(draft))
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(fields(&v), ["question_bank_id"]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("only APPROVED banks can feed an exam")),
        "{v}"
    );

    let other = app.org("other").await;
    let other_author = app
        .member(&other, "author@other.example", &[Role::ExamAuthor])
        .await;
    let foreign = approved_bank(&app, &other, &other_author, 3).await;
    let ok = approved_bank(&app, &s.org, &s.author, 3).await;
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(&json!({
            "title": "Mixed",
            "draw": [
                { "bank_id": ok, "count": 1 },
                { "bank_id": foreign, "count": 1 },
                { "bank_id": in_review, "count": 1 },
            ],
            "duration_minutes": 10, "passing_score": 50, "max_attempts": 1,
        }))
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(fields(&v), ["draw[1].bank_id", "draw[2].bank_id"]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no such")
    );
    assert!(!r.text().contains(&other.name));
}

async fn validation_errors_name_fields(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let now = Utc::now();
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(&json!({
            "title": "  ",
            "question_bank_id": bank,
            "draw": [{ "bank_id": bank, "count": 1 }],
            "duration_minutes": 0,
            "passing_score": 101,
            "max_attempts": 0,
            "scheduled_start_at": now + Duration::hours(2),
            "scheduled_end_at": now + Duration::hours(1),
            "proctoring_sensitivity": "EXTREME",
            "exam_type_id": Uuid::now_v7(),
            "department_id": Uuid::now_v7(),
        }))
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    let mut got = fields(&v);
    got.sort();
    assert_eq!(
        got,
        [
            "department_id",
            "draw",
            "duration_minutes",
            "exam_type_id",
            "max_attempts",
            "passing_score",
            "proctoring_sensitivity",
            "scheduled_end_at",
            "title",
        ]
    );
    // Neither source; a bad draw rule; a type error names its field.
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(
            &json!({ "title": "T", "duration_minutes": 10, "passing_score": 1, "max_attempts": 1 }),
        )
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["question_bank_id"]
    );
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(&json!({ "title": "T", "draw": [{ "bank_id": bank, "count": 0, "difficulty": "impossible" }],
            "duration_minutes": 10, "passing_score": 1, "max_attempts": 1 }))
        .send()
        .await;
    let mut got = fields(&r.assert_problem(422, "validation_failed"));
    got.sort();
    assert_eq!(got, ["draw[0].count", "draw[0].difficulty"]);
    let r = app
        .post(&exams_url("uni"))
        .token(&s.coord.token)
        .json(
            &json!({ "title": "T", "question_bank_id": bank, "duration_minutes": "long",
            "passing_score": 1, "max_attempts": 1 }),
        )
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["duration_minutes"]
    );
}

async fn lifecycle_and_conflicts(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 3).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let id = exam["id"].as_str().expect("id");
    act(&app, "uni", id, &s.coord, "close")
        .await
        .assert_problem(409, "conflict");
    act(&app, "uni", id, &s.coord, "archive")
        .await
        .assert_problem(409, "conflict");
    act_ok(&app, "uni", id, &s.coord, "schedule", "SCHEDULED").await;
    let v = act(&app, "uni", id, &s.coord, "schedule")
        .await
        .assert_problem(409, "conflict");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("SCHEDULED"),
        "{v}"
    );

    // Editable while SCHEDULED; switching the source from bank to draw.
    let r = app
        .patch(&exam_url("uni", id))
        .token(&s.coord.token)
        .json(&json!({ "title": "Algebra final", "draw": [{ "bank_id": bank, "count": 2 }] }))
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["title"], "Algebra final");
    assert_eq!(v["question_bank_id"], Value::Null);
    assert_eq!(v["draw"][0]["count"], 2);
    assert_eq!(v["duration_minutes"], 60);
    let r = app
        .patch(&exam_url("uni", id))
        .token(&s.coord.token)
        .json(&json!({ "passing_score": 120 }))
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["passing_score"]
    );
    let r = app
        .patch(&exam_url("uni", id))
        .token(&s.coord.token)
        .json(&json!({ "colour": "red" }))
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["colour"]
    );

    act_ok(&app, "uni", id, &s.coord, "open", "ACTIVE").await;
    act(&app, "uni", id, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");
    app.patch(&exam_url("uni", id))
        .token(&s.coord.token)
        .json(&json!({ "title": "Too late" }))
        .send()
        .await
        .assert_problem(409, "conflict");
    act_ok(&app, "uni", id, &s.coord, "close", "COMPLETED").await;
    act(&app, "uni", id, &s.coord, "cancel")
        .await
        .assert_problem(409, "conflict");
    act_ok(&app, "uni", id, &s.coord, "archive", "ARCHIVED").await;
    act(&app, "uni", id, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");

    let other = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let other = other["id"].as_str().expect("id");
    act_ok(&app, "uni", other, &s.coord, "cancel", "CANCELLED").await;
    act(&app, "uni", other, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");
    act_ok(&app, "uni", other, &s.coord, "archive", "ARCHIVED").await;

    let actions = app.audit_actions(&s.org).await;
    for a in [
        "exam.created",
        "exam.scheduled",
        "exam.updated",
        "exam.opened",
        "exam.closed",
        "exam.archived",
        "exam.cancelled",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} missing: {actions:?}");
    }
}

async fn open_checks_banks_and_draw(app: TestApp) {
    let s = setup(&app).await;
    let qs = vec![
        question(1, "EASY", &["algebra"]),
        question(2, "EASY", &[]),
        question(3, "HARD", &["algebra"]),
    ];
    let bank = bank_with(&app, &s.org, &s.author, &qs, "APPROVED").await;
    let too_many = create_exam(
        &app,
        "uni",
        &s.coord,
        &json!({
            "title": "Greedy",
            "draw": [
                { "bank_id": bank, "count": 1, "tags": ["algebra"] },
                { "bank_id": bank, "count": 3, "difficulty": "EASY" },
            ],
            "duration_minutes": 10, "passing_score": 50, "max_attempts": 1,
        }),
    )
    .await;
    let id = too_many["id"].as_str().expect("id");
    let v = act(&app, "uni", id, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("draw rule 1"),
        "{v}"
    );
    // Two EASY questions fit: the first rule then takes the HARD one.
    let r = app
        .patch(&exam_url("uni", id))
        .token(&s.coord.token)
        .json(&json!({ "draw": [
            { "bank_id": bank, "count": 1, "tags": ["algebra"] },
            { "bank_id": bank, "count": 2, "difficulty": "EASY" },
        ] }))
        .send()
        .await;
    r.assert(200);

    // The bank goes back to DRAFT for a revision: the exam cannot open.
    content::transition_bank(
        app.db().write(),
        s.org.id,
        bank,
        invigil_domain::content::BankStatus::Approved,
        invigil_domain::content::BankStatus::Draft,
        None,
        None,
        app.state.now(),
    )
    .await
    .expect("revise");
    let v = act(&app, "uni", id, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("only APPROVED"),
        "{v}"
    );
    for (from, to) in [
        (
            invigil_domain::content::BankStatus::Draft,
            invigil_domain::content::BankStatus::InReview,
        ),
        (
            invigil_domain::content::BankStatus::InReview,
            invigil_domain::content::BankStatus::Approved,
        ),
    ] {
        content::transition_bank(
            app.db().write(),
            s.org.id,
            bank,
            from,
            to,
            None,
            None,
            app.state.now(),
        )
        .await
        .expect("approve");
    }
    act_ok(&app, "uni", id, &s.coord, "open", "ACTIVE").await;

    // A fixed bank without questions cannot open either.
    let empty = bank_with(&app, &s.org, &s.author, &[], "APPROVED").await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(empty)).await;
    let v = act(
        &app,
        "uni",
        exam["id"].as_str().expect("id"),
        &s.coord,
        "open",
    )
    .await
    .assert_problem(409, "conflict");
    assert!(
        v["detail"].as_str().unwrap_or("").contains("no questions"),
        "{v}"
    );
}

async fn exam_types_have_unique_codes(app: TestApp) {
    let s = setup(&app).await;
    let url = "/api/v1/orgs/uni/exam-types";
    let body = json!({ "code": "MIDTERM", "name": "Midterm", "default_weight": 0.3 });
    let r = app.post(url).token(&s.coord.token).json(&body).send().await;
    r.assert(201);
    let t = r.json();
    assert_eq!(t["code"], "MIDTERM");
    assert_eq!(t["default_weight"], 0.3);
    app.post(url)
        .token(&s.coord.token)
        .json(&json!({ "code": "MIDTERM", "name": "Again", "default_weight": 1 }))
        .send()
        .await
        .assert_problem(409, "conflict");
    let r = app
        .post(url)
        .token(&s.coord.token)
        .json(&json!({ "code": "no spaces", "name": "", "default_weight": -1 }))
        .send()
        .await;
    let mut got = fields(&r.assert_problem(422, "validation_failed"));
    got.sort();
    assert_eq!(got, ["code", "default_weight", "name"]);
    app.post(url)
        .token(&s.author.token)
        .json(&body)
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Another organization may use the same code.
    let other = app.org("other").await;
    let other_coord = app
        .member(&other, "coord@other.example", &[Role::ExamCoordinator])
        .await;
    app.post("/api/v1/orgs/other/exam-types")
        .token(&other_coord.token)
        .json(&body)
        .send()
        .await
        .assert(201);
    let r = app.get(url).token(&s.manager.token).send().await;
    r.assert(200);
    let items = r.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");

    // An exam may name a type of its own organization only.
    let bank = approved_bank(&app, &s.org, &s.author, 1).await;
    let mut body = exam_body(bank);
    body["exam_type_id"] = t["id"].clone();
    let exam = create_exam(&app, "uni", &s.coord, &body).await;
    assert_eq!(exam["exam_type_id"], t["id"]);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"exam_type.created".to_owned())
    );
}

async fn enrollment_by_json(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let id = exam["id"].as_str().expect("id");
    // An ACTIVE user outside the organization, and one already a candidate.
    let ana = app.user("ana@example.org").await;
    let bob = app
        .member(&s.org, "bob@example.org", &[Role::Candidate])
        .await;
    let before = app.outbox().await.len();
    let r = enroll_json(
        &app,
        "uni",
        id,
        &s.manager,
        json!([
            { "email": "ana@example.org" },
            { "email": "BOB@example.org", "extra_time_percent": 25 },
            { "email": "new.person@example.org", "name": "New Person" },
        ]),
    )
    .await;
    r.assert(200);
    assert_eq!(
        r.json(),
        json!({ "enrolled": 3, "already_enrolled": 0, "errors": [] })
    );
    // Notices for the two ACTIVE users, an invitation for the new person.
    let mails = app.outbox().await;
    assert!(mails.len() >= before + 3);
    assert!(
        app.mails_to("ana@example.org")
            .await
            .iter()
            .any(|m| m.subject.contains("Algebra midterm"))
    );
    let bob_mails = app.mails_to("bob@example.org").await;
    assert_eq!(bob_mails.len(), 1, "a candidate already is not re-added");
    assert!(bob_mails[0].body.contains("Algebra midterm"));
    let token = app.mailed_token("new.person@example.org").await;
    assert!(!token.is_empty());

    let r = app
        .get(&enroll_url("uni", id))
        .token(&s.manager.token)
        .send()
        .await;
    r.assert(200);
    let items = r.json()["items"].as_array().expect("items").clone();
    let by_email = |e: &str| {
        items
            .iter()
            .find(|i| i["email"] == e)
            .cloned()
            .unwrap_or_else(|| panic!("{e} not listed: {items:?}"))
    };
    assert_eq!(by_email("ana@example.org")["status"], "ACCEPTED");
    assert_eq!(by_email("ana@example.org")["user_id"], ana.id.to_string());
    assert_eq!(by_email("bob@example.org")["status"], "ACCEPTED");
    assert_eq!(by_email("bob@example.org")["user_id"], bob.id.to_string());
    assert_eq!(
        by_email("bob@example.org")["overrides"]["extra_time_percent"],
        25
    );
    let new = by_email("new.person@example.org");
    assert_eq!(new["status"], "INVITED");
    assert_eq!(new["name"], "New Person");
    assert_eq!(new["attempts_used"], 0);

    // Enrolling again counts, and changes nothing.
    let r = enroll_json(
        &app,
        "uni",
        id,
        &s.manager,
        json!([{ "email": "ana@example.org" }, { "email": "cy@example.org" }]),
    )
    .await;
    r.assert(200);
    assert_eq!(r.json()["enrolled"], 1);
    assert_eq!(r.json()["already_enrolled"], 1);

    // Accepting the invitation turns INVITED enrollments into ACCEPTED.
    let new_id: Uuid = new["user_id"].as_str().expect("id").parse().expect("uuid");
    let changed =
        invigil_store::exams::accept_invited_enrollments(app.db().write(), new_id, app.state.now())
            .await
            .expect("accept");
    assert_eq!(changed, 1);
    let r = app
        .get(&format!("{}?status=INVITED", enroll_url("uni", id)))
        .token(&s.manager.token)
        .send()
        .await;
    let invited: Vec<Value> = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(invited.len(), 1, "only cy is still invited: {invited:?}");
    assert_eq!(invited[0]["email"], "cy@example.org");

    // Bad lines: 1-based indexes, nothing enrolled.
    let r = enroll_json(
        &app,
        "uni",
        id,
        &s.manager,
        json!([
            { "email": "dee@example.org" },
            { "email": "not-an-email" },
            { "email": "eve@example.org", "extra_time_percent": 500 },
        ]),
    )
    .await;
    let v = r.assert_problem(422, "validation_failed");
    let lines: Vec<i64> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["line"].as_i64())
        .collect();
    assert_eq!(lines, [2, 3]);
    assert!(app.mails_to("dee@example.org").await.is_empty());
    let actions = app.audit_actions(&s.org).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "enrollment.created")
            .count(),
        2,
        "{actions:?}"
    );
}

async fn enrollment_by_csv(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let id = exam["id"].as_str().expect("id");
    let csv = "email,name,extra_time_percent\n\
               ana@example.org,Ana,10\n\
               broken,Bob,\n\
               cy@example.org,Cy,999\n\
               dee@example.org,,\n";
    let r = app
        .post(&enroll_url("uni", id))
        .token(&s.manager.token)
        .body("text/csv", csv)
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["line"], 3);
    assert_eq!(v["errors"][1]["line"], 4);
    let r = app
        .get(&enroll_url("uni", id))
        .token(&s.manager.token)
        .send()
        .await;
    assert_eq!(r.json()["items"], json!([]), "atomic: nothing enrolled");

    let r = app
        .post(&format!("{}?partial=true", enroll_url("uni", id)))
        .token(&s.manager.token)
        .body("text/csv; charset=utf-8", csv)
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["enrolled"], 2);
    assert_eq!(v["already_enrolled"], 0);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(2));
    let r = app
        .get(&enroll_url("uni", id))
        .token(&s.manager.token)
        .send()
        .await;
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["overrides"]["extra_time_percent"], 10);
    assert_eq!(items[1]["name"], "dee");

    app.post(&enroll_url("uni", id))
        .token(&s.manager.token)
        .body("application/xml", "<x/>")
        .send()
        .await
        .assert_problem(415, "unsupported_media_type");
    let r = app
        .post(&enroll_url("uni", id))
        .token(&s.manager.token)
        .body("text/csv", "mail,who\nx@y.org,X\n")
        .send()
        .await;
    assert_eq!(
        r.assert_problem(422, "validation_failed")["errors"][0]["line"],
        1
    );

    // No enrollment into a finished exam.
    act_ok(&app, "uni", id, &s.coord, "cancel", "CANCELLED").await;
    app.post(&enroll_url("uni", id))
        .token(&s.manager.token)
        .body("text/csv", "email\nzed@example.org\n")
        .send()
        .await
        .assert_problem(409, "conflict");
}

async fn overrides_are_validated(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let start = Utc::now() + Duration::days(1);
    let mut body = exam_body(bank);
    body["scheduled_start_at"] = json!(start);
    body["scheduled_end_at"] = json!(start + Duration::hours(3));
    let exam = create_exam(&app, "uni", &s.coord, &body).await;
    let id = exam["id"].as_str().expect("id");
    let ana = app.user("ana@example.org").await;
    enroll_json(&app, "uni", id, &s.manager, json!([{ "email": ana.email }]))
        .await
        .assert(200);
    let url = format!("{}/{}", enroll_url("uni", id), ana.id);

    let r = app
        .put(&url)
        .token(&s.coord.token)
        .json(&json!({ "window_end_at": start - Duration::hours(1) }))
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["window_end_at"]
    );
    let r = app
        .put(&url)
        .token(&s.coord.token)
        .json(&json!({ "duration_minutes": 0, "max_attempts": 101, "extra_time_percent": 401 }))
        .send()
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["duration_minutes", "max_attempts", "extra_time_percent"]
    );
    let late_end = start + Duration::hours(5);
    let r = app
        .put(&url)
        .token(&s.coord.token)
        .json(
            &json!({ "window_end_at": late_end, "duration_minutes": 90, "max_attempts": 3,
            "extra_time_percent": 50 }),
        )
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["email"], "ana@example.org");
    assert_eq!(v["overrides"]["duration_minutes"], 90);
    assert_eq!(v["overrides"]["max_attempts"], 3);
    assert_eq!(v["overrides"]["window_start_at"], Value::Null);
    assert!(v["overrides"]["window_end_at"].is_string());

    app.put(&format!("{}/{}", enroll_url("uni", id), Uuid::now_v7()))
        .token(&s.coord.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(404, "not_found");
    // Overrides are the coordinator's, not the enrollment manager's.
    app.put(&url)
        .token(&s.manager.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"enrollment.overrides_changed".to_owned())
    );
}

async fn my_exams_show_attempts_left(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let mut body = exam_body(bank);
    body["max_attempts"] = json!(2);
    let open = create_exam(&app, "uni", &s.coord, &body).await;
    let open_id = open["id"].as_str().expect("id");
    let draft = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let draft_id = draft["id"].as_str().expect("id");
    let ana = app.user("ana@example.org").await;
    for id in [open_id, draft_id] {
        enroll_json(&app, "uni", id, &s.manager, json!([{ "email": ana.email }]))
            .await
            .assert(200);
    }
    act_ok(&app, "uni", open_id, &s.coord, "open", "ACTIVE").await;
    let end = Utc::now() + Duration::days(2);
    app.put(&format!("{}/{}", enroll_url("uni", open_id), ana.id))
        .token(&s.coord.token)
        .json(&json!({ "max_attempts": 3, "window_end_at": end, "duration_minutes": 45 }))
        .send()
        .await
        .assert(200);

    let r = app.get("/api/v1/me/exams").token(&ana.token).send().await;
    r.assert(200);
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1, "DRAFT exams are not shown: {items:?}");
    let mine = &items[0];
    assert_eq!(mine["exam_id"], open_id);
    assert_eq!(mine["org"], "uni");
    assert_eq!(mine["exam_status"], "ACTIVE");
    assert_eq!(mine["status"], "ACCEPTED");
    assert_eq!(mine["max_attempts"], 3);
    assert_eq!(mine["attempts_used"], 0);
    assert_eq!(mine["attempts_left"], 3);
    assert_eq!(mine["duration_minutes"], 45);
    assert_eq!(mine["window_start_at"], Value::Null);
    assert!(mine["window_end_at"].is_string());

    // Someone else sees nothing of it.
    let r = app
        .get("/api/v1/me/exams")
        .token(&s.manager.token)
        .send()
        .await;
    assert_eq!(r.json()["items"], json!([]));
    app.get("/api/v1/me/exams").send().await.assert(401);
}

async fn roles_decide(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    app.post(&exams_url("uni"))
        .token(&s.author.token)
        .json(&exam_body(bank))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // A body that does not parse is still 403 for someone without the right.
    app.post(&exams_url("uni"))
        .token(&s.manager.token)
        .json(&json!({}))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let id = exam["id"].as_str().expect("id");
    enroll_json(
        &app,
        "uni",
        id,
        &s.manager,
        json!([{ "email": "x@example.org" }]),
    )
    .await
    .assert(200);
    act(&app, "uni", id, &s.manager, "open")
        .await
        .assert_problem(403, "forbidden");
    app.patch(&exam_url("uni", id))
        .token(&s.manager.token)
        .json(&json!({ "title": "Mine now" }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let candidate = app
        .member(&s.org, "cand@uni.example", &[Role::Candidate])
        .await;
    app.get(&exams_url("uni"))
        .token(&candidate.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    enroll_json(
        &app,
        "uni",
        id,
        &candidate,
        json!([{ "email": "y@example.org" }]),
    )
    .await
    .assert_problem(403, "forbidden");
    // A department coordinator sees and runs only the exams of their department.
    let physics = app.department(&s.org, "Physics").await;
    let dept_coord = app
        .member_in(
            &s.org,
            "physics@uni.example",
            &[(Role::ExamCoordinator, Some(physics))],
        )
        .await;
    app.get(&exam_url("uni", id))
        .token(&dept_coord.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Fed from a bank they may read: one of their department.
    let qs: Vec<Value> = (0..2).map(|i| question(i, "MEDIUM", &[])).collect();
    let physics_bank = bank_in(&app, &s.org, Some(physics), &s.author, &qs, "APPROVED").await;
    let mut body = exam_body(physics_bank);
    body["department_id"] = json!(physics);
    let mine = create_exam(&app, "uni", &dept_coord, &body).await;
    let r = app
        .get(&exams_url("uni"))
        .token(&dept_coord.token)
        .send()
        .await;
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], mine["id"]);
    app.post(&exams_url("uni"))
        .token(&dept_coord.token)
        .json(&exam_body(bank))
        .send()
        .await
        .assert_problem(403, "forbidden");
}

async fn tenants_are_isolated(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    let id = exam["id"].as_str().expect("id");
    let other = app.org("other").await;
    let stranger = app
        .member(
            &other,
            "coord@other.example",
            &[Role::ExamCoordinator, Role::EnrollmentManager],
        )
        .await;
    // Through their own organization: the exam does not exist there.
    for r in [
        app.get(&exam_url("other", id))
            .token(&stranger.token)
            .send()
            .await,
        act(&app, "other", id, &stranger, "open").await,
        app.get(&enroll_url("other", id))
            .token(&stranger.token)
            .send()
            .await,
        enroll_json(
            &app,
            "other",
            id,
            &stranger,
            json!([{ "email": "a@b.org" }]),
        )
        .await,
        app.patch(&exam_url("other", id))
            .token(&stranger.token)
            .json(&json!({ "title": "x" }))
            .send()
            .await,
    ] {
        r.assert_problem(404, "not_found");
    }
    // Through the exam's organization, where they are no member.
    app.get(&exam_url("uni", id))
        .token(&stranger.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = app
        .get(&exams_url("other"))
        .token(&stranger.token)
        .send()
        .await;
    assert_eq!(r.json()["items"], json!([]));
    // Still DRAFT: nothing happened to it.
    let r = app
        .get(&exam_url("uni", id))
        .token(&s.coord.token)
        .send()
        .await;
    assert_eq!(r.json()["status"], "DRAFT");
}

both!(
    create_with_fixed_bank_and_with_draw_rules,
    banks_must_be_approved_and_of_this_org,
    validation_errors_name_fields,
    lifecycle_and_conflicts,
    open_checks_banks_and_draw,
    exam_types_have_unique_codes,
    enrollment_by_json,
    enrollment_by_csv,
    overrides_are_validated,
    my_exams_show_attempts_left,
    roles_decide,
    tenants_are_isolated,
);
