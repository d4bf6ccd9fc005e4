//! Input hygiene (issue 9): control characters are refused with 422 in JSON
//! bodies (every string and key, checked in one place), query strings, path
//! parameters, the `Idempotency-Key` header and every import, before they
//! reach the database; CSV exports neutralise formulas; 4xx are logged at
//! INFO and 5xx at ERROR with the request id; the harness fails a skipped
//! PostgreSQL half on CI and drops its template. The property test over the
//! OpenAPI document is in `input/fuzz.rs`.

mod fuzz;

use serde_json::{Value, json};

use invigil_domain::identity::Role;

use crate::both;
use crate::common::{TestApp, TestResponse, logs};

/// The fields named by a 422 problem.
fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .map(|errs| {
            errs.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The lines named by a 422 line problem.
fn lines(v: &Value) -> Vec<u64> {
    v["errors"]
        .as_array()
        .map(|errs| errs.iter().filter_map(|e| e["line"].as_u64()).collect())
        .unwrap_or_default()
}

#[track_caller]
fn assert_control_refused(r: &TestResponse, field: &str) {
    let v = r.assert_problem(422, "validation_failed");
    assert!(
        fields(&v).iter().any(|f| f == field),
        "expected field {field}: {v}"
    );
    assert!(v.to_string().contains("control characters"), "{v}");
}

/// PostgreSQL answered 500 to a NUL in the login email (it cannot store or
/// compare NUL in text); now both backends answer 422 naming the field, and
/// nothing is written (no throttle row, no audit entry).
async fn nul_in_login_email_is_422(app: TestApp) {
    let org = app.org("nul").await;
    app.member(&org, "ana@nul.example", &[Role::OrgAdmin]).await;
    for email in ["ana\u{0}@nul.example", "ana@nul.example\u{1}", "\u{1b}[31m"] {
        let r = app.login(email, "whatever-password-1").await;
        assert_control_refused(&r, "email");
    }
    let r = app.login("ana@nul.example", "pass\u{0}word-long-1").await;
    assert_control_refused(&r, "password");
    // Tab, LF and CR are not control characters to refuse: an ordinary 401.
    app.login("ana@nul.example", "wrong\tpass\r\nword")
        .await
        .assert_problem(401, "invalid_credentials");
    assert!(app.audit_actions(&org).await.is_empty());
}

/// Every string and key of a JSON body is checked, nested ones included,
/// and the problem names each field; nothing is created.
async fn control_characters_in_json_bodies_are_refused(app: TestApp) {
    let w = app.world("js").await;
    let url = "/api/v1/orgs/js/departments";
    let r = app
        .post_json(url, &w.admin.token, &json!({ "name": "Chem\u{0}istry" }))
        .await;
    assert_control_refused(&r, "name");
    // Escapes JSON has shortcuts for are control characters too.
    let r = app
        .post(url)
        .token(&w.admin.token)
        .body("application/json", r#"{"name":"Bell\b\f"}"#)
        .send()
        .await;
    assert_control_refused(&r, "name");
    // A key.
    let r = app
        .post_json(
            url,
            &w.admin.token,
            &json!({ "name": "Physics", "x\u{7}": 1 }),
        )
        .await;
    assert_control_refused(&r, "x\\u{7}");
    // Nested fields, all of them named.
    let r = app
        .post_json(
            &format!("/api/v1/orgs/js/question-banks/{}/questions", w.draft_bank),
            &w.admin.token,
            &json!({
                "type": "single_choice",
                "text": "Pick\u{0}",
                "options": ["a", "b\u{2}"],
                "correct_answer": { "option": 0 },
                "tags": ["ok", "t\u{1f}"],
            }),
        )
        .await;
    let v = r.assert_problem(422, "validation_failed");
    let mut got = fields(&v);
    got.sort();
    assert_eq!(got, ["options[1]", "tags[1]", "text"], "{v}");
    // Nothing was created.
    let r = app.get_as(url, &w.admin.token).await;
    r.assert(200);
    let names: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Dept"]);
    // Tab, LF and CR pass the check (and the field's own rules decide).
    let r = app
        .post_json(
            &format!("/api/v1/orgs/js/question-banks/{}/questions", w.draft_bank),
            &w.admin.token,
            &json!({
                "type": "essay",
                "text": "Line one\r\nLine\ttwo\n",
            }),
        )
        .await;
    r.assert(201);
}

/// Query parameters: 422 naming the parameter; path parameters: 404 (a name
/// holding a control character cannot exist); nothing reaches the database.
async fn control_characters_in_urls_are_refused(app: TestApp) {
    let w = app.world("url").await;
    let r = app
        .get_as("/api/v1/orgs/url/members?q=a%00b", &w.admin.token)
        .await;
    assert_control_refused(&r, "q");
    let r = app
        .get_as(
            "/api/v1/orgs/url/audit-log?action=x%1b&limit=5",
            &w.admin.token,
        )
        .await;
    assert_control_refused(&r, "action");
    // %09, %0A and %0D are allowed through (the route's own rules decide).
    let r = app
        .get_as("/api/v1/orgs/url/members?q=a%09b", &w.admin.token)
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    app.get_as("/api/v1/orgs/u%00rl", &w.admin.token)
        .await
        .assert_problem(404, "not_found");
    // Not UTF-8 at all: no such name either.
    app.get_as("/api/v1/orgs/%FF%FE", &w.admin.token)
        .await
        .assert_problem(404, "not_found");
    app.patch_json(
        "/api/v1/orgs/u%01rl",
        &w.admin.token,
        &json!({ "name": "New" }),
    )
    .await
    .assert_problem(404, "not_found");
}

/// `Idempotency-Key` must be printable: a key the server cannot read as text
/// is refused instead of silently switching idempotency off.
async fn unreadable_idempotency_key_is_422(app: TestApp) {
    let w = app.world("idem").await;
    let r = app
        .post("/api/v1/orgs/idem/departments")
        .token(&w.admin.token)
        .header_bytes("idempotency-key", b"key-\xff\xfe")
        .json(&json!({ "name": "Biology" }))
        .send()
        .await;
    assert_control_refused_or_printable(&r);
    let r = app
        .get_as("/api/v1/orgs/idem/departments", &w.admin.token)
        .await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
}

#[track_caller]
fn assert_control_refused_or_printable(r: &TestResponse) {
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(fields(&v), ["Idempotency-Key"], "{v}");
}

/// GIFT, Aiken and CSV question imports: a file with a control character is
/// refused with each bad line named, and nothing is imported.
async fn control_characters_in_question_imports_are_line_errors(app: TestApp) {
    let w = app.world("imp").await;
    let url = format!("/api/v1/orgs/imp/question-banks/{}/import", w.draft_bank);
    let cases = [
        (
            "gift",
            "::Q1:: Fine? {=yes ~no}\n\n::Q2:: Bad\u{0}? {=yes ~no}\n",
            vec![3],
        ),
        ("aiken", "Fine?\nA. yes\nB. no\u{8}\nANSWER: A\n", vec![3]),
        (
            "csv",
            "type,text,options,correct_answer\r\nsingle_choice,Ok?,a|b,\"{\"\"option\"\":0}\"\r\nsingle_choice,Bad\u{1}?,a|b,\"{\"\"option\"\":0}\"\r\n",
            vec![3],
        ),
    ];
    for (format, text, want) in cases {
        let r = app
            .post(&format!("{url}?format={format}"))
            .token(&w.admin.token)
            .body("text/plain", text)
            .send()
            .await;
        let v = r.assert_problem(422, "validation_failed");
        assert_eq!(lines(&v), want, "{format}: {v}");
        assert!(v.to_string().contains("control characters"), "{v}");
    }
    let r = app
        .get_as(
            &format!("/api/v1/orgs/imp/question-banks/{}/questions", w.draft_bank),
            &w.admin.token,
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 0);
}

/// Candidate and enrollment CSV uploads: 422 with the line, nothing created.
async fn control_characters_in_csv_uploads_are_line_errors(app: TestApp) {
    let w = app.world("up").await;
    let r = app
        .post("/api/v1/orgs/up/candidates/import")
        .token(&w.admin.token)
        .body(
            "text/csv",
            "email,name\nana@up.example,Ana\nbo@up.example,B\u{0}o\n",
        )
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(lines(&v), [3], "{v}");
    let r = app
        .post(&format!("/api/v1/orgs/up/exams/{}/enrollments", w.exam))
        .token(&w.admin.token)
        .body(
            "text/csv",
            "email,name\r\nana@up.example,Ana\r\n\u{7}bo@up.example,Bo\r\n",
        )
        .send()
        .await;
    let v = r.assert_problem(422, "validation_failed");
    assert_eq!(lines(&v), [3], "{v}");
    // The JSON form of the enrollment goes through the JSON check.
    let r = app
        .post_json(
            &format!("/api/v1/orgs/up/exams/{}/enrollments", w.exam),
            &w.admin.token,
            &json!({ "candidates": [{ "email": "cy@up.example", "name": "C\u{0}y" }] }),
        )
        .await;
    assert_control_refused(&r, "candidates[0].name");
    let r = app
        .get_as("/api/v1/orgs/up/members?limit=100", &w.admin.token)
        .await;
    r.assert(200);
    let emails = r.json().to_string();
    assert!(!emails.contains("ana@up.example"), "{emails}");
    assert!(!emails.contains("bo@up.example"), "{emails}");
}

/// The CSV export of a bank: cells that a spreadsheet would run as a formula
/// start with `'`; importing the export gives back the same questions.
async fn csv_export_neutralises_formulas(app: TestApp) {
    let w = app.world("fx").await;
    let bank = w.draft_bank;
    let questions = format!("/api/v1/orgs/fx/question-banks/{bank}/questions");
    for body in [
        json!({
            "type": "single_choice",
            "text": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "options": ["-1", "+1", "@SUM(A1)", "0"],
            "correct_answer": { "option": 3 },
            "tags": ["=cmd"],
            "explanation": "-2+3",
        }),
        json!({ "type": "essay", "text": "'=already quoted" }),
    ] {
        app.post_json(&questions, &w.admin.token, &body)
            .await
            .assert(201);
    }
    let r = app
        .get_as(
            &format!("/api/v1/orgs/fx/question-banks/{bank}/export?format=csv"),
            &w.admin.token,
        )
        .await;
    r.assert(200);
    let csv = r.text();
    let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} starts a formula:\n{csv}"
            );
            cells.push(cell.to_owned());
        }
    }
    assert!(
        cells.iter().any(|c| c.starts_with("'=HYPERLINK")),
        "{cells:?}"
    );
    assert!(cells.iter().any(|c| c == "'-1|+1|@SUM(A1)|0"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "''=already quoted"), "{cells:?}");
    // Round trip into another bank: the same texts come back.
    let other = invigil_store::content::create_bank(
        app.db().write(),
        w.org.id,
        invigil_store::content::NewBank {
            title: "Copy".into(),
            description: None,
            tags: Vec::new(),
            department_id: None,
            author_id: w.admin.id,
        },
        invigil_domain::content::BankStatus::Draft,
        app.state.now(),
    )
    .await
    .unwrap()
    .id;
    app.post(&format!(
        "/api/v1/orgs/fx/question-banks/{other}/import?format=csv"
    ))
    .token(&w.admin.token)
    .body("text/csv", csv.clone())
    .send()
    .await
    .assert(200);
    let again = app
        .get_as(
            &format!("/api/v1/orgs/fx/question-banks/{other}/export?format=csv"),
            &w.admin.token,
        )
        .await;
    assert_eq!(again.text(), csv);
}

/// 4xx are logged at INFO, never ERROR; a 5xx at ERROR, with the request id
/// of the response in the event.
async fn client_errors_are_not_logged_as_errors(app: TestApp) {
    let w = app.world("log").await;
    let (lines, ids) = logs::capture(async {
        let mut ids = Vec::new();
        for r in [
            app.get("/api/v1/me").send().await,
            app.get("/api/v1/nowhere").send().await,
            app.login("nobody@log.example", "wrong-password-1").await,
            app.post_json(
                "/api/v1/orgs/log/departments",
                &w.admin.token,
                &json!({ "name": "" }),
            )
            .await,
            app.post("/api/v1/orgs/log/departments")
                .token(&w.admin.token)
                .body("application/json", "{")
                .send()
                .await,
        ] {
            assert!(r.status.is_client_error(), "{}", r.text());
            ids.push(r.header("x-request-id").unwrap().to_owned());
        }
        ids
    })
    .await;
    let errors: Vec<&String> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "4xx logged as errors: {errors:#?}");
    for id in &ids {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(" INFO ") && l.contains(id) && l.contains("request refused")),
            "no INFO line for request {id}: {lines:#?}"
        );
    }
    // A 5xx: the database is gone.
    app.db().clone().close().await.unwrap();
    let (lines, id) = logs::capture(async {
        let r = app.get_as("/api/v1/me", &w.admin.token).await;
        r.assert_problem(500, "internal");
        r.header("x-request-id").unwrap().to_owned()
    })
    .await;
    let errors: Vec<&String> = lines.iter().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.iter().any(|l| l.contains("request failed")
            && l.contains("code=internal")
            && l.contains(&format!("request_id={id}"))),
        "no ERROR line with the request id {id}: {lines:#?}"
    );
    assert!(
        errors.iter().all(|l| l.contains(&id)),
        "an ERROR line without the request id: {errors:#?}"
    );
}

/// A stand-in test the harness tests run in a child process.
async fn harness_probe(app: TestApp) {
    app.get("/healthz").send().await.assert(200);
}

both!(
    nul_in_login_email_is_422,
    control_characters_in_json_bodies_are_refused,
    control_characters_in_urls_are_refused,
    unreadable_idempotency_key_is_422,
    control_characters_in_question_imports_are_line_errors,
    control_characters_in_csv_uploads_are_line_errors,
    csv_export_neutralises_formulas,
    client_errors_are_not_logged_as_errors,
    harness_probe,
);

/// Runs one test of this binary in a child process with `env` changed.
fn run_child(test: &str, set: &[(&str, &str)], unset: &[&str]) -> (std::process::Output, u32) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--nocapture", "--test-threads=1"]);
    for (k, v) in set {
        cmd.env(k, v);
    }
    for k in unset {
        cmd.env_remove(k);
    }
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    (child.wait_with_output().unwrap(), pid)
}

/// On CI (`CI` set) a PostgreSQL half without `INVIGIL_TEST_PG_URL` fails
/// loudly; elsewhere it passes with a note.
#[test]
fn postgres_half_fails_on_ci_without_a_database() {
    use crate::common::{CI_ENV, PG_ENV};
    let test = "input::harness_probe::postgres";
    let (out, _) = run_child(test, &[(CI_ENV, "true")], &[PG_ENV]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail on CI:\n{text}");
    assert!(text.contains("cannot be skipped on CI"), "{text}");
    let (out, _) = run_child(test, &[(CI_ENV, "")], &[PG_ENV]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "should pass off CI:\n{text}");
    assert!(text.contains("skipped"), "{text}");
}

/// The template database a test process creates is dropped once that
/// process has exited (by its reaper), and another process's template is
/// never touched.
#[tokio::test]
async fn postgres_template_is_dropped_after_the_run() {
    use crate::common::PG_ENV;
    let Some(admin_url) = std::env::var(PG_ENV).ok().filter(|s| !s.is_empty()) else {
        crate::common::pg_unavailable("input::postgres_template_is_dropped_after_the_run");
        return;
    };
    let (out, pid) = run_child("input::harness_probe::postgres", &[], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin = invigil_testkit::pgadmin::connect(&admin_url).await.unwrap();
    let suffix = format!("_{pid}");
    let mut left = Vec::new();
    for _ in 0..100 {
        use sea_orm::ConnectionTrait;
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                "SELECT datname FROM pg_database WHERE datname LIKE 'invigil\\_tpl\\_%'".to_owned(),
            ))
            .await
            .unwrap();
        left = rows
            .iter()
            .filter_map(|r| r.try_get::<String>("", "datname").ok())
            .filter(|n| n.ends_with(&suffix))
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = admin.close().await;
    assert!(
        left.is_empty(),
        "templates of the finished run remain: {left:?}"
    );
}
