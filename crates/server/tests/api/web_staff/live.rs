//! The proctor's live console (`/orgs/{org}/exams/{exam}/live`), its feed,
//! action form and frame route, and the review pages (`/orgs/{org}/review`,
//! `/orgs/{org}/review/{session}`), through the real router on both
//! backends.

use invigil_domain::identity::Role;
use uuid::Uuid;

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, setup_with};
use crate::review::{flag_session, jpeg, start, upload_ok};
use invigil_testkit::browser::{assert_page, assert_redirect};

async fn the_live_console_lists_every_session_for_those_who_act_on_them(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let live = format!("/orgs/acme/exams/{}/live", s.exam_id);

    // Signed out: the sign-in page, which comes back.
    let mut anon = invigil_testkit::browser::Browser::default();
    let r = anon.get(&app, &live).await;
    r.assert(303);
    assert!(
        r.header("location").unwrap().starts_with("/signin?next="),
        "{:?}",
        r.header("location")
    );

    // The proctor sees the running session, with its clock, heartbeats and
    // the action form.
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    let page = proctor.get(&app, &live).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("cand@acme.org"), "{html}");
    assert!(html.contains(&format!(r#"data-session="{sid}""#)), "{html}");
    assert!(html.contains("IN_PROGRESS"), "{html}");
    assert!(html.contains("data-remaining="), "{html}");
    assert!(html.contains(r#"name="type""#), "{html}");
    assert!(html.contains("data-confirm="), "{html}");
    assert!(html.contains("/live/feed?csrf="), "{html}");
    assert!(html.contains("data-sortable"), "{html}");
    // Filtered by state: none paused; the empty state says what comes next.
    let paused = proctor.get(&app, &format!("{live}?status=PAUSED")).await;
    assert_page(&paused, 200);
    assert!(!paused.text().contains("cand@acme.org"));
    assert!(paused.text().contains("Sessions appear by themselves"));
    // An unknown state is the error page, not a 500.
    assert_page(
        &proctor.get(&app, &format!("{live}?status=SLEEPING")).await,
        422,
    );
    // The rows alone (what live.js fetches).
    let rows = proctor.get(&app, &format!("{live}/rows")).await;
    rows.assert(200);
    assert!(rows.text().contains("<tr data-session"), "{}", rows.text());
    assert!(!rows.text().contains("<html"), "{}", rows.text());

    // The coordinator acts on sessions too.
    let mut coord = staff_browser(&app, "coord@acme.org").await;
    assert_page(&coord.get(&app, &live).await, 200);

    // A candidate may not; another organization's staff find nothing, and
    // an exam id that is not one is 404.
    let mut cand = staff_browser(&app, "cand@acme.org").await;
    assert_page(&cand.get(&app, &live).await, 403);
    let other = app.org("other").await;
    app.member(&other, "p@other.org", &[Role::ProctorReviewer])
        .await;
    let mut stranger = staff_browser(&app, "p@other.org").await;
    assert_page(&stranger.get(&app, &live).await, 404);
    assert_page(
        &stranger
            .get(&app, &format!("/orgs/other/exams/{}/live", s.exam_id))
            .await,
        404,
    );
    assert_page(
        &stranger
            .get(
                &app,
                &format!("/orgs/other/sessions/{sid}/frames/{}", Uuid::now_v7()),
            )
            .await,
        404,
    );
    assert_page(&proctor.get(&app, "/orgs/acme/exams/nope/live").await, 404);
}
both!(the_live_console_lists_every_session_for_those_who_act_on_them);

async fn actions_go_through_the_service_and_need_the_csrf_token(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let live = format!("/orgs/acme/exams/{}/live", s.exam_id);
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    let page = proctor.get(&app, &live).await;
    let csrf = invigil_testkit::browser::csrf_field(&page);
    let action = format!("/orgs/acme/sessions/{sid}/actions");

    // Without the token: refused, nothing done.
    let r = proctor
        .post(
            &app,
            &action,
            &[("type", "PAUSE"), ("reason", "check"), ("csrf", "nope")],
        )
        .await;
    assert_page(&r, 403);
    assert!(
        !app.audit_actions(&s.org)
            .await
            .contains(&"session.pause".to_owned())
    );

    // Extend by 15 minutes: back to the console, the deadline moved.
    let before = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{}/sessions", s.exam_id),
            &s.proctor.token,
        )
        .await["items"][0]["remaining_seconds"]
        .as_u64()
        .unwrap();
    let r = proctor
        .post(
            &app,
            &action,
            &[
                ("csrf", &csrf),
                ("type", "EXTEND_TIME"),
                ("minutes", "15"),
                ("reason", "network trouble"),
                ("back", &format!("{live}?status=IN_PROGRESS")),
            ],
        )
        .await;
    assert_redirect(&r, &format!("{live}?status=IN_PROGRESS"));
    let after = app
        .get_json(
            &format!("/api/v1/orgs/acme/exams/{}/sessions", s.exam_id),
            &s.proctor.token,
        )
        .await["items"][0]["remaining_seconds"]
        .as_u64()
        .unwrap();
    assert!(after >= before + 14 * 60, "{before} -> {after}");
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"session.extend_time".to_owned())
    );

    // htmx: a sentence for the status region and the refresh event.
    let r = app
        .post(&action)
        .header("cookie", &proctor.header())
        .header("hx-request", "true")
        .header("x-csrf-token", &csrf)
        .body(
            "application/x-www-form-urlencoded",
            "type=PAUSE&reason=look+at+me",
        )
        .send()
        .await;
    r.assert(200);
    assert_eq!(r.header("hx-trigger"), Some("live-refresh"));
    assert!(r.text().contains("Session paused."), "{}", r.text());
    // A refused action says why (resume what is not paused, a reason missing).
    let r = proctor
        .post(
            &app,
            &action,
            &[("csrf", &csrf), ("type", "PAUSE"), ("reason", "again")],
        )
        .await;
    assert_page(&r, 409);
    let r = proctor
        .post(
            &app,
            &action,
            &[("csrf", &csrf), ("type", "WARN"), ("reason", "")],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains("Reason: must be"), "{}", r.text());
    let r = proctor
        .post(
            &app,
            &action,
            &[
                ("csrf", &csrf),
                ("type", "EXTEND_TIME"),
                ("minutes", "x"),
                ("reason", "r"),
            ],
        )
        .await;
    assert_page(&r, 422);

    // Another organization's session: 404.
    let other = app.org("other").await;
    app.member(&other, "p@other.org", &[Role::ProctorReviewer])
        .await;
    let mut stranger = staff_browser(&app, "p@other.org").await;
    let page = stranger.get(&app, "/orgs/other").await;
    let their_csrf = invigil_testkit::browser::meta_csrf(&page).unwrap();
    let r = stranger
        .post(
            &app,
            &format!("/orgs/other/sessions/{sid}/actions"),
            &[
                ("csrf", &their_csrf),
                ("type", "TERMINATE"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_page(&r, 404);
}
both!(actions_go_through_the_service_and_need_the_csrf_token);

async fn frames_are_served_audited_and_the_feed_wants_the_token(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let fid = upload_ok(&app, sid, &s.candidate, "image/jpeg", jpeg()).await;
    let live = format!("/orgs/acme/exams/{}/live", s.exam_id);
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;

    // The console shows the newest frame through the page route.
    let frame = format!("/orgs/acme/sessions/{sid}/frames/{fid}");
    let page = proctor.get(&app, &live).await;
    assert!(page.text().contains(&frame), "{}", page.text());
    let reads = |a: Vec<String>| a.iter().filter(|a| *a == "evidence.read").count();
    assert_eq!(reads(app.audit_actions(&s.org).await), 0);
    let img = proctor.get(&app, &frame).await;
    img.assert(200);
    assert_eq!(img.header("content-type"), Some("image/jpeg"));
    assert_eq!(img.header("cache-control"), Some("private, no-store"));
    assert_eq!(img.body, jpeg());
    assert_eq!(reads(app.audit_actions(&s.org).await), 1);
    // The coordinator watches sessions but does not see evidence.
    let mut coord = staff_browser(&app, "coord@acme.org").await;
    assert!(!coord.get(&app, &live).await.text().contains(&frame));
    assert_page(&coord.get(&app, &frame).await, 403);
    assert_page(
        &proctor
            .get(
                &app,
                &format!("/orgs/acme/sessions/{sid}/frames/{}", Uuid::now_v7()),
            )
            .await,
        404,
    );
    assert_eq!(reads(app.audit_actions(&s.org).await), 1);

    // The feed: refused without the page's token (EventSource sends no
    // header, so the token is in the query).
    assert_page(&proctor.get(&app, &format!("{live}/feed")).await, 403);
    assert_page(
        &proctor.get(&app, &format!("{live}/feed?csrf=wrong")).await,
        403,
    );
}
both!(frames_are_served_audited_and_the_feed_wants_the_token);

async fn a_reviewer_claims_reads_the_flag_and_decides(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let (events, flag) = flag_session(&app, s.org.id, sid, 40).await;
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;

    // The queue lists it with a claim button.
    let queue = proctor.get(&app, "/orgs/acme/review").await;
    assert_page(&queue, 200);
    let html = queue.text();
    assert!(html.contains("cand@acme.org"), "{html}");
    assert!(
        html.contains(&format!("/orgs/acme/review/{sid}/claim")),
        "{html}"
    );
    let csrf = invigil_testkit::browser::csrf_field(&queue);

    // The timeline: the flag, the rule that raised it and its events, in
    // the behaviour column.
    let url = format!("/orgs/acme/review/{sid}");
    let page = proctor.get(&app, &url).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains(&format!(r#"id="flag-{flag}""#)), "{html}");
    assert!(html.contains("tab_switch_burst"), "{html}");
    assert!(html.contains("Events behind this flag"), "{html}");
    assert!(html.contains("duration_ms: 1200"), "{html}");
    assert!(html.contains("Technical causes"), "{html}");
    let behaviour = html.find("Behaviour</h3>").unwrap();
    let technical = html.find("Technical causes</h3>").unwrap();
    let at = html.find(&format!(r#"id="flag-{flag}""#)).unwrap();
    assert!(
        behaviour < at && at < technical,
        "the flag is a behaviour one"
    );
    assert_eq!(events.len(), 2);

    // Filters, on the page and in the API: nothing claimed yet, another
    // exam has nothing, a status outside the queue is refused.
    let api = "/api/v1/orgs/acme/review-queue";
    let count = |v: serde_json::Value| v["items"].as_array().unwrap().len();
    assert_eq!(count(app.get_json(api, &s.proctor.token).await), 1);
    assert_eq!(
        count(
            app.get_json(
                &format!("{api}?status=FLAGGED&exam_id={}", s.exam_id),
                &s.proctor.token
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(
            app.get_json(&format!("{api}?status=UNDER_REVIEW"), &s.proctor.token)
                .await
        ),
        0
    );
    assert_eq!(
        count(
            app.get_json(
                &format!("{api}?exam_id={}", Uuid::now_v7()),
                &s.proctor.token
            )
            .await
        ),
        0
    );
    let bad = app
        .get_as(&format!("{api}?status=CLEAN"), &s.proctor.token)
        .await;
    bad.assert_problem(422, "validation_failed");
    let claimed_only = proctor
        .get(&app, "/orgs/acme/review?status=UNDER_REVIEW")
        .await;
    assert_page(&claimed_only, 200);
    assert!(!claimed_only.text().contains("cand@acme.org"));
    assert!(claimed_only.text().contains("Nothing to review"));
    assert_page(
        &proctor.get(&app, "/orgs/acme/review?status=CLEAN").await,
        422,
    );

    // Claim (the token is required), then decide.
    let r = proctor
        .post(&app, &format!("{url}/claim"), &[("csrf", "nope")])
        .await;
    assert_page(&r, 403);
    let r = proctor
        .post(&app, &format!("{url}/claim"), &[("csrf", &csrf)])
        .await;
    assert_redirect(&r, &format!("{url}?done=claimed"));
    let page = proctor.get(&app, &format!("{url}?done=claimed")).await;
    assert!(
        page.text().contains("Record the decision"),
        "{}",
        page.text()
    );
    // A confirmed violation needs notes: said on the page.
    let r = proctor
        .post(
            &app,
            &format!("{url}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "VIOLATION_CONFIRMED"),
                ("notes", ""),
            ],
        )
        .await;
    assert_page(&r, 422);
    let r = proctor
        .post(
            &app,
            &format!("{url}/decide"),
            &[
                ("csrf", &csrf),
                ("decision", "CLEARED"),
                ("notes", "looked away once"),
            ],
        )
        .await;
    assert_redirect(&r, &format!("{url}?done=decided"));
    let page = proctor.get(&app, &format!("{url}?done=decided")).await;
    assert!(page.text().contains("CLEARED"), "{}", page.text());
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.decided".to_owned())
    );

    // QA sees the decision and reopens it with a reason.
    let qa = app
        .member(&s.org, "qa@acme.org", &[Role::QualityAssurance])
        .await;
    let _ = qa;
    let mut qa = staff_browser(&app, "qa@acme.org").await;
    assert_redirect(
        &qa.get(&app, "/orgs/acme/review").await,
        "/orgs/acme/review/decisions",
    );
    let list = qa.get(&app, "/orgs/acme/review/decisions").await;
    assert_page(&list, 200);
    assert!(list.text().contains("looked away once"), "{}", list.text());
    let qa_csrf = invigil_testkit::browser::csrf_field(&list);
    let r = qa
        .post(
            &app,
            &format!("{url}/reopen"),
            &[
                ("csrf", &qa_csrf),
                ("reason", "notes too short"),
                ("from", "decisions"),
            ],
        )
        .await;
    assert_redirect(&r, "/orgs/acme/review/decisions?reopened=1");
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"review.reopened".to_owned())
    );

    // Another organization's reviewer: 404; the candidate: 403.
    let other = app.org("other").await;
    app.member(&other, "p@other.org", &[Role::ProctorReviewer])
        .await;
    let mut stranger = staff_browser(&app, "p@other.org").await;
    assert_page(
        &stranger
            .get(&app, &format!("/orgs/other/review/{sid}"))
            .await,
        404,
    );
    let mut cand = staff_browser(&app, "cand@acme.org").await;
    assert_page(&cand.get(&app, &url).await, 403);
}
both!(a_reviewer_claims_reads_the_flag_and_decides);

async fn the_console_feed_streams_changes_until_the_browser_signs_out(app: TestApp) {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use std::time::Duration;
    use tower::ServiceExt;

    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = start(&app, s.exam_id, &s.candidate).await;
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    let live = format!("/orgs/acme/exams/{}/live", s.exam_id);
    let page = proctor.get(&app, &live).await;
    let csrf = invigil_testkit::browser::csrf_field(&page);
    let router = invigil_server::web::staff::live::streaming_router().with_state(app.state.clone());
    let resp = router
        .oneshot(
            Request::get(format!("{live}/feed?csrf={csrf}"))
                .header("cookie", proctor.header())
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut body = resp.into_body();
    let mut text = String::new();
    let mut read_until = async |want: &str, text: &mut String| {
        tokio::time::timeout(Duration::from_secs(8), async {
            while !text.contains(want) {
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            text.push_str(&String::from_utf8_lossy(&data));
                        }
                    }
                    _ => break,
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {want} on the feed: {text}"));
        assert!(text.contains(want), "{text}");
    };
    // A proctor action elsewhere (the API) reaches the page's feed.
    app.post_json(
        &format!("/api/v1/orgs/acme/sessions/{sid}/actions"),
        &s.coordinator.token,
        &serde_json::json!({"type": "PAUSE", "reason": "a word"}),
    )
    .await
    .assert(200);
    read_until("event: session", &mut text).await;
    assert!(text.contains(&sid.to_string()), "{text}");
    // Signing out ends the browser session: the feed ends at its re-check.
    let r = proctor.post(&app, "/signout", &[("csrf", &csrf)]).await;
    r.assert(303);
    read_until("event: end", &mut text).await;
}
both!(the_console_feed_streams_changes_until_the_browser_signs_out);

async fn the_review_page_shows_the_appeal_and_its_answer(app: TestApp) {
    use crate::review::{claim, decide, flagged, release_results};
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged(&app, &s, 30).await;
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(
        &app,
        sid,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "a second person",
    )
    .await
    .assert(200);
    release_results(&app, &s).await;
    app.post_json(
        &format!("/api/v1/me/sessions/{sid}/appeal"),
        &s.candidate.token,
        &serde_json::json!({"text": "It was my reflection in the window."}),
    )
    .await
    .assert(201);
    let mut proctor = staff_browser(&app, "proctor@acme.org").await;
    let url = format!("/orgs/acme/review/{sid}");
    let page = proctor.get(&app, &url).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("It was my reflection in the window."),
        "{html}"
    );
    assert!(html.contains("Not answered yet"), "{html}");
    // The queue marks it appealed; a new decision answers it.
    let queue = proctor.get(&app, "/orgs/acme/review").await;
    assert!(queue.text().contains("appealed"), "{}", queue.text());
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(&app, sid, &s.proctor, "CLEARED", "the reflection, indeed")
        .await
        .assert(200);
    let html = proctor.get(&app, &url).await.text();
    assert!(html.contains("Answered: CLEARED"), "{html}");
    assert!(html.contains("the reflection, indeed"), "{html}");
}
both!(the_review_page_shows_the_appeal_and_its_answer);
