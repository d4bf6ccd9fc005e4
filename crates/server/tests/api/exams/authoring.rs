//! Creating exams: a fixed bank or draw rules, approved banks of this
//! organization only, validation naming fields, exam types with unique codes.

use super::*;

async fn create_with_fixed_bank_and_with_draw_rules(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 3).await;
    let exam = create_exam(&app, "uni", &s.coord, &exam_body(bank)).await;
    assert_eq!(exam["status"], "DRAFT");
    assert_eq!(exam["question_bank_id"], bank.to_string());
    assert_eq!(exam["draw"], Value::Null);
    assert_eq!(exam["proctoring_sensitivity"], "HIGH");
    assert_eq!(exam["created_by"], s.coord.id.to_string());

    let drawn = create_exam(
        &app,
        "uni",
        &s.coord,
        &json!({
            "title": "Quiz",
            "draw": [{ "bank_id": bank, "count": 2, "difficulty": "medium", "tags": [" x ", "x"] }],
            "duration_minutes": 15,
            "passing_score": 60,
            "max_attempts": 2,
        }),
    )
    .await;
    assert_eq!(drawn["question_bank_id"], Value::Null);
    assert_eq!(
        drawn["draw"],
        json!([{ "bank_id": bank, "count": 2, "difficulty": "MEDIUM", "tags": ["x"] }])
    );
    assert_eq!(drawn["proctoring_sensitivity"], "MEDIUM");
    assert_eq!(drawn["randomize_questions"], false);

    let id = exam["id"].as_str().expect("id");
    let r = app.get_as(&exam_url("uni", id), &s.coord.token).await;
    r.assert(200);
    assert_eq!(r.json()["title"], "Algebra midterm");
    let r = app
        .get_as(&format!("{}?limit=1", exams_url("uni")), &s.manager.token)
        .await;
    r.assert(200);
    let page = r.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    let cursor = page["next_cursor"].as_str().expect("cursor").to_owned();
    let r = app
        .get_as(
            &format!("{}?cursor={cursor}", exams_url("uni")),
            &s.manager.token,
        )
        .await;
    assert_eq!(r.json()["items"][0]["id"], drawn["id"]);
    let r = app
        .get_as(
            &format!("{}?status=ACTIVE", exams_url("uni")),
            &s.coord.token,
        )
        .await;
    assert_eq!(r.json()["items"], json!([]));
    let actions = app.audit_actions(&s.org).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "exam.created").count(),
        2,
        "{actions:?}"
    );
}

async fn banks_must_be_approved_and_of_this_org(app: TestApp) {
    let s = setup(&app).await;
    let draft = bank_with(
        &app,
        &s.org,
        &s.author,
        &[question(1, "EASY", &[])],
        "DRAFT",
    )
    .await;
    let in_review = bank_with(
        &app,
        &s.org,
        &s.author,
        &[question(1, "EASY", &[])],
        "IN_REVIEW",
    )
    .await;
    let r = app
        .post_json(&exams_url("uni"), &s.coord.token, &exam_body(draft))
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(fields(&v), ["question_bank_id"]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("only APPROVED banks can feed an exam")),
        "{v}"
    );

    let other = app.org("other").await;
    let other_author = app
        .member(&other, "author@other.example", &[Role::ExamAuthor])
        .await;
    let foreign = approved_bank(&app, &other, &other_author, 3).await;
    let ok = approved_bank(&app, &s.org, &s.author, 3).await;
    let r = app
        .post_json(
            &exams_url("uni"),
            &s.coord.token,
            &json!({
                "title": "Mixed",
                "draw": [
                    { "bank_id": ok, "count": 1 },
                    { "bank_id": foreign, "count": 1 },
                    { "bank_id": in_review, "count": 1 },
                ],
                "duration_minutes": 10, "passing_score": 50, "max_attempts": 1,
            }),
        )
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(fields(&v), ["draw[1].bank_id", "draw[2].bank_id"]);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("no such")
    );
    assert!(!r.text().contains(&other.name));
}

async fn validation_errors_name_fields(app: TestApp) {
    let s = setup(&app).await;
    let bank = approved_bank(&app, &s.org, &s.author, 2).await;
    let now = Utc::now();
    let r = app
        .post_json(
            &exams_url("uni"),
            &s.coord.token,
            &json!({
                "title": "  ",
                "question_bank_id": bank,
                "draw": [{ "bank_id": bank, "count": 1 }],
                "duration_minutes": 0,
                "passing_score": 101,
                "max_attempts": 0,
                "scheduled_start_at": now + Duration::hours(2),
                "scheduled_end_at": now + Duration::hours(1),
                "proctoring_sensitivity": "EXTREME",
                "exam_type_id": Uuid::now_v7(),
                "department_id": Uuid::now_v7(),
            }),
        )
        .await;
    let v = r.assert_problem(422, "validation_failed");
    let mut got = fields(&v);
    got.sort();
    assert_eq!(
        got,
        [
            "department_id",
            "draw",
            "duration_minutes",
            "exam_type_id",
            "max_attempts",
            "passing_score",
            "proctoring_sensitivity",
            "scheduled_end_at",
            "title",
        ]
    );
    // Neither source; a bad draw rule; a type error names its field.
    let r = app
        .post_json(
            &exams_url("uni"),
            &s.coord.token,
            &json!({ "title": "T", "duration_minutes": 10, "passing_score": 1, "max_attempts": 1 }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["question_bank_id"]
    );
    let r = app.post_json(&exams_url("uni"), &s.coord.token, &json!({ "title": "T", "draw": [{ "bank_id": bank, "count": 0, "difficulty": "impossible" }],
            "duration_minutes": 10, "passing_score": 1, "max_attempts": 1 })).await;
    let mut got = fields(&r.assert_problem(422, "validation_failed"));
    got.sort();
    assert_eq!(got, ["draw[0].count", "draw[0].difficulty"]);
    let r = app
        .post_json(
            &exams_url("uni"),
            &s.coord.token,
            &json!({ "title": "T", "question_bank_id": bank, "duration_minutes": "long",
            "passing_score": 1, "max_attempts": 1 }),
        )
        .await;
    assert_eq!(
        fields(&r.assert_problem(422, "validation_failed")),
        ["duration_minutes"]
    );
}

async fn exam_types_have_unique_codes(app: TestApp) {
    let s = setup(&app).await;
    let url = "/api/v1/orgs/uni/exam-types";
    let body = json!({ "code": "MIDTERM", "name": "Midterm", "default_weight": 0.3 });
    let r = app.post_json(url, &s.coord.token, &body).await;
    r.assert(201);
    let t = r.json();
    assert_eq!(t["code"], "MIDTERM");
    assert_eq!(t["default_weight"], 0.3);
    app.post_json(
        url,
        &s.coord.token,
        &json!({ "code": "MIDTERM", "name": "Again", "default_weight": 1 }),
    )
    .await
    .assert_problem(409, "conflict");
    let r = app
        .post_json(
            url,
            &s.coord.token,
            &json!({ "code": "no spaces", "name": "", "default_weight": -1 }),
        )
        .await;
    let mut got = fields(&r.assert_problem(422, "validation_failed"));
    got.sort();
    assert_eq!(got, ["code", "default_weight", "name"]);
    app.post_json(url, &s.author.token, &body)
        .await
        .assert_problem(403, "forbidden");
    // Another organization may use the same code.
    let other = app.org("other").await;
    let other_coord = app
        .member(&other, "coord@other.example", &[Role::ExamCoordinator])
        .await;
    app.post_json("/api/v1/orgs/other/exam-types", &other_coord.token, &body)
        .await
        .assert(201);
    let r = app.get_as(url, &s.manager.token).await;
    r.assert(200);
    let items = r.json()["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");

    // An exam may name a type of its own organization only.
    let bank = approved_bank(&app, &s.org, &s.author, 1).await;
    let mut body = exam_body(bank);
    body["exam_type_id"] = t["id"].clone();
    let exam = create_exam(&app, "uni", &s.coord, &body).await;
    assert_eq!(exam["exam_type_id"], t["id"]);
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"exam_type.created".to_owned())
    );

    // Edit: only the fields given change; a code in use is 409; bad values
    // name their fields; another organization's type does not exist.
    let one = format!("{url}/{}", t["id"].as_str().unwrap());
    let r = app
        .patch_json(&one, &s.coord.token, &json!({ "default_weight": 0.4 }))
        .await;
    r.assert(200);
    assert_eq!(r.json()["default_weight"], 0.4);
    assert_eq!(r.json()["code"], "MIDTERM");
    app.post_json(
        url,
        &s.coord.token,
        &json!({ "code": "FINAL", "name": "Final", "default_weight": 0.6 }),
    )
    .await
    .assert(201);
    app.patch_json(&one, &s.coord.token, &json!({ "code": "FINAL" }))
        .await
        .assert_problem(409, "conflict");
    let r = app
        .patch_json(
            &one,
            &s.coord.token,
            &json!({ "name": "  ", "default_weight": 2000 }),
        )
        .await;
    let mut got = fields(&r.assert_problem(422, "validation_failed"));
    got.sort();
    assert_eq!(got, ["default_weight", "name"]);
    app.patch_json(&one, &s.coord.token, &json!({ "colour": "red" }))
        .await
        .assert(422);
    app.patch_json(&one, &s.author.token, &json!({ "name": "x" }))
        .await
        .assert_problem(403, "forbidden");
    app.patch_json(
        &format!(
            "/api/v1/orgs/other/exam-types/{}",
            t["id"].as_str().unwrap()
        ),
        &other_coord.token,
        &json!({ "name": "Mine now" }),
    )
    .await
    .assert(404);
    let types = app.get_json(url, &s.manager.token).await;
    let mid = types["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "MIDTERM")
        .unwrap()
        .clone();
    assert_eq!(mid["name"], "Midterm");
    assert_eq!(mid["default_weight"], 0.4);

    // Delete: refused while an exam uses it, then gone once nothing does.
    app.delete_as(&one, &s.coord.token)
        .await
        .assert_problem(409, "conflict");
    let final_id = types["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "FINAL")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete_as(&format!("{url}/{final_id}"), &s.coord.token)
        .await
        .assert(204);
    app.delete_as(&format!("{url}/{final_id}"), &s.coord.token)
        .await
        .assert(404);
    let actions = app.audit_actions(&s.org).await;
    assert!(
        actions.contains(&"exam_type.updated".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"exam_type.deleted".to_owned()),
        "{actions:?}"
    );
}

both!(
    create_with_fixed_bank_and_with_draw_rules,
    banks_must_be_approved_and_of_this_org,
    validation_errors_name_fields,
    exam_types_have_unique_codes,
);
