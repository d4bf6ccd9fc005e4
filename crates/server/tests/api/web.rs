//! The web UI through the real router: pages render as HTML under the
//! strict CSP, the cookie session (flags, sign-out revokes it, it never
//! authenticates /api/v1), CSRF refusals, the shared lockout, and the
//! password reset and invitation links of the mails.

use serde_json::json;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::common::fixtures::PASSWORD;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect, csrf_field as csrf};

async fn pages_render_as_html_under_the_csp(app: TestApp) {
    let mut b = Browser::default();
    assert_redirect(&b.get(&app, "/").await, "/signin");
    assert_redirect(
        &b.get(&app, "/me/exams").await,
        "/signin?next=%2Fme%2Fexams",
    );
    let signin = b.get(&app, "/signin").await;
    assert_page(&signin, 200);
    let html = signin.text();
    for part in [
        r#"<html lang="en">"#,
        r##"href="#main""##,
        "<main",
        r#"<label for="email">"#,
        r#"<label for="password">"#,
    ] {
        assert!(html.contains(part), "{part} missing: {html}");
    }
    assert!(!html.contains("<script>"), "no inline script: {html}");
    // The anonymous CSRF secret: HttpOnly, SameSite=Lax, not Secure on http.
    let set = signin.header("set-cookie").unwrap();
    assert!(set.starts_with("invigil_csrf="), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "{set}");
    assert_page(&b.get(&app, "/forgot-password").await, 200);

    // The stylesheet: content-hashed, immutable.
    let at = html.find("/assets/app.").unwrap();
    let href: String = html[at..].chars().take_while(|c| *c != '"').collect();
    let css = app.get(&href).send().await;
    css.assert(200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    app.get("/assets/app.000000000000.css")
        .send()
        .await
        .assert(404);

    // Dead and missing links: a clear 400 page, never JSON.
    for path in [
        "/reset-password",
        "/reset-password?token=nope",
        "/accept-invitation?token=nope",
        "/verify-email",
    ] {
        let r = b.get(&app, path).await;
        assert_page(&r, 400);
        assert!(r.text().contains("This link no longer works"), "{path}");
    }
    // An unknown page: HTML for a browser, problem+json for the API.
    let r = app
        .get("/nope")
        .header("accept", "text/html,*/*")
        .send()
        .await;
    assert_page(&r, 404);
    assert!(r.text().contains("Page not found"));
    app.get("/nope")
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/nope")
        .header("accept", "text/html")
        .send()
        .await
        .assert_problem(404, "not_found");
    // A GET of a mail link only shows a button: nothing is used up.
    let r = b.get(&app, "/verify-email?token=whatever").await;
    assert_page(&r, 200);
    assert!(r.text().contains(r#"action="/verify-email""#));
}

async fn the_cookie_session_signs_in_and_out(app: TestApp) {
    let user = app.user("web@example.org").await;
    let mut b = Browser::default();
    let r = b.sign_in(&app, "web@example.org", PASSWORD).await;
    assert_redirect(&r, "/");
    let set = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("invigil_session="))
        .unwrap();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(flag), "{flag}: {set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");

    let home = b.get(&app, "/me/exams").await;
    assert_page(&home, 200);
    assert!(home.text().contains("web@example.org"), "{}", home.text());
    assert!(home.text().contains(r#"action="/signout""#));
    // Signed in, the sign-in page sends you home.
    assert_redirect(&b.get(&app, "/signin").await, "/");

    // The cookie is no credential for the API; bearer tokens still work.
    app.get("/api/v1/me")
        .header("cookie", &b.header())
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    assert!(app.token_works(&user.token).await);
    // The browser session is a sign-in like any other.
    let sessions = app
        .get("/api/v1/me/sessions")
        .token(&user.token)
        .send()
        .await
        .json();
    assert_eq!(sessions["items"].as_array().unwrap().len(), 2, "{sessions}");

    // Sign-out revokes it server side and clears the cookie.
    let stolen = b.header();
    let token = csrf(&home);
    let r = b.post(&app, "/signout", &[("csrf", &token)]).await;
    assert_redirect(&r, "/signin?notice=signed_out");
    assert!(!b.has("invigil_session"));
    let r = app.get("/me/exams").header("cookie", &stolen).send().await;
    assert_redirect(&r, "/signin?next=%2Fme%2Fexams");
    let notice = b.get(&app, "/signin?notice=signed_out").await;
    assert!(notice.text().contains("You are signed out."));
    assert!(app.token_works(&user.token).await, "other sessions stay");
}

async fn on_https_the_cookies_are_host_prefixed_and_secure(app: TestApp) {
    app.user("tls@example.org").await;
    let mut b = Browser::default();
    let page = b.get(&app, "/signin").await;
    let set = page.header("set-cookie").unwrap();
    assert!(set.starts_with("__Host-invigil_csrf="), "{set}");
    assert!(set.contains("; Secure") && set.contains("Path=/") && !set.contains("Domain"));
    let r = b.sign_in(&app, "tls@example.org", PASSWORD).await;
    assert_redirect(&r, "/");
    let set = r.header("set-cookie").unwrap();
    assert!(set.starts_with("__Host-invigil_session="), "{set}");
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly"),
        "{set}"
    );
    assert_page(&b.get(&app, "/me/exams").await, 200);
}

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    app.user("csrf@example.org").await;
    let mut b = Browser::default();
    let page = b.get(&app, "/signin").await;
    let good = csrf(&page);
    // No token, a wrong one, or a token without its cookie: 403 page.
    for token in ["", "forged"] {
        let r = b
            .post(
                &app,
                "/signin",
                &[
                    ("csrf", token),
                    ("email", "csrf@example.org"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_page(&r, 403);
        assert!(r.text().contains("This form has expired"));
    }
    let r = app
        .post("/signin")
        .body(
            "application/x-www-form-urlencoded",
            format!("csrf={good}&email=csrf%40example.org&password={PASSWORD}"),
        )
        .send()
        .await;
    assert_page(&r, 403);
    // A cross-site post is refused even with the right token.
    let body = serde_urlencoded::to_string([
        ("csrf", good.as_str()),
        ("email", "csrf@example.org"),
        ("password", PASSWORD),
    ])
    .unwrap();
    let r = app
        .post("/signin")
        .header("cookie", &b.header())
        .header("sec-fetch-site", "cross-site")
        .body("application/x-www-form-urlencoded", body)
        .send()
        .await;
    assert_page(&r, 403);
    // None of these counted as a sign-in attempt.
    app.login("csrf@example.org", PASSWORD).await.assert(200);

    // Signed in, sign-out needs the session's own token.
    assert_redirect(
        &b.sign_in(&app, "csrf@example.org", PASSWORD).await,
        "/",
    );
    let r = b.post(&app, "/signout", &[("csrf", &good)]).await;
    assert_page(&r, 403);
    assert_page(&b.get(&app, "/me/exams").await, 200);
    // Not a form at all: 415 page; garbage: 400 page; never 5xx or JSON.
    let r = app
        .post("/signin")
        .header("cookie", &b.header())
        .json(&json!({ "email": "x" }))
        .send()
        .await;
    assert_page(&r, 415);
    let r = app
        .post("/signin")
        .body("application/x-www-form-urlencoded", "a=%ZZ&&=")
        .send()
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = b
        .post(&app, "/signin", &[("csrf", &good), ("email", "a\u{0}b")])
        .await;
    assert_page(&r, 422);
    // Scripts (htmx, fetch) send the session's token in X-CSRF-Token.
    let home = b.get(&app, "/me/exams").await;
    let r = app
        .post("/signout")
        .header("cookie", &b.header())
        .header("x-csrf-token", &csrf(&home))
        .body("application/x-www-form-urlencoded", "")
        .send()
        .await;
    assert_redirect(&r, "/signin?notice=signed_out");
}

async fn wrong_passwords_in_the_form_count_toward_the_lockout(app: TestApp) {
    app.user("lock@example.org").await;
    let mut b = Browser::default();
    for _ in 0..5 {
        let r = b
            .sign_in(&app, "lock@example.org", "not-the-password")
            .await;
        assert_page(&r, 401);
        let html = r.text();
        assert!(
            html.contains("The email address or password is not correct."),
            "{html}"
        );
        assert!(
            html.contains(r#"value="lock@example.org""#),
            "the email is kept"
        );
        assert!(!html.contains("not-the-password"), "never the password");
    }
    // Locked for the form and the API alike, even with the right password.
    let r = b.sign_in(&app, "lock@example.org", PASSWORD).await;
    assert_page(&r, 429);
    assert!(r.header("retry-after").is_some());
    assert!(r.text().contains("Too many failed sign-ins"));
    app.login("lock@example.org", PASSWORD)
        .await
        .assert_problem(429, "account_locked");
    // Empty fields are the form's business and count nothing.
    let page = b.get(&app, "/signin").await;
    let r = b
        .post(
            &app,
            "/signin",
            &[("csrf", &csrf(&page)), ("email", ""), ("password", "")],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"aria-invalid="true""#));
}

async fn password_reset_from_the_mail(app: TestApp) {
    let user = app.user("reset@example.org").await;
    let mut b = Browser::default();
    let page = b.get(&app, "/forgot-password").await;
    let r = b
        .post(
            &app,
            "/forgot-password",
            &[("csrf", &csrf(&page)), ("email", "reset@example.org")],
        )
        .await;
    assert_redirect(&r, "/forgot-password?sent=1");
    // The same answer for an unknown address.
    let r = b
        .post(
            &app,
            "/forgot-password",
            &[("csrf", &csrf(&page)), ("email", "nobody@example.org")],
        )
        .await;
    assert_redirect(&r, "/forgot-password?sent=1");
    let mail = app.mails_to("reset@example.org").await.pop().unwrap();
    assert!(
        mail.body.contains("/reset-password?token="),
        "{}",
        mail.body
    );
    let token = app.mailed_token("reset@example.org").await;

    let path = format!("/reset-password?token={token}");
    let form = b.get(&app, &path).await;
    assert_page(&form, 200);
    let t = csrf(&form);
    // Two different passwords, then a weak one: errors next to the field.
    let r = b
        .post(
            &app,
            "/reset-password",
            &[
                ("csrf", &t),
                ("token", &token),
                ("new_password", "a fine new passphrase"),
                ("confirm", "other"),
            ],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="confirm-error""#));
    let r = b
        .post(
            &app,
            "/reset-password",
            &[
                ("csrf", &t),
                ("token", &token),
                ("new_password", "password"),
                ("confirm", "password"),
            ],
        )
        .await;
    assert_page(&r, 422);
    assert!(
        r.text().contains(r#"id="new_password-error""#),
        "{}",
        r.text()
    );
    // The real one: every session ends, the new password signs in.
    let new = "a fine new passphrase";
    let r = b
        .post(
            &app,
            "/reset-password",
            &[
                ("csrf", &t),
                ("token", &token),
                ("new_password", new),
                ("confirm", new),
            ],
        )
        .await;
    assert_redirect(&r, "/signin?notice=password_reset");
    assert!(!app.token_works(&user.token).await);
    assert_redirect(
        &b.sign_in(&app, "reset@example.org", new).await,
        "/",
    );
    // The link is used up.
    let r = b.get(&app, &path).await;
    assert_page(&r, 400);
}

async fn an_invitation_is_accepted_in_the_browser(app: TestApp) {
    let org = app.org("webinv").await;
    let admin = app
        .member(&org, "admin@webinv.example", &[Role::OrgAdmin])
        .await;
    app.post("/api/v1/orgs/webinv/invitations")
        .token(&admin.token)
        .json(&json!({ "email": "new@webinv.example", "name": "New", "roles": ["CANDIDATE"] }))
        .send()
        .await
        .assert(201);
    let token = app.mailed_token("new@webinv.example").await;
    let mut b = Browser::default();
    let page = b
        .get(&app, &format!("/accept-invitation?token={token}"))
        .await;
    assert_page(&page, 200);
    assert!(
        page.text().contains(r#"id="confirm""#),
        "a new account chooses a password"
    );
    let t = csrf(&page);
    let r = b
        .post(
            &app,
            "/accept-invitation",
            &[
                ("csrf", &t),
                ("token", &token),
                ("name", ""),
                ("password", "a long passphrase here"),
                ("confirm", "a long passphrase here"),
            ],
        )
        .await;
    assert_page(&r, 422);
    assert!(r.text().contains(r#"id="name-error""#), "{}", r.text());
    let r = b
        .post(
            &app,
            "/accept-invitation",
            &[
                ("csrf", &t),
                ("token", &token),
                ("name", "Nova Newcomer"),
                ("password", "a long passphrase here"),
                ("confirm", "a long passphrase here"),
            ],
        )
        .await;
    assert_redirect(&r, "/");
    let home = b.get(&app, "/me/exams").await;
    assert_page(&home, 200);
    assert!(home.text().contains("Nova Newcomer"));
    assert!(
        app.audit_actions(&org)
            .await
            .contains(&"member.invitation_accepted".to_owned())
    );
}

async fn an_existing_account_accepts_with_its_password(app: TestApp) {
    let org = app.org("webold").await;
    let admin = app
        .member(&org, "admin@webold.example", &[Role::OrgAdmin])
        .await;
    app.user("known@webold.example").await;
    app.post("/api/v1/orgs/webold/invitations")
        .token(&admin.token)
        .json(
            &json!({ "email": "known@webold.example", "name": "Ignored", "roles": ["CANDIDATE"] }),
        )
        .send()
        .await
        .assert(201);
    let token = app.mailed_token("known@webold.example").await;
    let mut b = Browser::default();
    let page = b
        .get(&app, &format!("/accept-invitation?token={token}"))
        .await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("existing account"), "{html}");
    assert!(!html.contains(r#"id="confirm""#) && !html.contains(r#"id="name""#));
    let t = csrf(&page);
    // A wrong password counts like a failed sign-in; the link stays usable.
    let r = b
        .post(
            &app,
            "/accept-invitation",
            &[
                ("csrf", &t),
                ("token", &token),
                ("password", "wrong password here"),
            ],
        )
        .await;
    assert_page(&r, 401);
    assert!(
        r.text()
            .contains("The email address or password is not correct.")
    );
    let r = b
        .post(
            &app,
            "/accept-invitation",
            &[("csrf", &t), ("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_redirect(&r, "/");
    assert_page(&b.get(&app, "/me/exams").await, 200);
    // Used up.
    assert_page(
        &b.get(&app, &format!("/accept-invitation?token={token}"))
            .await,
        400,
    );
}

both!(
    an_existing_account_accepts_with_its_password,
    pages_render_as_html_under_the_csp,
    the_cookie_session_signs_in_and_out,
    forms_without_the_csrf_token_are_refused,
    wrong_passwords_in_the_form_count_toward_the_lockout,
    password_reset_from_the_mail,
    an_invitation_is_accepted_in_the_browser,
);
both!(config = |c| c.public_url = Some("https://exams.example.org".into()) => on_https_the_cookies_are_host_prefixed_and_secure);

both!(a_browsers_wrong_method_or_bad_query_gets_a_page);
async fn a_browsers_wrong_method_or_bad_query_gets_a_page(app: TestApp) {
    let html = "text/html,application/xhtml+xml";
    let r = app.delete("/signin").header("accept", html).send().await;
    assert_page(&r, 405);
    let r = app
        .get("/signin?next=%07")
        .header("accept", html)
        .send()
        .await;
    assert_page(&r, 422);
    // The API and the pages' scripts keep problem+json.
    app.delete("/api/v1/auth/login")
        .header("accept", html)
        .send()
        .await
        .assert_problem(405, "method_not_allowed");
    app.get("/web-api/v1/me/results?x=%07")
        .header("accept", html)
        .send()
        .await
        .assert_problem(422, "validation_failed");
}
