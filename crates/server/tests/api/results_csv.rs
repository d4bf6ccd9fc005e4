//! The results CSV streamed (`GET /orgs/{org}/exams/{exam}/results.csv`):
//! every row of an exam larger than one page, quoting and formula cells,
//! the per-question points columns (`?questions=true`) with hand-checked
//! values, a bad `questions` value, and the staff page's two downloads.

use serde_json::json;
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_server::grading::results_csv::CSV_PAGE_SIZE;
use invigil_store::delivery;
use invigil_testkit::browser::assert_page;

use crate::both;
use crate::common::TestApp;
use crate::delivery::gradebook::sit;
use crate::delivery::{ExamOpts, enroll, setup_with};
use crate::web_staff::staff_browser;

/// The CSV's records (header first), parsed back as a spreadsheet would.
fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn the_csv_streams_every_session_of_an_exam_larger_than_a_page(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid: Uuid = sit(&app, &s).await.parse().unwrap();
    // Attempts 2..=601 of the same enrollment, copied from the real one
    // straight through the store (one transaction): more than one page.
    let extra = CSV_PAGE_SIZE as i32 + 100;
    let first = delivery::session(app.db().read(), sid)
        .await
        .unwrap()
        .unwrap();
    let tx = app.db().begin().await.unwrap();
    for n in 0..extra {
        delivery::insert_session(
            &tx,
            delivery::Session {
                id: Uuid::now_v7(),
                attempt_no: n + 2,
                ..first.clone()
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();

    let r = app
        .get(&format!(
            "/api/v1/orgs/acme/exams/{}/results.csv",
            s.exam_id
        ))
        .token(&s.coordinator.token)
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = r.text();
    assert!(text.ends_with("\r\n"), "CRLF line ends");
    assert_eq!(text.matches("\r\n").count(), extra as usize + 2);
    let rows = records(&text);
    assert_eq!(
        rows.len(),
        extra as usize + 2,
        "the header and every session"
    );
    assert_eq!(rows[0].len(), 20);
    assert_eq!(rows[0][0], "session_id");
    let ids: Vec<Uuid> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(ids[0], sid);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "in session order, none twice across the page boundary"
    );
    let attempts: Vec<i32> = rows[1..].iter().map(|r| r[4].parse().unwrap()).collect();
    assert_eq!(attempts, (1..=extra + 1).collect::<Vec<_>>());
}

async fn the_csv_quotes_neutralises_and_gives_points_per_question(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = sit(&app, &s).await;
    // Two more candidates with awkward names, each with a running session.
    let mut running = Vec::new();
    for (email, name) in [
        ("evil@acme.org", "=HYPERLINK(\"http://x\")"),
        ("doe@acme.org", "Doe, \"Jo\"\t@home"),
    ] {
        let u = app.member(&s.org, email, &[Role::Candidate]).await;
        invigil_store::identity::users::set_name(app.db().write(), u.id, name, app.state.now())
            .await
            .unwrap();
        enroll(&app, &s.org, s.exam_id, u.id, None).await;
        let body = app.start_session(s.exam_id, &u.token).await;
        running.push(body["session_id"].as_str().unwrap().to_owned());
    }
    // The order served (not randomized): single choice, true/false, short
    // answer, numeric, essay.
    let served = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{}/results/{sid}", s.exam_id),
            &s.coordinator.token,
        )
        .await;
    let qids: Vec<String> = served["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["question_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(qids.len(), 5);
    let base = format!("/api/v1/orgs/acme/exams/{}/results.csv", s.exam_id);
    let t = &s.coordinator.token;

    // Without the parameter (or with false): the fixed columns only.
    for url in [base.clone(), format!("{base}?questions=false")] {
        let r = app.get(&url).token(t).send().await;
        r.assert(200);
        assert!(records(&r.text()).iter().all(|row| row.len() == 20));
    }

    let r = app
        .get(&format!("{base}?questions=true"))
        .token(t)
        .send()
        .await;
    r.assert(200);
    let text = r.text();
    // Quoting: the formula is neutralised inside a quoted cell, the comma
    // and quotes survive a round trip, the tab-and-@ name is not a formula.
    assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
    assert!(text.contains("\"Doe, \"\"Jo\"\"\t@home\""), "{text}");
    let rows = records(&text);
    assert_eq!(rows.len(), 4);
    let header = &rows[0];
    assert_eq!(header.len(), 25);
    for (i, q) in qids.iter().enumerate() {
        assert_eq!(header[20 + i], format!("Q{} points ({q})", i + 1));
    }
    let row_of = |id: &str| rows.iter().find(|r| r[0] == id).unwrap().clone();
    let names: Vec<String> = running.iter().map(|id| row_of(id)[2].clone()).collect();
    assert_eq!(
        names,
        vec!["'=HYPERLINK(\"http://x\")", "Doe, \"Jo\"\t@home"]
    );
    for cell in rows.iter().flatten() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} starts a formula"
        );
    }
    // Hand-checked: the single choice right (2 of 2), the three objective
    // questions left unanswered score 0, the essay waits for a grader.
    let sat = row_of(&sid);
    assert_eq!(&sat[20..], &["2", "0", "0", "0", ""]);
    // Running sessions have nothing graded yet.
    for id in &running {
        assert_eq!(&row_of(id)[20..], &["", "", "", "", ""]);
    }

    // Once the essay is graded, its points appear.
    app.put_json(
        &format!("/api/v1/orgs/acme/sessions/{sid}/answers/{}/grade", qids[4]),
        t,
        &json!({"points": 3.5}),
    )
    .await
    .assert(200);
    let r = app
        .get(&format!("{base}?questions=true"))
        .token(t)
        .send()
        .await;
    let rows = records(&r.text());
    let sat = rows.iter().find(|r| r[0] == sid).unwrap();
    assert_eq!(&sat[20..], &["2", "0", "0", "0", "3.5"]);
    assert_eq!(sat[8], "5.5", "final score");

    // A bad value is a 400 problem, whoever asks; policy and 404 first
    // when allowed.
    for bad in ["yes", "1", "", "TRUE"] {
        app.get(&format!("{base}?questions={bad}"))
            .token(t)
            .send()
            .await
            .assert_problem(400, "bad_request");
    }
    app.get(&format!("{base}?questions=true"))
        .token(&s.proctor.token)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&format!(
        "/api/v1/orgs/acme/exams/{}/results.csv?questions=true",
        Uuid::now_v7()
    ))
    .token(t)
    .send()
    .await
    .assert_problem(404, "not_found");

    // The staff page offers both downloads; they answer the same file.
    let mut coord = staff_browser(&app, "coord@acme.org").await;
    let page_base = format!("/orgs/acme/exams/{}/results", s.exam_id);
    let page = coord.get(&app, &page_base).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("CSV with points per question"), "{html}");
    assert!(
        html.contains(&format!("{page_base}.csv?questions=true")),
        "{html}"
    );
    let csv = coord
        .get(&app, &format!("{page_base}.csv?questions=true"))
        .await;
    csv.assert(200);
    assert_eq!(records(&csv.text())[0].len(), 25);
    assert_page(
        &coord
            .get(&app, &format!("{page_base}.csv?questions=maybe"))
            .await,
        400,
    );
}

async fn a_database_error_part_way_ends_the_download_with_an_error(app: TestApp) {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use sea_orm::ConnectionTrait;
    use tower::ServiceExt;

    let s = setup_with(&app, ExamOpts::default()).await;
    sit(&app, &s).await;
    let resp = app
        .router
        .clone()
        .oneshot(
            Request::get(format!("/api/v1/orgs/acme/exams/{}/results.csv", s.exam_id))
                .header("authorization", format!("Bearer {}", s.coordinator.token))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    // The status is decided before the body: 200, and the header row.
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.into_body();
    let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
    assert!(first.starts_with(b"session_id,"), "{first:?}");
    // The first page of rows needs a table that is no longer there.
    app.db()
        .write()
        .execute_unprepared("ALTER TABLE flags RENAME TO flags_away")
        .await
        .unwrap();
    let next = body.frame().await;
    assert!(
        matches!(next, Some(Err(_))),
        "the body ends with an error, not a file that looks complete: {next:?}"
    );
    app.db()
        .write()
        .execute_unprepared("ALTER TABLE flags_away RENAME TO flags")
        .await
        .unwrap();
}

both!(
    the_csv_streams_every_session_of_an_exam_larger_than_a_page,
    the_csv_quotes_neutralises_and_gives_points_per_question,
    a_database_error_part_way_ends_the_download_with_an_error,
);
