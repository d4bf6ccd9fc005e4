//! A lecture's file for learners: `GET .../lectures/{lecture}/file` streams
//! it with ranges to an enrolled learner, to the course's staff, and to every
//! reader for a free preview of a published course; anyone else gets 404.

use serde_json::json;

use crate::both;
use crate::common::TestApp;
use crate::files::{mp4, pdf, upload_ok};

use super::{ORG, id_of, published_course, world};

async fn get_range(
    app: &TestApp,
    token: &str,
    path: &str,
    range: &str,
) -> crate::common::TestResponse {
    app.get(path)
        .token(token)
        .header("range", range)
        .send()
        .await
}

both!(lecture_files_stream_with_ranges_to_those_who_may_open_them);
async fn lecture_files_stream_with_ranges_to_those_who_may_open_them(app: TestApp) {
    let w = world(&app).await;
    let (course, chapter, [video, text]) =
        published_course(&app, &w.teacher, json!({"title": "Watchable"})).await;
    let base = format!("{ORG}/courses/{course}");
    // A PDF lecture that is not a preview.
    let body = pdf();
    let f = upload_ok(&app, &w.teacher, "kind=PDF&name=notes.pdf", body.clone()).await;
    let r = app
        .post_json(
            &format!("{base}/chapters/{chapter}/lectures"),
            &w.teacher.token,
            &json!({"title": "Notes", "kind": "PDF", "file_id": f["id"]}),
        )
        .await;
    r.assert(201);
    let notes = id_of(&r.json());
    let notes_url = format!("{base}/lectures/{notes}/file");
    let video_url = format!("{base}/lectures/{video}/file");

    // Not enrolled: the preview video plays, the rest is not there.
    let r = get_range(&app, &w.learner.token, &video_url, "bytes=0-99").await;
    r.assert(206);
    assert_eq!(r.body, &mp4(4096)[..100]);
    assert_eq!(r.header("content-range"), Some("bytes 0-99/4096"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("content-type"), Some("video/mp4"));
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
    // A lecture without a file, an unknown lecture: 404 too.
    app.get_as(&format!("{base}/lectures/{text}/file"), &w.teacher.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(
        &format!("{base}/lectures/{}/file", uuid::Uuid::now_v7()),
        &w.learner.token,
    )
    .await
    .assert_problem(404, "not_found");

    // Enrolled: the whole file, a range, a suffix, and 416 outside it.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    let r = app.get_as(&notes_url, &w.learner.token).await;
    r.assert(200);
    assert_eq!(r.body, body);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let r = get_range(&app, &w.learner.token, &notes_url, "bytes=-10").await;
    r.assert(206);
    assert_eq!(r.body, &body[body.len() - 10..]);
    let size = body.len();
    get_range(
        &app,
        &w.learner.token,
        &notes_url,
        &format!("bytes={size}-"),
    )
    .await
    .assert_problem(416, "range_not_satisfiable");
    // Dropped: gone again (the preview stays).
    app.post_as(&format!("{base}/drop"), &w.learner.token)
        .await
        .assert(200);
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.learner.token).await.assert(200);

    // Staff: the instructor and the course manager; another teacher is a
    // reader (the preview), not staff.
    app.get_as(&notes_url, &w.teacher.token).await.assert(200);
    app.get_as(&notes_url, &w.admin.token).await.assert(200);
    app.get_as(&notes_url, &w.other_teacher.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.other_teacher.token)
        .await
        .assert(200);
    // A role that reads no courses: 403 as the access matrix says.
    app.get_as(&notes_url, &w.proctor.token)
        .await
        .assert_problem(403, "forbidden");

    // A deleted lecture: not for learners, even enrolled ones.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    app.delete_as(&format!("{base}/lectures/{notes}"), &w.teacher.token)
        .await
        .assert(204);
    app.get_as(&notes_url, &w.learner.token)
        .await
        .assert_problem(404, "not_found");
}

both!(a_draft_courses_preview_and_another_orgs_lectures_stay_hidden);
async fn a_draft_courses_preview_and_another_orgs_lectures_stay_hidden(app: TestApp) {
    let w = world(&app).await;
    let (course, _, [video, _]) =
        published_course(&app, &w.teacher, json!({"title": "Hidden"})).await;
    let base = format!("{ORG}/courses/{course}");
    let video_url = format!("{base}/lectures/{video}/file");
    // Another organization's member, with the same role: 404.
    let other = app.org("globex").await;
    let stranger = app
        .member(
            &other,
            "eve@globex.org",
            &[invigil_domain::identity::Role::Candidate],
        )
        .await;
    app.get_as(&video_url, &stranger.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(
        &format!("/api/v1/orgs/globex/courses/{course}/lectures/{video}/file"),
        &stranger.token,
    )
    .await
    .assert_problem(404, "not_found");
    // Archived: the preview is for a published course only; an enrolled
    // learner keeps the content.
    app.post_as(&format!("{base}/enroll"), &w.learner.token)
        .await
        .assert(200);
    app.post_as(&format!("{base}/archive"), &w.teacher.token)
        .await
        .assert(200);
    app.get_as(&video_url, &w.learner2.token)
        .await
        .assert_problem(404, "not_found");
    app.get_as(&video_url, &w.learner.token).await.assert(200);
}

both!(the_learner_pages_enroll_play_and_review);
/// The learner pages on the cookie: catalog, course, enroll by form (CSRF
/// checked), the lecture page with its text made safe, the video through the
/// page's file route with ranges, progress through `/web-api/v1`, a refused
/// review shown by its field, and another organization's course 404.
async fn the_learner_pages_enroll_play_and_review(app: TestApp) {
    use axum::http::Method;
    use invigil_testkit::browser::{Browser, assert_page, csrf_field};

    let w = world(&app).await;
    let (course, _, [video, text]) =
        published_course(&app, &w.teacher, json!({"title": "Watchable"})).await;
    let mut b = Browser::default();
    b.sign_in(&app, "ann@acme.org", crate::common::fixtures::PASSWORD)
        .await
        .assert(303);
    let r = b.get(&app, "/courses").await;
    assert_page(&r, 200);
    assert!(r.text().contains("Watchable"), "{}", r.text());
    let page = format!("/orgs/acme/learn/{course}");
    let r = b.get(&app, &page).await;
    assert_page(&r, 200);
    assert!(r.text().contains("Enroll for free"));
    let csrf = csrf_field(&r);
    // A wrong token changes nothing.
    b.post(&app, &format!("{page}/enroll"), &[("csrf", "nope")])
        .await
        .assert(403);
    assert!(
        app.get_json(&format!("{ORG}/courses/{course}"), &w.learner.token)
            .await["enrollment"]
            .is_null()
    );
    let r = b
        .post(&app, &format!("{page}/enroll"), &[("csrf", csrf.as_str())])
        .await;
    r.assert(303);
    assert_eq!(
        r.header("location"),
        Some(format!("{page}?done=enrolled").as_str())
    );

    // The text lecture: Markdown rendered, the script tag not.
    let r = b.get(&app, &format!("{page}/lectures/{text}")).await;
    assert_page(&r, 200);
    assert!(r.text().contains("<h1>Notes</h1>"), "{}", r.text());
    assert!(!r.text().contains("<script>x"));
    // The video page points at the file route; it answers ranges.
    let r = b.get(&app, &format!("{page}/lectures/{video}")).await;
    assert_page(&r, 200);
    let file = format!("{page}/lectures/{video}/file");
    assert!(r.text().contains(&file));
    let r = app
        .get(&file)
        .header("cookie", &b.header())
        .header("range", "bytes=10-19")
        .send()
        .await;
    r.assert(206);
    assert_eq!(r.body, &mp4(4096)[10..20]);
    // Progress as the page's script saves it.
    let r = b
        .api(
            &app,
            Method::PUT,
            &format!("/web-api/v1/orgs/acme/courses/{course}/lectures/{video}/progress"),
            Some(&json!({"position_seconds": 42})),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["position_seconds"], 42);
    let r = b.get(&app, &format!("{page}/lectures/{video}")).await;
    assert!(r.text().contains(r#"data-position="42""#));

    // A review out of range comes back with the message by the field.
    let r = b
        .post(
            &app,
            &format!("{page}/review"),
            &[
                ("csrf", csrf.as_str()),
                ("rating", "9"),
                ("comment", "Great"),
            ],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="rating-error""#), "{}", r.text());
    let r = b
        .post(
            &app,
            &format!("{page}/review"),
            &[
                ("csrf", csrf.as_str()),
                ("rating", "4"),
                ("comment", "Great"),
            ],
        )
        .await;
    r.assert(303);
    let reviews = app
        .get_json(&format!("{ORG}/courses/{course}/reviews"), &w.learner.token)
        .await;
    assert_eq!(reviews["items"][0]["rating"], 4);

    // Another organization: its pages and files are not there.
    app.org("globex").await;
    assert_page(
        &b.get(&app, &format!("/orgs/globex/learn/{course}")).await,
        404,
    );
    assert_page(&b.get(&app, "/orgs/acme/learn/not-an-id").await, 404);
}

both!(buying_a_paid_course_on_its_page_leaves_the_invoice_pending);
/// A PAID course's page: Buy (the checkout service, MANUAL provider) and then
/// the pending invoice instead of the button; the content stays closed.
async fn buying_a_paid_course_on_its_page_leaves_the_invoice_pending(app: TestApp) {
    use invigil_testkit::browser::{Browser, assert_page, csrf_field};

    let w = world(&app).await;
    let (course, _, [_, text]) = published_course(
        &app,
        &w.teacher,
        json!({"title": "Premium", "pricing": "PAID", "price_minor": 4900, "currency": "EUR"}),
    )
    .await;
    let mut b = Browser::default();
    b.sign_in(&app, "ann@acme.org", crate::common::fixtures::PASSWORD)
        .await
        .assert(303);
    let page = format!("/orgs/acme/learn/{course}");
    let r = b.get(&app, &page).await;
    assert_page(&r, 200);
    assert!(r.text().contains("Buy for 49.00 EUR"), "{}", r.text());
    let csrf = csrf_field(&r);
    let r = b
        .post(&app, &format!("{page}/buy"), &[("csrf", csrf.as_str())])
        .await;
    r.assert(303);
    assert_eq!(
        r.header("location"),
        Some(format!("{page}?done=checkout").as_str())
    );
    let r = b.get(&app, &format!("{page}?done=checkout")).await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("Payment pending"), "{html}");
    assert!(html.contains("49.00 EUR"));
    assert!(!html.contains("Buy for"));
    // Not enrolled yet: the reading is closed, its file too.
    let r = b.get(&app, &format!("{page}/lectures/{text}")).await;
    assert_page(&r, 200);
    assert!(
        r.text()
            .contains("Enroll in the course to open this lecture")
    );
}
