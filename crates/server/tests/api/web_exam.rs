//! The exam page, `/exam/{session}`: the candidate's own running session
//! renders the skeleton with the data its script needs; another person's
//! session or an unknown id is the 404 page; signed out it asks to sign in;
//! a finished session shows the end view. The service worker is served
//! from `/exam/sw.js` (scope `/exam/`).

use axum::http::Method;
use serde_json::json;

use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::delivery::{ExamOpts, setup_with, start};

both!(
    the_candidate_opens_their_running_exam,
    nobody_else_opens_it,
    a_finished_exam_shows_the_end_view,
);

async fn the_candidate_opens_their_running_exam(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    // The organization's proctoring settings reach the page (clamped).
    let mut org: invigil_store::tenancy::entities::organization::ActiveModel = s.org.clone().into();
    org.settings = sea_orm::Set(
        json!({"proctoring.snapshot_interval_seconds": 2, "proctoring.require_fullscreen": true})
            .to_string(),
    );
    sea_orm::ActiveModelTrait::update(org, app.db().write())
        .await
        .unwrap();
    let sid = start(&app, &s).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);
    let r = b.get(&app, &format!("/exam/{sid}")).await;
    assert_page(&r, 200);
    let html = r.text();
    for part in [
        format!(r#"data-session-id="{sid}""#),
        r#"data-api-base="/web-api/v1""#.to_owned(),
        r#"data-proctoring="true""#.to_owned(),
        r#"data-snapshot-seconds="5""#.to_owned(),
        r#"data-require-fullscreen="true""#.to_owned(),
        r#"data-sw-url="/exam/sw.js""#.to_owned(),
        r#"<video id="proctor-video" playsinline muted"#.to_owned(),
        "Phone camera (optional)".to_owned(),
        r#"<meta name="csrf-token" content=""#.to_owned(),
    ] {
        assert!(html.contains(&part), "{part} missing: {html}");
    }
    for asset in ["exam.js", "proctor.js"] {
        let url = invigil_server::web::assets::url(asset);
        assert!(!url.ends_with("unknown"), "{asset}");
        assert!(html.contains(&url), "{asset} ({url}) missing");
    }
    assert!(
        html.contains("data-proctor-src=\"/assets/proctor."),
        "{html}"
    );
    assert!(html.contains("data-face-api-url="), "{html}");
    assert!(html.contains("data-face-model-url="), "{html}");
    assert!(html.contains("data-face-weights-url="), "{html}");
    assert!(!html.contains("<script>"), "no inline script");
    // The page's token opens the JSON its script calls.
    let view = b
        .api(
            &app,
            Method::GET,
            &format!("/web-api/v1/sessions/{sid}"),
            None,
        )
        .await;
    view.assert(200);
    assert_eq!(view.json()["session_id"], sid.as_str());

    // The service worker: a script under /exam/, checked on every load.
    let sw = app.get("/exam/sw.js").send().await;
    sw.assert(200);
    assert_eq!(
        sw.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(sw.header("cache-control"), Some("no-cache"));
    assert!(sw.text().contains("addEventListener('fetch'"));
}

async fn nobody_else_opens_it(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, &s).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/exam/{sid}");

    // Signed out: to the sign-in page, which comes back here.
    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, &path).await,
        &format!("/signin?next=%2Fexam%2F{sid}"),
    );

    // Another candidate of the same organization: the 404 page.
    app.member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    let mut other = Browser::default();
    other
        .sign_in(&app, "other@acme.org", PASSWORD)
        .await
        .assert(303);
    let r = other.get(&app, &path).await;
    assert_page(&r, 404);
    assert!(r.text().contains("Page not found"));
    assert!(!r.text().contains(&sid), "nothing of the session shows");

    // The owner: unknown ids and malformed ones are the 404 page too.
    let mut me = Browser::default();
    me.sign_in(&app, "cand@acme.org", PASSWORD)
        .await
        .assert(303);
    for bad in [
        format!("/exam/{}", uuid::Uuid::new_v4()),
        "/exam/not-a-uuid".to_owned(),
    ] {
        let r = me.get(&app, &bad).await;
        assert_page(&r, 404);
        assert!(r.text().contains("Page not found"), "{bad}");
    }
    assert_page(&me.get(&app, &path).await, 200);
}

async fn a_finished_exam_shows_the_end_view(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, &s).await["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);
    b.api(
        &app,
        Method::POST,
        &format!("/web-api/v1/sessions/{sid}/submit"),
        None,
    )
    .await
    .assert(200);
    let r = b.get(&app, &format!("/exam/{sid}")).await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("Your answers were submitted at "), "{html}");
    assert!(html.contains(r#"href="/me/exams""#), "{html}");
    assert!(!html.contains("exam-root"), "no questions: {html}");
    assert!(!html.contains("exam.js"), "no exam script: {html}");
}
