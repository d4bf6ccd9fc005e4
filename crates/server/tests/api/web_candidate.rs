//! The candidate's pages through the real router: my exams with their
//! actions, the pre-exam check and start, results (nothing before release)
//! and the appeal form — on both backends.

use chrono::Duration;
use uuid::Uuid;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use crate::delivery::{ExamOpts, Setup, enroll, insert_exam, setup_with};
use crate::review::{claim, decide, flag_session, release_results, submit};
use invigil_testkit::browser::{Browser, assert_page, assert_redirect, csrf_field as csrf};

/// A browser signed in as `email` (a fixture user); returns it and the
/// session's CSRF token.
async fn signed_in(app: &TestApp, email: &str) -> (Browser, String) {
    let mut b = Browser::default();
    b.sign_in(app, email, PASSWORD).await.assert(303);
    let home = b.get(app, "/me/exams").await;
    assert_page(&home, 200);
    let t = csrf(&home);
    (b, t)
}

fn session_of(location: &str) -> Uuid {
    location.strip_prefix("/exam/").unwrap().parse().unwrap()
}

/// The fixture candidate has no session at all (`why` if they have).
async fn assert_no_session(app: &TestApp, s: &Setup, why: &str) {
    let sessions = invigil_store::delivery::sessions_of_user(app.db().read(), s.candidate.id)
        .await
        .unwrap();
    assert!(sessions.is_empty(), "{why}");
}

/// Starts the fixture exam from the pre-exam page with consent: 303 to
/// the exam page of a session that is IN_PROGRESS.
async fn start_with_consent(app: &TestApp, b: &mut Browser, s: &Setup, csrf: &str) -> Uuid {
    let start = format!("/me/exams/{}/start", s.exam_id);
    let r = b
        .post(app, &start, &[("csrf", csrf), ("consent", "yes")])
        .await;
    r.assert(303);
    let sid = session_of(r.header("location").unwrap());
    let v = app
        .get_json(&format!("/api/v1/sessions/{sid}"), &s.candidate.token)
        .await;
    assert_eq!(v["status"], "IN_PROGRESS");
    sid
}

async fn signed_out_visitors_go_to_the_sign_in_page(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let mut b = Browser::default();
    let check = format!("/me/exams/{}/check", s.exam_id);
    assert_redirect(
        &b.get(&app, &check).await,
        &format!("/signin?next=%2Fme%2Fexams%2F{}%2Fcheck", s.exam_id),
    );
    assert_redirect(
        &b.get(&app, "/me/results").await,
        "/signin?next=%2Fme%2Fresults",
    );
    let sid = Uuid::now_v7();
    assert_redirect(
        &b.get(&app, &format!("/me/results/{sid}")).await,
        &format!("/signin?next=%2Fme%2Fresults%2F{sid}"),
    );
    assert_redirect(
        &b.post(
            &app,
            &format!("/me/exams/{}/start", s.exam_id),
            &[("csrf", "x"), ("consent", "yes")],
        )
        .await,
        "/signin?notice=signin_required",
    );
    assert_redirect(
        &b.post(
            &app,
            &format!("/me/results/{sid}/appeal"),
            &[("csrf", "x"), ("text", "t")],
        )
        .await,
        "/signin?notice=signin_required",
    );
}

async fn the_check_page_explains_the_rules_and_proctoring(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let (mut b, _) = signed_in(&app, "cand@acme.org").await;
    let home = b.get(&app, "/me/exams").await;
    let html = home.text();
    let check = format!("/me/exams/{}/check", s.exam_id);
    assert!(html.contains(&format!(r#"href="{check}""#)), "{html}");
    assert!(html.contains(">Start</a>"), "{html}");
    assert!(html.contains(r#"href="/me/results""#), "{html}");

    let r = b.get(&app, &check).await;
    assert_page(&r, 200);
    let html = r.text();
    for part in [
        "60 minutes",
        "2 of 2",
        "submitted for you",
        "saved automatically",
        "Webcam snapshots",
        "every 30 seconds",
        "proctors and reviewers",
        "kept for 30 days",
        "never an automatic penalty",
        r#"type="checkbox" id="consent" name="consent" value="yes""#,
        "<video id=\"preview\" class=\"preview\" playsinline muted",
        "https",
        "public_url",
        "phone as a second camera",
        &invigil_server::web::assets::url("precheck.js"),
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    // Someone else's (or no) exam: 404 pages.
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "boss@other.org", &[Role::ExamCoordinator])
        .await;
    let foreign = insert_exam(&app, &other, s.bank_id, stranger.id, &ExamOpts::default()).await;
    for path in [
        format!("/me/exams/{foreign}/check"),
        format!("/me/exams/{}/check", Uuid::now_v7()),
        "/me/exams/not-a-uuid/check".to_owned(),
    ] {
        assert_page(&b.get(&app, &path).await, 404);
    }
}

async fn starting_needs_consent_then_starts_and_resumes(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let (mut b, t) = signed_in(&app, "cand@acme.org").await;
    let start = format!("/me/exams/{}/start", s.exam_id);
    // Without consent on a proctored exam: 422, the field error, no session.
    let r = b.post(&app, &start, &[("csrf", &t)]).await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains(r#"id="consent-error""#), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    // A wrong token: 403.
    assert_page(
        &b.post(&app, &start, &[("csrf", "nope"), ("consent", "yes")])
            .await,
        403,
    );
    assert_no_session(&app, &s, "a refused start wrote a session").await;
    // With consent: a session, and the exam page.
    let sid = start_with_consent(&app, &mut b, &s, &t).await;
    // Again: the same session (resume), and my exams says Resume.
    let r = b
        .post(&app, &start, &[("csrf", &t), ("consent", "yes")])
        .await;
    assert_redirect(&r, &format!("/exam/{sid}"));
    let html = b.get(&app, "/me/exams").await.text();
    assert!(html.contains(">Resume</a>"), "{html}");
    // Not enrolled: 404.
    assert_page(
        &b.post(
            &app,
            &format!("/me/exams/{}/start", Uuid::now_v7()),
            &[("csrf", &t), ("consent", "yes")],
        )
        .await,
        404,
    );
}

async fn refused_starts_say_why(app: TestApp) {
    let s = setup_with(
        &app,
        ExamOpts {
            max_attempts: 1,
            ..ExamOpts::default()
        },
    )
    .await;
    let later = insert_exam(
        &app,
        &s.org,
        s.bank_id,
        s.coordinator.id,
        &ExamOpts {
            start: Some(app.state.now() + Duration::days(1)),
            ..ExamOpts::default()
        },
    )
    .await;
    enroll(&app, &s.org, later, s.candidate.id, Some(25)).await;
    let (mut b, t) = signed_in(&app, "cand@acme.org").await;
    // The window has not opened: 409 and the page says so.
    let r = b
        .post(
            &app,
            &format!("/me/exams/{later}/start"),
            &[("csrf", &t), ("consent", "yes")],
        )
        .await;
    assert_page(&r, 409);
    assert!(
        r.text().contains("The exam cannot be started now"),
        "{}",
        r.text()
    );
    // Extra time shows with the duration.
    let check = b
        .get(&app, &format!("/me/exams/{later}/check"))
        .await
        .text();
    assert!(
        check.contains("75 minutes (60 + 25 % extra time)"),
        "{check}"
    );
    // The only attempt used: 409 "no attempts left".
    let start = format!("/me/exams/{}/start", s.exam_id);
    let r = b
        .post(&app, &start, &[("csrf", &t), ("consent", "yes")])
        .await;
    let sid = session_of(r.header("location").unwrap());
    submit(&app, sid, &s.candidate).await;
    let r = b
        .post(&app, &start, &[("csrf", &t), ("consent", "yes")])
        .await;
    assert_page(&r, 409);
    assert!(
        r.text()
            .contains("You have no attempts left for this exam."),
        "{}",
        r.text()
    );
    let check = b
        .get(&app, &format!("/me/exams/{}/check", s.exam_id))
        .await
        .text();
    assert!(
        check.contains("This exam cannot be started now: Completed."),
        "{check}"
    );
    assert!(!check.contains("Start the exam</button>"), "{check}");
}

/// Starts take turns: one that waited its time is refused with 503 and
/// `Retry-After`, on the same page with the consent still ticked, and
/// nothing started; pressed again with a turn free, it starts.
async fn a_busy_start_keeps_the_page_and_says_to_press_again(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let (mut b, t) = signed_in(&app, "cand@acme.org").await;
    let start = format!("/me/exams/{}/start", s.exam_id);
    let turn = app.state.sessions.try_admit().unwrap();
    let r = b
        .post(&app, &start, &[("csrf", &t), ("consent", "yes")])
        .await;
    assert_page(&r, 503);
    assert!(r.header("retry-after").is_some());
    let html = r.text();
    assert!(
        html.contains("Many candidates are starting at this moment"),
        "{html}"
    );
    assert!(html.contains("Start the exam</button>"), "{html}");
    assert!(
        html.contains(r#"name="consent" value="yes" required checked"#),
        "{html}"
    );
    assert_no_session(&app, &s, "a shed start wrote a session").await;
    drop(turn);
    start_with_consent(&app, &mut b, &s, &t).await;
}

both!(config = |c| {
    c.sessions_max_in_flight = 1;
    c.sessions_admission_wait_ms = 50;
} => a_busy_start_keeps_the_page_and_says_to_press_again);

/// A finished, flagged session of the fixture candidate.
async fn flagged_session(app: &TestApp, s: &Setup) -> Uuid {
    let sid = crate::review::start(app, s.exam_id, &s.candidate).await;
    submit(app, sid, &s.candidate).await;
    flag_session(app, s.org.id, sid, 30).await;
    sid
}

async fn results_stay_hidden_until_release(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = crate::review::start(&app, s.exam_id, &s.candidate).await;
    submit(&app, sid, &s.candidate).await;
    let (mut b, _) = signed_in(&app, "cand@acme.org").await;
    let list = b.get(&app, "/me/results").await;
    assert_page(&list, 200);
    assert!(list.text().contains("No results yet"), "{}", list.text());
    let r = b.get(&app, &format!("/me/results/{sid}")).await;
    assert_page(&r, 409);
    let html = r.text();
    assert!(html.contains("not released yet"), "{html}");
    assert!(!html.contains("Points per question"), "{html}");
    // Someone else's session: 404, also after release.
    app.member(&s.org, "cand2@acme.org", &[Role::Candidate])
        .await;
    let (mut other, _) = signed_in(&app, "cand2@acme.org").await;
    assert_page(&other.get(&app, &format!("/me/results/{sid}")).await, 404);
    release_results(&app, &s).await;
    assert_page(&other.get(&app, &format!("/me/results/{sid}")).await, 404);
    assert_page(&b.get(&app, "/me/results/not-a-uuid").await, 404);
    // After release: listed, with scores, points per question and the link.
    let list = b.get(&app, "/me/results").await;
    let html = list.text();
    assert!(html.contains(&format!("/me/results/{sid}")), "{html}");
    assert!(html.contains("of 10 points"), "{html}");
    let r = b.get(&app, &format!("/me/results/{sid}")).await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("Points per question"), "{html}");
    assert!(html.contains("Essay"), "{html}");
    assert!(html.contains("No integrity concerns"), "{html}");
    assert!(html.contains("no review decision to appeal"), "{html}");
    assert!(!html.contains(r#"name="text""#), "{html}");
    let home = b.get(&app, "/me/exams").await.text();
    assert!(home.contains(">See result</a>"), "{home}");
    // A CLEAN session cannot be appealed: 409 with the reason.
    let t = csrf(&r);
    let r = b
        .post(
            &app,
            &format!("/me/results/{sid}/appeal"),
            &[("csrf", &t), ("text", "why")],
        )
        .await;
    assert_page(&r, 409);
    assert!(
        r.text().contains("only after a review decision"),
        "{}",
        r.text()
    );
}

async fn a_decided_session_is_appealed_once_in_the_browser(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let sid = flagged_session(&app, &s).await;
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(
        &app,
        sid,
        &s.proctor,
        "VIOLATION_CONFIRMED",
        "a second person in view",
    )
    .await
    .assert(200);
    let (mut b, t) = signed_in(&app, "cand@acme.org").await;
    let detail = format!("/me/results/{sid}");
    let appeal = format!("/me/results/{sid}/appeal");
    // Before release: 409 for the page and the form.
    assert_page(&b.get(&app, &detail).await, 409);
    assert_page(
        &b.post(&app, &appeal, &[("csrf", &t), ("text", "x")]).await,
        409,
    );
    release_results(&app, &s).await;
    let r = b.get(&app, &detail).await;
    assert_page(&r, 200);
    let html = r.text();
    for part in [
        "Switching away from the exam tab or window",
        "medium severity",
        "Violation confirmed",
        "a second person in view",
        r#"<textarea id="text" name="text""#,
    ] {
        assert!(html.contains(part), "{part}: {html}");
    }
    // Empty text: 422 with the field error; a wrong token: 403.
    let r = b.post(&app, &appeal, &[("csrf", &t), ("text", "  ")]).await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="text-error""#), "{}", r.text());
    assert_page(
        &b.post(&app, &appeal, &[("csrf", "bad"), ("text", "mine")])
            .await,
        403,
    );
    // Sent: 303 back with a confirmation.
    let r = b
        .post(
            &app,
            &appeal,
            &[
                ("csrf", &t),
                ("text", "It was my reflection in the window."),
            ],
        )
        .await;
    assert_redirect(&r, &format!("{detail}?appealed=1"));
    let r = b.get(&app, &format!("{detail}?appealed=1")).await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("Your appeal was sent"), "{html}");
    assert!(
        html.contains("It was my reflection in the window."),
        "{html}"
    );
    assert!(html.contains("held back"), "{html}");
    assert!(!html.contains(r#"<textarea id="text""#), "{html}");
    let v = app
        .get_json(
            &format!("/api/v1/me/sessions/{sid}/integrity"),
            &s.candidate.token,
        )
        .await;
    assert_eq!(v["integrity_status"], "FLAGGED");
    // Decided again: the appeal is used up.
    claim(&app, sid, &s.proctor).await.assert(200);
    decide(&app, sid, &s.proctor, "CLEARED", "reflection confirmed")
        .await
        .assert(200);
    let html = b.get(&app, &detail).await.text();
    assert!(html.contains("used your one appeal"), "{html}");
    let r = b
        .post(&app, &appeal, &[("csrf", &t), ("text", "once more")])
        .await;
    assert_page(&r, 409);
    assert!(
        r.text().contains("already used your one appeal"),
        "{}",
        r.text()
    );
}

both!(
    signed_out_visitors_go_to_the_sign_in_page,
    the_check_page_explains_the_rules_and_proctoring,
    starting_needs_consent_then_starts_and_resumes,
    refused_starts_say_why,
    results_stay_hidden_until_release,
    a_decided_session_is_appealed_once_in_the_browser,
);

async fn my_exams_pages_beyond_fifty(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    for _ in 0..50 {
        let e = insert_exam(
            &app,
            &s.org,
            s.bank_id,
            s.coordinator.id,
            &ExamOpts::default(),
        )
        .await;
        enroll(&app, &s.org, e, s.candidate.id, None).await;
    }
    let (mut b, _) = signed_in(&app, "cand@acme.org").await;
    let first = b.get(&app, "/me/exams").await.text();
    assert_eq!(first.matches(r#"<li class="card exam">"#).count(), 50);
    let at = first
        .find(r#"<a href="/me/exams?cursor="#)
        .expect("a More link")
        + 9;
    let next: String = first[at..].chars().take_while(|c| *c != '"').collect();
    let second = b.get(&app, &next.replace("&amp;", "&")).await;
    assert_page(&second, 200);
    let html = second.text();
    assert_eq!(html.matches(r#"<li class="card exam">"#).count(), 1);
    assert!(
        html.contains(r#"<a href="/me/exams">First page</a>"#),
        "{html}"
    );
    assert!(!html.contains("?cursor="), "{html}");
    assert_page(&b.get(&app, "/me/exams?cursor=nonsense").await, 404);
}

async fn the_demo_has_a_released_result_to_appeal_and_loads_twice(app: TestApp) {
    use invigil_server::http::auth::{ClientInfo, CurrentUser};
    invigil_server::demo::load(&app.state).await.unwrap();
    invigil_server::demo::load(&app.state).await.unwrap();
    let candidate =
        invigil_store::identity::users::by_email(app.db().read(), "candidate@demo.example.org")
            .await
            .unwrap()
            .unwrap();
    let results = invigil_server::grading::results::my_results(&app.state, candidate.id)
        .await
        .unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    let r = &results[0];
    assert_eq!(r.exam_title, invigil_server::demo::DEMO_FINISHED_EXAM);
    assert_eq!(r.passed, Some(true));
    assert_eq!(r.final_score, Some(2.5));
    assert_eq!(r.integrity, "CLEARED");
    let me = CurrentUser {
        user: candidate,
        session_id: Uuid::nil(),
        client: ClientInfo::default(),
    };
    let v = invigil_server::review::candidate::my_integrity(&app.state, &me, r.session_id)
        .await
        .unwrap();
    assert_eq!(v.flags.len(), 1);
    assert!(v.can_appeal);
    let exams = invigil_server::exams::me::my_exams(
        &app.state,
        &me,
        &invigil_server::http::page::PageQuery::default(),
    )
    .await
    .unwrap();
    assert_eq!(exams.items.len(), 2);
}

both!(
    my_exams_pages_beyond_fifty,
    the_demo_has_a_released_result_to_appeal_and_loads_twice,
);
