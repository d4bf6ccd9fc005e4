//! `/web-api/v1`, the JSON of the pages' scripts: the `/api/v1` handlers
//! behind the browser's session cookie and the page's CSRF token. Without
//! either it refuses; a bearer token does not open it, the cookie does not
//! open `/api/v1`, and another person's session stays 404.

use axum::http::Method;
use serde_json::json;

use invigil_testkit::browser::Browser;

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::delivery::{ExamOpts, qid, setup_with};

both!(the_exam_runs_on_the_cookie_and_the_csrf_header);
async fn the_exam_runs_on_the_cookie_and_the_csrf_header(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);

    let started = b
        .api(
            &app,
            Method::POST,
            &format!("/web-api/v1/exams/{}/sessions", s.exam_id),
            None,
        )
        .await;
    started.assert(201);
    let session = started.json();
    let sid = session["session_id"].as_str().unwrap().to_owned();
    let q = qid(&session, "single_choice");

    let saved = b
        .api(
            &app,
            Method::PUT,
            &format!("/web-api/v1/sessions/{sid}/answers/{q}"),
            Some(&json!({"response": {"option": 0}, "revision": 3})),
        )
        .await;
    saved.assert(200);
    // The same answer through the bearer API: one session, one store.
    let via_api = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &s.candidate.token)
        .await;
    assert_eq!(via_api["answers"][&q]["revision"], 3, "{via_api}");

    let view = b
        .api(
            &app,
            Method::GET,
            &format!("/web-api/v1/sessions/{sid}"),
            None,
        )
        .await;
    view.assert(200);
    assert_eq!(view.json()["answers"][&q]["revision"], 3);

    // Bad input answers as on /api/v1: problem+json, nothing stored.
    let bad = b
        .api(
            &app,
            Method::PUT,
            &format!("/web-api/v1/sessions/{sid}/answers/{q}"),
            Some(&json!({"response": {"option": 0}, "revision": "x"})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text());

    let submitted = b
        .api(
            &app,
            Method::POST,
            &format!("/web-api/v1/sessions/{sid}/submit"),
            None,
        )
        .await;
    submitted.assert(200);
    assert_eq!(submitted.json()["status"], "SUBMITTED");
}

both!(without_the_cookie_or_the_token_nothing_happens);
async fn without_the_cookie_or_the_token_nothing_happens(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);
    let start = format!("/web-api/v1/exams/{}/sessions", s.exam_id);

    // No cookie: 401, even with a bearer token (the API's credential).
    app.post(&start)
        .token(&s.candidate.token)
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    // The cookie without the CSRF header, with a wrong one, or labelled
    // cross-site by the browser: 403.
    let cookie = b.header();
    app.post(&start)
        .header("cookie", &cookie)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post(&start)
        .header("cookie", &cookie)
        .header("x-csrf-token", "not-the-token")
        .send()
        .await
        .assert_problem(403, "forbidden");
    let token = b.csrf_token.clone().unwrap();
    app.post(&start)
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Nothing was started by any of them.
    let mine = app.get_json("/api/v1/me/exams", &s.candidate.token).await;
    assert_eq!(mine["items"][0]["attempts_used"], 0, "{mine}");
    assert_eq!(mine["items"][0]["status"], "ACCEPTED", "{mine}");

    // The cookie and its token do not open /api/v1.
    app.post(&format!("/api/v1/exams/{}/sessions", s.exam_id))
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .send()
        .await
        .assert_problem(401, "unauthenticated");

    // After sign-out the cookie is dead.
    let home = b.get(&app, "/me/exams").await;
    let form = invigil_testkit::browser::csrf_field(&home);
    b.post(&app, "/signout", &[("csrf", &form)])
        .await
        .assert(303);
    app.post(&start)
        .header("cookie", &cookie)
        .header("x-csrf-token", &token)
        .send()
        .await
        .assert(401);
}

both!(another_persons_session_is_not_found);
async fn another_persons_session_is_not_found(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let theirs = app.start_session(s.exam_id, &s.candidate.token).await;
    let sid = theirs["session_id"].as_str().unwrap();
    let org = app.org("other").await;
    app.member(
        &org,
        "other@acme.org",
        &[invigil_domain::identity::Role::Candidate],
    )
    .await;
    let mut b = Browser::default();
    b.sign_in(&app, "other@acme.org", PASSWORD)
        .await
        .assert(303);
    for (method, path) in [
        (Method::GET, format!("/web-api/v1/sessions/{sid}")),
        (Method::POST, format!("/web-api/v1/sessions/{sid}/submit")),
        (Method::POST, format!("/web-api/v1/sessions/{sid}/pairing")),
    ] {
        let r = b.api(&app, method.clone(), &path, None).await;
        assert_eq!(r.status, 404, "{method} {path}: {}", r.text());
    }
    let events = b
        .api(
            &app,
            Method::POST,
            &format!("/web-api/v1/sessions/{sid}/events"),
            Some(&json!({"events": []})),
        )
        .await;
    assert_eq!(events.status, 404, "{}", events.text());
    // Their session is untouched.
    let still = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &s.candidate.token)
        .await;
    assert_eq!(still["status"], "IN_PROGRESS");
}
