//! The live class pages: a course's live classes for its staff (schedule
//! with errors by field, actions, attendance) and the learner's /me/live
//! with Join (attendance, then the page that opens the meeting).

use chrono::Duration;

use super::{MEET, at, class_in};
use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::courses::{ORG, world};
use invigil_testkit::browser::{Browser, assert_page, csrf_field};

async fn browser(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::default();
    b.sign_in(app, email, PASSWORD).await.assert(303);
    b
}

async fn staff_page_schedules_and_shows_attendance(app: TestApp) {
    let w = world(&app).await;
    let (course, live) = class_in(&app, &w, 5).await;
    let path = format!("/orgs/acme/courses/{course}/live");
    let mut teacher = browser(&app, "teach@acme.org").await;
    let page = teacher.get(&app, &path).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("Office hour") && html.contains("SCHEDULED"),
        "{html}"
    );
    assert!(html.contains("Add all enrolled learners"), "{html}");
    let csrf = csrf_field(&page);
    // A refused form: the page again (422) with the message by the field;
    // a wrong token: 403; nothing written.
    let r = teacher
        .post(
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("title", "Q&A"),
                ("starts", "tomorrow"),
                ("duration", "45"),
                ("join_url", "http://x.example"),
                ("description", ""),
            ],
        )
        .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains(r#"id="starts-error""#), "{html}");
    assert!(!html.contains(r#"id="duration-error""#), "{html}");
    let r = teacher
        .post(
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("title", "Q&A"),
                ("starts", &at(app.state.now() + Duration::hours(1))[..16]),
                ("duration", "45"),
                ("join_url", "http://x.example"),
                ("description", ""),
            ],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="join_url-error""#), "{}", r.text());
    teacher
        .post(&app, &path, &[("csrf", "nope"), ("title", "x")])
        .await
        .assert(403);
    let list = app
        .get_json(
            &format!("{ORG}/courses/{course}/live-sessions"),
            &w.teacher.token,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Scheduled through the form.
    let r = teacher
        .post(
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("title", "Q&A"),
                ("starts", &at(app.state.now() + Duration::hours(1))[..16]),
                ("duration", "45"),
                ("join_url", MEET),
                ("description", "Bring questions"),
            ],
        )
        .await;
    r.assert(303);
    let list = app
        .get_json(
            &format!("{ORG}/courses/{course}/live-sessions"),
            &w.teacher.token,
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // Actions: add the enrolled learners, start.
    teacher
        .post(&app, &format!("{path}/{live}/enrolled"), &[("csrf", &csrf)])
        .await
        .assert(303);
    teacher
        .post(&app, &format!("{path}/{live}/start"), &[("csrf", &csrf)])
        .await
        .assert(303);
    teacher
        .post(&app, &format!("{path}/{live}/start"), &[("csrf", &csrf)])
        .await
        .assert(409);
    teacher
        .post(&app, &format!("{path}/{live}/dance"), &[("csrf", &csrf)])
        .await
        .assert(404);
    // Another teacher and a learner: no page; another course's path: 404.
    let mut other = browser(&app, "coord@acme.org").await;
    assert_page(&other.get(&app, &path).await, 403);
    let mut ann = browser(&app, "ann@acme.org").await;
    ann.get(&app, &path).await.assert(403);
    let wrong = format!(
        "/orgs/acme/courses/{}/live/{live}/end",
        uuid::Uuid::now_v7()
    );
    teacher
        .post(&app, &wrong, &[("csrf", &csrf)])
        .await
        .assert(404);

    // The learner joins from /me/live: attendance, then the meeting page.
    let mine = ann.get(&app, "/me/live").await;
    assert_page(&mine, 200);
    let html = mine.text();
    assert!(
        html.contains("Office hour") && html.contains("Live now"),
        "{html}"
    );
    assert!(!html.contains(MEET), "the link comes only with the join");
    let csrf = csrf_field(&mine);
    let r = ann
        .post(
            &app,
            &format!("/me/live/acme/{live}/join"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_page(&r, 200);
    assert!(
        r.text().contains(&format!(r#"content="0; url={MEET}""#)),
        "{}",
        r.text()
    );
    let att = app
        .get_json(
            &format!("{ORG}/live-sessions/{live}/participants?attended=true"),
            &w.teacher.token,
        )
        .await;
    assert_eq!(att["items"][0]["email"], "ann@acme.org", "{att}");
    let page = teacher.get(&app, &path).await;
    assert!(page.text().contains("1 of 3"), "{}", page.text());
    // Not a participant of another org's class, bad ids: error pages.
    ann.post(
        &app,
        &format!("/me/live/other/{live}/join"),
        &[("csrf", &csrf)],
    )
    .await
    .assert(404);
    ann.post(&app, "/me/live/acme/nope/join", &[("csrf", &csrf)])
        .await
        .assert(404);
    ann.post(
        &app,
        &format!("/me/live/acme/{live}/join"),
        &[("csrf", "bad")],
    )
    .await
    .assert(403);
    // Ended: joining answers the reason.
    teacher
        .post(
            &app,
            &format!("{path}/{live}/end"),
            &[("csrf", &csrf_field(&page))],
        )
        .await
        .assert(303);
    let r = ann
        .post(
            &app,
            &format!("/me/live/acme/{live}/join"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_page(&r, 409);
    assert!(r.text().contains("ended"), "{}", r.text());
}

both!(staff_page_schedules_and_shows_attendance);
