//! After the decision: the candidate's view and appeal, QUALITY_ASSURANCE's
//! reopen, a confirmed violation fails the result.

use super::*;

async fn candidate_sees_integrity_after_release_and_appeals_once(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged(&app, &s, 30).await;
    let integrity = format!("/api/v1/me/sessions/{sid}/integrity");
    let appeal = format!("/api/v1/me/sessions/{sid}/appeal");
    // Before results are released: 409.
    app.get_as(&integrity, &s.candidate.token)
        .await
        .assert_problem(409, "results_not_released");
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(
        &app,
        sid,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "a second person in view",
    )
    .await
    .assert(200);
    release_results(&app, &s).await;
    // Someone else's session: 404, also for staff through /me.
    app.get_as(&integrity, &s.proctor.token)
        .await
        .assert_problem(404, "not_found");
    app.post_json(&appeal, &s.proctor.token, &json!({"text": "not mine"}))
        .await
        .assert_problem(404, "not_found");
    let r = app.get_as(&integrity, &s.candidate.token).await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["integrity_status"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision"]["decision"], "VIOLATION_CONFIRMED");
    assert_eq!(v["decision"]["notes"], "a second person in view");
    assert_eq!(v["can_appeal"], true);
    let flags = v["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["flag_type"], "TAB_SWITCH");
    assert_eq!(flags[0]["severity"], "MEDIUM");
    assert!(
        flags[0]["description"]
            .as_str()
            .unwrap()
            .contains("TAB_SWITCH")
    );
    assert_eq!(flags[0]["resolution"], "VIOLATION_CONFIRMED");
    // Nothing about the reviewer, the events or other people.
    let text = v.to_string();
    assert!(!text.contains(&s.proctor.id.to_string()), "{text}");
    assert!(!text.contains("event_ids"), "{text}");

    // Appeal: text required, then 201 and back to FLAGGED.
    app.post_json(&appeal, &s.candidate.token, &json!({"text": "  "}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post_json(
            &appeal,
            &s.candidate.token,
            &json!({"text": "It was my reflection in the window."}),
        )
        .await;
    r.assert(201);
    let v = r.json();
    assert_eq!(v["integrity_status"], "FLAGGED");
    assert_eq!(v["appeal"]["text"], "It was my reflection in the window.");
    assert_eq!(v["decision"], Value::Null);
    assert_eq!(v["can_appeal"], false);
    // While under review again, appealing is a conflict; the queue shows the appeal.
    app.post_json(&appeal, &s.candidate.token, &json!({"text": "again"}))
        .await
        .assert_problem(409, "conflict");
    let q = app
        .get_json(&format!("{ACME}/review-queue"), &s.proctor.token)
        .await;
    assert_eq!(
        q["items"][0]["appeal_text"],
        "It was my reflection in the window."
    );
    // Results are withheld again until the new decision.
    let results = my_results(&app, &s.candidate).await;
    assert_eq!(results["items"].as_array().unwrap().len(), 0);
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(&app, sid, &s.proctor, "CLEARED", "reflection confirmed")
        .await
        .assert(200);
    // The appeal is used up.
    app.post_json(&appeal, &s.candidate.token, &json!({"text": "once more"}))
        .await
        .assert_problem(409, "appeal_already_used");
    let v = app.get_json(&integrity, &s.candidate.token).await;
    assert_eq!(v["integrity_status"], "CLEARED");
    assert_eq!(v["can_appeal"], false);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.appealed".to_owned())
    );
}

async fn quality_assurance_reads_and_reopens_decisions(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 3,
            ..ExamOpts::default()
        },
    )
    .await;
    let qa = app
        .member(&s.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    let a = flagged(&app, &s, 30).await;
    let b = flagged(&app, &s, 30).await;
    for sid in [a, b] {
        claim(&app, sid, &s.proctor).await.assert(200);
        app.clock.advance(Duration::seconds(5));
        decide(&app, sid, &s.proctor, "CLEARED", "ok")
            .await
            .assert(200);
    }
    // Newest decision first, with a cursor.
    let p1 = app
        .get_as(&format!("{ACME}/decisions?limit=1"), &qa.token)
        .await;
    p1.assert(200);
    let p1 = p1.json();
    assert_eq!(p1["items"][0]["session_id"], b.to_string());
    assert_eq!(p1["items"][0]["decision"], "CLEARED");
    let c = p1["next_cursor"].as_str().unwrap();
    let p2 = app
        .get_json(&format!("{ACME}/decisions?limit=1&cursor={c}"), &qa.token)
        .await;
    assert_eq!(p2["items"][0]["session_id"], a.to_string());
    assert_eq!(p2["next_cursor"], Value::Null);
    // Reviewers do not read all decisions nor reopen them.
    app.get_as(&format!("{ACME}/decisions"), &s.proctor.token)
        .await
        .assert_problem(403, "forbidden");
    let reopen = format!("{ACME}/sessions/{a}/reopen");
    app.post_json(&reopen, &s.proctor.token, &json!({"reason": "second look"}))
        .await
        .assert_problem(403, "forbidden");
    app.post_json(&reopen, &qa.token, &json!({"reason": ""}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .post_json(
            &reopen,
            &qa.token,
            &json!({"reason": "second look at frame 3"}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["integrity_status"], "FLAGGED");
    // Not decided any more: a second reopen is a conflict.
    app.post_json(&reopen, &qa.token, &json!({"reason": "again"}))
        .await
        .assert_problem(409, "conflict");
    // Back in the queue; a reviewer decides again; the candidate's appeal
    // was not used by the reopen.
    claim(&app, a, &s.proctor).await.assert(200);
    decide(
        &app,
        a,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "frame 3 shows notes",
    )
    .await
    .assert(200);
    release_results(&app, &s).await;
    let v = app
        .get_json(
            &format!("/api/v1/me/sessions/{a}/integrity"),
            &s.candidate.token,
        )
        .await;
    assert_eq!(v["can_appeal"], true);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.reopened".to_owned())
    );
}

async fn violation_confirmed_fails_the_result(app: TestApp) {
    // One objective question, so the score is known at submit.
    let org = app.org("acme").await;
    let coordinator = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let proctor = app
        .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    let candidate = app.member(&org, "cand@acme.org", &[Role::Candidate]).await;
    let input: QuestionInput = serde_json::from_value(json!({"type": "true_false", "text": "Sky is blue", "correct_answer": {"value": true}, "points": 1})).unwrap();
    let bank = approved_bank(&app, &org, coordinator.id, &[validate(input).unwrap()]).await;
    let exam = insert_exam(&app, &org, bank, coordinator.id, &ExamOpts::default()).await;
    enroll(&app, &org, exam, candidate.id, None).await;
    let sid = start(&app, exam, &candidate).await;
    let body = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &candidate.token)
        .await;
    let q = body["questions"][0]["id"].as_str().unwrap().to_owned();
    app.put_json(
        &format!("/api/v1/sessions/{sid}/answers/{q}"),
        &candidate.token,
        &json!({"response": {"value": true}, "revision": 1}),
    )
    .await
    .assert(200);
    submit(&app, sid, &candidate).await;
    flag_session(&app, org.id, sid, 50).await;
    app.post_as(
        &format!("{ACME}/exams/{exam}/release-results"),
        &coordinator.token,
    )
    .await
    .assert(200);
    // Withheld while flagged.
    assert_eq!(
        my_results(&app, &candidate).await["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    claim(&app, sid, &proctor).await.assert(200);
    decide(
        &app,
        sid,
        &proctor,
        "VIOLATION_CONFIRMED",
        "notes on the desk",
    )
    .await
    .assert(200);
    let r = my_results(&app, &candidate).await;
    let item = &r["items"][0];
    assert_eq!(item["session_id"], sid.to_string());
    assert_eq!(item["percent"], 100.0);
    assert_eq!(item["integrity"], "VIOLATION_CONFIRMED");
    assert_eq!(item["passed"], false, "{item}");
}

both!(
    candidate_sees_integrity_after_release_and_appeals_once,
    quality_assurance_reads_and_reopens_decisions,
    violation_confirmed_fails_the_result,
);
