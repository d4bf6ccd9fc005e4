//! Import and export: GIFT (atomic unless partial), Aiken and CSV, export
//! round trips, a 10,000-question import, the size cap.

use super::*;

// ---- import and export

const GIFT_WITH_BAD_ITEM: &str = "// a comment\n::Q1:: 2+2 = ? {=4 ~3 ~5}\n\n::Q2:: The sky is blue. {T}\n\n::Q3:: Match these {=a -> 1 =b -> 2 =c -> 3}\n\n::Q4:: Gravity? {#9.81:0.01}\n";

async fn gift_import_is_atomic_unless_partial(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
        .get_as(
            &format!("/api/v1/orgs/{s}/audit-log?action=bank.imported"),
            &admin.token,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 2);
}

async fn export_round_trips(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
            .get_as(
                &format!("{}/export?format={format}", bank_url(s, &bank)),
                &author.token,
            )
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
    app.get_as(
        &format!("{}/export?format=aiken", bank_url(s, &bank)),
        &author.token,
    )
    .await
    .assert_problem(422, "validation_failed");
    // Reviewers read but do not export.
    let qa = app
        .member(&org, "qa@acme.test", &[Role::QualityAssurance])
        .await;
    app.get_as(
        &format!("{}/export?format=gift", bank_url(s, &bank)),
        &qa.token,
    )
    .await
    .assert_problem(403, "forbidden");
}

async fn ten_thousand_question_gift_import(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
        .get_as(
            &format!("{}?type=numeric&limit=500", questions_url(s, &bank)),
            &author.token,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().expect("items").len(), 500);
}

async fn oversized_import_is_413(app: TestApp) {
    let (org, author) = acme_author(&app).await;
    let s = org.slug.as_str();
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
    app.post_json(
        &questions_url(s, &bank),
        &author.token,
        &json!({"type": "essay", "text": long, "points": 1}),
    )
    .await
    .assert_problem(413, "payload_too_large");
}

both!(
    gift_import_is_atomic_unless_partial,
    aiken_and_csv_imports,
    export_round_trips,
    ten_thousand_question_gift_import,
    oversized_import_is_413,
);
