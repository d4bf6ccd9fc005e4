//! The authors' practice console without script (`/orgs/{org}/practice*`):
//! a refused save shows the service's messages next to the fields and
//! saves nothing; a good one creates the scenario with its rubric (the
//! API reads it back); editing adds a question; publish and unpublish;
//! delete; learners get 403, unknown ids 404, a bad CSRF token 403.

use super::scenario;
use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::courses::{ORG, world};
use invigil_testkit::browser::{Browser, assert_page, csrf_field};

async fn authors_write_scenarios_in_the_console(app: TestApp) {
    let w = world(&app).await;
    let mut b = Browser::default();
    b.sign_in(&app, "teach@acme.org", PASSWORD)
        .await
        .assert(303);
    let page = b.get(&app, "/orgs/acme/practice").await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("There are no practice scenarios yet"),
        "{html}"
    );
    assert!(
        html.contains(r#"href="/orgs/acme/practice" aria-current="page">Practice</a>"#),
        "the console's navigation has Practice, current: {html}"
    );
    let page = b.get(&app, "/orgs/acme/practice/new").await;
    assert_page(&page, 200);
    let csrf = csrf_field(&page);

    // Refused: no title, a point without keywords, a score that is no number.
    let bad = [
        ("csrf", csrf.as_str()),
        ("title", " "),
        ("topic", "Databases"),
        ("difficulty", "HARD"),
        ("q0_prompt", "What is an index?"),
        ("q0_max_score", "ten"),
        ("q0_model_answer", ""),
        ("q0_p0_text", "Speeds up reads"),
        ("q0_p0_keywords", ""),
        ("q0_p0_weight", "1"),
        ("q1_prompt", ""),
        ("q1_max_score", "10"),
        ("q1_model_answer", ""),
        ("q1_p0_text", ""),
        ("q1_p0_keywords", ""),
        ("q1_p0_weight", "1"),
    ];
    let r = b.post(&app, "/orgs/acme/practice/new", &bad).await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains("The scenario was not saved"), "{html}");
    assert!(html.contains(r#"id="title-error""#), "{html}");
    assert!(html.contains(r#"id="q0_max_score-error""#), "{html}");
    assert!(html.contains(r#"id="q0_p0_keywords-error""#), "{html}");
    assert!(html.contains(r##"href="#q0_p0_keywords""##), "{html}");
    assert!(
        html.contains(r#"value="Databases""#),
        "typed values are kept"
    );
    let list = app
        .get_json(&format!("{ORG}/practice-scenarios"), &w.teacher.token)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing saved");

    // A wrong CSRF token: refused.
    let mut good = bad.to_vec();
    good[0] = ("csrf", "nope");
    good[1] = ("title", "Databases 201");
    good[5] = ("q0_max_score", "10");
    good[8] = ("q0_p0_keywords", "index*, read*|lookup*");
    b.post(&app, "/orgs/acme/practice/new", &good)
        .await
        .assert(403);
    good[0] = ("csrf", csrf.as_str());
    let r = b.post(&app, "/orgs/acme/practice/new", &good).await;
    r.assert(303);
    let at = r.header("location").unwrap().to_owned();
    assert!(at.ends_with("?saved=1"), "{at}");
    let path = at.trim_end_matches("?saved=1").to_owned();
    let id = path.rsplit('/').next().unwrap().to_owned();
    let v = app
        .get_json(&format!("{ORG}/practice-scenarios/{id}"), &w.teacher.token)
        .await;
    assert_eq!(v["title"], "Databases 201");
    assert_eq!(v["difficulty"], "HARD");
    assert_eq!(v["published"], false);
    assert_eq!(v["question_count"], 1, "the empty question is left out");
    let q = &v["questions"][0];
    assert_eq!(q["max_score"], 10.0);
    assert_eq!(q["expected_points"][0]["keywords"][1], "read*|lookup*");

    // The editor shows it, with room for a second question: add one.
    let page = b.get(&app, &at).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("The scenario is saved."));
    assert!(html.contains(r#"value="index*, read*|lookup*""#), "{html}");
    assert!(html.contains(r#"name="q1_prompt""#));
    let csrf = csrf_field(&page);
    let mut edit = good.clone();
    edit[0] = ("csrf", csrf.as_str());
    edit[10] = ("q1_prompt", "What is a primary key?");
    edit[13] = ("q1_p0_text", "Unique");
    edit[14] = ("q1_p0_keywords", "unique");
    b.post(&app, &path, &edit).await.assert(303);
    let v = app
        .get_json(&format!("{ORG}/practice-scenarios/{id}"), &w.teacher.token)
        .await;
    assert_eq!(v["question_count"], 2);

    // Publish, then the learner sees it; unpublish.
    let publish = format!("{path}/publish");
    b.post(&app, &publish, &[("csrf", &csrf), ("published", "true")])
        .await
        .assert(303);
    let v = app
        .get_json(&format!("{ORG}/practice-scenarios/{id}"), &w.learner.token)
        .await;
    assert_eq!(v["published"], true);
    assert_eq!(v["question_count"], 2, "publishing keeps the questions");
    let html = b.get(&app, "/orgs/acme/practice").await.text();
    assert!(html.contains("Databases 201") && html.contains("Unpublish"));
    b.post(&app, &publish, &[("csrf", &csrf), ("published", "false")])
        .await
        .assert(303);
    app.get_as(&format!("{ORG}/practice-scenarios/{id}"), &w.learner.token)
        .await
        .assert(404);

    // Unknown and malformed ids: 404.
    let other = format!("/orgs/acme/practice/{}", uuid::Uuid::now_v7());
    assert_page(&b.get(&app, &other).await, 404);
    assert_page(&b.get(&app, "/orgs/acme/practice/nope").await, 404);
    assert_page(
        &b.post(&app, &format!("{other}/delete"), &[("csrf", &csrf)])
            .await,
        404,
    );

    // Learners may not open the console.
    let mut learner = Browser::default();
    learner
        .sign_in(&app, "ann@acme.org", PASSWORD)
        .await
        .assert(303);
    assert_page(&learner.get(&app, "/orgs/acme/practice").await, 403);
    assert_page(&learner.get(&app, "/orgs/acme/practice/new").await, 403);

    // Delete.
    b.post(&app, &format!("{path}/delete"), &[("csrf", &csrf)])
        .await
        .assert(303);
    app.get_as(&format!("{ORG}/practice-scenarios/{id}"), &w.teacher.token)
        .await
        .assert(404);
    // The API's own scenario helper still works beside the console.
    let _ = scenario(&app, &w, true).await;
}

both!(authors_write_scenarios_in_the_console);
