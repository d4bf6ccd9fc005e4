//! The exam lifecycle: transitions and their conflicts, opening checks of
//! banks and draw rules.

use super::*;

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
        .patch_json(
            &exam_url("uni", id),
            &s.coord.token,
            &json!({ "title": "Algebra final", "draw": [{ "bank_id": bank, "count": 2 }] }),
        )
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["title"], "Algebra final");
    assert_eq!(v["question_bank_id"], Value::Null);
    assert_eq!(v["draw"][0]["count"], 2);
    assert_eq!(v["duration_minutes"], 60);
    let r = app
        .patch_json(
            &exam_url("uni", id),
            &s.coord.token,
            &json!({ "passing_score": 120 }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["passing_score"]
    );
    let r = app
        .patch_json(
            &exam_url("uni", id),
            &s.coord.token,
            &json!({ "colour": "red" }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["colour"]
    );

    act_ok(&app, "uni", id, &s.coord, "open", "ACTIVE").await;
    act(&app, "uni", id, &s.coord, "open")
        .await
        .assert_problem(409, "conflict");
    app.patch_json(
        &exam_url("uni", id),
        &s.coord.token,
        &json!({ "title": "Too late" }),
    )
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
        .patch_json(
            &exam_url("uni", id),
            &s.coord.token,
            &json!({ "draw": [
            { "bank_id": bank, "count": 1, "tags": ["algebra"] },
            { "bank_id": bank, "count": 2, "difficulty": "EASY" },
        ] }),
        )
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

both!(lifecycle_and_conflicts, open_checks_banks_and_draw,);
