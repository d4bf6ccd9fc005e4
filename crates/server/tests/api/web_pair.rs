//! The phone pairing of the web UI: the pre-exam check's QR code
//! (`POST /web-api/v1/sessions/{s}/pairing-qr`, its link built from
//! `public_url`, never from the Host header) and the phone page `/pair`,
//! which renders without sign-in and never claims the token.

use axum::http::Method;
use serde_json::json;

use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page};

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::delivery::{ExamOpts, enroll, setup_with};

const PUBLIC: &str = "https://exams.example.org";

async fn start(app: &TestApp, b: &Browser, exam: uuid::Uuid) -> String {
    let r = b
        .api(
            app,
            Method::POST,
            &format!("/web-api/v1/exams/{exam}/sessions"),
            None,
        )
        .await;
    r.assert(201);
    r.json()["session_id"].as_str().unwrap().to_owned()
}

both!(config = |c: &mut invigil_server::config::Config| c.public_url = Some(PUBLIC.into())
    => the_qr_links_to_public_url_and_only_for_my_session);
async fn the_qr_links_to_public_url_and_only_for_my_session(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);
    let sid = start(&app, &b, s.exam_id).await;
    let path = format!("/web-api/v1/sessions/{sid}/pairing-qr");

    // A forged Host header does not change the link.
    let token = b.csrf_token.clone().unwrap();
    let r = app
        .post(&path)
        .header("cookie", &b.header())
        .header("x-csrf-token", &token)
        .header("host", "evil.example.com")
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    let url = v["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{PUBLIC}/pair?token=")), "{v}");
    assert!(!url.contains("evil"), "{v}");
    let svg = v["svg"].as_str().unwrap();
    assert!(
        svg.starts_with(r#"<svg class="qr" role="img" aria-label=""#),
        "{svg}"
    );
    assert!(svg.ends_with("</svg>"), "{svg}");
    assert!(v["expires_at"].as_str().is_some(), "{v}");

    // The link's token is a real pairing token: the phone can claim it.
    let pairing = url.split_once("token=").unwrap().1;
    let claimed = app
        .post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone" }))
        .send()
        .await;
    claimed.assert(200);
    assert_eq!(claimed.json()["session_id"], sid.as_str());

    // Without the CSRF header: 403, no pairing made.
    app.post(&path)
        .header("cookie", &b.header())
        .send()
        .await
        .assert_problem(403, "forbidden");
    // Without the cookie: 401.
    app.post(&path)
        .header("x-csrf-token", &token)
        .send()
        .await
        .assert_problem(401, "unauthenticated");

    // Another candidate's session: 404, as on the API.
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    let mut ob = Browser::default();
    ob.sign_in(&app, "other@acme.org", PASSWORD)
        .await
        .assert(303);
    ob.api(&app, Method::POST, &path, None)
        .await
        .assert_problem(404, "not_found");
    // A session id that is not a UUID: 4xx problem, never 5xx.
    let bad = ob
        .api(
            &app,
            Method::POST,
            "/web-api/v1/sessions/nope/pairing-qr",
            None,
        )
        .await;
    assert!(bad.status.is_client_error(), "{}", bad.text());
}

both!(the_phone_page_needs_no_sign_in_and_never_claims);
async fn the_phone_page_needs_no_sign_in_and_never_claims(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let mut b = Browser::default();
    b.sign_in(&app, "cand@acme.org", PASSWORD).await.assert(303);
    let sid = start(&app, &b, s.exam_id).await;
    let qr = b
        .api(
            &app,
            Method::POST,
            &format!("/web-api/v1/sessions/{sid}/pairing-qr"),
            None,
        )
        .await;
    qr.assert(200);
    let url = qr.json()["url"].as_str().unwrap().to_owned();
    let pairing = url.split_once("token=").unwrap().1.to_owned();

    // Opened twice (a link preview, then the person): a page, no cookie needed.
    for _ in 0..2 {
        let page = app.get(&format!("/pair?token={pairing}")).send().await;
        assert_page(&page, 200);
        let html = page.text();
        assert!(html.contains("Start camera"), "{html}");
        assert!(
            html.contains(&format!(r#"data-token="{pairing}""#)),
            "{html}"
        );
        assert!(html.contains("/assets/pair."), "{html}");
    }
    // Still claimable: the GETs did not use it.
    app.post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": "phone" }))
        .send()
        .await
        .assert(200);

    // A missing or garbled token: a friendly page, not a 5xx.
    for path in [
        "/pair",
        "/pair?token=",
        "/pair?token=%3Cscript%3E",
        "/pair?x=1&token",
    ] {
        let page = app.get(path).send().await;
        assert_page(&page, 400);
        assert!(page.text().contains("Scan a new code"), "{path}");
    }
}
