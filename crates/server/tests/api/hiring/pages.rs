//! The hiring pages: the public board and a posting (signed out and in),
//! applying with consent through the form, my applications with withdraw,
//! and the company's Hiring console (posting form with errors by field,
//! applicants with their status, the applicant's decision form).

use serde_json::Value;

use super::{BASE, JOB_TITLE, apply, hiring, open_posting};
use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page, csrf_field};

async fn browser(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::default();
    b.sign_in(app, email, PASSWORD).await.assert(303);
    b
}

fn location(r: &invigil_testkit::TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

async fn board_apply_and_withdraw_in_the_browser(app: TestApp) {
    let h = hiring(&app).await;
    let posting = open_posting(&app, &h).await;
    let mut anon = Browser::default();
    let board = anon.get(&app, "/jobs").await;
    assert_page(&board, 200);
    assert!(board.text().contains(JOB_TITLE), "{}", board.text());
    let none = anon.get(&app, "/jobs?q=cobol").await;
    assert!(
        none.text().contains("No open job matches"),
        "{}",
        none.text()
    );
    let job = anon.get(&app, &format!("/jobs/{posting}")).await;
    assert_page(&job, 200);
    assert!(job.text().contains("Sign in to apply"), "{}", job.text());
    assert!(!job.text().contains("About Acme"), "no company profile yet");
    // Once the company wrote its profile, the job page tells about it
    // (never its address).
    let now = app.state.now();
    invigil_store::people::save_company_profile(
        app.db().write(),
        invigil_store::people::CompanyProfile {
            org_id: h.company.id,
            company_name: "Acme Hiring Ltd".into(),
            industry: Some("Software".into()),
            company_size: Some("11-50".into()),
            website: Some("https://acme.example".into()),
            description: Some("We build **tools**.".into()),
            address: Some("1 Secret Lane".into()),
            country: Some("GB".into()),
            logo_key: None,
            logo_type: None,
            updated_by: h.recruiter.id,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .unwrap();
    let job = anon.get(&app, &format!("/jobs/{posting}")).await;
    let text = job.text();
    for want in [
        "About Acme Hiring Ltd",
        "Software",
        "11-50 people",
        "https://acme.example",
        "<strong>tools</strong>",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(!text.contains("Secret Lane"));
    assert_page(&anon.get(&app, "/jobs/not-an-id").await, 404);

    let mut ann = browser(&app, "ann@people.test").await;
    let path = format!("/jobs/{posting}/apply");
    let page = ann.get(&app, &format!("/jobs/{posting}")).await;
    let csrf = csrf_field(&page);
    // No consent: the form again with the reason, nothing applied.
    let r = ann
        .post(&app, &path, &[("csrf", &csrf), ("cover_note", "Hi")])
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="consent-error""#), "{}", r.text());
    ann.post(&app, &path, &[("csrf", "nope"), ("consent", "yes")])
        .await
        .assert(403);
    let mine = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    let r = ann
        .post(
            &app,
            &path,
            &[("csrf", &csrf), ("consent", "yes"), ("cover_note", "Hi")],
        )
        .await;
    r.assert(303);
    assert_eq!(location(&r), "/me/applications");
    let list = ann.get(&app, "/me/applications").await;
    assert_page(&list, 200);
    let html = list.text();
    assert!(
        html.contains(JOB_TITLE) && html.contains("Take the assessment"),
        "{html}"
    );
    let mine = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    let id = mine["items"][0]["id"].as_str().unwrap().to_owned();
    // Applying again from the page: the reason, not a second application.
    let again = ann.get(&app, &format!("/jobs/{posting}")).await;
    assert!(
        again.text().contains("You applied to this job"),
        "{}",
        again.text()
    );
    let r = ann
        .post(
            &app,
            &format!("/me/applications/{id}/withdraw"),
            &[("csrf", &csrf_field(&list))],
        )
        .await;
    r.assert(303);
    let mine = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    assert_eq!(mine["items"][0]["status"], "WITHDRAWN");
    // Someone else's application: 404 page.
    let mut bob = browser(&app, "bob@people.test").await;
    let bob_page = bob.get(&app, "/me/applications").await;
    assert_page(
        &bob.post(
            &app,
            &format!("/me/applications/{id}/withdraw"),
            &[("csrf", &csrf_field(&bob_page))],
        )
        .await,
        404,
    );
}

async fn the_hiring_console_in_the_browser(app: TestApp) {
    let h = hiring(&app).await;
    let mut rec = browser(&app, "recruiter@acme.test").await;
    let home = rec.get(&app, "/orgs/acme-hiring/hiring").await;
    assert_page(&home, 200);
    assert!(
        home.text().contains(r#"aria-current="page""#),
        "{}",
        home.text()
    );
    let form = rec.get(&app, "/orgs/acme-hiring/hiring/new").await;
    assert_page(&form, 200);
    let csrf = csrf_field(&form);
    let exam = h.exam.to_string();
    let fields = |title: &'static str| {
        vec![
            ("title", title),
            ("description", "Build things."),
            ("requirements", "Rust\nSQL"),
            ("required_skills", "rust"),
            ("experience_level", "SENIOR"),
            ("location", ""),
            ("salary", ""),
            ("status", "OPEN"),
        ]
    };
    let mut bad: Vec<(&str, &str)> = vec![("csrf", &csrf), ("exam_id", &exam)];
    bad.extend(fields(" "));
    let r = rec.post(&app, "/orgs/acme-hiring/hiring/new", &bad).await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="title-error""#), "{}", r.text());
    let mut good: Vec<(&str, &str)> = vec![("csrf", &csrf), ("exam_id", &exam)];
    good.extend(fields("Staff engineer"));
    let r = rec.post(&app, "/orgs/acme-hiring/hiring/new", &good).await;
    r.assert(303);
    let to = location(&r);
    let posting: uuid::Uuid = to.rsplit('/').next().unwrap().parse().unwrap();
    let view: Value = app
        .get_json(
            &format!("{BASE}/job-postings/{posting}"),
            &h.recruiter.token,
        )
        .await;
    assert_eq!(view["status"], "OPEN");
    assert_eq!(view["requirements"], serde_json::json!(["Rust", "SQL"]));
    let app_view = apply(&app, &h.applicant, posting).await;
    let page = rec.get(&app, &to).await;
    assert_page(&page, 200);
    assert!(page.text().contains("ann@people.test"), "{}", page.text());
    let one = format!("{to}/applicants/{}", app_view["id"].as_str().unwrap());
    let detail = rec.get(&app, &one).await;
    assert_page(&detail, 200);
    let r = rec
        .post(
            &app,
            &one,
            &[
                ("csrf", &csrf_field(&detail)),
                ("status", "SHORTLISTED"),
                ("notes", "Call back"),
                ("interested", "yes"),
            ],
        )
        .await;
    r.assert(303);
    let mine = app
        .get_json("/api/v1/me/applications", &h.applicant.token)
        .await;
    assert_eq!(mine["items"][0]["status"], "SHORTLISTED");
    // A report viewer keeps notes but cannot decide (no status field).
    let mut viewer = browser(&app, "viewer@acme.test").await;
    let vpage = viewer.get(&app, &one).await;
    assert_page(&vpage, 200);
    assert!(!vpage.text().contains(r#"id="status""#), "{}", vpage.text());
    // A candidate member cannot open the console; an institution has no Hiring.
    let mut member = browser(&app, "member@acme.test").await;
    assert_page(&member.get(&app, "/orgs/acme-hiring/hiring").await, 403);
    let school = app.org("school").await;
    app.member(&school, "admin@school.test", &[Role::OrgAdmin])
        .await;
    let mut admin = browser(&app, "admin@school.test").await;
    let dash = admin.get(&app, "/orgs/school").await;
    assert!(
        !dash.text().contains("/orgs/school/hiring"),
        "{}",
        dash.text()
    );
    assert_page(&admin.get(&app, "/orgs/school/hiring").await, 409);
    let rec_dash = rec.get(&app, "/orgs/acme-hiring").await;
    assert!(
        rec_dash.text().contains("/orgs/acme-hiring/hiring"),
        "{}",
        rec_dash.text()
    );
}

both!(
    board_apply_and_withdraw_in_the_browser,
    the_hiring_console_in_the_browser,
);
