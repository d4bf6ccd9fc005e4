//! Authorization rules of issue 9 (points 2 to 5), on both backends:
//! delivery needs an ACTIVE CANDIDATE membership at every step; nobody acts
//! as staff on their own session; exams use only banks their author may
//! read; organization settings and enrollment lists only for their roles.

use chrono::Utc;
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_server::content::service::meta_of;
use invigil_store::content::{self, NewBank};
use invigil_store::delivery;
use invigil_store::proctoring as proctoring_store;
use invigil_store::tenancy::{self, Organization};

use crate::both;
use crate::common::{TestApp, TestResponse, TestUser};
use crate::delivery::{ExamOpts, enroll, setup_with};

const ACME: &str = "/api/v1/orgs/acme";

async fn start(app: &TestApp, exam: Uuid, who: &TestUser) -> Value {
    let r = app
        .post(&format!("/api/v1/exams/{exam}/sessions"))
        .token(&who.token)
        .send()
        .await;
    r.assert(201);
    r.json()
}

fn question_of(session: &Value, qtype: &str) -> String {
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

/// Every candidate step of delivery on `sid` (and a new start of `exam`),
/// with the candidate's token and the paired phone's. Returns each call's
/// name and response.
async fn candidate_steps(
    app: &TestApp,
    exam: Uuid,
    sid: &str,
    question: &str,
    token: &str,
    phone: &str,
) -> Vec<(&'static str, TestResponse)> {
    let now = app.state.now().to_rfc3339();
    let event = |id: &str, source: &str| json!({ "events": [{ "client_event_id": id, "source": source, "type": "TAB_SWITCH", "occurred_at": now }] });
    let jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
    ];
    vec![
        (
            "start",
            app.post(&format!("/api/v1/exams/{exam}/sessions"))
                .token(token)
                .send()
                .await,
        ),
        (
            "read",
            app.get(&format!("/api/v1/sessions/{sid}"))
                .token(token)
                .send()
                .await,
        ),
        (
            "save",
            app.put(&format!("/api/v1/sessions/{sid}/answers/{question}"))
                .token(token)
                .json(&json!({ "response": { "value": false }, "revision": 9 }))
                .send()
                .await,
        ),
        (
            "events",
            app.post(&format!("/api/v1/sessions/{sid}/events"))
                .token(token)
                .json(&event("late-1", "LAPTOP"))
                .send()
                .await,
        ),
        (
            "heartbeat",
            app.post(&format!("/api/v1/sessions/{sid}/heartbeat"))
                .token(token)
                .json(&json!({ "source": "LAPTOP" }))
                .send()
                .await,
        ),
        (
            "frame",
            app.post(&format!("/api/v1/sessions/{sid}/frames"))
                .token(token)
                .body("image/jpeg", jpeg.clone())
                .send()
                .await,
        ),
        (
            "pairing",
            app.post(&format!("/api/v1/sessions/{sid}/pairing"))
                .token(token)
                .send()
                .await,
        ),
        (
            "phone events",
            app.post(&format!("/api/v1/sessions/{sid}/events"))
                .token(phone)
                .json(&event("late-2", "MOBILE"))
                .send()
                .await,
        ),
        (
            "phone heartbeat",
            app.post(&format!("/api/v1/sessions/{sid}/heartbeat"))
                .token(phone)
                .json(&json!({ "source": "MOBILE" }))
                .send()
                .await,
        ),
        (
            "phone frame",
            app.post(&format!("/api/v1/sessions/{sid}/frames"))
                .token(phone)
                .body("image/jpeg", jpeg)
                .send()
                .await,
        ),
        (
            "submit",
            app.post(&format!("/api/v1/sessions/{sid}/submit"))
                .token(token)
                .send()
                .await,
        ),
    ]
}

/// A pairing token of `sid`, claimed: the phone's credential.
async fn paired_phone(app: &TestApp, token: &str, sid: &str) -> (String, String) {
    let r = app
        .post(&format!("/api/v1/sessions/{sid}/pairing"))
        .token(token)
        .send()
        .await;
    r.assert(200);
    let pairing = r.json()["pairing_token"].as_str().unwrap().to_owned();
    let c = app
        .post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone-1" }))
        .send()
        .await;
    c.assert(200);
    (
        pairing,
        c.json()["access_token"].as_str().unwrap().to_owned(),
    )
}

/// What delivery wrote for a session: its status, the stored revision of
/// `question`, the number of its proctoring events.
async fn written(app: &TestApp, sid: Uuid, question: Uuid) -> (String, Option<i64>, usize) {
    let s = delivery::session(app.db().read(), sid)
        .await
        .unwrap()
        .unwrap();
    let a = delivery::answer(app.db().read(), sid, question)
        .await
        .unwrap()
        .map(|a| a.revision);
    let events = proctoring_store::events_of_session(app.db().read(), sid)
        .await
        .unwrap()
        .len();
    (s.status, a, events)
}

async fn delivery_needs_an_active_candidate_membership(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, s.exam_id, &s.candidate).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sid_uuid: Uuid = sid.parse().unwrap();
    let q = question_of(&body, "true_false");
    let t = s.candidate.token.clone();
    app.put(&format!("/api/v1/sessions/{sid}/answers/{q}"))
        .token(&t)
        .json(&json!({ "response": { "value": true }, "revision": 1 }))
        .send()
        .await
        .assert(200);
    let (_, phone) = paired_phone(&app, &t, &sid).await;
    let before = written(&app, sid_uuid, q.parse().unwrap()).await;
    assert_eq!(before.0, "IN_PROGRESS");
    assert_eq!(before.1, Some(1));

    let now = Utc::now();
    let candidate_role = [(Role::Candidate.as_str().to_owned(), None)];
    // (how the standing changes, a word the refusal's detail must carry)
    let cases: [(&str, &str); 4] = [
        ("SUSPENDED", "suspended"),
        ("DEACTIVATED", "deactivated"),
        ("no CANDIDATE role", "CANDIDATE"),
        ("removed", "not a member"),
    ];
    for (case, why) in cases {
        match case {
            "SUSPENDED" | "DEACTIVATED" => {
                tenancy::set_member_status(app.db().write(), s.org.id, s.candidate.id, case, now)
                    .await
                    .unwrap();
            }
            "no CANDIDATE role" => {
                tenancy::replace_roles(
                    app.db().write(),
                    s.org.id,
                    s.candidate.id,
                    &[(Role::ReportViewer.as_str().to_owned(), None)],
                    now,
                )
                .await
                .unwrap();
            }
            _ => {
                tenancy::remove_member(app.db().write(), s.org.id, s.candidate.id)
                    .await
                    .unwrap();
            }
        }
        for (step, r) in candidate_steps(&app, s.exam_id, &sid, &q, &t, &phone).await {
            assert_eq!(
                r.status.as_u16(),
                403,
                "{case}: {step} answered {}: {}",
                r.status,
                r.text()
            );
            let v = r.assert_problem(403, "forbidden");
            assert!(
                v["detail"].as_str().unwrap().contains(why),
                "{case}: {step}: {v}"
            );
        }
        assert_eq!(
            written(&app, sid_uuid, q.parse().unwrap()).await,
            before,
            "{case}: something was written"
        );
        // Back to an ACTIVE CANDIDATE member: everything works again.
        tenancy::ensure_member(app.db().write(), s.org.id, s.candidate.id, now)
            .await
            .unwrap();
        tenancy::set_member_status(app.db().write(), s.org.id, s.candidate.id, "ACTIVE", now)
            .await
            .unwrap();
        tenancy::replace_roles(
            app.db().write(),
            s.org.id,
            s.candidate.id,
            &candidate_role,
            now,
        )
        .await
        .unwrap();
        app.get(&format!("/api/v1/sessions/{sid}"))
            .token(&t)
            .send()
            .await
            .assert(200);
    }

    // A pairing made while allowed cannot be claimed once suspended.
    let r = app
        .post(&format!("/api/v1/sessions/{sid}/pairing"))
        .token(&t)
        .send()
        .await;
    r.assert(200);
    let pairing = r.json()["pairing_token"].as_str().unwrap().to_owned();
    tenancy::set_member_status(app.db().write(), s.org.id, s.candidate.id, "SUSPENDED", now)
        .await
        .unwrap();
    app.post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone-2" }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    tenancy::set_member_status(app.db().write(), s.org.id, s.candidate.id, "ACTIVE", now)
        .await
        .unwrap();
    app.post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone-2" }))
        .send()
        .await
        .assert(200);

    // Enrolled, but a member without CANDIDATE never starts (staff included).
    let staff = app
        .member(
            &s.org,
            "staff@acme.org",
            &[Role::OrgAdmin, Role::ExamCoordinator],
        )
        .await;
    enroll(&app, &s.org, s.exam_id, staff.id, None).await;
    let v = app
        .post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&staff.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    assert!(v["detail"].as_str().unwrap().contains("CANDIDATE"), "{v}");
    // A candidate of another department does not take an org-wide exam.
    let chem = app.department(&s.org, "Chemistry").await;
    let narrow = app
        .member_in(&s.org, "chem@acme.org", &[(Role::Candidate, Some(chem))])
        .await;
    enroll(&app, &s.org, s.exam_id, narrow.id, None).await;
    app.post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .token(&narrow.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let sessions = delivery::sessions_of_exam(app.db().read(), s.org.id, s.exam_id)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1, "no session was opened for them");

    // Another person's session is still 404, never 403.
    let stranger = app
        .member(&s.org, "stranger@acme.org", &[Role::Candidate])
        .await;
    app.get(&format!("/api/v1/sessions/{sid}"))
        .token(&stranger.token)
        .send()
        .await
        .assert_problem(404, "not_found");
}

/// A member holding every staff role of a session, and CANDIDATE.
const ALL_STAFF: [Role; 6] = [
    Role::ExamCoordinator,
    Role::ExamAuthor,
    Role::EnrollmentManager,
    Role::ProctorReviewer,
    Role::QualityAssurance,
    Role::Candidate,
];

/// The `/orgs/{org}/...` routes of the OpenAPI document that name a session.
fn staff_session_routes() -> Vec<(String, String)> {
    let doc = serde_json::to_value(invigil_server::http::openapi()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/orgs/{org}/") || !path.contains("{session}") {
            continue;
        }
        for m in ["get", "post", "put", "patch", "delete"] {
            if item.get(m).is_some() {
                out.push((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

async fn nobody_acts_as_staff_on_their_own_session(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let me = app.member(&s.org, "dual@acme.org", &ALL_STAFF).await;
    enroll(&app, &s.org, s.exam_id, me.id, None).await;
    let body = start(&app, s.exam_id, &me).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let essay = question_of(&body, "essay");
    let single = question_of(&body, "single_choice");
    app.put(&format!("/api/v1/sessions/{sid}/answers/{essay}"))
        .token(&me.token)
        .json(&json!({ "response": { "text": "my essay" }, "revision": 1 }))
        .send()
        .await
        .assert(200);
    let audit_before = app.audit_actions(&s.org).await.len();

    // Proctor actions on one's own running session.
    for (typ, minutes) in [
        ("WARN", None),
        ("PAUSE", None),
        ("EXTEND_TIME", Some(30)),
        ("TERMINATE", None),
    ] {
        let v = app
            .post(&format!("{ACME}/sessions/{sid}/actions"))
            .token(&me.token)
            .json(&json!({ "type": typ, "reason": "myself", "minutes": minutes }))
            .send()
            .await
            .assert_problem(403, "forbidden");
        assert!(v["detail"].as_str().unwrap().contains("own"), "{v}");
    }
    let sid_uuid: Uuid = sid.parse().unwrap();
    assert!(
        delivery::admin_actions(app.db().read(), sid_uuid)
            .await
            .unwrap()
            .is_empty()
    );
    // Overrides for oneself, and enrolling oneself (into another exam too).
    let enrollment_url = format!("{ACME}/exams/{}/enrollments", s.exam_id);
    app.put(&format!("{enrollment_url}/{}", me.id))
        .token(&me.token)
        .json(&json!({ "extra_time_percent": 400, "max_attempts": 9 }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    let second = crate::delivery::insert_exam(
        &app,
        &s.org,
        s.bank_id,
        s.coordinator.id,
        &ExamOpts::default(),
    )
    .await;
    let r = app
        .post(&format!("{ACME}/exams/{second}/enrollments?partial=true"))
        .token(&me.token)
        .json(&json!({ "candidates": [{ "email": "someone@acme.org" }, { "email": me.email }] }))
        .send()
        .await;
    r.assert_problem(403, "forbidden");
    assert!(
        invigil_store::exams::enrollment_in(app.db().read(), s.org.id, second, me.id)
            .await
            .unwrap()
            .is_none()
    );
    let en = invigil_store::exams::enrollment_in(app.db().read(), s.org.id, s.exam_id, me.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(en.override_extra_time_percent, None);
    assert_eq!(en.override_max_attempts, None);

    // Submitted: the essay waits for a human grade.
    app.post(&format!("/api/v1/sessions/{sid}/submit"))
        .token(&me.token)
        .send()
        .await
        .assert(200);
    app.put(&format!("{ACME}/sessions/{sid}/answers/{essay}/grade"))
        .token(&me.token)
        .json(&json!({ "points": 5 }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Not in their grading queue; in another coordinator's.
    let q = app
        .get(&format!("{ACME}/grading-queue"))
        .token(&me.token)
        .send()
        .await;
    q.assert(200);
    assert_eq!(q.json()["items"], json!([]));
    let q = app
        .get(&format!("{ACME}/grading-queue"))
        .token(&s.coordinator.token)
        .send()
        .await;
    assert_eq!(q.json()["items"][0]["session_id"], sid);
    // A regrade would re-score their own session too.
    app.post(&format!("{ACME}/exams/{}/regrade", s.exam_id))
        .token(&me.token)
        .json(&json!({ "question_id": single }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Every staff route naming a session refuses one's own, whatever else
    // the request holds (claim, release, review, reopen, timeline, frames,
    // actions, grade...).
    crate::review::flag_session(&app, s.org.id, sid_uuid, 40).await;
    let routes = staff_session_routes();
    assert!(routes.len() >= 8, "{routes:?}");
    for (method, path) in &routes {
        let url = path
            .replace("{org}", "acme")
            .replace("{session}", &sid)
            .replace("{question_id}", &essay)
            .replace("{frame_id}", &Uuid::now_v7().to_string());
        let m = axum::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = app.req(m.clone(), &url).token(&me.token);
        if m != axum::http::Method::GET {
            req = req.json(&json!({}));
        }
        let r = req.send().await;
        assert_eq!(r.status.as_u16(), 403, "{method} {path}: {}", r.text());
        r.assert_problem(403, "forbidden");
    }
    // Nothing above was written (refusals are not audited): only the
    // candidate's own submit is in the log.
    let actions = app.audit_actions(&s.org).await;
    assert_eq!(actions.len(), audit_before + 1, "{actions:?}");
    assert_eq!(
        actions.last().map(String::as_str),
        Some("session.submitted")
    );
    let answer = delivery::answer(app.db().read(), sid_uuid, essay.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.graded_by, None);

    // Someone else does all of it, audited.
    app.put(&format!("{ACME}/sessions/{sid}/answers/{essay}/grade"))
        .token(&s.coordinator.token)
        .json(&json!({ "points": 4 }))
        .send()
        .await
        .assert(200);
    app.put(&format!("{enrollment_url}/{}", me.id))
        .token(&s.coordinator.token)
        .json(&json!({ "max_attempts": 3 }))
        .send()
        .await
        .assert(200);
    app.post(&format!("{ACME}/sessions/{sid}/claim"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert(200);
    let actions = app.audit_actions(&s.org).await;
    for a in ["answer.graded", "enrollment.overrides_changed"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // Proctor actions by someone else on a running session of theirs.
    let other = app.member(&s.org, "c2@acme.org", &[Role::Candidate]).await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    let theirs = start(&app, s.exam_id, &other).await;
    let theirs = theirs["session_id"].as_str().unwrap();
    app.post(&format!("{ACME}/sessions/{theirs}/actions"))
        .token(&me.token)
        .json(&json!({ "type": "WARN", "reason": "eyes on your screen" }))
        .send()
        .await
        .assert(200);
    assert!(
        app.audit_actions(&s.org)
            .await
            .iter()
            .any(|a| a == "session.warn")
    );
}

/// An APPROVED bank of two questions in `department` (`None`: org-wide).
async fn bank_in(
    app: &TestApp,
    org: &Organization,
    department: Option<Uuid>,
    author: Uuid,
) -> Uuid {
    let now = app.state.now();
    let bank = content::create_bank(
        app.db().write(),
        org.id,
        NewBank {
            title: "Secret bank".into(),
            description: None,
            tags: Vec::new(),
            department_id: department,
            author_id: author,
        },
        "DRAFT",
        now,
    )
    .await
    .unwrap();
    let metas: Vec<_> = (0..2)
        .map(|i| {
            let input = serde_json::from_value(json!({
                "type": "single_choice", "text": format!("Q{i}?"), "options": ["a", "b"],
                "correct_answer": { "option": 0 }, "points": 1, "difficulty": "MEDIUM",
            }))
            .unwrap();
            meta_of(&invigil_domain::content::validate(input).unwrap())
        })
        .collect();
    content::insert_questions(app.db().write(), org.id, bank.id, &metas, author, now)
        .await
        .unwrap();
    for (from, to) in [("DRAFT", "IN_REVIEW"), ("IN_REVIEW", "APPROVED")] {
        content::transition_bank(app.db().write(), org.id, bank.id, from, to, None, None, now)
            .await
            .unwrap();
    }
    bank.id
}

fn exam_body(bank: Uuid, department: Uuid) -> Value {
    json!({
        "title": "Physics final",
        "question_bank_id": bank,
        "department_id": department,
        "duration_minutes": 60,
        "passing_score": 50,
        "max_attempts": 1,
        "randomize_questions": false,
        "randomize_options": false,
        "enable_proctoring": false,
        "proctoring_sensitivity": "LOW",
    })
}

fn field_messages(v: &Value) -> Vec<(String, String)> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn exams_use_only_banks_their_author_may_read(app: TestApp) {
    let org = app.org("acme").await;
    let physics = app.department(&org, "Physics").await;
    let chemistry = app.department(&org, "Chemistry").await;
    let author = app
        .member(&org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    let coord = app
        .member_in(
            &org,
            "phys@acme.org",
            &[(Role::ExamCoordinator, Some(physics))],
        )
        .await;
    let chem_bank = bank_in(&app, &org, Some(chemistry), author.id).await;
    let org_bank = bank_in(&app, &org, None, author.id).await;
    let phys_bank = bank_in(&app, &org, Some(physics), author.id).await;
    let exams = format!("{ACME}/exams");

    // Another department's bank reads exactly like a bank that does not
    // exist (422 on the field, nothing about it), fixed or drawn.
    let missing = app
        .post(&exams)
        .token(&coord.token)
        .json(&exam_body(Uuid::now_v7(), physics))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    for bank in [chem_bank, org_bank] {
        let r = app
            .post(&exams)
            .token(&coord.token)
            .json(&exam_body(bank, physics))
            .send()
            .await;
        let v = r.assert_problem(422, "validation_failed");
        assert_eq!(field_messages(&v), field_messages(&missing));
        assert!(!r.text().contains("Secret bank"));
        let mut drawn = exam_body(bank, physics);
        drawn["question_bank_id"] = Value::Null;
        drawn["draw"] = json!([{ "bank_id": bank, "count": 1 }]);
        let v = app
            .post(&exams)
            .token(&coord.token)
            .json(&drawn)
            .send()
            .await
            .assert_problem(422, "validation_failed");
        assert_eq!(field_messages(&v)[0].0, "draw[0].bank_id");
    }
    let listed = invigil_store::exams::list_exams(
        app.db().read(),
        org.id,
        &invigil_store::content::DeptScope::All,
        None,
        None,
        100,
    )
    .await
    .unwrap();
    assert!(listed.is_empty(), "no exam was created");

    // Their own department's bank is fine; switching it (fixed or drawn) to
    // another department's is refused at update, and changes nothing.
    let r = app
        .post(&exams)
        .token(&coord.token)
        .json(&exam_body(phys_bank, physics))
        .send()
        .await;
    r.assert(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for patch in [
        json!({ "question_bank_id": chem_bank }),
        json!({ "draw": [{ "bank_id": phys_bank, "count": 1 }, { "bank_id": chem_bank, "count": 1 }] }),
    ] {
        app.patch(&format!("{exams}/{id}"))
            .token(&coord.token)
            .json(&patch)
            .send()
            .await
            .assert_problem(422, "validation_failed");
    }
    let r = app
        .get(&format!("{exams}/{id}"))
        .token(&coord.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["question_bank_id"], phys_bank.to_string());
    assert_eq!(r.json()["draw"], Value::Null);
    app.patch(&format!("{exams}/{id}"))
        .token(&coord.token)
        .json(&json!({ "draw": [{ "bank_id": phys_bank, "count": 2 }] }))
        .send()
        .await
        .assert(200);

    // An org-wide coordinator reads every bank, so may use them all.
    let boss = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    app.post(&exams)
        .token(&boss.token)
        .json(&exam_body(chem_bank, chemistry))
        .send()
        .await
        .assert(201);
}

async fn org_settings_and_enrollments_are_for_their_roles(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let root = app.super_admin("root@platform.example").await;
    let physics = app.department(&s.org, "Physics").await;
    let dept_admin = app
        .member_in(
            &s.org,
            "padmin@acme.org",
            &[(Role::OrgAdmin, Some(physics))],
        )
        .await;
    let manager = app
        .member(&s.org, "manager@acme.org", &[Role::EnrollmentManager])
        .await;
    let dept_manager = app
        .member_in(
            &s.org,
            "pmanager@acme.org",
            &[(Role::EnrollmentManager, Some(physics))],
        )
        .await;
    let secret_rules = json!({ "proctoring": { "tab_switch": { "limit": 7 } } });
    app.patch(ACME)
        .token(&admin.token)
        .json(&json!({ "settings": secret_rules }))
        .send()
        .await
        .assert(200);

    for who in [&admin, &root] {
        let r = app.get(ACME).token(&who.token).send().await;
        r.assert(200);
        assert_eq!(r.json()["settings"], secret_rules);
    }
    for who in [
        &s.candidate,
        &s.coordinator,
        &s.proctor,
        &dept_admin,
        &manager,
    ] {
        let r = app.get(ACME).token(&who.token).send().await;
        r.assert(200);
        let v = r.json();
        let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["id", "name", "slug"], "{}: {v}", who.email);
        assert_eq!(v["slug"], "acme");
        assert!(!r.text().contains("tab_switch"));
    }

    // The enrollment list (extra time, accommodations) only for enrollment roles.
    enroll(&app, &s.org, s.exam_id, admin.id, Some(50)).await;
    let url = format!("{ACME}/exams/{}/enrollments", s.exam_id);
    for who in [&manager, &admin, &root] {
        let r = app.get(&url).token(&who.token).send().await;
        r.assert(200);
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
    }
    for who in [&s.coordinator, &s.proctor, &s.candidate, &dept_manager] {
        app.get(&url)
            .token(&who.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
}

both!(
    delivery_needs_an_active_candidate_membership,
    nobody_acts_as_staff_on_their_own_session,
    exams_use_only_banks_their_author_may_read,
    org_settings_and_enrollments_are_for_their_roles,
);
