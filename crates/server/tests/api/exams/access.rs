//! Who may do what on exams, and tenant isolation.

use super::*;

async fn roles_decide(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    app.post_json(&exams_url("uni"), &s.author.token, &exam_body(bank))
        .await
        .assert_problem(403, "forbidden");
    // A body that does not parse is still 403 for someone without the right.
    app.post_json(&exams_url("uni"), &s.manager.token, &json!({}))
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
    app.patch_json(
        &exam_url("uni", id),
        &s.manager.token,
        &json!({ "title": "Mine now" }),
    )
    .await
    .assert_problem(403, "forbidden");
    let candidate = app
        .member(&s.org, "cand@uni.example", &[Role::Candidate])
        .await;
    app.get_as(&exams_url("uni"), &candidate.token)
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
    app.get_as(&exam_url("uni", id), &dept_coord.token)
        .await
        .assert_problem(403, "forbidden");
    // Fed from a bank they may read: one of their department.
    let qs: Vec<Value> = (0..2).map(|i| question(i, "MEDIUM", &[])).collect();
    let physics_bank = bank_in(&app, &s.org, Some(physics), &s.author, &qs, "APPROVED").await;
    let mut body = exam_body(physics_bank);
    body["department_id"] = json!(physics);
    let mine = create_exam(&app, "uni", &dept_coord, &body).await;
    let r = app.get_as(&exams_url("uni"), &dept_coord.token).await;
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], mine["id"]);
    app.post_json(&exams_url("uni"), &dept_coord.token, &exam_body(bank))
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
        app.get_as(&exam_url("other", id), &stranger.token).await,
        act(&app, "other", id, &stranger, "open").await,
        app.get_as(&enroll_url("other", id), &stranger.token).await,
        enroll_json(
            &app,
            "other",
            id,
            &stranger,
            json!([{ "email": "a@b.org" }]),
        )
        .await,
        app.patch_json(
            &exam_url("other", id),
            &stranger.token,
            &json!({ "title": "x" }),
        )
        .await,
    ] {
        r.assert_problem(404, "not_found");
    }
    // Through the exam's organization, where they are no member.
    app.get_as(&exam_url("uni", id), &stranger.token)
        .await
        .assert_problem(404, "not_found");
    let r = app.get_as(&exams_url("other"), &stranger.token).await;
    assert_eq!(r.json()["items"], json!([]));
    // Still DRAFT: nothing happened to it.
    let r = app.get_as(&exam_url("uni", id), &s.coord.token).await;
    assert_eq!(r.json()["status"], "DRAFT");
}

both!(roles_decide, tenants_are_isolated,);
