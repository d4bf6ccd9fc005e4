//! Questions: validation naming fields, safe Markdown, immutable versions
//! and retirement, listing filters and cursor pages.

use super::*;

// ---- questions

async fn question_validation_names_fields(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
            .post_json(&questions_url(s, &bank), &author.token, &body)
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
        .patch_json(&url, &author.token, &json!({"options": ["one"]}))
        .await
        .assert_problem(422, "validation_failed");
    assert!(
        v["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["field"] == "options")
    );
    app.patch_json(&url, &author.token, &json!({"colour": "red"}))
        .await
        .assert_problem(422, "validation_failed");
    let r = app.get_as(&format!("{url}/versions"), &author.token).await;
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
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
    let coordinator = app
        .member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    let bank = create_bank(&app, s, &author, json!({"title": "History"})).await;
    let q = add_question(&app, s, &bank, &author, &seven()[0]).await;
    let keep = add_question(&app, s, &bank, &author, &seven()[2]).await;
    let id = q["id"].as_str().expect("id");
    let url = format!("{}/{id}", questions_url(s, &bank));

    let r = app.patch_json(&url, &author.token, &json!({"text": "What is 3+3?", "options": ["5", "6"], "correct_answer": {"option": 1}})).await;
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
        .patch_json(&url, &author.token, &json!({"text": "What is 3+3?"}))
        .await;
    r.assert(200);
    assert_eq!(r.json()["version"], 2);

    let r = app
        .get_as(&format!("{url}/versions"), &coordinator.token)
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
    let r = app.get_as(&url, &coordinator.token).await;
    r.assert(200);
    assert_eq!(r.json()["version"], 2);

    app.delete_as(&url, &author.token).await.assert(204);
    let r = app.get_as(&url, &author.token).await;
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
    app.get_as(&format!("{qs}?status=GONE"), &author.token)
        .await
        .assert_problem(422, "validation_failed");
    // Retired questions keep their history and take no edits.
    let r = app.get_as(&format!("{url}/versions"), &author.token).await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 2);
    app.patch_json(&url, &author.token, &json!({"points": 4}))
        .await
        .assert_problem(409, "conflict");
    // Not exported, not counted for submission.
    let r = app
        .get_as(
            &format!("{}/export?format=csv", bank_url(s, &bank)),
            &author.token,
        )
        .await;
    r.assert(200);
    assert!(!r.text().contains("3+3"), "{}", r.text());
    app.delete_as(
        &format!("{}/{}", qs, keep["id"].as_str().expect("id")),
        &author.token,
    )
    .await
    .assert(204);
    act(&app, s, &bank, &author, "submit", None)
        .await
        .assert_problem(409, "conflict");
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let r = app
        .get_as(
            &format!("/api/v1/orgs/{s}/audit-log?action=question.updated&resource_id={id}"),
            &admin.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 1);
    let r = app
        .get_as(
            &format!("/api/v1/orgs/{s}/audit-log?action=question.retired&resource_id={id}"),
            &admin.token,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 1);
}

async fn listing_filters_and_cursor_pages(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
    let r = app.get_as(&format!("{qs}?limit=2"), &author.token).await;
    assert!(r.json()["next_cursor"].is_string());
    let r = app.get_as(&format!("{qs}?limit=7"), &author.token).await;
    assert!(r.json()["next_cursor"].is_null());
    app.get_as(&format!("{qs}?limit=501"), &author.token)
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

both!(
    question_validation_names_fields,
    markdown_is_rendered_safely,
    edits_make_versions_and_delete_retires,
    listing_filters_and_cursor_pages,
);
