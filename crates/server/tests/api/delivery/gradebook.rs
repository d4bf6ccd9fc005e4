//! The staff's gradebook (`GET /orgs/{org}/exams/{exam}/results`, `.csv`,
//! `.../results/{session}`): rows per session with scores, grading progress,
//! time and integrity; who may read it; cursor pages; CSV formula safety.

use super::*;

/// Starts `s`'s candidate's session, answers the single choice right (2
/// points) and the essay, and submits. Returns the session id.
pub async fn sit(app: &TestApp, s: &Setup) -> String {
    let body = start(app, s).await;
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
        app,
        t,
        &sid,
        sc["id"].as_str().unwrap(),
        json!({"option": four}),
        1,
    )
    .await
    .assert(200);
    save(
        app,
        t,
        &sid,
        &qid(&body, "essay"),
        json!({"text": "Because."}),
        1,
    )
    .await
    .assert(200);
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await
        .assert(200);
    sid
}

async fn the_gradebook_lists_every_session_for_those_who_read_reports(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = sit(&app, &s).await;
    let base = format!("/api/v1/orgs/acme/exams/{}/results", s.exam_id);

    let page = app.get_json(&base, &s.coordinator.token).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let row = &items[0];
    assert_eq!(row["session_id"], sid.as_str());
    assert_eq!(row["candidate"]["email"], "cand@acme.org");
    assert_eq!(row["candidate"]["id"], s.candidate.id.to_string());
    assert_eq!(row["attempt"], 1);
    assert_eq!(row["status"], "SUBMITTED");
    assert_eq!(row["objective_score"], 2.0);
    assert_eq!(row["final_score"], 2.0);
    assert_eq!(row["max_score"], 10.0);
    assert_eq!(row["percent"], 20.0);
    assert_eq!(row["passed"], Value::Null, "an essay waits for a grade");
    assert_eq!(row["grading_status"], "PENDING_MANUAL");
    assert_eq!(row["pending_manual"], 1);
    assert_eq!(row["integrity"], "CLEAN");
    assert_eq!(row["open_flags"], 0);
    assert_eq!(row["released"], false);
    assert!(row["time_used_seconds"].as_u64().is_some(), "{row}");
    assert!(row["submitted_at"].is_string(), "{row}");
    assert_eq!(page["next_cursor"], Value::Null);

    // Every role the policy names reads it; others get 403.
    for role in [Role::ReportViewer, Role::QualityAssurance, Role::OrgAdmin] {
        let u = app
            .member(
                &s.org,
                &format!("{}@acme.org", role.as_str().to_lowercase()),
                &[role],
            )
            .await;
        app.get(&base).token(&u.token).send().await.assert(200);
    }
    app.get(&base)
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&base)
        .token(&s.candidate.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let author = app
        .member(&s.org, "author@acme.org", &[Role::ExamAuthor])
        .await;
    app.get(&base)
        .token(&author.token)
        .send()
        .await
        .assert_problem(403, "forbidden");

    // Another organization's admin: 404, as is an unknown exam.
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "boss@other.org", &[Role::OrgAdmin])
        .await;
    app.get(&base)
        .token(&stranger.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/orgs/other/exams/{}/results", s.exam_id))
        .token(&stranger.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!(
        "/api/v1/orgs/acme/exams/{}/results",
        Uuid::now_v7()
    ))
    .token(&s.coordinator.token)
    .send()
    .await
    .assert_problem(404, "not_found");

    // Bad cursors and limits are 4xx, never 5xx.
    app.get(&format!("{base}?cursor=nope"))
        .token(&s.coordinator.token)
        .send()
        .await
        .assert(400);
    app.get(&format!("{base}?limit=0"))
        .token(&s.coordinator.token)
        .send()
        .await
        .assert(422);

    // One session's answers: points, key and response per question.
    let one = app
        .get_json(&format!("{base}/{sid}"), &s.coordinator.token)
        .await;
    assert_eq!(one["candidate"]["email"], "cand@acme.org");
    let answers = one["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 5, "{one}");
    let sc = answers
        .iter()
        .find(|a| a["question_type"] == "single_choice")
        .unwrap();
    assert_eq!(sc["response_text"], "B. 4");
    assert_eq!(sc["correct_text"], "B. 4");
    assert_eq!(sc["points_awarded"], 2.0);
    assert_eq!(sc["max_points"], 2.0);
    assert_eq!(sc["outcome"], "CORRECT");
    let essay = answers
        .iter()
        .find(|a| a["question_type"] == "essay")
        .unwrap();
    assert_eq!(essay["response_text"], "Because.");
    assert_eq!(essay["correct_answer"], Value::Null);
    assert_eq!(essay["points_awarded"], Value::Null);
    let short = answers
        .iter()
        .find(|a| a["question_type"] == "short_answer")
        .unwrap();
    assert_eq!(short["response"], Value::Null, "not answered");
    assert_eq!(short["correct_text"], "Paris");
    assert_eq!(short["points_awarded"], 0.0);
    // A session is found only under its own exam.
    let bank = s.bank_id;
    let other_exam = insert_exam(&app, &s.org, bank, s.coordinator.id, &ExamOpts::default()).await;
    app.get(&format!(
        "/api/v1/orgs/acme/exams/{other_exam}/results/{sid}"
    ))
    .token(&s.coordinator.token)
    .send()
    .await
    .assert_problem(404, "not_found");
    app.get(&format!("{base}/{sid}"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
}

async fn the_gradebook_pages_by_cursor_and_exports_safe_csv(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    sit(&app, &s).await;
    // A second candidate whose name a spreadsheet would run as a formula.
    let evil = app
        .member(&s.org, "evil@acme.org", &[Role::Candidate])
        .await;
    invigil_store::identity::users::set_name(
        app.db().write(),
        evil.id,
        "=HYPERLINK(\"http://x\")",
        app.state.now(),
    )
    .await
    .unwrap();
    enroll(&app, &s.org, s.exam_id, evil.id, None).await;
    app.start_session(s.exam_id, &evil.token).await;

    let base = format!("/api/v1/orgs/acme/exams/{}/results", s.exam_id);
    let first = app
        .get_json(&format!("{base}?limit=1"), &s.coordinator.token)
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get_json(
            &format!("{base}?limit=1&cursor={cursor}"),
            &s.coordinator.token,
        )
        .await;
    let rows = second["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "IN_PROGRESS");
    assert_eq!(rows[0]["grading_status"], "NOT_SUBMITTED");
    assert_eq!(rows[0]["final_score"], Value::Null);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_ne!(first["items"][0]["session_id"], rows[0]["session_id"]);

    let r = app
        .get(&format!("{base}.csv"))
        .token(&s.coordinator.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        r.header("content-disposition")
            .is_some_and(|d| d.contains("attachment") && d.contains(".csv")),
        "{:?}",
        r.header("content-disposition")
    );
    let csv = r.text();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[0]
            .starts_with("session_id,candidate_id,candidate_name,candidate_email,attempt,status"),
        "{csv}"
    );
    assert!(csv.contains("cand@acme.org"), "{csv}");
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    for cell in csv.split([',', '\n']) {
        let c = cell.trim_start_matches('"');
        assert!(
            !c.starts_with(['=', '+', '@']),
            "cell {cell:?} starts a formula:\n{csv}"
        );
    }
    app.get(&format!("{base}.csv"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
}

both!(
    the_gradebook_lists_every_session_for_those_who_read_reports,
    the_gradebook_pages_by_cursor_and_exports_safe_csv,
);
