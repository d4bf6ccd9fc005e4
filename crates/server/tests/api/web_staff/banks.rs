//! Question banks, the question editor, import and QA in the console.

use invigil_domain::identity::Role;

use super::staff_browser;
use crate::both;
use crate::common::TestApp;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

const BAD_GIFT: &str = "// three questions\n::Sum:: 2 + 2? {=4 ~3 ~5}\n\n::Capital:: The capital of France? {~Paris ~Lyon}\n\n::Sun:: The sun is a star. {T}\n";

fn token(b: &Browser) -> String {
    b.csrf_token.clone().unwrap()
}

/// The id in a `/orgs/acme/banks/{id}...` location.
fn bank_of(location: &str) -> String {
    location
        .split("/banks/")
        .nth(1)
        .unwrap()
        .chars()
        .take(36)
        .collect()
}

async fn create_bank(app: &TestApp, b: &mut Browser, slug: &str, title: &str) -> String {
    b.get(app, &format!("/orgs/{slug}/banks")).await;
    let t = token(b);
    let r = b
        .post(
            app,
            &format!("/orgs/{slug}/banks"),
            &[("csrf", &t), ("title", title), ("description", "")],
        )
        .await;
    r.assert(303);
    bank_of(r.header("location").unwrap())
}

async fn banks_are_guarded_and_scoped_to_the_org(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    app.member(&org, "proctor@acme.test", &[Role::ProctorReviewer])
        .await;
    app.member(&other, "author@other.test", &[Role::ExamAuthor])
        .await;

    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/orgs/acme/banks").await,
        "/signin?next=%2Forgs%2Facme%2Fbanks",
    );

    let mut author = staff_browser(&app, "author@acme.test").await;
    let list = author.get(&app, "/orgs/acme/banks").await;
    assert_page(&list, 200);
    assert!(
        list.text().contains("No question banks yet"),
        "{}",
        list.text()
    );
    assert!(list.text().contains("Create a bank"));

    // The form refuses a wrong token and an empty title (next to the field).
    let t = token(&author);
    let r = author
        .post(
            &app,
            "/orgs/acme/banks",
            &[("csrf", "nope"), ("title", "X")],
        )
        .await;
    assert_page(&r, 403);
    let r = author
        .post(&app, "/orgs/acme/banks", &[("csrf", &t), ("title", " ")])
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="title-error""#), "{}", r.text());
    let bank = create_bank(&app, &mut author, "acme", "Algebra").await;
    let page = author.get(&app, &format!("/orgs/acme/banks/{bank}")).await;
    assert_page(&page, 200);
    assert!(page.text().contains("Algebra"));
    assert!(page.text().contains("This bank has no questions yet"));
    let list = author.get(&app, "/orgs/acme/banks?status=DRAFT").await;
    assert!(list.text().contains("Algebra"));
    let list = author.get(&app, "/orgs/acme/banks?status=APPROVED").await;
    assert!(!list.text().contains("Algebra"));

    // Another organization's bank, an unknown id, a stranger: 404.
    let mut stranger = staff_browser(&app, "author@other.test").await;
    let theirs = create_bank(&app, &mut stranger, "other", "Theirs").await;
    assert_page(
        &author
            .get(&app, &format!("/orgs/acme/banks/{theirs}"))
            .await,
        404,
    );
    assert_page(
        &author
            .get(&app, &format!("/orgs/acme/banks/{theirs}/questions/new"))
            .await,
        404,
    );
    assert_page(&author.get(&app, "/orgs/acme/banks/not-a-uuid").await, 404);
    assert_page(
        &stranger
            .get(&app, &format!("/orgs/acme/banks/{bank}"))
            .await,
        404,
    );

    // An author of one department creates banks there only.
    let maths = app.department(&org, "Maths").await;
    app.member_in(&org, "maths@acme.test", &[(Role::ExamAuthor, Some(maths))])
        .await;
    let mut scoped = staff_browser(&app, "maths@acme.test").await;
    let list = scoped.get(&app, "/orgs/acme/banks").await;
    let html = list.text();
    assert!(
        html.contains(&format!(r#"<option value="{maths}""#)),
        "{html}"
    );
    assert!(!html.contains("The whole organization"), "{html}");
    assert!(
        !html.contains("Algebra"),
        "another department's bank: {html}"
    );
    let st = token(&scoped);
    let r = scoped
        .post(
            &app,
            "/orgs/acme/banks",
            &[
                ("csrf", &st),
                ("title", "Calculus"),
                ("department", &maths.to_string()),
            ],
        )
        .await;
    r.assert(303);
    let list = scoped.get(&app, "/orgs/acme/banks").await;
    assert!(list.text().contains("Calculus"));
    let r = scoped
        .post(
            &app,
            "/orgs/acme/banks",
            &[("csrf", &st), ("title", "Anywhere"), ("department", "")],
        )
        .await;
    assert_page(&r, 403);

    // A proctor has no bank rights: 403, as in the API.
    let mut proctor = staff_browser(&app, "proctor@acme.test").await;
    assert_page(&proctor.get(&app, "/orgs/acme/banks").await, 403);
}

async fn import_shows_line_errors_and_the_editor_saves_versions(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    let mut author = staff_browser(&app, "author@acme.test").await;
    let bank = create_bank(&app, &mut author, "acme", "Geography").await;
    let base = format!("/orgs/acme/banks/{bank}");
    assert_page(&author.get(&app, &format!("{base}/import")).await, 200);
    let t = token(&author);

    // Pasted text with a bad question: 422, nothing imported, the error at its line.
    let r = author
        .post(
            &app,
            &format!("{base}/import"),
            &[("csrf", &t), ("format", "gift"), ("text", BAD_GIFT)],
        )
        .await;
    assert_page(&r, 422);
    let html = r.text();
    let at = html.find(r#"id="line-4""#).expect(&html);
    let line = &html[at..at + 600];
    assert!(line.contains("::Capital::"), "{line}");
    assert!(line.contains("Line 4: "), "{line}");
    assert!(
        !html.contains(r#"id="line-2" class"#),
        "only line 4 is marked"
    );
    assert!(html.contains("1 problem: nothing was imported"), "{html}");
    let page = author.get(&app, &base).await;
    assert!(page.text().contains("no questions yet"));

    // The same file uploaded (multipart, as htmx sends it): the page with 200 for htmx.
    let fixed = BAD_GIFT.replace("{~Paris", "{=Paris");
    let multipart = |text: &str| {
        format!(
            "--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{t}\r\n\
             --XX\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\ngift\r\n\
             --XX\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\r\n\
             --XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"q.gift\"\r\n\
             Content-Type: text/plain\r\n\r\n{text}\r\n--XX--\r\n"
        )
    };
    let r = app
        .post(&format!("{base}/import"))
        .header("cookie", &author.header())
        .header("hx-request", "true")
        .body("multipart/form-data; boundary=XX", multipart(BAD_GIFT))
        .send()
        .await;
    r.assert(200);
    assert!(r.text().contains("Line 4: "), "{}", r.text());
    let r = app
        .post(&format!("{base}/import"))
        .header("cookie", &author.header())
        .header("hx-request", "true")
        .body("multipart/form-data; boundary=XX", multipart(&fixed))
        .send()
        .await;
    r.assert(200);
    assert_eq!(
        r.header("hx-redirect"),
        Some(format!("{base}?done=imported&n=3").as_str())
    );
    let page = author.get(&app, &format!("{base}?done=imported&n=3")).await;
    assert!(page.text().contains("Imported 3 question(s)."));
    assert!(page.text().contains("True or false"));

    // Export in both formats.
    let gift = author
        .get(&app, &format!("{base}/export?format=gift"))
        .await;
    gift.assert(200);
    assert!(gift.text().contains("Paris"));
    assert!(
        gift.header("content-disposition")
            .unwrap()
            .contains("attachment")
    );
    author
        .get(&app, &format!("{base}/export?format=csv"))
        .await
        .assert(200);

    // The editor: a new numeric question, a bad one refused next to its field.
    assert_page(
        &author.get(&app, &format!("{base}/questions/new")).await,
        200,
    );
    let numeric = |text: &'static str, tolerance: &'static str| {
        vec![
            ("type", "numeric"),
            ("text", text),
            ("numeric_value", "9.81"),
            ("numeric_tolerance", tolerance),
            ("points", "2"),
            ("difficulty", "HARD"),
            ("tags", "physics, gravity"),
            ("explanation", "g at sea level"),
        ]
    };
    let mut form = numeric("g in m/s²?", "-1");
    form.push(("csrf", &t));
    let r = author.post(&app, &format!("{base}/questions"), &form).await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="key-error""#), "{}", r.text());
    let mut form = numeric("g in m/s²?", "0.01");
    form.push(("csrf", &t));
    let r = author.post(&app, &format!("{base}/questions"), &form).await;
    r.assert(303);
    let loc = r.header("location").unwrap().to_owned();
    assert!(loc.ends_with("?saved=1"), "{loc}");
    let question = loc.trim_end_matches("?saved=1").to_owned();
    let page = author.get(&app, &question).await;
    assert_page(&page, 200);
    assert!(page.text().contains("9.81") && page.text().contains("physics, gravity"));

    // Saving a change makes version 2; the diff shows the changed field.
    let mut form = numeric("Gravity g in m/s²?", "0.01");
    form.push(("csrf", &t));
    let r = author.post(&app, &question, &form).await;
    assert_redirect(&r, &format!("{question}?saved=2"));
    let page = author.get(&app, &format!("{question}?saved=2")).await;
    assert!(page.text().contains("Saved as version 2."));
    assert!(page.text().contains(r#"<th scope="col">By</th>"#));
    assert!(!page.text().contains("A former member"));
    let diff = author.get(&app, &format!("{question}/diff?a=1&b=2")).await;
    assert_page(&diff, 200);
    let html = diff.text();
    assert!(html.contains("1 field differs"), "{html}");
    assert!(html.contains("Gravity g in m/s²?"));
    assert_page(
        &author.get(&app, &format!("{question}/diff?a=1&b=9")).await,
        404,
    );

    // Retiring: off the bank's list (its versions stay).
    let r = author
        .post(&app, &format!("{question}/retire"), &[("csrf", "bad")])
        .await;
    assert_page(&r, 403);
    let r = author
        .post(&app, &format!("{question}/retire"), &[("csrf", &t)])
        .await;
    assert_redirect(&r, &format!("{base}?done=retired"));
    let page = author.get(&app, &base).await;
    assert!(!page.text().contains("Gravity g"), "{}", page.text());

    // The preview: the candidate's shape, Markdown rendered.
    let r = app
        .post(&format!("{base}/preview"))
        .header("cookie", &author.header())
        .header("x-csrf-token", &t)
        .body(
            "application/x-www-form-urlencoded",
            "type=single_choice&text=**Bold**&options=A%0AB",
        )
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    assert!(
        v["text_html"]
            .as_str()
            .unwrap()
            .contains("<strong>Bold</strong>")
    );
    assert_eq!(v["options"].as_array().unwrap().len(), 2);
    assert!(v.get("correct_answer").is_none());
}

async fn qa_approves_or_rejects_with_a_reason(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "author@acme.test", &[Role::ExamAuthor])
        .await;
    app.member(&org, "qa@acme.test", &[Role::QualityAssurance])
        .await;
    let mut author = staff_browser(&app, "author@acme.test").await;
    let bank = create_bank(&app, &mut author, "acme", "History").await;
    let base = format!("/orgs/acme/banks/{bank}");
    let t = token(&author);
    let r = author
        .post(
            &app,
            &format!("{base}/import"),
            &[
                ("csrf", &t),
                ("format", "gift"),
                ("text", &BAD_GIFT.replace("{~Paris", "{=Paris")),
            ],
        )
        .await;
    r.assert(303);
    let r = author
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &t), ("action", "submit")],
        )
        .await;
    assert_redirect(&r, &format!("{base}?done=submit"));

    // The author may not review; QA sees the bank among those in review.
    let r = author
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &t), ("action", "approve")],
        )
        .await;
    assert_page(&r, 403);
    let mut qa = staff_browser(&app, "qa@acme.test").await;
    let list = qa.get(&app, "/orgs/acme/banks?status=IN_REVIEW").await;
    assert_page(&list, 200);
    assert!(list.text().contains("Banks in review") && list.text().contains("History"));
    let page = qa.get(&app, &base).await;
    assert!(page.text().contains("Quality review"));
    let q = token(&qa);

    // CSRF refused; a rejection without a reason is refused next to the field.
    let r = qa
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", "x"), ("action", "approve")],
        )
        .await;
    assert_page(&r, 403);
    let r = qa
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &q), ("action", "reject"), ("reason", "  ")],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="reason-error""#), "{}", r.text());
    let r = qa
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &q), ("action", "reject"), ("reason", "Too easy.")],
        )
        .await;
    assert_redirect(&r, &format!("{base}?done=reject"));
    let page = author.get(&app, &base).await;
    assert!(page.text().contains("Too easy."), "{}", page.text());

    app.clock.advance(chrono::Duration::minutes(5));
    // The author edits (back to draft) and submits again; the page lists
    // what changed since the review; QA approves.
    let page = author.get(&app, &base).await;
    let html = page.text();
    let qid: String = html
        .match_indices("/questions/")
        .map(|(at, _)| html[at + 11..].chars().take(36).collect::<String>())
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .unwrap();
    let r = author
        .post(
            &app,
            &format!("{base}/questions/{qid}"),
            &[
                ("csrf", &t),
                ("type", "single_choice"),
                ("text", "What is 2 + 2, exactly?"),
                ("options", "4\n3\n5"),
                ("correct_option", "1"),
                ("points", "1"),
                ("difficulty", "EASY"),
            ],
        )
        .await;
    r.assert(303);
    author
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &t), ("action", "submit")],
        )
        .await
        .assert(303);
    let page = qa.get(&app, &base).await;
    let html = page.text();
    assert!(html.contains("Changed since the last review"), "{html}");
    assert!(html.contains("diff?a=1&#38;b=2"), "{html}");
    let r = qa
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &q), ("action", "approve")],
        )
        .await;
    assert_redirect(&r, &format!("{base}?done=approve"));
    let page = qa.get(&app, &format!("{base}?done=approve")).await;
    assert!(
        page.text().contains(r#"id="bank-status">Approved"#),
        "{}",
        page.text()
    );
}

both!(
    banks_are_guarded_and_scoped_to_the_org,
    import_shows_line_errors_and_the_editor_saves_versions,
    qa_approves_or_rejects_with_a_reason
);
