//! The Exams section's pages: the list, the exam form with its draw rules
//! editor, the exam page's lifecycle, enrollment by pasted lines and CSV
//! with line errors, and one candidate's overrides.

use serde_json::json;

use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

use super::staff_browser;
use crate::both;
use crate::common::TestApp;

fn question(i: usize) -> invigil_domain::content::Question {
    let input = serde_json::from_value(json!({
        "type": "single_choice",
        "text": format!("Question {i}?"),
        "options": ["yes", "no"],
        "correct_answer": { "option": 0 },
        "points": 1,
    }))
    .unwrap();
    invigil_domain::content::validate(input).unwrap()
}

/// The id at the end of a `303`'s location, `.../exams/{id}`.
fn exam_of(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_owned()
}

fn draft_form<'a>(csrf: &'a str, bank: &'a str, count: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("rules", "1"),
        ("title", "Chemistry final"),
        ("description", ""),
        ("department_id", ""),
        ("exam_type_id", ""),
        ("source", "draw"),
        ("question_bank_id", ""),
        ("draw_0_bank", bank),
        ("draw_0_count", count),
        ("draw_0_difficulty", ""),
        ("draw_0_tags", ""),
        ("duration_minutes", "45"),
        ("max_attempts", "1"),
        ("passing_score", "50"),
        ("start", ""),
        ("end", ""),
        ("enable_proctoring", "on"),
        ("proctoring_sensitivity", "MEDIUM"),
    ]
}

async fn a_coordinator_creates_and_opens_an_exam(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    let coord = app
        .member(
            &org,
            "coord@acme.test",
            &[Role::ExamCoordinator, Role::EnrollmentManager],
        )
        .await;
    app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&other, "stranger@other.test", &[Role::OrgAdmin])
        .await;
    let qs: Vec<_> = (0..5).map(question).collect();
    let bank = crate::delivery::approved_bank(&app, &org, coord.id, &qs)
        .await
        .to_string();

    // The guard: signed out, a stranger, a candidate.
    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/orgs/acme/exams").await,
        "/signin?next=%2Forgs%2Facme%2Fexams",
    );
    let mut stranger = staff_browser(&app, "stranger@other.test").await;
    assert_page(&stranger.get(&app, "/orgs/acme/exams").await, 404);
    assert_page(&stranger.get(&app, "/orgs/acme/exams/new").await, 404);
    let mut cand = staff_browser(&app, "cand@acme.test").await;
    assert_page(&cand.get(&app, "/orgs/acme/exams").await, 403);
    assert_page(&cand.get(&app, "/orgs/acme/exams/new").await, 403);

    // The empty list says what to do.
    let mut b = staff_browser(&app, "coord@acme.test").await;
    let list = b.get(&app, "/orgs/acme/exams").await;
    assert_page(&list, 200);
    assert!(
        list.text().contains("There are no exams yet"),
        "{}",
        list.text()
    );
    assert_page(&b.get(&app, "/orgs/acme/exams?status=NOPE").await, 422);

    // The form offers the approved bank; the editor adds and removes rules.
    let form = b.get(&app, "/orgs/acme/exams/new").await;
    assert_page(&form, 200);
    assert!(form.text().contains(&bank), "{}", form.text());
    let csrf = b.csrf_token.clone().unwrap();
    let mut add = draft_form(&csrf, &bank, "2");
    add.push(("op", "add_rule"));
    let added = b.post(&app, "/orgs/acme/exams/new", &add).await;
    assert_page(&added, 200);
    assert!(added.text().contains("Rule 2"), "{}", added.text());
    assert!(added.text().contains("Chemistry final"));
    let mut remove = draft_form(&csrf, &bank, "2");
    remove.push(("op", "remove_rule_0"));
    let removed = b.post(&app, "/orgs/acme/exams/new", &remove).await;
    assert!(
        !removed.text().contains("Remove rule 1"),
        "{}",
        removed.text()
    );

    // A rule asking for no question: the error is next to the rule.
    let mut bad = draft_form(&csrf, &bank, "0");
    bad.push(("op", "save"));
    let refused = b.post(&app, "/orgs/acme/exams/new", &bad).await;
    assert_page(&refused, 422);
    let html = refused.text();
    assert!(html.contains(r#"id="rule-0-error""#), "{html}");
    assert!(html.contains("Questions: Must be between"), "{html}");
    // Not a number at all: still a form with the message, never a 5xx.
    let mut junk = draft_form(&csrf, "not-a-bank", "many");
    junk.push(("op", "save"));
    assert_page(&b.post(&app, "/orgs/acme/exams/new", &junk).await, 422);

    // A wrong CSRF token is refused.
    let mut forged = draft_form("forged", &bank, "2");
    forged.push(("op", "save"));
    assert_page(&b.post(&app, "/orgs/acme/exams/new", &forged).await, 403);

    // Saved: the exam page, a DRAFT with its rule; then opened.
    let mut good = draft_form(&csrf, &bank, "2");
    good.push(("op", "save"));
    let created = b.post(&app, "/orgs/acme/exams/new", &good).await;
    created.assert(303);
    let exam = exam_of(created.header("location").unwrap());
    let page = b.get(&app, &format!("/orgs/acme/exams/{exam}")).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(
        html.contains("DRAFT") && html.contains("2 question(s)"),
        "{html}"
    );
    assert!(html.contains(r#"value="open""#), "{html}");

    // The edit form comes back filled in and saves.
    let edit = b.get(&app, &format!("/orgs/acme/exams/{exam}/edit")).await;
    assert_page(&edit, 200);
    assert!(edit.text().contains("Chemistry final"));
    let mut changed = draft_form(&csrf, &bank, "3");
    changed.push(("op", "save"));
    b.post(&app, &format!("/orgs/acme/exams/{exam}/edit"), &changed)
        .await
        .assert(303);
    assert!(
        b.get(&app, &format!("/orgs/acme/exams/{exam}"))
            .await
            .text()
            .contains("3 question(s)")
    );

    let path = format!("/orgs/acme/exams/{exam}/lifecycle");
    assert_page(
        &b.post(&app, &path, &[("csrf", "forged"), ("action", "open")])
            .await,
        403,
    );
    assert_page(
        &b.post(&app, &path, &[("csrf", &csrf), ("action", "explode")])
            .await,
        422,
    );
    assert_redirect(
        &b.post(&app, &path, &[("csrf", &csrf), ("action", "open")])
            .await,
        &format!("/orgs/acme/exams/{exam}?done=open"),
    );
    let page = b
        .get(&app, &format!("/orgs/acme/exams/{exam}?done=open"))
        .await;
    assert!(page.text().contains("ACTIVE"), "{}", page.text());
    assert!(page.text().contains("The exam is open"), "{}", page.text());
    // Open twice: the service's 409, on the exam page.
    let twice = b
        .post(&app, &path, &[("csrf", &csrf), ("action", "open")])
        .await;
    assert_page(&twice, 409);
    assert!(
        twice.text().contains("Cannot open an exam that is ACTIVE."),
        "{}",
        twice.text()
    );
    // An ACTIVE exam is not edited.
    assert_page(
        &b.get(&app, &format!("/orgs/acme/exams/{exam}/edit")).await,
        409,
    );
    let list = b.get(&app, "/orgs/acme/exams?status=ACTIVE").await;
    assert!(list.text().contains("Chemistry final"));

    // Every question of one bank instead of rules.
    let mut fixed = draft_form(&csrf, "", "");
    fixed.retain(|(k, _)| !k.starts_with("draw_") && *k != "source" && *k != "question_bank_id");
    fixed.extend([
        ("source", "bank"),
        ("question_bank_id", bank.as_str()),
        ("op", "save"),
    ]);
    let created = b.post(&app, "/orgs/acme/exams/new", &fixed).await;
    created.assert(303);
    let page = b.get(&app, created.header("location").unwrap()).await;
    assert!(
        page.text().contains("Every active question of"),
        "{}",
        page.text()
    );
    let mut no_bank = fixed.clone();
    no_bank.retain(|(k, _)| *k != "question_bank_id");
    let refused = b.post(&app, "/orgs/acme/exams/new", &no_bank).await;
    assert_page(&refused, 422);
    assert!(refused.text().contains(r#"id="question_bank_id-error""#));

    // Ids that are not ids, and another organization's exam: 404.
    assert_page(&b.get(&app, "/orgs/acme/exams/nope").await, 404);
    assert_page(
        &stranger
            .get(&app, &format!("/orgs/acme/exams/{exam}"))
            .await,
        404,
    );
    assert_page(
        &b.get(&app, &format!("/orgs/other/exams/{exam}")).await,
        404,
    );
}

async fn enrollment_by_csv_shows_line_errors(app: TestApp) {
    let org = app.org("acme").await;
    let coord = app
        .member(
            &org,
            "coord@acme.test",
            &[Role::ExamCoordinator, Role::EnrollmentManager],
        )
        .await;
    app.member(&org, "proctor@acme.test", &[Role::ProctorReviewer])
        .await;
    let qs: Vec<_> = (0..3).map(question).collect();
    let bank = crate::delivery::approved_bank(&app, &org, coord.id, &qs).await;
    let exam = crate::delivery::insert_exam(
        &app,
        &org,
        bank,
        coord.id,
        &crate::delivery::ExamOpts::default(),
    )
    .await;
    let path = format!("/orgs/acme/exams/{exam}/enrollments");

    // A proctor reads exams but does not enroll.
    let mut proctor = staff_browser(&app, "proctor@acme.test").await;
    assert_page(
        &proctor.get(&app, &format!("/orgs/acme/exams/{exam}")).await,
        200,
    );
    assert_page(&proctor.get(&app, &path).await, 403);

    let mut b = staff_browser(&app, "coord@acme.test").await;
    let empty = b.get(&app, &path).await;
    assert_page(&empty, 200);
    assert!(empty.text().contains("Nobody is enrolled yet"));
    let csrf = b.csrf_token.clone().unwrap();

    // A CSV with one bad line: the good ones are enrolled, the bad one is
    // shown next to its text.
    let csv = "email,name,extra_time_percent\nana@example.org,Ana,25\nnot-an-email,Bob,\nbo@example.org,Bo,\n";
    let r = b
        .post(&app, &path, &[("csrf", &csrf), ("people", csv)])
        .await;
    assert_page(&r, 200);
    let html = r.text();
    assert!(html.contains("2 enrolled"), "{html}");
    assert!(html.contains("bad-line"), "{html}");
    let at = html.find("not-an-email,Bob,").unwrap();
    assert!(html[at..].contains("Email:"), "{html}");
    assert!(
        html.contains("ana@example.org") && html.contains("+25% time"),
        "{html}"
    );
    // The text comes back with only the lines to fix, under the header.
    assert!(
        html.contains(">email,name,extra_time_percent\nnot-an-email,Bob,</textarea>"),
        "{html}"
    );

    // Pasted emails: line numbers are the text's own; nothing good → 422.
    let r = b
        .post(&app, &path, &[("csrf", &csrf), ("people", "\n\nnope\n")])
        .await;
    assert_page(&r, 422);
    assert!(
        r.text().contains(r#"<td class="num">3</td>"#),
        "{}",
        r.text()
    );
    let r = b
        .post(
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("people", "ana@example.org\ncy@example.org"),
            ],
        )
        .await;
    assert!(
        r.text().contains("1 enrolled, 1 already enrolled"),
        "{}",
        r.text()
    );
    assert_page(
        &b.post(
            &app,
            &path,
            &[("csrf", "forged"), ("people", "x@example.org")],
        )
        .await,
        403,
    );

    // One candidate's overrides.
    let ana = invigil_store::identity::users::by_email(app.db().read(), "ana@example.org")
        .await
        .unwrap()
        .unwrap();
    let one = format!("{path}/{}", ana.id);
    let form = b.get(&app, &one).await;
    assert_page(&form, 200);
    assert!(form.text().contains(r#"value="25""#), "{}", form.text());
    let bad = b
        .post(
            &app,
            &one,
            &[
                ("csrf", &csrf),
                ("extra_time_percent", "999"),
                ("max_attempts", "x"),
            ],
        )
        .await;
    assert_page(&bad, 422);
    assert!(bad.text().contains("max_attempts-error"), "{}", bad.text());
    assert_redirect(
        &b.post(
            &app,
            &one,
            &[
                ("csrf", &csrf),
                ("extra_time_percent", "50"),
                ("max_attempts", "2"),
            ],
        )
        .await,
        &path,
    );
    let list = b.get(&app, &path).await;
    assert!(
        list.text().contains("+50% time, 2 attempt(s)"),
        "{}",
        list.text()
    );
    assert_page(&b.get(&app, &format!("{path}/not-a-user")).await, 404);
}

both!(
    a_coordinator_creates_and_opens_an_exam,
    enrollment_by_csv_shows_line_errors
);
