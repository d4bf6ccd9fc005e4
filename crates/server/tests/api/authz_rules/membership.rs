//! Point 2: delivery checks membership, for the candidate's laptop and the
//! paired phone alike.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use invigil_domain::identity::{MemberStatus, Role};
use invigil_store::delivery;
use invigil_store::proctoring as proctoring_store;
use invigil_store::tenancy;

use super::{question_of, start};
use crate::both;
use crate::common::{TestApp, TestResponse};
use crate::delivery::{ExamOpts, enroll, setup_with};

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
            app.post_as(&format!("/api/v1/exams/{exam}/sessions"), token)
                .await,
        ),
        (
            "read",
            app.get_as(&format!("/api/v1/sessions/{sid}"), token).await,
        ),
        (
            "save",
            app.put_json(
                &format!("/api/v1/sessions/{sid}/answers/{question}"),
                token,
                &json!({ "response": { "value": false }, "revision": 9 }),
            )
            .await,
        ),
        (
            "events",
            app.post_json(
                &format!("/api/v1/sessions/{sid}/events"),
                token,
                &event("late-1", "LAPTOP"),
            )
            .await,
        ),
        (
            "heartbeat",
            app.post_json(
                &format!("/api/v1/sessions/{sid}/heartbeat"),
                token,
                &json!({ "source": "LAPTOP" }),
            )
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
            app.post_as(&format!("/api/v1/sessions/{sid}/pairing"), token)
                .await,
        ),
        (
            "phone events",
            app.post_json(
                &format!("/api/v1/sessions/{sid}/events"),
                phone,
                &event("late-2", "MOBILE"),
            )
            .await,
        ),
        (
            "phone heartbeat",
            app.post_json(
                &format!("/api/v1/sessions/{sid}/heartbeat"),
                phone,
                &json!({ "source": "MOBILE" }),
            )
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
            app.post_as(&format!("/api/v1/sessions/{sid}/submit"), token)
                .await,
        ),
    ]
}

/// A pairing token of `sid`, claimed: the phone's credential.
async fn paired_phone(app: &TestApp, token: &str, sid: &str) -> (String, String) {
    let r = app
        .post_as(&format!("/api/v1/sessions/{sid}/pairing"), token)
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
    (s.status.to_string(), a, events)
}

async fn delivery_needs_an_active_candidate_membership(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, s.exam_id, &s.candidate).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sid_uuid: Uuid = sid.parse().unwrap();
    let q = question_of(&body, "true_false");
    let t = s.candidate.token.clone();
    app.put_json(
        &format!("/api/v1/sessions/{sid}/answers/{q}"),
        &t,
        &json!({ "response": { "value": true }, "revision": 1 }),
    )
    .await
    .assert(200);
    let (_, phone) = paired_phone(&app, &t, &sid).await;
    let before = written(&app, sid_uuid, q.parse().unwrap()).await;
    assert_eq!(before.0, "IN_PROGRESS");
    assert_eq!(before.1, Some(1));

    let now = Utc::now();
    let candidate_role = [(Role::Candidate, None)];
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
                let status = MemberStatus::parse(case).unwrap();
                tenancy::set_member_status(app.db().write(), s.org.id, s.candidate.id, status, now)
                    .await
                    .unwrap();
            }
            "no CANDIDATE role" => {
                tenancy::replace_roles(
                    app.db().write(),
                    s.org.id,
                    s.candidate.id,
                    &[(Role::ReportViewer, None)],
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
        // Changed straight in the database, as another replica would: this
        // process's autosave cache learns it within `hot_cache_ttl_ms`
        // (tests/api/delivery/hot_cache.rs); here it is told at once.
        app.state.hot.forget_all();
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
        tenancy::set_member_status(
            app.db().write(),
            s.org.id,
            s.candidate.id,
            MemberStatus::Active,
            now,
        )
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
        app.get_as(&format!("/api/v1/sessions/{sid}"), &t)
            .await
            .assert(200);
    }

    // A pairing made while allowed cannot be claimed once suspended.
    let r = app
        .post_as(&format!("/api/v1/sessions/{sid}/pairing"), &t)
        .await;
    r.assert(200);
    let pairing = r.json()["pairing_token"].as_str().unwrap().to_owned();
    tenancy::set_member_status(
        app.db().write(),
        s.org.id,
        s.candidate.id,
        MemberStatus::Suspended,
        now,
    )
    .await
    .unwrap();
    app.post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone-2" }))
        .send()
        .await
        .assert_problem(403, "forbidden");
    tenancy::set_member_status(
        app.db().write(),
        s.org.id,
        s.candidate.id,
        MemberStatus::Active,
        now,
    )
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
        .post_as(
            &format!("/api/v1/exams/{}/sessions", s.exam_id),
            &staff.token,
        )
        .await
        .assert_problem(403, "forbidden");
    assert!(v["detail"].as_str().unwrap().contains("CANDIDATE"), "{v}");
    // A candidate of another department does not take an org-wide exam.
    let chem = app.department(&s.org, "Chemistry").await;
    let narrow = app
        .member_in(&s.org, "chem@acme.org", &[(Role::Candidate, Some(chem))])
        .await;
    enroll(&app, &s.org, s.exam_id, narrow.id, None).await;
    app.post_as(
        &format!("/api/v1/exams/{}/sessions", s.exam_id),
        &narrow.token,
    )
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
    app.get_as(&format!("/api/v1/sessions/{sid}"), &stranger.token)
        .await
        .assert_problem(404, "not_found");
}

both!(delivery_needs_an_active_candidate_membership);
