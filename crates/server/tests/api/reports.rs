//! Reports: the item analysis of an exam through the real router, on a
//! small data set whose numbers are worked out by hand below — on both
//! backends.

use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::content::{QuestionInput, validate};
use invigil_domain::identity::Role;

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, approved_bank, enroll, insert_exam, save};
use crate::review::submit;

fn question(v: Value) -> invigil_domain::content::Question {
    let input: QuestionInput = serde_json::from_value(v).unwrap();
    validate(input).unwrap()
}

/// The served index of the option whose text is `text` (options are
/// shuffled per session).
fn served_index(q: &Value, text: &str) -> usize {
    q["options"]
        .as_array()
        .unwrap()
        .iter()
        .position(|o| o.as_str() == Some(text) || o["text"].as_str() == Some(text))
        .unwrap_or_else(|| panic!("no option {text} in {q}"))
}

fn by_text<'a>(session: &'a Value, text: &str) -> &'a Value {
    session["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["text"].as_str().is_some_and(|t| t.contains(text)))
        .unwrap()
}

/// One candidate's sitting: Q1 (single choice: option text or none), Q2
/// (true/false), Q3 (numeric or none); submitted.
async fn sit(
    app: &TestApp,
    exam: Uuid,
    who: &TestUser,
    q1: Option<&str>,
    q2: bool,
    q3: Option<f64>,
) {
    let s = app.start_session(exam, &who.token).await;
    let sid = s["session_id"].as_str().unwrap().to_owned();
    let q = by_text(&s, "Which");
    if let Some(text) = q1 {
        let i = served_index(q, text);
        save(
            app,
            &who.token,
            &sid,
            q["id"].as_str().unwrap(),
            json!({"option": i}),
            1,
        )
        .await
        .assert(200);
    }
    let q = by_text(&s, "Water");
    save(
        app,
        &who.token,
        &sid,
        q["id"].as_str().unwrap(),
        json!({"value": q2}),
        1,
    )
    .await
    .assert(200);
    if let Some(v) = q3 {
        let q = by_text(&s, "How many");
        save(
            app,
            &who.token,
            &sid,
            q["id"].as_str().unwrap(),
            json!({"value": v}),
            1,
        )
        .await
        .assert(200);
    }
    submit(app, sid.parse().unwrap(), who).await;
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-3)
}

/// The hand-checked exam: three questions, four candidates who finished
/// with totals 3, 2, 1, 0 and a fifth still writing. Returns the exam, the
/// report viewer, the coordinator, the proctor and the candidates.
pub(crate) async fn sat_exam(app: &TestApp) -> (Uuid, TestUser, TestUser, TestUser, Vec<TestUser>) {
    let org = app.org("acme").await;
    let coord = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let viewer = app
        .member(&org, "viewer@acme.org", &[Role::ReportViewer])
        .await;
    let proctor = app
        .member(&org, "proctor@acme.org", &[Role::ProctorReviewer])
        .await;
    let bank = approved_bank(
        app,
        &org,
        coord.id,
        &[
            question(json!({"type": "single_choice", "text": "Which is prime?", "options": ["4", "7", "9"], "correct_answer": {"option": 1}, "points": 1})),
            question(json!({"type": "true_false", "text": "Water is wet", "correct_answer": {"value": true}, "points": 1})),
            question(json!({"type": "numeric", "text": "How many sides has a triangle?", "correct_answer": {"value": 3, "tolerance": 0}, "points": 1})),
        ],
    )
    .await;
    let opts = ExamOpts {
        randomize: true,
        ..ExamOpts::default()
    };
    let exam = insert_exam(app, &org, bank, coord.id, &opts).await;
    let mut cands = Vec::new();
    for i in 1..=5 {
        let c = app
            .member(&org, &format!("c{i}@acme.org"), &[Role::Candidate])
            .await;
        enroll(app, &org, exam, c.id, None).await;
        cands.push(c);
    }
    // Totals 3, 2, 1, 0; the fifth is still writing and does not count.
    sit(app, exam, &cands[0], Some("7"), true, Some(3.0)).await;
    sit(app, exam, &cands[1], Some("7"), true, None).await;
    sit(app, exam, &cands[2], Some("4"), true, Some(4.0)).await;
    sit(app, exam, &cands[3], Some("9"), false, None).await;
    app.start_session(exam, &cands[4].token).await;
    app.member(&org, "manager@acme.org", &[Role::EnrollmentManager])
        .await;
    (exam, viewer, coord, proctor, cands)
}

async fn item_analysis_of_a_hand_checked_exam(app: TestApp) {
    let (exam, viewer, coord, proctor, cands) = sat_exam(&app).await;
    let path = format!("/api/v1/orgs/acme/exams/{exam}/item-analysis");
    let r = app.get_as(&path, &viewer.token).await;
    r.assert(200);
    let a = r.json();
    assert_eq!(a["examinees"], 4, "{a}");
    // Totals 3, 2, 1, 0: mean 1.5, population variance 1.25.
    assert!(close(&a["mean_total"], 1.5), "{a}");
    assert!(close(&a["sd_total"], 1.25f64.sqrt()), "{a}");
    // KR-20 = 3/2 * (1 - (.25 + .1875 + .1875) / 1.25) = 0.75; SEM = SD * sqrt(.25).
    assert_eq!(a["reliability"]["method"], "KR20", "{a}");
    assert!(close(&a["reliability"]["value"], 0.75), "{a}");
    assert!(close(&a["sem"], 1.25f64.sqrt() * 0.5), "{a}");

    let items = a["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let item = |text: &str| {
        items
            .iter()
            .find(|i| i["text"].as_str().unwrap().contains(text))
            .unwrap()
    };
    // Q1: right 1,1,0,0 -> p .5; rest of the total 2,1,1,0 -> r = .25 / sqrt(.25 * .5).
    let q1 = item("Which");
    assert_eq!(q1["served"], 4);
    assert!(close(&q1["p_value"], 0.5), "{q1}");
    assert!(
        close(&q1["point_biserial"], 0.25 / (0.125f64).sqrt()),
        "{q1}"
    );
    assert!(close(&q1["discrimination"], 1.0), "{q1}");
    assert!(close(&q1["omit_rate"], 0.0), "{q1}");
    // Options in their original order, whatever each session was shown.
    let opts = q1["options"].as_array().unwrap();
    assert_eq!(opts.len(), 3);
    assert_eq!(opts[0]["text"], "4");
    assert_eq!(opts[0]["count"], 1);
    assert!(close(&opts[0]["mean_total"], 1.0));
    assert_eq!(opts[1]["text"], "7");
    assert_eq!(opts[1]["correct"], true);
    assert_eq!(opts[1]["count"], 2);
    assert!(close(&opts[1]["mean_total"], 2.5));
    assert_eq!(opts[2]["count"], 1);
    assert!(close(&opts[2]["mean_total"], 0.0));
    // Q2: three chose True (totals 3, 2, 1 -> mean 2), p .75.
    let q2 = item("Water");
    assert!(close(&q2["p_value"], 0.75), "{q2}");
    let tf = q2["options"].as_array().unwrap();
    assert_eq!(tf[0]["text"], "True");
    assert_eq!(tf[0]["count"], 3);
    assert!(close(&tf[0]["mean_total"], 2.0));
    assert_eq!(tf[1]["count"], 1);
    // Q3: one right, two omitted.
    let q3 = item("How many");
    assert!(close(&q3["p_value"], 0.25), "{q3}");
    assert!(close(&q3["omit_rate"], 0.5), "{q3}");
    assert_eq!(q3["options"], json!([]));

    // The exam report of the same sittings: percents 100, 66.7, 33.3, 0.
    let report = format!("/api/v1/orgs/acme/exams/{exam}/report");
    let r = app.get_as(&format!("{report}?bins=4"), &viewer.token).await;
    r.assert(200);
    let rep = r.json();
    assert_eq!(rep["counts"]["enrolled"], 5, "{rep}");
    assert_eq!(rep["counts"]["started"], 5, "{rep}");
    assert_eq!(rep["counts"]["sessions"], 5, "{rep}");
    assert_eq!(rep["counts"]["in_progress"], 1, "{rep}");
    assert_eq!(rep["counts"]["submitted"], 4, "{rep}");
    assert_eq!(rep["counts"]["terminated"], 0, "{rep}");
    assert_eq!(rep["scores"]["count"], 4, "{rep}");
    assert!(close(&rep["scores"]["mean"], 50.0), "{rep}");
    assert!(close(&rep["scores"]["median"], 50.0), "{rep}");
    assert!(close(&rep["scores"]["min"], 0.0), "{rep}");
    assert!(close(&rep["scores"]["max"], 100.0), "{rep}");
    let bars: Vec<i64> = rep["scores"]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .collect();
    assert_eq!(bars, vec![1, 1, 1, 1], "{rep}");
    // Passing is 50 %: 100 and 66.7 pass.
    assert_eq!(rep["passed"], 2, "{rep}");
    assert!(close(&rep["pass_rate"], 0.5), "{rep}");
    assert_eq!(rep["time_used_minutes"]["count"], 4, "{rep}");
    assert_eq!(rep["flags"], json!([]), "{rep}");
    assert_eq!(rep["outcomes"]["clean"], 5, "{rep}");
    // Nothing personal in it.
    assert!(!rep.to_string().contains("acme.org"), "{rep}");
    for bad in ["0", "101", "ten", "-1"] {
        app.get_as(&format!("{report}?bins={bad}"), &viewer.token)
            .await
            .assert_problem(422, "validation_failed");
    }
    app.get_as(&report, &proctor.token)
        .await
        .assert_problem(403, "forbidden");

    // The enrollment list shows each candidate's best graded attempt.
    let manager = app
        .login("manager@acme.org", crate::common::fixtures::PASSWORD)
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{exam}/enrollments"),
            &manager,
        )
        .await;
    let result_of = |email: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["email"] == email)
            .unwrap()["result"]
            .clone()
    };
    let first = result_of("c1@acme.org");
    assert!(close(&first["percent"], 100.0), "{first}");
    assert_eq!(first["passed"], true, "{first}");
    assert_eq!(result_of("c3@acme.org")["passed"], false);
    assert_eq!(result_of("c5@acme.org"), Value::Null, "still writing");

    // Who may read it: the coordinator too; a proctor not; another
    // organization's exam does not exist; an unknown exam is 404.
    app.get_as(&path, &coord.token).await.assert(200);
    app.get_as(&path, &proctor.token)
        .await
        .assert_problem(403, "forbidden");
    app.get_as(&path, &cands[0].token)
        .await
        .assert_problem(403, "forbidden");
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "viewer@other.org", &[Role::ReportViewer])
        .await;
    app.get_as(&path, &stranger.token).await.assert(404);
    app.get_as(
        &format!("/api/v1/orgs/other/exams/{exam}/item-analysis"),
        &stranger.token,
    )
    .await
    .assert(404);
    app.get_as(
        "/api/v1/orgs/acme/exams/not-a-uuid/item-analysis",
        &viewer.token,
    )
    .await
    .assert(404);
}

async fn an_exam_without_finished_sessions_has_an_empty_analysis(app: TestApp) {
    let org = app.org("acme").await;
    let coord = app
        .member(&org, "coord@acme.org", &[Role::ExamCoordinator])
        .await;
    let bank = approved_bank(
        &app,
        &org,
        coord.id,
        &[question(json!({"type": "true_false", "text": "Water is wet", "correct_answer": {"value": true}, "points": 1}))],
    )
    .await;
    let exam = insert_exam(&app, &org, bank, coord.id, &ExamOpts::default()).await;
    let a = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{exam}/item-analysis"),
            &coord.token,
        )
        .await;
    assert_eq!(a["examinees"], 0, "{a}");
    assert_eq!(a["items"], json!([]));
    assert_eq!(a["reliability"], Value::Null);
}

async fn the_report_page_draws_charts_and_offers_downloads(app: TestApp) {
    let (exam, _viewer, _coord, _proctor, _cands) = sat_exam(&app).await;
    let mut b = invigil_testkit::browser::Browser::default();
    b.sign_in(&app, "viewer@acme.org", crate::common::fixtures::PASSWORD)
        .await
        .assert(303);
    let page = b
        .get(&app, &format!("/orgs/acme/exams/{exam}/report"))
        .await;
    invigil_testkit::browser::assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("<svg"), "{html}");
    assert!(html.contains("role=\"img\""), "{html}");
    assert!(html.contains("Scores of each candidate"), "{html}");
    assert!(html.contains("KR20 0.750"), "{html}");
    assert!(html.contains("Which is prime?"), "{html}");
    assert!(html.contains("50 % (2 passed)"), "{html}");

    let json = b
        .get(&app, &format!("/orgs/acme/exams/{exam}/report.json"))
        .await;
    json.assert(200);
    let v = json.json();
    assert_eq!(v["report"]["counts"]["submitted"], 4, "{v}");
    assert_eq!(v["item_analysis"]["examinees"], 4, "{v}");

    let csv = b
        .get(&app, &format!("/orgs/acme/exams/{exam}/item-analysis.csv"))
        .await;
    csv.assert(200);
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("position,question_id"), "{text}");
    assert!(text.contains("2*: 2 (mean 2.50)"), "{text}");

    // A proctor may not read reports; a bad id or bins is a page, not JSON.
    let mut p = invigil_testkit::browser::Browser::default();
    p.sign_in(&app, "proctor@acme.org", crate::common::fixtures::PASSWORD)
        .await
        .assert(303);
    invigil_testkit::browser::assert_page(
        &p.get(&app, &format!("/orgs/acme/exams/{exam}/report"))
            .await,
        403,
    );
    invigil_testkit::browser::assert_page(&b.get(&app, "/orgs/acme/exams/nope/report").await, 404);
    invigil_testkit::browser::assert_page(
        &b.get(&app, &format!("/orgs/acme/exams/{exam}/report?bins=0"))
            .await,
        422,
    );
}

both!(
    the_report_page_draws_charts_and_offers_downloads,
    item_analysis_of_a_hand_checked_exam,
    an_exam_without_finished_sessions_has_an_empty_analysis,
);
