//! Enrollment by JSON and CSV, per-candidate overrides, a candidate's own
//! exams with the attempts left.

use super::*;

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

    let r = app.get_as(&enroll_url("uni", id), &s.manager.token).await;
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
        .get_as(
            &format!("{}?status=INVITED", enroll_url("uni", id)),
            &s.manager.token,
        )
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
    let r = app.get_as(&enroll_url("uni", id), &s.manager.token).await;
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
    let r = app.get_as(&enroll_url("uni", id), &s.manager.token).await;
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
        .put_json(
            &url,
            &s.coord.token,
            &json!({ "window_end_at": start - Duration::hours(1) }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["window_end_at"]
    );
    let r = app
        .put_json(
            &url,
            &s.coord.token,
            &json!({ "duration_minutes": 0, "max_attempts": 101, "extra_time_percent": 401 }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["duration_minutes", "max_attempts", "extra_time_percent"]
    );
    let late_end = start + Duration::hours(5);
    let r = app
        .put_json(
            &url,
            &s.coord.token,
            &json!({ "window_end_at": late_end, "duration_minutes": 90, "max_attempts": 3,
            "extra_time_percent": 50 }),
        )
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["email"], "ana@example.org");
    assert_eq!(v["overrides"]["duration_minutes"], 90);
    assert_eq!(v["overrides"]["max_attempts"], 3);
    assert_eq!(v["overrides"]["window_start_at"], Value::Null);
    assert!(v["overrides"]["window_end_at"].is_string());

    app.put_json(
        &format!("{}/{}", enroll_url("uni", id), Uuid::now_v7()),
        &s.coord.token,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // Overrides are the coordinator's, not the enrollment manager's.
    app.put_json(&url, &s.manager.token, &json!({}))
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
    app.put_json(
        &format!("{}/{}", enroll_url("uni", open_id), ana.id),
        &s.coord.token,
        &json!({ "max_attempts": 3, "window_end_at": end, "duration_minutes": 45 }),
    )
    .await
    .assert(200);

    let r = app.get_as("/api/v1/me/exams", &ana.token).await;
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
    let r = app.get_as("/api/v1/me/exams", &s.manager.token).await;
    assert_eq!(r.json()["items"], json!([]));
    app.get("/api/v1/me/exams").send().await.assert(401);
}

both!(
    enrollment_by_json,
    enrollment_by_csv,
    overrides_are_validated,
    my_exams_show_attempts_left,
);
