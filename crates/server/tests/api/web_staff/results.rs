//! An exam's results for staff (`/orgs/{org}/exams/{exam}/results`, one
//! session's answers, the CSV) on both backends.

use invigil_domain::identity::Role;

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, insert_exam, setup_with};
use invigil_testkit::browser::assert_page;

async fn the_gradebook_shows_every_session_and_its_answers(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = crate::delivery::gradebook::sit(&app, &s).await;
    let other = app.org("other").await;
    app.member(&other, "boss@other.test", &[Role::OrgAdmin])
        .await;
    let base = format!("/orgs/acme/exams/{}/results", s.exam_id);

    let mut coord = staff_browser(&app, "coord@acme.org").await;
    let page = coord.get(&app, &base).await;
    assert_page(&page, 200);
    let html = page.text();
    for text in [
        "Results: Exam",
        "cand@acme.org",
        "Submitted",
        "2 / 10",
        "20 %",
        "1 answer(s) to grade",
        "Clean",
        "Download CSV",
        "data-sortable",
        &format!("{base}/{sid}"),
        &format!("{base}.csv"),
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }

    let one = coord.get(&app, &format!("{base}/{sid}")).await;
    assert_page(&one, 200);
    let html = one.text();
    for text in [
        "Answers per question",
        "Candidate's answer",
        "B. 4",
        "2 of 2 points",
        "Correct",
        "Because.",
        "Graded by a person (no key)",
        "Not answered",
        "Paris",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }

    let csv = coord.get(&app, &format!("{base}.csv")).await;
    csv.assert(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.text().contains("cand@acme.org"), "{}", csv.text());

    // Others: a proctor may not read results, a stranger finds nothing.
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    assert_page(&proctor.get(&app, &base).await, 403);
    assert_page(&proctor.get(&app, &format!("{base}/{sid}")).await, 403);
    assert_page(&proctor.get(&app, &format!("{base}.csv")).await, 403);
    let mut stranger = staff_browser(&app, "boss@other.test").await;
    assert_page(&stranger.get(&app, &base).await, 404);

    // An exam nobody sat says what to do next.
    let empty = insert_exam(
        &app,
        &s.org,
        s.bank_id,
        s.coordinator.id,
        &ExamOpts::default(),
    )
    .await;
    let page = coord
        .get(&app, &format!("/orgs/acme/exams/{empty}/results"))
        .await;
    assert_page(&page, 200);
    assert!(
        page.text().contains("No one has started this exam yet"),
        "{}",
        page.text()
    );
    assert_page(
        &coord
            .get(&app, &format!("/orgs/acme/exams/{empty}/results/{sid}"))
            .await,
        404,
    );
}

both!(the_gradebook_shows_every_session_and_its_answers);
