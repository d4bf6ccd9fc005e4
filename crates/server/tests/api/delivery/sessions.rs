//! Taking an exam: start and resume, autosave revisions, the grace edge,
//! opening and attempts, parallel starts, accommodations and proctor
//! actions under the timing policy.

use super::*;

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
        .post_json(
            &format!("/api/v1/exams/{}/sessions", s.exam_id),
            &s.candidate.token,
            &json!({"device_fingerprint": "tablet-2"}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["session_id"], sid);
    // Someone else cannot see it; a stranger is not enrolled.
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    app.get_as(&format!("/api/v1/sessions/{sid}"), &other.token)
        .await
        .assert_problem(404, "not_found");
    app.post_as(
        &format!("/api/v1/exams/{}/sessions", s.exam_id),
        &other.token,
    )
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
    let view = app.get_json(&format!("/api/v1/sessions/{sid}"), t).await;
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
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await
        .assert_problem(409, "session_closed");
    // The sweeper finishes it with the deadline as finish time.
    assert_eq!(
        invigil_server::delivery::service::sweep(&app.state)
            .await
            .unwrap(),
        1
    );
    let view = app.get_json(&format!("/api/v1/sessions/{sid}"), t).await;
    assert_eq!(view["status"], "AUTO_SUBMITTED");
    assert_eq!(view["finished_at"], view["expires_at"]);
    // The acknowledged answer was graded.
    let srow = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(srow.objective_score, Some(1.0));
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
    app.post_as(&start_path, t)
        .await
        .assert_problem(409, "exam_not_open");
    app.clock.advance(Duration::minutes(10));
    let body = app.post_as(&start_path, t).await;
    body.assert(201);
    let sid = body.json()["session_id"].as_str().unwrap().to_owned();
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await
        .assert(200);
    app.post_as(&start_path, t)
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
    app.post_as(&format!("/api/v1/exams/{draft}/sessions"), t)
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
        .post_as(
            &format!("/api/v1/exams/{}/sessions", s.exam_id),
            &other.token,
        )
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
    let (restarted, router) = app.replica();
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
    let view = app.get_json(&format!("/api/v1/sessions/{sid}"), t).await;
    assert_eq!(view["messages"][0]["text"], "checked by proctor");
    // Candidates cannot act; terminate ends it.
    app.post_json(
        &format!("/api/v1/orgs/acme/sessions/{sid}/actions"),
        t,
        &json!({"type": "PAUSE", "reason": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    act("TERMINATE", None).await.assert(200);
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await
        .assert_problem(409, "session_closed");
}

/// Starts draw from a pool kept per bank revision: a bank revised, edited
/// and approved again serves the edited question to the next start, never
/// the kept one, even when the clock did not move (the test clock stands
/// still); the session started before keeps what it was served.
async fn a_start_after_a_bank_edit_serves_the_edited_question(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let slug = s.org.slug.as_str();
    let first = start(&app, &s).await;
    let prompt = |v: &Value| {
        v["questions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["type"] == "single_choice")
            .map(|q| q["text"].clone())
            .unwrap()
    };
    assert_eq!(prompt(&first), "2+2?");
    assert_eq!(app.state.pools.len(), 1, "the bank's pool is kept");

    let author = app
        .member(&s.org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    let qa = app
        .member(&s.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    let bank = format!("/api/v1/orgs/{slug}/question-banks/{}", s.bank_id);
    let act = |who: &TestUser, action: &str| {
        let url = format!("{bank}/{action}");
        let token = who.token.clone();
        let app = &app;
        async move {
            app.post_as(&url, &token).await.assert(200);
        }
    };
    act(&author, "revise").await;
    let list = app
        .get_as(&format!("{bank}/questions?limit=50"), &author.token)
        .await
        .json();
    let qid = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["text"] == "2+2?")
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .unwrap();
    app.patch_json(
        &format!("{bank}/questions/{qid}"),
        &author.token,
        &json!({"text": "2+3?", "options": ["4", "5", "6"], "correct_answer": {"option": 1}}),
    )
    .await
    .assert(200);
    act(&author, "submit").await;
    act(&qa, "approve").await;

    let second = app
        .member(&s.org, "cand2@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, second.id, None).await;
    let view = app.start_session(s.exam_id, &second.token).await;
    assert_eq!(prompt(&view), "2+3?");
    // The first candidate's session keeps the version it was served.
    let again = app
        .get_as(
            &format!("/api/v1/sessions/{}", first["session_id"].as_str().unwrap()),
            &s.candidate.token,
        )
        .await
        .json();
    assert_eq!(prompt(&again), "2+2?");
}

both!(
    start_resume_and_no_keys,
    autosave_revisions_are_monotonic,
    grace_edge_and_submit,
    exam_not_open_and_attempts,
    parallel_starts_make_one_session,
    accommodations_are_not_capped_by_the_window,
    proctor_actions_follow_the_timing_policy,
    a_start_after_a_bank_edit_serves_the_edited_question,
);
