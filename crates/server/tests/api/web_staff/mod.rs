//! The staff console's pages through the real router, on both backends.
//! One file per page set; this one covers the shared guard and overview.

mod admin;
mod courses;
mod exams;
mod grading;
mod live;
mod money;
mod money_files;
mod records;
mod results;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

/// A browser signed in as `email` (a fixture user).
pub async fn staff_browser(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::default();
    b.sign_in(app, email, PASSWORD).await.assert(303);
    b
}

async fn the_console_is_for_members_with_a_staff_role(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&other, "stranger@other.test", &[Role::OrgAdmin])
        .await;

    // Signed out: to the sign-in page, which comes back.
    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/orgs/acme").await,
        "/signin?next=%2Forgs%2Facme",
    );

    // A coordinator lands on the console and sees what a coordinator does.
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_redirect(&coord.get(&app, "/").await, "/staff");
    assert_redirect(&coord.get(&app, "/staff").await, "/orgs/acme");
    let home = coord.get(&app, "/orgs/acme").await;
    assert_page(&home, 200);
    let html = home.text();
    assert!(html.contains("Exams and live proctoring"), "{html}");
    assert!(html.contains(r#"aria-current="page""#), "{html}");
    assert!(!html.contains("Administration"), "{html}");
    assert!(html.contains("htmx"), "{html}");

    // A candidate has no console; a stranger's organization does not exist.
    let mut cand = staff_browser(&app, "cand@acme.test").await;
    assert_redirect(&cand.get(&app, "/").await, "/me/exams");
    assert_redirect(&cand.get(&app, "/staff").await, "/me/exams");
    let page = cand.get(&app, "/orgs/acme").await;
    assert_page(&page, 200);
    assert!(page.text().contains("nothing to do"), "{}", page.text());
    let mut stranger = staff_browser(&app, "stranger@other.test").await;
    assert_page(&stranger.get(&app, "/orgs/acme").await, 404);
    assert_page(&stranger.get(&app, "/orgs/nowhere").await, 404);
}

both!(the_console_is_for_members_with_a_staff_role);
mod banks;
