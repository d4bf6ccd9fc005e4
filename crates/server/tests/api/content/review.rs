//! The bank review workflow: DRAFT -> IN_REVIEW -> APPROVED, the two-person
//! rule for every role, department scoping and tenant isolation.

use super::*;

// ---- the review workflow

async fn full_review_workflow(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
    let qa = app
        .member(&org, "qa@acme.test", &[Role::QualityAssurance])
        .await;
    let bank = create_bank(
        &app,
        s,
        &author,
        json!({"title": "Algebra", "description": "Week 1", "tags": ["math"]}),
    )
    .await;

    // An empty bank cannot be submitted.
    act(&app, s, &bank, &author, "submit", None)
        .await
        .assert_problem(409, "conflict");

    for (q, body) in seven().iter().enumerate() {
        let v = add_question(&app, s, &bank, &author, body).await;
        assert_eq!(v["type"], body["type"], "question {q}");
        assert_eq!(v["version"], 1);
        assert_eq!(v["status"], "ACTIVE");
    }
    let all = list_all(&app, &questions_url(s, &bank), &author, 50).await;
    assert_eq!(all.len(), 7);
    assert_eq!(all[1]["correct_answer"], json!({"options": [0, 1, 3]}));
    assert_eq!(all[6]["correct_answer"], Value::Null);
    assert_eq!(
        all[4]["correct_answer"],
        json!({"value": 9.81, "tolerance": 0.01})
    );

    act_ok(&app, s, &bank, &author, "submit", "IN_REVIEW").await;
    // In review: no edits, no second submit.
    app.patch_json(&bank_url(s, &bank), &author.token, &json!({"title": "x"}))
        .await
        .assert_problem(409, "conflict");
    act(&app, s, &bank, &author, "submit", None)
        .await
        .assert_problem(409, "conflict");
    // A rejection needs a reason.
    for body in [json!({"reason": "  "}), json!({})] {
        act(&app, s, &bank, &qa, "reject", Some(body))
            .await
            .assert_problem(422, "validation_failed");
    }

    let r = act(&app, s, &bank, &qa, "approve", None).await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["status"], "APPROVED");
    assert_eq!(v["reviewed_by"], qa.id.to_string());

    // An APPROVED bank is read-only: bank, questions, import.
    app.patch_json(
        &bank_url(s, &bank),
        &author.token,
        &json!({"title": "Algebra 2"}),
    )
    .await
    .assert_problem(409, "conflict");
    let first = all[0]["id"].as_str().expect("id");
    app.patch_json(
        &format!("{}/{first}", questions_url(s, &bank)),
        &author.token,
        &json!({"points": 3}),
    )
    .await
    .assert_problem(409, "conflict");
    app.delete_as(
        &format!("{}/{first}", questions_url(s, &bank)),
        &author.token,
    )
    .await
    .assert_problem(409, "conflict");
    app.post_json(&questions_url(s, &bank), &author.token, &seven()[2])
        .await
        .assert_problem(409, "conflict");
    import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        "Q {T}",
    )
    .await
    .assert_problem(409, "conflict");

    act_ok(&app, s, &bank, &author, "revise", "DRAFT").await;
    act_ok(&app, s, &bank, &author, "submit", "IN_REVIEW").await;
    let r = act(
        &app,
        s,
        &bank,
        &qa,
        "reject",
        Some(json!({"reason": "Question 3 is ambiguous"})),
    )
    .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["status"], "REJECTED");
    assert_eq!(v["reject_reason"], "Question 3 is ambiguous");
    let r = app.get_as(&bank_url(s, &bank), &qa.token).await;
    r.assert(200);
    assert_eq!(r.json()["reject_reason"], "Question 3 is ambiguous");

    // Editing a rejected bank puts it back to DRAFT.
    let r = app
        .patch_json(
            &bank_url(s, &bank),
            &author.token,
            &json!({"description": "Week 1, fixed"}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["status"], "DRAFT");
    assert_eq!(r.json()["description"], "Week 1, fixed");

    act_ok(&app, s, &bank, &author, "archive", "ARCHIVED").await;
    act(&app, s, &bank, &author, "archive", None)
        .await
        .assert_problem(409, "conflict");
    act(&app, s, &bank, &author, "submit", None)
        .await
        .assert_problem(409, "conflict");

    // A question edit on a rejected bank also reopens it.
    let bank2 = create_bank(&app, s, &author, json!({"title": "Geometry"})).await;
    let q = add_question(&app, s, &bank2, &author, &seven()[2]).await;
    act_ok(&app, s, &bank2, &author, "submit", "IN_REVIEW").await;
    act_ok(&app, s, &bank2, &qa, "reject", "REJECTED").await;
    let r = app
        .patch_json(
            &format!(
                "{}/{}",
                questions_url(s, &bank2),
                q["id"].as_str().expect("id")
            ),
            &author.token,
            &json!({"text": "The sky is usually blue."}),
        )
        .await;
    r.assert(200);
    let r = app.get_as(&bank_url(s, &bank2), &author.token).await;
    assert_eq!(r.json()["status"], "DRAFT");

    // Every transition is in the audit log.
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    for action in [
        "bank.created",
        "bank.submitted",
        "bank.approved",
        "bank.rejected",
        "bank.revised",
        "bank.archived",
        "bank.updated",
        "question.created",
        "question.updated",
    ] {
        let url = format!("/api/v1/orgs/{s}/audit-log?action={action}&limit=500");
        let r = app.get_as(&url, &admin.token).await;
        r.assert(200);
        let items = r.json()["items"].as_array().expect("items").clone();
        assert!(!items.is_empty(), "no {action} entry");
        assert!(items.iter().all(|e| e["action"] == action), "{action}");
        if action.starts_with("bank.") {
            assert!(
                items.iter().any(|e| e["resource_id"] == bank.as_str()),
                "{action} of {bank}: {items:?}"
            );
        }
    }
    let r = app
        .get_as(
            &format!("/api/v1/orgs/{s}/audit-log?action=bank.approved"),
            &admin.token,
        )
        .await;
    assert_eq!(r.json()["items"][0]["actor_id"], qa.id.to_string());
}

/// The two-person rule for every role: only a QUALITY_ASSURANCE who neither
/// authored nor edited the bank may approve or reject it.
async fn two_person_rule_for_every_role(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
    let bank = create_bank(&app, s, &author, json!({"title": "Reviewed"})).await;
    let q = add_question(&app, s, &bank, &author, &seven()[0]).await;
    let q_url = format!(
        "{}/{}",
        questions_url(s, &bank),
        q["id"].as_str().expect("id")
    );

    // Holds both roles and edited the bank itself.
    let bank_editor = app
        .member(
            &org,
            "both-bank@acme.test",
            &[Role::ExamAuthor, Role::QualityAssurance],
        )
        .await;
    app.patch_json(
        &bank_url(s, &bank),
        &bank_editor.token,
        &json!({"title": "Reviewed (edited)"}),
    )
    .await
    .assert(200);
    // Holds both roles and only edited one question.
    let question_editor = app
        .member(
            &org,
            "both-question@acme.test",
            &[Role::ExamAuthor, Role::QualityAssurance],
        )
        .await;
    app.patch_json(&q_url, &question_editor.token, &json!({"points": 2}))
        .await
        .assert(200);
    // The author holding QUALITY_ASSURANCE too.
    let qa_author = app
        .member(
            &org,
            "qa-author@acme.test",
            &[Role::ExamAuthor, Role::QualityAssurance],
        )
        .await;
    let own = create_bank(&app, s, &qa_author, json!({"title": "Own"})).await;
    add_question(&app, s, &own, &qa_author, &seven()[2]).await;
    act_ok(&app, s, &own, &qa_author, "submit", "IN_REVIEW").await;
    act_ok(&app, s, &bank, &author, "submit", "IN_REVIEW").await;

    let mut reviewers: Vec<(String, TestUser, bool)> = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@acme.test", role.as_str().to_lowercase());
        let u = if role == Role::SuperAdmin {
            app.super_admin(&email).await
        } else {
            app.member(&org, &email, &[role]).await
        };
        reviewers.push((role.as_str().to_owned(), u, role == Role::QualityAssurance));
    }
    // Every organization role but QUALITY_ASSURANCE at once.
    let others: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| !matches!(r, Role::QualityAssurance | Role::SuperAdmin))
        .collect();
    let label = others
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join("+");
    let all_but_qa = app.member(&org, "all-but-qa@acme.test", &others).await;
    reviewers.push((label, all_but_qa, false));
    reviewers.push(("author".into(), author.clone(), false));
    reviewers.push(("author+QA, edited the bank".into(), bank_editor, false));
    reviewers.push((
        "author+QA, edited a question".into(),
        question_editor,
        false,
    ));

    for (who, u, _) in reviewers.iter().filter(|(_, _, ok)| !ok) {
        for action in ["approve", "reject"] {
            let r = act(&app, s, &bank, u, action, Some(json!({"reason": "no"}))).await;
            assert_eq!(
                r.status.as_u16(),
                403,
                "{who} may not {action}: {}",
                r.text()
            );
            r.assert_problem(403, "forbidden");
        }
    }
    for action in ["approve", "reject"] {
        act(
            &app,
            s,
            &own,
            &qa_author,
            action,
            Some(json!({"reason": "no"})),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    let r = app.get_as(&bank_url(s, &bank), &author.token).await;
    assert_eq!(r.json()["status"], "IN_REVIEW", "nobody above changed it");

    // The QA who never touched the bank rejects, then approves the next round.
    let (_, qa, _) = reviewers
        .iter()
        .find(|(_, _, ok)| *ok)
        .expect("the QA reviewer");
    act_ok(&app, s, &bank, qa, "reject", "REJECTED").await;
    app.patch_json(&q_url, &author.token, &json!({"points": 3}))
        .await
        .assert(200);
    act_ok(&app, s, &bank, &author, "submit", "IN_REVIEW").await;
    act_ok(&app, s, &bank, qa, "approve", "APPROVED").await;
    act_ok(&app, s, &own, qa, "approve", "APPROVED").await;
}

/// An author granted in one department works only there.
async fn department_scoping(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let dep_a = app.department(&org, "Physics").await;
    let dep_b = app.department(&org, "History").await;
    let author_a = app
        .member_in(&org, "a@acme.test", &[(Role::ExamAuthor, Some(dep_a))])
        .await;
    let author_b = app
        .member_in(&org, "b@acme.test", &[(Role::ExamAuthor, Some(dep_b))])
        .await;
    let org_author = app.member(&org, "all@acme.test", &[Role::ExamAuthor]).await;
    let qa_a = app
        .member_in(
            &org,
            "qa-a@acme.test",
            &[(Role::QualityAssurance, Some(dep_a))],
        )
        .await;

    let in_a = create_bank(
        &app,
        s,
        &author_a,
        json!({"title": "Optics", "department_id": dep_a}),
    )
    .await;
    let in_b = create_bank(
        &app,
        s,
        &author_b,
        json!({"title": "Rome", "department_id": dep_b}),
    )
    .await;
    let org_wide = create_bank(&app, s, &org_author, json!({"title": "General"})).await;
    for body in [
        json!({"title": "Sneaky", "department_id": dep_b}),
        json!({"title": "No department"}),
    ] {
        app.post_json(&banks_url(s), &author_a.token, &body)
            .await
            .assert_problem(403, "forbidden");
    }
    // Moving a bank into a department one has no grant in.
    app.patch_json(
        &bank_url(s, &in_a),
        &author_a.token,
        &json!({"department_id": dep_b}),
    )
    .await
    .assert_problem(403, "forbidden");

    assert_eq!(
        ids(&app, &banks_url(s), &author_a).await,
        vec![in_a.clone()]
    );
    assert_eq!(
        ids(&app, &banks_url(s), &author_b).await,
        vec![in_b.clone()]
    );
    assert_eq!(ids(&app, &banks_url(s), &qa_a).await, vec![in_a.clone()]);
    let mut every = ids(&app, &banks_url(s), &org_author).await;
    every.sort();
    let mut expected = vec![in_a.clone(), in_b.clone(), org_wide.clone()];
    expected.sort();
    assert_eq!(every, expected);

    for bank in [&in_b, &org_wide] {
        app.get_as(&bank_url(s, bank), &author_a.token)
            .await
            .assert_problem(403, "forbidden");
        app.get_as(&questions_url(s, bank), &author_a.token)
            .await
            .assert_problem(403, "forbidden");
        app.post_json(&questions_url(s, bank), &author_a.token, &seven()[2])
            .await
            .assert_problem(403, "forbidden");
    }
    // A department QA reviews only that department.
    add_question(&app, s, &in_b, &author_b, &seven()[2]).await;
    act_ok(&app, s, &in_b, &author_b, "submit", "IN_REVIEW").await;
    act(&app, s, &in_b, &qa_a, "approve", None)
        .await
        .assert_problem(403, "forbidden");
    add_question(&app, s, &in_a, &author_a, &seven()[2]).await;
    act_ok(&app, s, &in_a, &author_a, "submit", "IN_REVIEW").await;
    act_ok(&app, s, &in_a, &qa_a, "approve", "APPROVED").await;
}

/// Another organization's member finds nothing of this one.
async fn tenant_isolation(app: TestApp) {
    let acme = app.org("acme").await;
    let other = app.org("other").await;
    let (a, o) = (acme.slug.as_str(), other.slug.as_str());
    let author = app
        .member(&acme, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, a, &author, json!({"title": "Secret"})).await;
    let q = add_question(&app, a, &bank, &author, &seven()[0]).await;
    let qid = q["id"].as_str().expect("id").to_owned();
    act_ok(&app, a, &bank, &author, "submit", "IN_REVIEW").await;

    let intruder = app
        .member(
            &other,
            "x@other.test",
            &[Role::ExamAuthor, Role::QualityAssurance, Role::OrgAdmin],
        )
        .await;
    let own = create_bank(&app, o, &intruder, json!({"title": "Mine"})).await;

    for org in [a, o] {
        let b = bank_url(org, &bank);
        let qs = questions_url(org, &bank);
        let q1 = format!("{qs}/{qid}");
        let t = intruder.token.as_str();
        let checks = [
            app.get_as(&b, t).await,
            app.patch_json(&b, t, &json!({"title": "mine"})).await,
            app.get_as(&qs, t).await,
            app.post_json(&qs, t, &seven()[2]).await,
            app.get_as(&q1, t).await,
            app.patch_json(&q1, t, &json!({"points": 5})).await,
            app.delete_as(&q1, t).await,
            app.get_as(&format!("{q1}/versions"), t).await,
            app.get_as(&format!("{b}/export?format=gift"), t).await,
            app.post(&format!("{b}/import?format=gift"))
                .token(t)
                .body("text/plain", "Sky? {T}")
                .send()
                .await,
            app.post_as(&format!("{b}/approve"), t).await,
            app.post_json(&format!("{b}/reject"), t, &json!({"reason": "x"}))
                .await,
            app.post_as(&format!("{b}/archive"), t).await,
        ];
        for (i, r) in checks.iter().enumerate() {
            assert_eq!(r.status.as_u16(), 404, "{org} check {i}: {}", r.text());
            r.assert_problem(404, "not_found");
        }
    }
    // The question id under the intruder's own bank.
    app.get_as(
        &format!("{}/{qid}", questions_url(o, &own)),
        &intruder.token,
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(ids(&app, &banks_url(o), &intruder).await, vec![own]);
    app.get_as(&banks_url(a), &intruder.token)
        .await
        .assert_problem(404, "not_found");
    // Nothing changed.
    let r = app.get_as(&bank_url(a, &bank), &author.token).await;
    assert_eq!(r.json()["status"], "IN_REVIEW");
    assert_eq!(r.json()["title"], "Secret");
    let all = list_all(&app, &questions_url(a, &bank), &author, 50).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["version"], 1);
}

both!(
    full_review_workflow,
    two_person_rule_for_every_role,
    department_scoping,
    tenant_isolation,
);
