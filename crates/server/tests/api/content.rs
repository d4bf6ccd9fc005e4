//! Content: question banks, the review workflow and its two-person rule,
//! questions of the seven types with immutable versions, listing, safe
//! Markdown, GIFT / Aiken / CSV import and export, tenant and department
//! isolation, and the audit trail.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use invigil_domain::identity::Role;

use crate::both;
use crate::common::{TestApp, TestResponse, TestUser};

fn banks_url(org: &str) -> String {
    format!("/api/v1/orgs/{org}/question-banks")
}

fn bank_url(org: &str, bank: &str) -> String {
    format!("/api/v1/orgs/{org}/question-banks/{bank}")
}

fn questions_url(org: &str, bank: &str) -> String {
    format!("{}/questions", bank_url(org, bank))
}

async fn create_bank(app: &TestApp, org: &str, u: &TestUser, body: Value) -> String {
    let r = app
        .post(&banks_url(org))
        .token(&u.token)
        .json(&body)
        .send()
        .await;
    r.assert(201);
    let v = r.json();
    assert_eq!(v["status"], "DRAFT", "{v}");
    assert_eq!(v["author_id"], u.id.to_string());
    v["id"].as_str().expect("bank id").to_owned()
}

async fn add_question(app: &TestApp, org: &str, bank: &str, u: &TestUser, q: &Value) -> Value {
    let r = app
        .post(&questions_url(org, bank))
        .token(&u.token)
        .json(q)
        .send()
        .await;
    r.assert(201);
    r.json()
}

/// `POST .../{bank}/{action}` with an optional JSON body.
async fn act(
    app: &TestApp,
    org: &str,
    bank: &str,
    u: &TestUser,
    action: &str,
    body: Option<Value>,
) -> TestResponse {
    let req = app
        .post(&format!("{}/{action}", bank_url(org, bank)))
        .token(&u.token);
    match body {
        Some(b) => req.json(&b).send().await,
        None => req.send().await,
    }
}

/// Runs a workflow action and checks the bank's new status.
async fn act_ok(app: &TestApp, org: &str, bank: &str, u: &TestUser, action: &str, to: &str) {
    let body = (action == "reject").then(|| json!({ "reason": "please fix" }));
    let r = act(app, org, bank, u, action, body).await;
    r.assert(200);
    assert_eq!(r.json()["status"], to, "{action}");
}

async fn import(
    app: &TestApp,
    org: &str,
    bank: &str,
    u: &TestUser,
    query: &str,
    content_type: &str,
    text: impl Into<Vec<u8>>,
) -> TestResponse {
    app.post(&format!("{}/import?{query}", bank_url(org, bank)))
        .token(&u.token)
        .body(content_type, text)
        .send()
        .await
}

/// Every item of a paged list, walking the cursor with `limit`.
async fn list_all(app: &TestApp, url: &str, u: &TestUser, limit: u32) -> Vec<Value> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut page_url = format!("{url}{sep}limit={limit}");
        if let Some(c) = &cursor {
            page_url.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&page_url).token(&u.token).send().await;
        r.assert(200);
        let v = r.json();
        let items = v["items"].as_array().expect("items").clone();
        assert!(items.len() <= limit as usize);
        out.extend(items);
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// Ids of the items of one (first) page.
async fn ids(app: &TestApp, url: &str, u: &TestUser) -> Vec<String> {
    let r = app.get(url).token(&u.token).send().await;
    r.assert(200);
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A question as served, without what differs between two copies of it.
fn content_of(q: &Value) -> Value {
    let mut q = q.clone();
    if let Value::Object(m) = &mut q {
        for k in [
            "id",
            "bank_id",
            "version",
            "status",
            "created_at",
            "updated_at",
        ] {
            m.remove(k);
        }
    }
    q
}

/// One question of each of the seven types, with Markdown and characters
/// that GIFT and CSV must escape.
fn seven() -> Vec<Value> {
    vec![
        json!({"type": "single_choice", "text": "What is **2+2**? Mind {braces}, a=b, ~tilde, #hash, a: colon and \"quotes\".",
               "options": ["3", "4, \"obviously\" | yes", "5"], "correct_answer": {"option": 1},
               "points": 1, "difficulty": "EASY", "tags": ["math", "arith"], "explanation": "Count: one, two."}),
        json!({"type": "multiple_select", "text": "Pick the primes", "options": ["2", "3", "4", "5"],
               "correct_answer": {"options": [3, 0, 1]}, "points": 2.5, "difficulty": "HARD", "tags": ["math", "primes"]}),
        json!({"type": "true_false", "text": "The sky is blue.", "correct_answer": {"value": true},
               "points": 1, "difficulty": "EASY", "tags": ["science"]}),
        json!({"type": "short_answer", "text": "Capital of France?", "correct_answer": {"accepted": ["Paris", "City of Light"], "case_sensitive": true},
               "points": 1, "difficulty": "MEDIUM", "tags": ["geo"]}),
        json!({"type": "numeric", "text": "Gravity on Earth in m/s²?", "correct_answer": {"value": 9.81, "tolerance": 0.01},
               "points": 2, "difficulty": "MEDIUM", "tags": ["math"]}),
        json!({"type": "fill_blank", "text": "Water boils at ___ degrees Celsius.", "correct_answer": {"blanks": [["100", "one hundred"]]},
               "points": 1, "difficulty": "EASY", "tags": ["science"]}),
        json!({"type": "essay", "text": "Discuss the causes of WW1.\n\nUse *two* paragraphs.", "points": 10, "difficulty": "HARD",
               "tags": ["history", "mathematics"], "explanation": "Graded by rubric."}),
    ]
}

// ---- the review workflow

async fn full_review_workflow(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
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
    app.patch(&bank_url(s, &bank))
        .token(&author.token)
        .json(&json!({"title": "x"}))
        .send()
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
    app.patch(&bank_url(s, &bank))
        .token(&author.token)
        .json(&json!({"title": "Algebra 2"}))
        .send()
        .await
        .assert_problem(409, "conflict");
    let first = all[0]["id"].as_str().expect("id");
    app.patch(&format!("{}/{first}", questions_url(s, &bank)))
        .token(&author.token)
        .json(&json!({"points": 3}))
        .send()
        .await
        .assert_problem(409, "conflict");
    app.delete(&format!("{}/{first}", questions_url(s, &bank)))
        .token(&author.token)
        .send()
        .await
        .assert_problem(409, "conflict");
    app.post(&questions_url(s, &bank))
        .token(&author.token)
        .json(&seven()[2])
        .send()
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
    let r = app.get(&bank_url(s, &bank)).token(&qa.token).send().await;
    r.assert(200);
    assert_eq!(r.json()["reject_reason"], "Question 3 is ambiguous");

    // Editing a rejected bank puts it back to DRAFT.
    let r = app
        .patch(&bank_url(s, &bank))
        .token(&author.token)
        .json(&json!({"description": "Week 1, fixed"}))
        .send()
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
        .patch(&format!(
            "{}/{}",
            questions_url(s, &bank2),
            q["id"].as_str().expect("id")
        ))
        .token(&author.token)
        .json(&json!({"text": "The sky is usually blue."}))
        .send()
        .await;
    r.assert(200);
    let r = app
        .get(&bank_url(s, &bank2))
        .token(&author.token)
        .send()
        .await;
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
        let r = app.get(&url).token(&admin.token).send().await;
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
        .get(&format!("/api/v1/orgs/{s}/audit-log?action=bank.approved"))
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(r.json()["items"][0]["actor_id"], qa.id.to_string());
}

/// The two-person rule for every role: only a QUALITY_ASSURANCE who neither
/// authored nor edited the bank may approve or reject it.
async fn two_person_rule_for_every_role(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
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
    app.patch(&bank_url(s, &bank))
        .token(&bank_editor.token)
        .json(&json!({"title": "Reviewed (edited)"}))
        .send()
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
    app.patch(&q_url)
        .token(&question_editor.token)
        .json(&json!({"points": 2}))
        .send()
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
    let r = app
        .get(&bank_url(s, &bank))
        .token(&author.token)
        .send()
        .await;
    assert_eq!(r.json()["status"], "IN_REVIEW", "nobody above changed it");

    // The QA who never touched the bank rejects, then approves the next round.
    let (_, qa, _) = reviewers
        .iter()
        .find(|(_, _, ok)| *ok)
        .expect("the QA reviewer");
    act_ok(&app, s, &bank, qa, "reject", "REJECTED").await;
    app.patch(&q_url)
        .token(&author.token)
        .json(&json!({"points": 3}))
        .send()
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
        app.post(&banks_url(s))
            .token(&author_a.token)
            .json(&body)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    // Moving a bank into a department one has no grant in.
    app.patch(&bank_url(s, &in_a))
        .token(&author_a.token)
        .json(&json!({"department_id": dep_b}))
        .send()
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
        app.get(&bank_url(s, bank))
            .token(&author_a.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.get(&questions_url(s, bank))
            .token(&author_a.token)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post(&questions_url(s, bank))
            .token(&author_a.token)
            .json(&seven()[2])
            .send()
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
            app.get(&b).token(t).send().await,
            app.patch(&b)
                .token(t)
                .json(&json!({"title": "mine"}))
                .send()
                .await,
            app.get(&qs).token(t).send().await,
            app.post(&qs).token(t).json(&seven()[2]).send().await,
            app.get(&q1).token(t).send().await,
            app.patch(&q1)
                .token(t)
                .json(&json!({"points": 5}))
                .send()
                .await,
            app.delete(&q1).token(t).send().await,
            app.get(&format!("{q1}/versions")).token(t).send().await,
            app.get(&format!("{b}/export?format=gift"))
                .token(t)
                .send()
                .await,
            app.post(&format!("{b}/import?format=gift"))
                .token(t)
                .body("text/plain", "Sky? {T}")
                .send()
                .await,
            app.post(&format!("{b}/approve")).token(t).send().await,
            app.post(&format!("{b}/reject"))
                .token(t)
                .json(&json!({"reason": "x"}))
                .send()
                .await,
            app.post(&format!("{b}/archive")).token(t).send().await,
        ];
        for (i, r) in checks.iter().enumerate() {
            assert_eq!(r.status.as_u16(), 404, "{org} check {i}: {}", r.text());
            r.assert_problem(404, "not_found");
        }
    }
    // The question id under the intruder's own bank.
    app.get(&format!("{}/{qid}", questions_url(o, &own)))
        .token(&intruder.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert_eq!(ids(&app, &banks_url(o), &intruder).await, vec![own]);
    app.get(&banks_url(a))
        .token(&intruder.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    // Nothing changed.
    let r = app
        .get(&bank_url(a, &bank))
        .token(&author.token)
        .send()
        .await;
    assert_eq!(r.json()["status"], "IN_REVIEW");
    assert_eq!(r.json()["title"], "Secret");
    let all = list_all(&app, &questions_url(a, &bank), &author, 50).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["version"], 1);
}

// ---- questions

async fn question_validation_names_fields(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "V"})).await;
    let cases = [
        (
            json!({"type": "single_choice", "text": "Q", "options": ["only"], "correct_answer": {"option": 0}, "points": 1, "difficulty": "EASY"}),
            "options",
        ),
        (
            json!({"type": "single_choice", "text": "Q", "options": ["a", "b"], "correct_answer": {"option": 2}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.option",
        ),
        (
            json!({"type": "multiple_select", "text": "Q", "options": ["a", "b"], "correct_answer": {"options": []}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.options",
        ),
        (
            json!({"type": "true_false", "text": "Q", "options": ["a", "b"], "correct_answer": {"value": true}, "points": 1, "difficulty": "EASY"}),
            "options",
        ),
        (
            json!({"type": "true_false", "text": "Q", "correct_answer": {"value": "yes"}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.value",
        ),
        (
            json!({"type": "short_answer", "text": "Q", "correct_answer": {"accepted": []}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.accepted",
        ),
        (
            json!({"type": "numeric", "text": "Q", "correct_answer": {"value": 1, "tolerance": -1}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.tolerance",
        ),
        (
            json!({"type": "fill_blank", "text": "A ___ and a ___", "correct_answer": {"blanks": [["x"]]}, "points": 1, "difficulty": "EASY"}),
            "correct_answer.blanks",
        ),
        (
            json!({"type": "essay", "text": "Q", "correct_answer": {"text": "model"}, "points": 1, "difficulty": "EASY"}),
            "correct_answer",
        ),
        (
            json!({"type": "essay", "text": "   ", "points": 1, "difficulty": "EASY"}),
            "text",
        ),
        (
            json!({"type": "essay", "text": "Q", "points": 0, "difficulty": "EASY"}),
            "points",
        ),
        (
            json!({"type": "essay", "text": "Q", "points": 1, "difficulty": "EASY", "tags": ["ok", " "]}),
            "tags.1",
        ),
        (
            json!({"type": "essay", "text": "Q", "points": 1, "difficulty": "IMPOSSIBLE"}),
            "difficulty",
        ),
        (
            json!({"type": "matching", "text": "Q", "points": 1, "difficulty": "EASY"}),
            "type",
        ),
    ];
    for (body, field) in cases {
        let r = app
            .post(&questions_url(s, &bank))
            .token(&author.token)
            .json(&body)
            .send()
            .await;
        let v = r.assert_problem(422, "validation_failed");
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().expect("field"))
            .collect();
        assert!(fields.contains(&field), "{body}: expected {field}, got {v}");
    }
    // A bad PATCH names the field too and makes no version.
    let q = add_question(&app, s, &bank, &author, &seven()[0]).await;
    let url = format!(
        "{}/{}",
        questions_url(s, &bank),
        q["id"].as_str().expect("id")
    );
    let v = app
        .patch(&url)
        .token(&author.token)
        .json(&json!({"options": ["one"]}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(
        v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["field"] == "options")
    );
    app.patch(&url)
        .token(&author.token)
        .json(&json!({"colour": "red"}))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    let r = app
        .get(&format!("{url}/versions"))
        .token(&author.token)
        .send()
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 1);
    // Nothing was created by the failures.
    assert_eq!(
        list_all(&app, &questions_url(s, &bank), &author, 50)
            .await
            .len(),
        1
    );
}

async fn markdown_is_rendered_safely(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "XSS"})).await;
    let text = "**Bold** <script>alert(1)</script> and [x](javascript:alert(1)) <img src=x onerror=alert(1)>";
    let q = add_question(
        &app,
        s,
        &bank,
        &author,
        &json!({"type": "single_choice", "text": text,
                "options": ["<script>alert(2)</script>", "[y](JavaScript:alert(3))"],
                "correct_answer": {"option": 0}, "points": 1, "difficulty": "EASY"}),
    )
    .await;
    assert_eq!(q["text"], text, "the Markdown source is kept as written");
    let mut html = vec![q["text_html"].as_str().expect("text_html").to_owned()];
    assert!(html[0].contains("<strong>Bold</strong>"), "{}", html[0]);
    for o in q["options_html"].as_array().expect("options_html") {
        html.push(o.as_str().expect("option html").to_owned());
    }
    for h in &html {
        let l = h.to_ascii_lowercase();
        assert!(!l.contains("<script"), "{h}");
        assert!(!l.contains("<img"), "{h}");
        assert!(!l.contains("href=\"javascript"), "{h}");
        assert!(!l.contains("javascript:alert"), "{h}");
    }
    assert!(html[0].contains("&lt;script&gt;"), "{}", html[0]);
    // Listing serves the same safe copy.
    let all = list_all(&app, &questions_url(s, &bank), &author, 50).await;
    assert_eq!(all[0]["text_html"], q["text_html"]);
}

async fn edits_make_versions_and_delete_retires(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let coordinator = app
        .member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "History"})).await;
    let q = add_question(&app, s, &bank, &author, &seven()[0]).await;
    let keep = add_question(&app, s, &bank, &author, &seven()[2]).await;
    let id = q["id"].as_str().expect("id");
    let url = format!("{}/{id}", questions_url(s, &bank));

    let r = app
        .patch(&url)
        .token(&author.token)
        .json(&json!({"text": "What is 3+3?", "options": ["5", "6"], "correct_answer": {"option": 1}}))
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["version"], 2);
    assert_eq!(v["id"], id);
    assert_eq!(v["text"], "What is 3+3?");
    assert_eq!(
        v["tags"],
        json!(["math", "arith"]),
        "untouched fields are kept"
    );
    // The same content again makes no new version.
    let r = app
        .patch(&url)
        .token(&author.token)
        .json(&json!({"text": "What is 3+3?"}))
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["version"], 2);

    let r = app
        .get(&format!("{url}/versions"))
        .token(&coordinator.token)
        .send()
        .await;
    r.assert(200);
    let versions = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[0]["created_by"], author.id.to_string());
    let mut original = seven()[0].clone();
    original["correct_answer"] = json!({"option": 1});
    for k in [
        "type",
        "text",
        "options",
        "correct_answer",
        "difficulty",
        "tags",
        "explanation",
    ] {
        assert_eq!(versions[0]["question"][k], original[k], "version 1 {k}");
    }
    assert_eq!(versions[1]["question"]["options"], json!(["5", "6"]));
    let r = app.get(&url).token(&coordinator.token).send().await;
    r.assert(200);
    assert_eq!(r.json()["version"], 2);

    app.delete(&url)
        .token(&author.token)
        .send()
        .await
        .assert(204);
    let r = app.get(&url).token(&author.token).send().await;
    r.assert(200);
    assert_eq!(r.json()["status"], "RETIRED");
    let qs = questions_url(s, &bank);
    assert_eq!(
        ids(&app, &qs, &author).await,
        vec![keep["id"].as_str().expect("id").to_owned()]
    );
    assert_eq!(
        ids(&app, &format!("{qs}?status=RETIRED"), &author).await,
        vec![id.to_owned()]
    );
    assert_eq!(
        ids(&app, &format!("{qs}?status=all"), &author).await.len(),
        2
    );
    app.get(&format!("{qs}?status=GONE"))
        .token(&author.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // Retired questions keep their history and take no edits.
    let r = app
        .get(&format!("{url}/versions"))
        .token(&author.token)
        .send()
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 2);
    app.patch(&url)
        .token(&author.token)
        .json(&json!({"points": 4}))
        .send()
        .await
        .assert_problem(409, "conflict");
    // Not exported, not counted for submission.
    let r = app
        .get(&format!("{}/export?format=csv", bank_url(s, &bank)))
        .token(&author.token)
        .send()
        .await;
    r.assert(200);
    assert!(!r.text().contains("3+3"), "{}", r.text());
    app.delete(&format!("{}/{}", qs, keep["id"].as_str().expect("id")))
        .token(&author.token)
        .send()
        .await
        .assert(204);
    act(&app, s, &bank, &author, "submit", None)
        .await
        .assert_problem(409, "conflict");
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let r = app
        .get(&format!(
            "/api/v1/orgs/{s}/audit-log?action=question.updated&resource_id={id}"
        ))
        .token(&admin.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 1);
    let r = app
        .get(&format!(
            "/api/v1/orgs/{s}/audit-log?action=question.retired&resource_id={id}"
        ))
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 1);
}

async fn listing_filters_and_cursor_pages(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Mixed"})).await;
    let mut made = Vec::new();
    for q in seven() {
        made.push(add_question(&app, s, &bank, &author, &q).await["id"].clone());
    }
    let qs = questions_url(s, &bank);
    let types = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .map(|i| i["type"].as_str().expect("type").to_owned())
            .collect()
    };
    let cases: [(&str, &[&str]); 13] = [
        ("type=numeric", &["numeric"]),
        ("type=essay", &["essay"]),
        (
            "difficulty=EASY",
            &["single_choice", "true_false", "fill_blank"],
        ),
        ("difficulty=hard", &["multiple_select", "essay"]),
        ("tag=math", &["single_choice", "multiple_select", "numeric"]),
        ("tag=science&difficulty=EASY", &["true_false", "fill_blank"]),
        ("tag=MATH", &["single_choice", "multiple_select", "numeric"]),
        ("tag=Science", &["true_false", "fill_blank"]),
        ("q=CAPITAL", &["short_answer"]),
        ("q=obviously", &["single_choice"]),
        ("q=primes", &["multiple_select"]),
        ("q=%25", &[]),
        ("q=_", &["fill_blank"]),
    ];
    for (query, expected) in cases {
        let got = types(list_all(&app, &format!("{qs}?{query}"), &author, 50).await);
        assert_eq!(got, expected.to_vec(), "{query}");
    }
    // limit=2 walks every question once, in a stable order.
    let walked = list_all(&app, &qs, &author, 2).await;
    let walked_ids: Vec<Value> = walked.iter().map(|q| q["id"].clone()).collect();
    assert_eq!(walked_ids, made);
    let r = app
        .get(&format!("{qs}?limit=2"))
        .token(&author.token)
        .send()
        .await;
    assert!(r.json()["next_cursor"].is_string());
    let r = app
        .get(&format!("{qs}?limit=7"))
        .token(&author.token)
        .send()
        .await;
    assert!(r.json()["next_cursor"].is_null());
    app.get(&format!("{qs}?limit=501"))
        .token(&author.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // Bank list pages too, and filters by status.
    for t in ["B", "C"] {
        create_bank(&app, s, &author, json!({"title": t})).await;
    }
    assert_eq!(list_all(&app, &banks_url(s), &author, 1).await.len(), 3);
    act_ok(&app, s, &bank, &author, "submit", "IN_REVIEW").await;
    assert_eq!(
        ids(&app, &format!("{}?status=IN_REVIEW", banks_url(s)), &author).await,
        vec![bank.clone()]
    );
}

// ---- import and export

const GIFT_WITH_BAD_ITEM: &str = "// a comment\n::Q1:: 2+2 = ? {=4 ~3 ~5}\n\n::Q2:: The sky is blue. {T}\n\n::Q3:: Match these {=a -> 1 =b -> 2 =c -> 3}\n\n::Q4:: Gravity? {#9.81:0.01}\n";

async fn gift_import_is_atomic_unless_partial(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Imported"})).await;
    let qs = questions_url(s, &bank);

    let r = import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        GIFT_WITH_BAD_ITEM,
    )
    .await;
    let v = r.assert_problem(422, "validation_failed");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{v}");
    assert_eq!(errors[0]["line"], 6, "{v}");
    assert!(errors[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(
        list_all(&app, &qs, &author, 50).await.is_empty(),
        "nothing imported"
    );

    let r = import(
        &app,
        s,
        &bank,
        &author,
        "format=gift&partial=true",
        "text/plain; charset=utf-8",
        GIFT_WITH_BAD_ITEM,
    )
    .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["imported"], 3, "{v}");
    assert_eq!(v["errors"][0]["line"], 6, "{v}");
    let got = list_all(&app, &qs, &author, 50).await;
    let types: Vec<&str> = got
        .iter()
        .map(|q| q["type"].as_str().expect("type"))
        .collect();
    assert_eq!(types, ["single_choice", "true_false", "numeric"]);
    assert_eq!(got[0]["options"], json!(["4", "3", "5"]));
    assert_eq!(got[0]["correct_answer"], json!({"option": 0}));
    assert_eq!(
        got[2]["correct_answer"],
        json!({"value": 9.81, "tolerance": 0.01})
    );

    // A clean file answers {imported} with no errors.
    let r = import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        "Is ice cold? {TRUE}\n",
    )
    .await;
    r.assert(200);
    assert_eq!(r.json()["imported"], 1);
    assert_eq!(r.json()["errors"], json!([]));

    // Wrong media type, unknown format, nothing to import, not UTF-8.
    import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "application/json",
        "{}",
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    import(&app, s, &bank, &author, "format=qti", "text/plain", "Q {T}")
        .await
        .assert_problem(422, "validation_failed");
    import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        "\n\n// only a comment\n",
    )
    .await
    .assert_problem(422, "validation_failed");
    let r = import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        vec![0xff, 0xfe, b'Q'],
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(list_all(&app, &qs, &author, 50).await.len(), 4);
}

async fn aiken_and_csv_imports(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Formats"})).await;
    let qs = questions_url(s, &bank);

    let aiken = "What is 2+2?\r\nA. 3\r\nB. 4\r\nANSWER: B\r\n\r\nCapital of Italy?\r\nA) Paris\r\nB) Rome\r\nC) Milan\r\nANSWER: B\r\n";
    let r = import(&app, s, &bank, &author, "format=aiken", "text/plain", aiken).await;
    r.assert(200);
    assert_eq!(r.json()["imported"], 2);
    let bad_aiken = "Good?\nA. yes\nB. no\nANSWER: A\n\nBroken?\nA. x\nB. y\nANSWER: D\n";
    let v = import(
        &app,
        s,
        &bank,
        &author,
        "format=aiken",
        "text/plain",
        bad_aiken,
    )
    .await
    .assert_problem(422, "validation_failed");
    assert_eq!(v["errors"][0]["line"], 6, "{v}");

    let csv = "type,text,options,correct_answer,points,difficulty,tags,explanation\n\
               single_choice,\"2+2, quickly?\",3|4|5,\"{\"\"option\"\":1}\",2,EASY,math|easy,Because.\n\
               true_false,Sky is blue,,\"{\"\"value\"\":true}\",1,MEDIUM,,\n\
               essay,Discuss,,,5,HARD,writing,\n";
    let r = import(&app, s, &bank, &author, "format=csv", "text/csv", csv).await;
    r.assert(200);
    assert_eq!(r.json()["imported"], 3);
    let bad_csv = "type,text,options,correct_answer,points\n\
                   true_false,Fine,,\"{\"\"value\"\":false}\",1\n\
                   single_choice,One option,a,\"{\"\"option\"\":0}\",1\n\
                   numeric,NaN points,,\"{\"\"value\"\":1}\",lots\n";
    let v = import(&app, s, &bank, &author, "format=csv", "text/csv", bad_csv)
        .await
        .assert_problem(422, "validation_failed");
    let lines: Vec<&Value> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| &e["line"])
        .collect();
    assert_eq!(lines, [&json!(3), &json!(4)], "{v}");

    let got = list_all(&app, &qs, &author, 50).await;
    assert_eq!(got.len(), 5, "only the clean files were imported");
    assert_eq!(got[1]["options"], json!(["Paris", "Rome", "Milan"]));
    assert_eq!(got[1]["correct_answer"], json!({"option": 1}));
    assert_eq!(got[2]["text"], "2+2, quickly?");
    assert_eq!(got[2]["points"], 2.0);
    assert_eq!(got[2]["difficulty"], "EASY");
    assert_eq!(got[2]["tags"], json!(["math", "easy"]));
    assert_eq!(got[2]["explanation"], "Because.");
    assert_eq!(got[4]["type"], "essay");
    assert_eq!(got[4]["points"], 5.0);
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let r = app
        .get(&format!("/api/v1/orgs/{s}/audit-log?action=bank.imported"))
        .token(&admin.token)
        .send()
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 2);
}

async fn export_round_trips(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Source"})).await;
    let mut questions = seven();
    questions.extend([
        json!({"type": "short_answer", "text": "Escape \\*this\\* and C:\\new\\table, 50% off.",
               "correct_answer": {"accepted": ["a=b", "x~y", "{z}"], "case_sensitive": false},
               "points": 0.5, "difficulty": "EASY", "tags": ["ünïcode", "with space"],
               "explanation": "Braces {like this}, #hash and :colon\nnext line"}),
        json!({"type": "single_choice", "text": "Which one is an arrow?", "options": ["a -> b", "c"],
               "correct_answer": {"option": 0}, "points": 1, "difficulty": "MEDIUM"}),
        json!({"type": "true_false", "text": "False, really?", "correct_answer": {"value": false},
               "points": 1000, "difficulty": "HARD", "explanation": "It is."}),
    ]);
    for q in &questions {
        add_question(&app, s, &bank, &author, q).await;
    }
    let original: Vec<Value> = list_all(&app, &questions_url(s, &bank), &author, 50)
        .await
        .iter()
        .map(content_of)
        .collect();
    for (format, ct) in [("gift", "text/plain"), ("csv", "text/csv")] {
        let r = app
            .get(&format!("{}/export?format={format}", bank_url(s, &bank)))
            .token(&author.token)
            .send()
            .await;
        r.assert(200);
        assert!(
            r.header("content-type").is_some_and(|c| c.starts_with(ct)),
            "{format}"
        );
        let file = r.text();
        let copy = create_bank(&app, s, &author, json!({"title": format!("Copy {format}")})).await;
        let r = import(
            &app,
            s,
            &copy,
            &author,
            &format!("format={format}"),
            ct,
            file.clone(),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{format}: {}\n{file}", r.text());
        assert_eq!(r.json()["imported"], questions.len());
        let copied: Vec<Value> = list_all(&app, &questions_url(s, &copy), &author, 50)
            .await
            .iter()
            .map(content_of)
            .collect();
        for (a, b) in original.iter().zip(&copied) {
            assert_eq!(a, b, "{format} round trip\n{file}");
        }
        assert_eq!(original.len(), copied.len());
    }
    app.get(&format!("{}/export?format=aiken", bank_url(s, &bank)))
        .token(&author.token)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // Reviewers read but do not export.
    let qa = app
        .member(&org, "qa@acme.test", &[Role::QualityAssurance])
        .await;
    app.get(&format!("{}/export?format=gift", bank_url(s, &bank)))
        .token(&qa.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
}

async fn ten_thousand_question_gift_import(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Big"})).await;
    let mut gift = String::with_capacity(10_000 * 60);
    for i in 0..10_000 {
        let item = match i % 4 {
            0 => format!("::Q{i}:: What is {i} + 1? {{={} ~{i} ~none}}\n\n", i + 1),
            1 => format!(
                "::Q{i}:: {i} is even. {{{}}}\n\n",
                if i % 2 == 0 { "T" } else { "F" }
            ),
            2 => format!("::Q{i}:: Half of {}? {{#{i}:0.5}}\n\n", 2 * i),
            _ => format!("::Q{i}:: Name item {i}. {{=item{i} =number {i}}}\n\n"),
        };
        gift.push_str(&item);
    }
    let started = std::time::Instant::now();
    let r = import(&app, s, &bank, &author, "format=gift", "text/plain", gift).await;
    eprintln!(
        "[{}] 10,000-question GIFT import took {:?}",
        app.backend,
        started.elapsed()
    );
    r.assert(200);
    assert_eq!(r.json()["imported"], 10_000);
    let all = list_all(&app, &questions_url(s, &bank), &author, 500).await;
    assert_eq!(all.len(), 10_000);
    let unique: BTreeSet<&str> = all.iter().map(|q| q["id"].as_str().expect("id")).collect();
    assert_eq!(unique.len(), 10_000);
    assert_eq!(all[0]["text"], "What is 0 + 1?");
    assert_eq!(all[9_999]["type"], "short_answer");
    assert_eq!(
        all[9_999]["correct_answer"]["accepted"],
        json!(["item9999", "number 9999"])
    );
    let r = app
        .get(&format!(
            "{}?type=numeric&limit=500",
            questions_url(s, &bank)
        ))
        .token(&author.token)
        .send()
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 500);
}

async fn oversized_import_is_413(app: TestApp) {
    let org = app.org("acme").await;
    let s = org.slug.as_str();
    let author = app
        .member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "Huge"})).await;
    let mut big = "Sky? {T}\n\n"
        .repeat(16 * 1024 * 1024 / 10 + 1)
        .into_bytes();
    big.truncate(16 * 1024 * 1024 + 1);
    let r = import(
        &app,
        s,
        &bank,
        &author,
        "format=gift",
        "text/plain",
        big.clone(),
    )
    .await;
    r.assert_problem(413, "payload_too_large");
    // Announced by Content-Length, too.
    let r = app
        .post(&format!("{}/import?format=gift", bank_url(s, &bank)))
        .token(&author.token)
        .header("content-length", &big.len().to_string())
        .body("text/plain", big)
        .send()
        .await;
    r.assert_problem(413, "payload_too_large");
    assert!(
        list_all(&app, &questions_url(s, &bank), &author, 50)
            .await
            .is_empty()
    );
    // JSON routes keep the 1 MiB limit.
    let long = "x".repeat(1024 * 1024 + 10);
    app.post(&questions_url(s, &bank))
        .token(&author.token)
        .json(&json!({"type": "essay", "text": long, "points": 1}))
        .send()
        .await
        .assert_problem(413, "payload_too_large");
}

both!(
    full_review_workflow,
    two_person_rule_for_every_role,
    department_scoping,
    tenant_isolation,
    question_validation_names_fields,
    markdown_is_rendered_safely,
    edits_make_versions_and_delete_retires,
    listing_filters_and_cursor_pages,
    gift_import_is_atomic_unless_partial,
    aiken_and_csv_imports,
    export_round_trips,
    ten_thousand_question_gift_import,
    oversized_import_is_413,
);
