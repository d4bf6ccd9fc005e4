//! Notifications (issue 15): in-app notifications and their API, the
//! user's preferences per kind, and per-org templates (validation with
//! positions, preview, reset) replacing the hard-coded mail bodies.

use serde_json::{Value, json};

use invigil_domain::identity::Role;

use crate::both;
use crate::common::{TestApp, TestUser};
use crate::delivery::{ExamOpts, enroll, setup_with};

const ME: &str = "/api/v1/me/notifications";
const TEMPLATES: &str = "/api/v1/orgs/acme/notification-templates";

/// Starts and submits the candidate's session of `exam`.
async fn finish(app: &TestApp, exam: uuid::Uuid, who: &TestUser) {
    let s = app.start_session(exam, &who.token).await;
    let sid = s["session_id"].as_str().unwrap().to_owned();
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), &who.token)
        .await
        .assert(200);
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

async fn results_notify_as_each_user_prefers(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let quiet = app
        .member(&s.org, "quiet@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, quiet.id, None).await;
    let cand = &s.candidate;
    // Nothing yet; the default preferences are in-app and mail for every
    // kind but ACCOUNT.
    assert_eq!(
        app.get_json(&format!("{ME}/unread-count"), &cand.token)
            .await["count"],
        0
    );
    let prefs = app
        .get_json("/api/v1/me/notification-preferences", &quiet.token)
        .await;
    let list = prefs["preferences"].as_array().unwrap();
    assert_eq!(list.len(), 8, "{prefs}");
    assert!(
        list.iter()
            .all(|p| p["in_app"] == true && p["mail"] == true)
    );
    assert!(list.iter().all(|p| p["kind"] != "ACCOUNT"));
    // The quiet candidate wants no result notices at all.
    let r = app
        .put_json(
            "/api/v1/me/notification-preferences",
            &quiet.token,
            &json!({ "preferences": [{ "kind": "TEST_RESULT", "in_app": false, "mail": false }] }),
        )
        .await;
    r.assert(200);
    let list = r.json()["preferences"].as_array().unwrap().clone();
    let tr = list.iter().find(|p| p["kind"] == "TEST_RESULT").unwrap();
    assert_eq!((&tr["in_app"], &tr["mail"]), (&json!(false), &json!(false)));
    // Bad preferences change nothing.
    for bad in [
        json!({ "preferences": [{ "kind": "ACCOUNT", "in_app": false, "mail": false }] }),
        json!({ "preferences": [{ "kind": "NOPE", "in_app": false, "mail": false }] }),
        json!({ "preferences": [
            { "kind": "PAYMENT", "in_app": false, "mail": false },
            { "kind": "PAYMENT", "in_app": true, "mail": true }] }),
        json!({ "preferences": [{ "kind": "PAYMENT" }] }),
        json!({ "prefs": [] }),
    ] {
        let r = app
            .put_json("/api/v1/me/notification-preferences", &quiet.token, &bad)
            .await;
        assert_eq!(r.status.as_u16(), 422, "{bad}: {}", r.text());
    }
    let prefs = app
        .get_json("/api/v1/me/notification-preferences", &quiet.token)
        .await;
    let pay = prefs["preferences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "PAYMENT")
        .unwrap()
        .clone();
    assert_eq!(pay["in_app"], true);

    finish(&app, s.exam_id, cand).await;
    finish(&app, s.exam_id, &quiet).await;
    app.post_as(
        &format!("/api/v1/orgs/acme/exams/{}/release-results", s.exam_id),
        &s.coordinator.token,
    )
    .await
    .assert(200);

    // The candidate: one unread TEST_RESULT in the app and the mail as
    // before (today's text is the default).
    assert_eq!(
        app.get_json(&format!("{ME}/unread-count"), &cand.token)
            .await["count"],
        1
    );
    let page = app.get_json(ME, &cand.token).await;
    let n = &items(&page)[0];
    assert_eq!(n["kind"], "TEST_RESULT");
    assert_eq!(n["link"], "/me/results");
    assert!(n["read_at"].is_null());
    assert!(n["title"].as_str().unwrap().starts_with("Your result for "));
    let mails = app.mails_to("cand@acme.org").await;
    let mail = mails
        .iter()
        .find(|m| m.subject.starts_with("Your result for"))
        .unwrap();
    assert!(
        mail.body.starts_with("Hello ") && mail.body.contains("are released. See them at http"),
        "{}",
        mail.body
    );
    // The quiet one: neither.
    assert_eq!(items(&app.get_json(ME, &quiet.token).await).len(), 0);
    assert!(
        !app.mails_to("quiet@acme.org")
            .await
            .iter()
            .any(|m| m.subject.starts_with("Your result for"))
    );

    // Another user's notification is 404, a bad id 400/404, and nothing
    // changes.
    let id = n["id"].as_str().unwrap().to_owned();
    app.post_as(&format!("{ME}/{id}/read"), &quiet.token)
        .await
        .assert_problem(404, "not_found");
    let r = app
        .post_as(&format!("{ME}/not-a-uuid/read"), &cand.token)
        .await;
    assert!(matches!(r.status.as_u16(), 400 | 404 | 422), "{}", r.text());
    app.get_as(&format!("{ME}?limit=0"), &cand.token)
        .await
        .assert(422);
    app.get_as(&format!("{ME}?cursor=zzz"), &cand.token)
        .await
        .assert(400);
    app.get_as(&format!("{ME}?unread=maybe"), &cand.token)
        .await
        .assert(400);
    assert_eq!(
        items(
            &app.get_json(&format!("{ME}?unread=true"), &cand.token)
                .await
        )
        .len(),
        1
    );
    // Read: once, and the first time stays.
    let r = app.post_as(&format!("{ME}/{id}/read"), &cand.token).await;
    r.assert(200);
    let first = r.json()["read_at"].clone();
    assert!(first.is_string());
    let again = app.post_as(&format!("{ME}/{id}/read"), &cand.token).await;
    assert_eq!(again.json()["read_at"], first);
    assert_eq!(
        items(
            &app.get_json(&format!("{ME}?unread=true"), &cand.token)
                .await
        )
        .len(),
        0
    );
    let r = app.post_as(&format!("{ME}/read-all"), &cand.token).await;
    assert_eq!(r.json()["marked"], 0);
}

async fn pages_and_read_all(app: TestApp) {
    use invigil_domain::notify::{NoticeKind, Priority};
    use invigil_store::notify::{self as store, NewNotification};
    let org = app.org("acme").await;
    let u = app.member(&org, "u@acme.org", &[Role::Candidate]).await;
    let now = chrono::Utc::now();
    for i in 0..5 {
        store::insert(
            app.db().write(),
            NewNotification {
                user_id: u.id,
                org_id: Some(org.id),
                kind: NoticeKind::Announcement,
                priority: Priority::Low,
                title: format!("n{i}"),
                body: "b".into(),
                link: None,
            },
            now,
        )
        .await
        .unwrap();
    }
    let p1 = app.get_json(&format!("{ME}?limit=2"), &u.token).await;
    assert_eq!(items(&p1)[0]["title"], "n4");
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2 = app
        .get_json(&format!("{ME}?limit=2&cursor={cursor}"), &u.token)
        .await;
    assert_eq!(items(&p2)[0]["title"], "n2");
    let r = app.post_as(&format!("{ME}/read-all"), &u.token).await;
    r.assert(200);
    assert_eq!(r.json()["marked"], 5);
    assert_eq!(
        app.get_json(&format!("{ME}/unread-count"), &u.token).await["count"],
        0
    );
}

async fn templates_are_checked_previewed_used_and_reset(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let list = app.get_json(TEMPLATES, &admin.token).await;
    let keys: Vec<&str> = items(&list)
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    for k in [
        "email_verification",
        "password_reset",
        "invitation",
        "exam_enrollment",
        "job_application",
        "results_released",
        "course_enrolled",
        "course_completed",
        "practice_result",
        "live_session_reminder",
        "payment_received",
    ] {
        assert!(keys.contains(&k), "{k} missing: {keys:?}");
    }
    let rr = items(&list)
        .iter()
        .find(|t| t["key"] == "results_released")
        .unwrap();
    assert!(
        rr["variables"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["name"] == "exam" && v["sample"].is_string())
    );
    assert!(rr["channels"][0]["override"].is_null());

    let url = format!("{TEMPLATES}/results_released/MAIL");
    // Unknown variable, unclosed section, newline in the subject: 422
    // naming the field, the problem and where; nothing saved.
    let r = app
        .put_json(
            &url,
            &admin.token,
            &json!({ "subject": "Result {{ score }}", "body": "Hi\n{{#if exam}}x" }),
        )
        .await;
    let p = r.assert_problem(422, "validation_failed");
    let text = p.to_string();
    assert!(text.contains("unknown variable `score`"), "{text}");
    assert!(text.contains("line 1, column 8"), "{text}");
    assert!(
        text.contains("not closed") && text.contains("line 2, column 1"),
        "{text}"
    );
    for bad in [
        json!({ "subject": "a\nb", "body": "x" }),
        json!({ "subject": "", "body": "x" }),
        json!({ "subject": "ok", "body": "{{ exam" }),
        json!({ "subject": "ok", "body": "{{#each exam}}{{/each}}" }),
        json!({ "subject": "ok" }),
        json!({ "subject": "ok", "body": "x", "extra": 1 }),
    ] {
        let r = app.put_json(&url, &admin.token, &bad).await;
        assert_eq!(r.status.as_u16(), 422, "{bad}: {}", r.text());
    }
    // Unknown key or channel, or a channel the key is not sent on: 404.
    for u in [
        format!("{TEMPLATES}/nope/MAIL"),
        format!("{TEMPLATES}/results_released/SMS"),
        format!("{TEMPLATES}/password_reset/IN_APP"),
    ] {
        app.put_json(&u, &admin.token, &json!({ "subject": "a", "body": "b" }))
            .await
            .assert_problem(404, "not_found");
    }
    let list = app.get_json(TEMPLATES, &admin.token).await;
    assert!(items(&list).iter().all(|t| {
        t["channels"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["override"].is_null())
    }));

    // Preview unsaved text with given values: escaped for HTML, plain in text.
    let r = app
        .post_json(
            &format!("{url}/preview"),
            &admin.token,
            &json!({ "subject": "Result of {{exam}}", "body": "<p>Dear {{name}}</p>\n{{#if exam}}{{exam}}{{/if}}",
                "vars": { "exam": "<script>x</script>" } }),
        )
        .await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["subject"], "Result of <script>x</script>");
    assert_eq!(v["body"], "<p>Dear Ana Lima</p>\n<script>x</script>");
    let html = v["body_html"].as_str().unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<p>"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
    // Preview of the current text with the samples; unknown values are 422.
    let v = app
        .post_json(&format!("{url}/preview"), &admin.token, &json!({}))
        .await
        .json();
    assert_eq!(v["subject"], "Your result for Anatomy final is available");
    app.post_json(
        &format!("{url}/preview"),
        &admin.token,
        &json!({ "vars": { "score": "1" } }),
    )
    .await
    .assert_problem(422, "validation_failed");

    // Save an override: used for the next release, and audited.
    let r = app
        .put_json(
            &url,
            &admin.token,
            &json!({ "subject": "Acme: {{exam}} graded", "body": "Dear {{ name }},\n{{exam}} is graded.\n" }),
        )
        .await;
    r.assert(200);
    let ch = &r.json()["channels"][0];
    assert_eq!(ch["override"]["subject"], "Acme: {{exam}} graded");
    finish(&app, s.exam_id, &s.candidate).await;
    app.post_as(
        &format!("/api/v1/orgs/acme/exams/{}/release-results", s.exam_id),
        &s.coordinator.token,
    )
    .await
    .assert(200);
    let mails = app.mails_to("cand@acme.org").await;
    let m = mails
        .iter()
        .find(|m| m.subject.starts_with("Acme: "))
        .unwrap();
    assert!(m.body.ends_with(" is graded.\n"), "{}", m.body);
    assert!(m.body.starts_with("Dear "), "{}", m.body);
    // The in-app text kept its default.
    let page = app.get_json(ME, &s.candidate.token).await;
    assert!(
        items(&page)[0]["title"]
            .as_str()
            .unwrap()
            .starts_with("Your result for")
    );
    let actions = app.audit_actions(&s.org).await;
    assert!(actions.iter().any(|a| a == "notification_template.saved"));

    // Reset: back to the default; twice is 404.
    app.delete_as(&url, &admin.token).await.assert(204);
    app.delete_as(&url, &admin.token)
        .await
        .assert_problem(404, "not_found");
    let actions = app.audit_actions(&s.org).await;
    assert!(actions.iter().any(|a| a == "notification_template.reset"));
    // Mails without an organization (a password reset) use the defaults.
    app.post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "cand@acme.org" }))
        .send()
        .await
        .assert(202);
    let mails = app.mails_to("cand@acme.org").await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject == "Reset your Invigil password"
                && m.body.contains("reset-password?token="))
    );
    // Candidates may not touch templates.
    app.put_json(
        &url,
        &s.candidate.token,
        &json!({ "subject": "x", "body": "y" }),
    )
    .await
    .assert_problem(403, "forbidden");
}

both!(
    results_notify_as_each_user_prefers,
    pages_and_read_all,
    templates_are_checked_previewed_used_and_reset,
);

mod web {
    //! The pages: the header's unread badge, `/notifications` (mark one or
    //! all read), the preferences form.

    use super::*;
    use crate::common::fixtures::PASSWORD;
    use invigil_testkit::browser::{Browser, assert_page, assert_redirect, csrf_field as csrf};

    pub(super) async fn notification_pages(app: TestApp) {
        use invigil_domain::notify::{NoticeKind, Priority};
        use invigil_store::notify::{self as store, NewNotification};
        let org = app.org("acme").await;
        let u = app.member(&org, "u@acme.org", &[Role::Candidate]).await;
        let other = app.member(&org, "o@acme.org", &[Role::Candidate]).await;
        let mut ids = Vec::new();
        for (i, who) in [u.id, u.id, other.id].into_iter().enumerate() {
            let n = store::insert(
                app.db().write(),
                NewNotification {
                    user_id: who,
                    org_id: Some(org.id),
                    kind: NoticeKind::TestResult,
                    priority: Priority::Medium,
                    title: format!("Result <{i}>"),
                    body: "Body & <b>text</b>".into(),
                    link: Some("/me/results".into()),
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            ids.push(n.id);
        }
        let mut b = Browser::default();
        b.sign_in(&app, "u@acme.org", PASSWORD).await.assert(303);
        let home = b.get(&app, "/me/exams").await;
        assert_page(&home, 200);
        let text = home.text();
        assert!(text.contains("href=\"/notifications\""), "{text}");
        assert!(
            text.contains(">2<span class=\"visually-hidden\"> unread"),
            "{text}"
        );
        let t = csrf(&home);
        let page = b.get(&app, "/notifications").await;
        assert_page(&page, 200);
        let html = page.text();
        // Escaped, never markup.
        assert!(
            html.contains("Result &#60;1&#62;") || html.contains("Result &lt;1&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>text</b>"), "{html}");
        assert!(html.contains("Mark all as read"));
        // Another user's notification: 404 page, nothing changes.
        let r = b
            .post(
                &app,
                &format!("/notifications/{}/read", ids[2]),
                &[("csrf", &t)],
            )
            .await;
        assert_eq!(r.status.as_u16(), 404);
        // Without the CSRF token: refused.
        let r = b
            .post(
                &app,
                &format!("/notifications/{}/read", ids[0]),
                &[("csrf", "x")],
            )
            .await;
        assert_eq!(r.status.as_u16(), 403);
        assert_redirect(
            &b.post(
                &app,
                &format!("/notifications/{}/read", ids[0]),
                &[("csrf", &t)],
            )
            .await,
            "/notifications",
        );
        assert_eq!(
            app.get_json(&format!("{ME}/unread-count"), &u.token).await["count"],
            1
        );
        assert_redirect(
            &b.post(&app, "/notifications/read-all", &[("csrf", &t)])
                .await,
            "/notifications",
        );
        assert_eq!(
            app.get_json(&format!("{ME}/unread-count"), &u.token).await["count"],
            0
        );
        assert_eq!(
            app.get_json(&format!("{ME}/unread-count"), &other.token)
                .await["count"],
            1
        );
        let home = b.get(&app, "/me/exams").await;
        assert!(!home.text().contains(" unread</span>"));
        assert_eq!(
            b.get(&app, "/notifications?cursor=zz")
                .await
                .status
                .as_u16(),
            400
        );

        // Preferences: unchecked boxes turn a channel off.
        let p = b.get(&app, "/notifications/preferences").await;
        assert_page(&p, 200);
        assert!(p.text().contains("name=\"mail.TEST_RESULT\""));
        assert_redirect(
            &b.post(
                &app,
                "/notifications/preferences",
                &[("csrf", &t), ("in_app.TEST_RESULT", "on")],
            )
            .await,
            "/notifications/preferences?saved=1",
        );
        let prefs = app
            .get_json("/api/v1/me/notification-preferences", &u.token)
            .await;
        let list = prefs["preferences"].as_array().unwrap();
        let tr = list.iter().find(|p| p["kind"] == "TEST_RESULT").unwrap();
        assert_eq!((&tr["in_app"], &tr["mail"]), (&json!(true), &json!(false)));
        let pay = list.iter().find(|p| p["kind"] == "PAYMENT").unwrap();
        assert_eq!(
            (&pay["in_app"], &pay["mail"]),
            (&json!(false), &json!(false))
        );
        let p = b.get(&app, "/notifications/preferences?saved=1").await;
        assert!(p.text().contains("Your preferences are saved."));
        // Signed out: to the sign-in page.
        let mut anon = Browser::default();
        assert_redirect(
            &anon.get(&app, "/notifications").await,
            "/signin?next=%2Fnotifications",
        );
    }

    pub(super) async fn template_pages(app: TestApp) {
        let org = app.org("acme").await;
        app.member(&org, "admin@acme.org", &[Role::OrgAdmin]).await;
        app.member(&org, "c@acme.org", &[Role::Candidate]).await;
        let mut b = Browser::default();
        b.sign_in(&app, "admin@acme.org", PASSWORD)
            .await
            .assert(303);
        let list = b.get(&app, "/orgs/acme/admin/notifications").await;
        assert_page(&list, 200);
        let t = csrf(&list);
        let html = list.text();
        assert!(html.contains("results_released"), "{html}");
        assert!(html.contains("/orgs/acme/admin/notifications/results_released/MAIL"));
        let admin = b.get(&app, "/orgs/acme/admin").await;
        assert!(admin.text().contains("Notification templates"));
        let url = "/orgs/acme/admin/notifications/results_released/MAIL";
        let edit = b.get(&app, url).await;
        assert_page(&edit, 200);
        let html = edit.text();
        assert!(
            html.contains("Your result for Anatomy final is available"),
            "{html}"
        );
        assert!(
            html.contains(
                "hx-post=\"/orgs/acme/admin/notifications/results_released/MAIL/preview\""
            )
        );
        // A bad text: 422 with the error next to its field, nothing saved.
        let r = b
            .post(
                &app,
                url,
                &[("csrf", &t), ("subject", "Hi {{ nope }}"), ("body", "ok")],
            )
            .await;
        assert_eq!(r.status.as_u16(), 422);
        let html = r.text();
        assert!(html.contains("id=\"subject-error\""), "{html}");
        assert!(html.contains("unknown variable `nope`"), "{html}");
        assert!(html.contains("value=\"Hi {{ nope }}\""), "{html}");
        // The live preview: escaped values and text.
        let r = b
            .post(
                &app,
                &format!("{url}/preview"),
                &[
                    ("csrf", &t),
                    ("subject", "S {{exam}}"),
                    ("body", "<i>{{name}}</i>\nline"),
                ],
            )
            .await;
        r.assert(200);
        let frag = r.text();
        assert!(frag.contains("&lt;i&gt;Ana Lima&lt;/i&gt;<br>"), "{frag}");
        let r = b
            .post(
                &app,
                &format!("{url}/preview"),
                &[("csrf", &t), ("subject", "S"), ("body", "{{#if exam}}")],
            )
            .await;
        assert!(r.text().contains("not closed"), "{}", r.text());
        // Save, then reset.
        assert_redirect(
            &b.post(
                &app,
                url,
                &[
                    ("csrf", &t),
                    ("subject", "Graded: {{exam}}"),
                    ("body", "Hello {{name}}"),
                ],
            )
            .await,
            &format!("{url}?saved=1"),
        );
        let edit = b.get(&app, &format!("{url}?saved=1")).await;
        let html = edit.text();
        assert!(
            html.contains("The template is saved.") && html.contains("value=\"Graded: {{exam}}\""),
            "{html}"
        );
        assert!(html.contains("Go back to the built-in text"));
        assert_redirect(
            &b.post(&app, &format!("{url}/reset"), &[("csrf", &t)]).await,
            "/orgs/acme/admin/notifications?reset=1",
        );
        assert_eq!(
            b.get(&app, "/orgs/acme/admin/notifications/nope/MAIL")
                .await
                .status
                .as_u16(),
            404
        );
        // A candidate may not open it.
        let mut c = Browser::default();
        c.sign_in(&app, "c@acme.org", PASSWORD).await.assert(303);
        let r = c.get(&app, "/orgs/acme/admin/notifications").await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
    }
}

use web::{notification_pages, template_pages};

both!(notification_pages, template_pages);
