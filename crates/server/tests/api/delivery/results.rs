//! Submission and results: grading, idempotent submit, regrade after a key
//! correction, withheld flagged results, submit racing the auto-submit.

use super::*;

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
        .post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "SUBMITTED");
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
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
    let queue = app.get_as("/api/v1/orgs/acme/grading-queue", c).await;
    queue.assert(200);
    let items = queue.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let essay = items[0]["question_id"].as_str().unwrap().to_owned();
    app.put_json(
        &format!("/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"),
        c,
        &json!({"points": 9}),
    )
    .await
    .assert_problem(422, "validation_failed");
    let g = app
        .put_json(
            &format!("/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"),
            c,
            &json!({"points": 2, "comment": "thin"}),
        )
        .await;
    g.assert(200);
    let g = g.json();
    assert_eq!(g["final_score"], 6.0);
    assert_eq!(g["passed"], true);
    assert_eq!(
        app.get_json("/api/v1/orgs/acme/grading-queue", c).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // A candidate may not grade.
    app.put_json(
        &format!("/api/v1/orgs/acme/sessions/{sid}/answers/{essay}/grade"),
        t,
        &json!({"points": 5}),
    )
    .await
    .assert_problem(403, "forbidden");

    // Results appear after release, with the best attempt.
    assert_eq!(
        app.get_json("/api/v1/me/results", t).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    app.post_as(
        &format!("/api/v1/orgs/acme/exams/{}/release-results", s.exam_id),
        c,
    )
    .await
    .assert(200);
    let results = app.get_json("/api/v1/me/results", t).await;
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

async fn regrade_after_key_correction(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let t = &s.candidate.token;
    let sa = qid(&body, "short_answer");
    save(&app, t, &sid, &sa, json!({"text": "Paname"}), 1)
        .await
        .assert(200);
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
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
        .post_json(
            &format!("/api/v1/orgs/acme/exams/{}/regrade", s.exam_id),
            &s.coordinator.token,
            &json!({"question_id": sa}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["sessions_regraded"], 1);
    let after = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.objective_score, Some(1.0));
    let audit = app
        .get_json(
            "/api/v1/orgs/acme/audit-log?action=exam.regraded",
            &app.member(&s.org, "oa@acme.org", &[Role::OrgAdmin])
                .await
                .token,
        )
        .await;
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
    let row = invigil_store::delivery::session(app.db().read(), sid)
        .await
        .unwrap()
        .unwrap();
    // The integrity columns have one writer: the review store.
    let set = |from: invigil_domain::review::IntegrityStatus,
               to: invigil_domain::review::IntegrityStatus| {
        invigil_store::review::set_score(
            app.db().write(),
            sid,
            row.violation_score,
            from,
            to,
            row.updated_at,
        )
    };
    assert!(
        set(
            invigil_domain::review::IntegrityStatus::Clean,
            invigil_domain::review::IntegrityStatus::Flagged
        )
        .await
        .unwrap()
    );
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
    assert!(
        set(
            invigil_domain::review::IntegrityStatus::Flagged,
            invigil_domain::review::IntegrityStatus::ViolationConfirmed
        )
        .await
        .unwrap()
    );
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
            assert_eq!(row.status.name(), "SUBMITTED");
            assert_eq!(swept, 0);
        } else {
            r.assert_problem(409, "session_closed");
            assert_eq!(row.status.name(), "AUTO_SUBMITTED");
            assert_eq!(swept, 1);
        }
        // Before deadline + grace the submit wins; from it on, the sweeper.
        assert_eq!(r.status == 200, offset_ms < 0, "offset {offset_ms} ms");
        app.clock
            .advance(-(Duration::minutes(10) + grace + Duration::milliseconds(offset_ms)));
    }
}

both!(
    submit_grades_and_is_idempotent,
    regrade_after_key_correction,
    flagged_results_are_withheld,
    parallel_submit_and_auto_submit_give_one_result,
);
