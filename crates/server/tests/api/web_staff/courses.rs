//! The Courses section's pages (issue 15): who may open them, and the form
//! error paths: each refusal answers 4xx with the message next to its field
//! (or on the page) and changes nothing; the lecture form's file streamed
//! through the files service.

use invigil_domain::identity::Role;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

use super::staff_browser;
use crate::both;
use crate::common::TestApp;

/// The id at the end of a `303`'s location, `.../courses/{id}?done=...`.
fn id_of(location: &str) -> String {
    location
        .split('?')
        .next()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

fn location(r: &invigil_testkit::TestResponse) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

fn course_form<'a>(
    csrf: &'a str,
    title: &'a str,
    pricing: &'a str,
    price: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("title", title),
        ("slug", ""),
        ("description", "Atoms and molecules."),
        ("level", "BEGINNER"),
        ("language", "en"),
        ("category_id", ""),
        ("pricing", pricing),
        ("price", price),
        ("currency", "EUR"),
        ("max_students", ""),
    ]
}

/// A `multipart/form-data` body of text fields, then a file.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let b = "----teachboundary7";
    let mut out = Vec::new();
    for (k, v) in fields {
        out.extend_from_slice(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    let (name, data) = file.unwrap_or(("", b""));
    out.extend_from_slice(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(data);
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), out)
}

async fn post_multipart(
    app: &TestApp,
    b: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> invigil_testkit::TestResponse {
    let (ct, body) = multipart(fields, file);
    app.post(path)
        .header("cookie", &b.header())
        .body(&ct, body)
        .send()
        .await
}

/// An MP4-looking body (an `ftyp` box, then a counter).
fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2mp41".to_vec();
    let mut i = 0u8;
    while v.len() < len {
        v.push(i);
        i = i.wrapping_add(1);
    }
    v
}

async fn a_teacher_builds_a_course_and_every_refusal_is_shown(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "teach@acme.test", &[Role::ExamAuthor])
        .await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&other, "stranger@other.test", &[Role::OrgAdmin])
        .await;

    // The guard: signed out, a stranger, a candidate.
    let mut anon = Browser::default();
    assert_redirect(
        &anon.get(&app, "/orgs/acme/courses").await,
        "/signin?next=%2Forgs%2Facme%2Fcourses",
    );
    let mut stranger = staff_browser(&app, "stranger@other.test").await;
    assert_page(&stranger.get(&app, "/orgs/acme/courses").await, 404);
    let mut cand = staff_browser(&app, "cand@acme.test").await;
    assert_page(&cand.get(&app, "/orgs/acme/courses").await, 403);
    assert_page(&cand.get(&app, "/orgs/acme/courses/new").await, 403);

    let mut b = staff_browser(&app, "teach@acme.test").await;
    let list = b.get(&app, "/orgs/acme/courses").await;
    assert_page(&list, 200);
    assert!(
        list.text().contains("You do not teach a course yet"),
        "{}",
        list.text()
    );
    assert_page(&b.get(&app, "/orgs/acme/courses?status=NOPE").await, 422);
    assert_page(&b.get(&app, "/orgs/acme/courses?status=DELETED").await, 403);
    assert_page(&b.get(&app, "/orgs/acme/courses?cursor=zzz").await, 400);
    let csrf = b.csrf_token.clone().unwrap();

    // A bad form: every problem next to its field, nothing created.
    let bad = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form(&csrf, " ", "PAID", "abc"),
        )
        .await;
    assert_page(&bad, 422);
    let html = bad.text();
    assert!(
        html.contains("price-error") && html.contains("19.99"),
        "{html}"
    );
    let bad = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form(&csrf, " ", "PAID", "0"),
        )
        .await;
    assert_page(&bad, 422);
    assert!(bad.text().contains("title-error"), "{}", bad.text());
    assert!(bad.text().contains("price-error"), "{}", bad.text());
    // A wrong CSRF token: the expired-form page.
    let forged = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form("nope", "Chem", "FREE", ""),
        )
        .await;
    assert_page(&forged, 403);
    let list = b.get(&app, "/orgs/acme/courses").await;
    assert!(list.text().contains("You do not teach a course yet"));

    // Created; the slug taken again is refused next to the slug.
    let made = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form(&csrf, "Chem 101", "FREE", ""),
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.text());
    let course = id_of(&location(&made));
    let base = format!("/orgs/acme/courses/{course}");
    let again = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form(&csrf, "Chem 101", "FREE", ""),
        )
        .await;
    assert_page(&again, 409);
    assert!(again.text().contains("slug-error"), "{}", again.text());

    // Another teacher does not see a draft they do not instruct; a stranger neither.
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_page(&coord.get(&app, &base).await, 404);
    assert_page(&stranger.get(&app, &base).await, 404);
    assert_page(&b.get(&app, "/orgs/acme/courses/not-an-id").await, 404);

    // Publishing an empty course: 409 with the service's reason on the editor.
    let refused = b
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &csrf), ("action", "publish")],
        )
        .await;
    assert_page(&refused, 422);
    assert!(
        refused.text().contains("page-problem"),
        "{}",
        refused.text()
    );
    assert_page(
        &b.post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &csrf), ("action", "explode")],
        )
        .await,
        422,
    );

    // Chapters: an empty title next to the form; two chapters; a bad move.
    let empty = b
        .post(
            &app,
            &format!("{base}/chapters"),
            &[("csrf", &csrf), ("title", "")],
        )
        .await;
    assert_page(&empty, 422);
    assert!(
        empty.text().contains("chapter-title-error"),
        "{}",
        empty.text()
    );
    for t in ["One", "Two"] {
        let r = b
            .post(
                &app,
                &format!("{base}/chapters"),
                &[("csrf", &csrf), ("title", t)],
            )
            .await;
        assert_redirect(&r, &format!("{base}?done=chapter"));
    }
    let editor = b.get(&app, &base).await;
    assert_page(&editor, 200);
    let html = editor.text();
    let chapter = html
        .split("id=\"chapter-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let up = b
        .post(
            &app,
            &format!("{base}/chapters/{chapter}/move"),
            &[("csrf", &csrf), ("direction", "up")],
        )
        .await;
    assert_page(&up, 422);
    assert!(up.text().contains("cannot move"), "{}", up.text());

    // Lectures (multipart, streamed): a TEXT lecture without text is refused
    // before anything is stored; a video's file is stored and attached; a
    // PDF lecture given a video keeps no file and says why.
    let new_lecture = format!("{base}/chapters/{chapter}/lectures");
    let form = |title: &'static str, kind: &'static str| {
        vec![
            ("csrf", csrf.as_str()),
            ("title", title),
            ("kind", kind),
            ("duration", "1:30"),
            ("body", ""),
        ]
    };
    let no_text = post_multipart(&app, &b, &new_lecture, &form("Reading", "TEXT"), None).await;
    assert_page(&no_text, 422);
    assert!(no_text.text().contains("body-error"), "{}", no_text.text());
    let bad_length = post_multipart(
        &app,
        &b,
        &new_lecture,
        &[
            ("csrf", &csrf),
            ("title", "X"),
            ("kind", "VIDEO"),
            ("duration", "1:99"),
        ],
        None,
    )
    .await;
    assert_page(&bad_length, 422);
    assert!(bad_length.text().contains("duration-error"));
    let forged = post_multipart(
        &app,
        &b,
        &new_lecture,
        &[("csrf", "nope"), ("title", "X"), ("kind", "VIDEO")],
        Some(("a.mp4", &mp4(1000))),
    )
    .await;
    assert_page(&forged, 403);
    let video = post_multipart(
        &app,
        &b,
        &new_lecture,
        &form("Welcome", "VIDEO"),
        Some(("welcome.mp4", &mp4(200_000))),
    )
    .await;
    assert_redirect(&video, &format!("{base}?done=lecture"));
    let pdf = post_multipart(
        &app,
        &b,
        &new_lecture,
        &form("Slides", "PDF"),
        Some(("slides.pdf", &mp4(5_000))),
    )
    .await;
    assert_page(&pdf, 415);
    assert!(pdf.text().contains("file-error"), "{}", pdf.text());
    let not_multipart = b
        .post(&app, &new_lecture, &[("csrf", &csrf), ("title", "X")])
        .await;
    assert_page(&not_multipart, 415);
    let editor = b.get(&app, &base).await;
    let html = editor.text();
    assert!(html.contains("welcome.mp4"), "{html}");
    assert!(
        html.contains("Slides") && html.contains("No file yet"),
        "{html}"
    );
    assert!(!html.contains("Reading"), "{html}");

    // Publish now works; the list filters by status and search.
    let ok = b
        .post(
            &app,
            &format!("{base}/status"),
            &[("csrf", &csrf), ("action", "publish")],
        )
        .await;
    assert_redirect(&ok, &format!("{base}?done=publish"));
    let found = b
        .get(&app, "/orgs/acme/courses?status=PUBLISHED&q=chem")
        .await;
    assert!(found.text().contains("Chem 101"), "{}", found.text());
    let none = b.get(&app, "/orgs/acme/courses?status=DRAFT").await;
    assert!(none.text().contains("No course matches"), "{}", none.text());

    // Learners: an unknown email is named next to the field; nobody enrolled.
    let learners = format!("{base}/learners");
    let unknown = b
        .post(
            &app,
            &learners,
            &[
                ("csrf", &csrf),
                ("emails", "cand@acme.test\nnobody@acme.test"),
            ],
        )
        .await;
    assert_page(&unknown, 422);
    assert!(
        unknown.text().contains("nobody@acme.test"),
        "{}",
        unknown.text()
    );
    assert!(unknown.text().contains("Nobody is enrolled yet"));
    let invited = b
        .post(
            &app,
            &learners,
            &[("csrf", &csrf), ("emails", "cand@acme.test")],
        )
        .await;
    assert_redirect(&invited, &format!("{learners}?done=invited"));
    assert!(
        b.get(&app, &learners)
            .await
            .text()
            .contains("cand@acme.test")
    );
}

both!(a_teacher_builds_a_course_and_every_refusal_is_shown);

async fn an_admin_moderates_and_keeps_the_category_tree(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.member(&org, "teach@acme.test", &[Role::ExamAuthor])
        .await;
    let mut b = staff_browser(&app, "admin@acme.test").await;
    let csrf = b.csrf_token.clone().unwrap();
    let mut t = staff_browser(&app, "teach@acme.test").await;
    assert_page(&t.get(&app, "/orgs/acme/course-categories").await, 403);

    // Categories: add two, a cycle is refused next to the category.
    let cats = "/orgs/acme/course-categories";
    let empty = b
        .post(
            &app,
            cats,
            &[("csrf", &csrf), ("name", ""), ("parent_id", "")],
        )
        .await;
    assert_page(&empty, 422);
    assert!(empty.text().contains("new-error"), "{}", empty.text());
    let r = b
        .post(
            &app,
            cats,
            &[("csrf", &csrf), ("name", "Science"), ("parent_id", "")],
        )
        .await;
    assert_redirect(&r, &format!("{cats}?done=added"));
    let page = b.get(&app, cats).await.text();
    let science = page
        .split("id=\"name-")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let r = b
        .post(
            &app,
            cats,
            &[
                ("csrf", &csrf),
                ("name", "Chemistry"),
                ("parent_id", &science),
            ],
        )
        .await;
    assert_redirect(&r, &format!("{cats}?done=added"));
    let page = b.get(&app, cats).await.text();
    let chemistry = page
        .split("id=\"name-")
        .filter_map(|s| s.split('"').next())
        .find(|id| *id != science)
        .unwrap()
        .to_owned();
    let cycle = b
        .post(
            &app,
            &format!("{cats}/{science}"),
            &[
                ("csrf", &csrf),
                ("name", "Science"),
                ("parent_id", &chemistry),
            ],
        )
        .await;
    assert_page(&cycle, 422);
    assert!(
        cycle.text().contains(&format!("cat-{science}-error")),
        "{}",
        cycle.text()
    );
    // A category with a subcategory is not deleted: 409 on the page.
    let in_use = b
        .post(
            &app,
            &format!("{cats}/{science}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_page(&in_use, 409);
    assert!(in_use.text().contains("subcategories"), "{}", in_use.text());

    // A course, deleted and restored (the teacher sees no Deleted filter).
    let made = b
        .post(
            &app,
            "/orgs/acme/courses/new",
            &course_form(&csrf, "Bio", "FREE", ""),
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.text());
    let course = id_of(&location(&made));
    let base = format!("/orgs/acme/courses/{course}");
    assert_page(&b.get(&app, &format!("{base}/delete")).await, 200);
    let gone = b
        .post(&app, &format!("{base}/delete"), &[("csrf", &csrf)])
        .await;
    assert_redirect(&gone, "/orgs/acme/courses?done=deleted");
    assert_page(&b.get(&app, &base).await, 404);
    let deleted = b.get(&app, "/orgs/acme/courses?status=DELETED").await;
    assert!(deleted.text().contains("Bio"), "{}", deleted.text());
    let back = b
        .post(&app, &format!("{base}/restore"), &[("csrf", &csrf)])
        .await;
    assert_redirect(&back, "/orgs/acme/courses?done=restored");
    let again = b
        .post(&app, &format!("{base}/restore"), &[("csrf", &csrf)])
        .await;
    assert_page(&again, 409);

    // Reviews: hiding needs a reason (422 next to the review).
    let reviews = b.get(&app, &format!("{base}/reviews")).await;
    assert_page(&reviews, 200);
    assert!(
        reviews.text().contains("No review yet"),
        "{}",
        reviews.text()
    );
    let unknown = b
        .post(
            &app,
            &format!("{base}/reviews/{}/moderate", uuid::Uuid::now_v7()),
            &[("csrf", &csrf), ("action", "hide"), ("reason", "")],
        )
        .await;
    assert_page(&unknown, 422);
    let unknown = b
        .post(
            &app,
            &format!("{base}/reviews/{}/moderate", uuid::Uuid::now_v7()),
            &[("csrf", &csrf), ("action", "hide"), ("reason", "spam")],
        )
        .await;
    assert_page(&unknown, 404);
}

both!(an_admin_moderates_and_keeps_the_category_tree);
