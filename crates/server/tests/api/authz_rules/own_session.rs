//! Point 3: nobody acts as staff on their own session, on every staff route
//! that names a session, and for overrides and enrollment of oneself.

use serde_json::json;
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_store::delivery;

use super::{ACME, question_of, start};
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, enroll, setup_with};

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
    app.put_json(
        &format!("/api/v1/sessions/{sid}/answers/{essay}"),
        &me.token,
        &json!({ "response": { "text": "my essay" }, "revision": 1 }),
    )
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
            .post_json(
                &format!("{ACME}/sessions/{sid}/actions"),
                &me.token,
                &json!({ "type": typ, "reason": "myself", "minutes": minutes }),
            )
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
    app.put_json(
        &format!("{enrollment_url}/{}", me.id),
        &me.token,
        &json!({ "extra_time_percent": 400, "max_attempts": 9 }),
    )
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
        .post_json(
            &format!("{ACME}/exams/{second}/enrollments?partial=true"),
            &me.token,
            &json!({ "candidates": [{ "email": "someone@acme.org" }, { "email": me.email }] }),
        )
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
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), &me.token)
        .await
        .assert(200);
    app.put_json(
        &format!("{ACME}/sessions/{sid}/answers/{essay}/grade"),
        &me.token,
        &json!({ "points": 5 }),
    )
    .await
    .assert_problem(403, "forbidden");
    // Not in their grading queue; in another coordinator's.
    let q = app
        .get_as(&format!("{ACME}/grading-queue"), &me.token)
        .await;
    q.assert(200);
    assert_eq!(q.json()["items"], json!([]));
    let q = app
        .get_as(&format!("{ACME}/grading-queue"), &s.coordinator.token)
        .await;
    assert_eq!(q.json()["items"][0]["session_id"], sid);
    // A regrade would re-score their own session too.
    app.post_json(
        &format!("{ACME}/exams/{}/regrade", s.exam_id),
        &me.token,
        &json!({ "question_id": single }),
    )
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
            .replace("{exam}", &s.exam_id.to_string())
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
    app.put_json(
        &format!("{ACME}/sessions/{sid}/answers/{essay}/grade"),
        &s.coordinator.token,
        &json!({ "points": 4 }),
    )
    .await
    .assert(200);
    app.put_json(
        &format!("{enrollment_url}/{}", me.id),
        &s.coordinator.token,
        &json!({ "max_attempts": 3 }),
    )
    .await
    .assert(200);
    app.post_as(&format!("{ACME}/sessions/{sid}/claim"), &s.proctor.token)
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
    app.post_json(
        &format!("{ACME}/sessions/{theirs}/actions"),
        &me.token,
        &json!({ "type": "WARN", "reason": "eyes on your screen" }),
    )
    .await
    .assert(200);
    assert!(
        app.audit_actions(&s.org)
            .await
            .iter()
            .any(|a| a == "session.warn")
    );
}

both!(nobody_acts_as_staff_on_their_own_session);

/// A candidate profile carries accommodations (extra time): an enrollment
/// manager cannot import their own, and nothing of the file is written.
async fn nobody_imports_their_own_candidate_profile(app: TestApp) {
    let org = app.org("selfimp").await;
    let em = app
        .member(
            &org,
            "em@selfimp.example",
            &[Role::EnrollmentManager, Role::Candidate],
        )
        .await;
    let url = "/api/v1/orgs/selfimp/candidates/import";
    let header = "email,name,student_number,class_year,has_accommodations,extra_time_percent\n";
    let csv = format!("{header}ana@selfimp.example,Ana,,,,\nEM@selfimp.example,Me,,,true,100\n");
    for partial in ["", "?partial=true"] {
        app.post(&format!("{url}{partial}"))
            .token(&em.token)
            .body("text/csv", csv.clone())
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    // Nothing was written: Ana is unknown, and no audit entry was added.
    assert!(
        !app.audit_actions(&org)
            .await
            .iter()
            .any(|a| a == "candidates.imported")
    );
    // Someone else's profile still imports.
    let csv = format!("{header}ana@selfimp.example,Ana,,,true,25\n");
    app.post(url)
        .token(&em.token)
        .body("text/csv", csv)
        .send()
        .await
        .assert(200);
}

both!(nobody_imports_their_own_candidate_profile);
