//! The Grading section: the queue, one answer with the form, the next
//! answer; release of results from the exam page; the candidate then sees
//! the score and the comment.

use invigil_domain::identity::Role;
use invigil_testkit::browser::{assert_page, assert_redirect};
use serde_json::json;

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, qid, save, setup_with, start};

async fn a_coordinator_grades_an_essay_and_releases_results(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let other = app.org("other").await;
    app.member(&other, "stranger@other.test", &[Role::OrgAdmin])
        .await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let essay = qid(&body, "essay");
    let t = &s.candidate.token;
    save(
        &app,
        t,
        &sid,
        &essay,
        json!({"text": "Because light feeds plants."}),
        1,
    )
    .await
    .assert(200);
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), t)
        .await
        .assert(200);

    // Who may grade: not a proctor, not a stranger.
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    assert_page(&proctor.get(&app, "/orgs/acme/grading").await, 403);
    let mut stranger = staff_browser(&app, "stranger@other.test").await;
    assert_page(&stranger.get(&app, "/orgs/acme/grading").await, 404);

    let mut b = staff_browser(&app, "coord@acme.org").await;
    let queue = b.get(&app, "/orgs/acme/grading").await;
    assert_page(&queue, 200);
    let item = format!("/orgs/acme/grading/{sid}/{essay}");
    assert!(queue.text().contains(&item), "{}", queue.text());
    assert_page(&b.get(&app, "/orgs/acme/grading?exam=nope").await, 422);
    assert_page(&b.get(&app, "/orgs/acme/grading?cursor=x").await, 400);

    // The answer with its question and the form.
    let page = b.get(&app, &item).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Because light feeds plants."), "{html}");
    assert!(
        html.contains("Explain") && html.contains("Rubric"),
        "{html}"
    );
    assert_page(
        &b.get(&app, &format!("/orgs/acme/grading/{sid}/nope")).await,
        404,
    );
    let auto = qid(&body, "true_false");
    assert_page(
        &b.get(&app, &format!("/orgs/acme/grading/{sid}/{auto}"))
            .await,
        409,
    );

    let csrf = b.csrf_token.clone().unwrap();
    assert_page(
        &b.post(&app, &item, &[("csrf", "forged"), ("points", "4")])
            .await,
        403,
    );
    let too_many = b
        .post(
            &app,
            &item,
            &[("csrf", &csrf), ("points", "9"), ("comment", "x")],
        )
        .await;
    assert_page(&too_many, 422);
    assert!(
        too_many.text().contains("points-error"),
        "{}",
        too_many.text()
    );
    assert_page(
        &b.post(&app, &item, &[("csrf", &csrf), ("points", "lots")])
            .await,
        422,
    );

    // Saved: on to the next answer, here none left.
    let saved = b
        .post(
            &app,
            &item,
            &[
                ("csrf", &csrf),
                ("points", "4"),
                ("comment", "Clear, add an example."),
                ("exam", ""),
            ],
        )
        .await;
    assert_redirect(&saved, "/orgs/acme/grading/next");
    assert_redirect(
        &b.get(&app, "/orgs/acme/grading/next").await,
        "/orgs/acme/grading?saved=1",
    );
    let done = b.get(&app, "/orgs/acme/grading?saved=1").await;
    assert!(done.text().contains("Grade saved"), "{}", done.text());
    let row = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.pending_manual, 0);

    // Release from the exam page, confirmed; the candidate sees the
    // score and the comment.
    let exam = s.exam_id;
    let page = b.get(&app, &format!("/orgs/acme/exams/{exam}")).await;
    assert!(page.text().contains("Release results"), "{}", page.text());
    let release = format!("/orgs/acme/exams/{exam}/release");
    assert_page(&b.post(&app, &release, &[("csrf", "forged")]).await, 403);
    assert_page(&proctor.post(&app, &release, &[("csrf", "x")]).await, 403);
    assert_redirect(
        &b.post(&app, &release, &[("csrf", &csrf)]).await,
        &format!("/orgs/acme/exams/{exam}?done=release"),
    );
    let page = b
        .get(&app, &format!("/orgs/acme/exams/{exam}?done=release"))
        .await;
    assert!(
        page.text().contains("Results are released"),
        "{}",
        page.text()
    );
    let mut cand = staff_browser(&app, "cand@acme.org").await;
    let result = cand.get(&app, &format!("/me/results/{sid}")).await;
    assert_page(&result, 200);
    assert!(
        result.text().contains("Clear, add an example."),
        "{}",
        result.text()
    );
}

both!(a_coordinator_grades_an_essay_and_releases_results);
