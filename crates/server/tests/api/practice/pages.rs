//! The learner's practice pages without script: start an interview from
//! /me/practice, answer by form posts, see feedback and the evaluation,
//! then the streak and badges on /me/progress and the card on /me/exams.

use super::scenario;
use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::courses::world;
use invigil_testkit::browser::{Browser, assert_page, csrf_field};

async fn an_interview_in_the_browser(app: TestApp) {
    let w = world(&app).await;
    let sc = scenario(&app, &w, true).await;
    let mut b = Browser::default();
    b.sign_in(&app, "ann@acme.org", PASSWORD).await.assert(303);
    let page = b.get(&app, "/me/practice").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("Databases 101") && html.contains("Start the interview"),
        "{html}"
    );
    let csrf = csrf_field(&page);
    // A wrong token changes nothing.
    let r = b
        .post(
            &app,
            "/me/practice/acme/start",
            &[("csrf", "nope"), ("scenario_id", &sc.to_string())],
        )
        .await;
    r.assert(403);
    let r = b
        .post(
            &app,
            "/me/practice/acme/start",
            &[("csrf", &csrf), ("scenario_id", &sc.to_string())],
        )
        .await;
    r.assert(303);
    let at = r.header("location").unwrap().to_owned();
    assert!(at.starts_with("/me/practice/"), "{at}");
    let page = b.get(&app, &at).await;
    assert_page(&page, 200);
    assert!(page.text().contains("What does an index do?"));
    let csrf = csrf_field(&page);
    let answer = format!("{at}/answer");
    let r = b
        .post(
            &app,
            &answer,
            &[
                ("csrf", &csrf),
                ("question_index", "0"),
                ("content", "Quick lookups with a btree; writes are slower."),
            ],
        )
        .await;
    r.assert(303);
    let page = b.get(&app, &at).await;
    let html = page.text();
    assert!(html.contains("Feedback: 10 of 10"), "{html}");
    assert!(html.contains("What is a primary key?"));
    // A stale page (question 0 again): refused with the reason.
    let r = b
        .post(
            &app,
            &answer,
            &[
                ("csrf", &csrf),
                ("question_index", "0"),
                ("content", "again"),
            ],
        )
        .await;
    assert_page(&r, 409);
    let r = b
        .post(
            &app,
            &answer,
            &[
                ("csrf", &csrf),
                ("question_index", "1"),
                ("content", "Unique, not null."),
            ],
        )
        .await;
    r.assert(303);
    let html = b.get(&app, &at).await.text();
    assert!(html.contains("Your evaluation: 100 %"), "{html}");
    assert!(!html.contains("Send the answer"));
    let page = b.get(&app, "/me/progress").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("1 day") && html.contains("First practice interview"),
        "{html}"
    );
    assert!(html.contains("Perfect score"));
    assert!(
        html.contains("1 practice interview"),
        "the calendar names the day's activity"
    );
    let html = b.get(&app, "/me/exams").await.text();
    assert!(
        html.contains("Your progress") && html.contains("First practice interview"),
        "{html}"
    );
    // Someone else's interview: not found.
    let mut other = Browser::default();
    other
        .sign_in(&app, "bob@acme.org", PASSWORD)
        .await
        .assert(303);
    assert_page(&other.get(&app, &at).await, 404);
}

both!(an_interview_in_the_browser);
