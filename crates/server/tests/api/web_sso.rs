//! `/orgs/{org}/admin/sso` through the real router, on both backends:
//! guards, CSRF, the service's refusals next to their fields, saving
//! against a real OpenID Provider (`browser-tests/lib/oidc-op.mjs` on
//! loopback), the write-only secret, removing after a confirmation, and
//! the sign-up settings form.

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::sso::{CLIENT_ID, CLIENT_SECRET, start_op};
use crate::web_staff::staff_browser;
use invigil_testkit::TestResponse;
use invigil_testkit::browser::{Browser, assert_page, assert_redirect};

const PAGE: &str = "/orgs/acme/admin/sso";

async fn post(b: &mut Browser, app: &TestApp, path: &str, form: &[(&str, &str)]) -> TestResponse {
    let token = b.csrf_token.clone().expect("csrf token");
    let mut fields = vec![("csrf", token.as_str())];
    fields.extend_from_slice(form);
    b.post(app, path, &fields).await
}

async fn the_sso_page_is_for_the_org_admin(app: TestApp) {
    let org = app.org("acme").await;
    let other = app.org("other").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.member(&org, "coord@acme.test", &[Role::ExamCoordinator])
        .await;
    app.member(&other, "boss@other.test", &[Role::OrgAdmin])
        .await;

    let mut admin = staff_browser(&app, "admin@acme.test").await;
    let page = admin.get(&app, PAGE).await;
    assert_page(&page, 200);
    let html = page.text();
    assert!(html.contains("Single sign-on (OpenID Connect)"), "{html}");
    assert!(html.contains("/sso/acme/callback"), "{html}");
    assert!(html.contains("Self sign-up"), "{html}");
    // No configuration yet: nothing to remove.
    assert!(!html.contains("/orgs/acme/admin/sso/delete"), "{html}");
    let home = admin.get(&app, "/orgs/acme/admin").await.text();
    assert!(home.contains(PAGE), "{home}");

    let mut cand = staff_browser(&app, "cand@acme.test").await;
    let r = cand.get(&app, PAGE).await;
    assert!(r.status == 403 || r.status == 404, "{}", r.status);
    let mut coord = staff_browser(&app, "coord@acme.test").await;
    assert_page(&coord.get(&app, PAGE).await, 403);
    let r = post(
        &mut coord,
        &app,
        "/orgs/acme/admin/sso/sign-up",
        &[("enabled", "true")],
    )
    .await;
    assert_page(&r, 403);
    let mut boss = staff_browser(&app, "boss@other.test").await;
    assert_page(&boss.get(&app, PAGE).await, 404);
    let r = post(
        &mut boss,
        &app,
        "/orgs/acme/admin/sso/sign-up",
        &[("enabled", "true")],
    )
    .await;
    assert_page(&r, 404);
    assert_page(&boss.get(&app, "/orgs/acme/admin/sso/delete").await, 404);

    // Without the CSRF token: refused, nothing changes.
    for path in [
        PAGE,
        "/orgs/acme/admin/sso/sign-up",
        "/orgs/acme/admin/sso/delete",
    ] {
        let r = admin.post(&app, path, &[("enabled", "true")]).await;
        assert_page(&r, 403);
    }
    let settings = invigil_store::sso::sign_up(app.db().read(), org.id)
        .await
        .unwrap();
    assert!(settings.is_none());

    // A malformed issuer and a missing secret: 422 next to the fields,
    // with the summary.
    let r = post(
        &mut admin,
        &app,
        PAGE,
        &[
            ("issuer_url", "not a url"),
            ("client_id", "x"),
            ("display_name", "X"),
            ("enabled", "true"),
        ],
    )
    .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains("sso-issuer_url-error"), "{html}");
    assert!(html.contains("Single sign-on was not saved"), "{html}");
    assert!(html.contains("value=\"not a url\""), "{html}");
    // Nothing saved, nothing audited; no confirmation without a configuration.
    assert_page(&admin.get(&app, "/orgs/acme/admin/sso/delete").await, 404);
    assert!(
        !app.audit_actions(&org)
            .await
            .iter()
            .any(|a| a == "org.sso_configured")
    );

    // Sign-up settings: a bad domain is shown; a good one is saved and audited.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/sso/sign-up",
        &[("enabled", "true"), ("allowed_domains", "not a domain")],
    )
    .await;
    assert_page(&r, 422);
    assert!(
        r.text().contains("signup-allowed_domains-error"),
        "{}",
        r.text()
    );
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/sso/sign-up",
        &[
            ("enabled", "true"),
            ("allowed_domains", "acme.test, example.org"),
        ],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/sso?done=sign_up");
    let s = invigil_store::sso::sign_up(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert!(s.enabled);
    assert!(
        s.allowed_domains.contains("example.org"),
        "{}",
        s.allowed_domains
    );
    let html = admin
        .get(&app, "/orgs/acme/admin/sso?done=sign_up")
        .await
        .text();
    assert!(html.contains("The sign-up settings are saved"), "{html}");
    assert!(html.contains("acme.test, example.org"), "{html}");
    // Unchecked: closed again.
    let r = post(
        &mut admin,
        &app,
        "/orgs/acme/admin/sso/sign-up",
        &[("allowed_domains", "")],
    )
    .await;
    assert_redirect(&r, "/orgs/acme/admin/sso?done=sign_up");
    let s = invigil_store::sso::sign_up(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!s.enabled);
    assert!(
        app.audit_actions(&org)
            .await
            .iter()
            .filter(|a| *a == "org.sign_up_settings_changed")
            .count()
            == 2
    );
}

/// Without `sso_allow_private_networks` the provider on loopback is
/// refused, and the page says why next to the issuer URL.
async fn an_internal_issuer_is_refused_on_the_page(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    admin.get(&app, PAGE).await;
    let r = post(
        &mut admin,
        &app,
        PAGE,
        &[
            ("issuer_url", "https://10.0.0.5/realms/x"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("display_name", "Test IdP"),
            ("enabled", "true"),
        ],
    )
    .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains("sso-issuer_url-error"), "{html}");
    assert!(html.contains("private-network address"), "{html}");
    // The secret is never sent back to the browser.
    assert!(!html.contains(CLIENT_SECRET), "{html}");
}

async fn saving_against_the_real_provider(app: TestApp) {
    let org = app.org("acme").await;
    app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let Some(op) = start_op(&app, &["acme"]).await else {
        return;
    };
    let mut admin = staff_browser(&app, "admin@acme.test").await;
    admin.get(&app, PAGE).await;

    // Unreachable provider: the discovery failure next to the issuer URL.
    let r = post(
        &mut admin,
        &app,
        PAGE,
        &[
            ("issuer_url", "http://127.0.0.1:9"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("display_name", "Test IdP"),
            ("enabled", "true"),
        ],
    )
    .await;
    assert_page(&r, 422);
    let html = r.text();
    assert!(html.contains("sso-issuer_url-error"), "{html}");
    assert!(
        html.contains("discovery document could not be used"),
        "{html}"
    );

    // The real provider: saved, audited, shown without its secret.
    let form = |secret: &'static str, name: &'static str| {
        vec![
            ("issuer_url", op.issuer.clone()),
            ("client_id", CLIENT_ID.to_owned()),
            ("client_secret", secret.to_owned()),
            ("display_name", name.to_owned()),
            ("enabled", "true".to_owned()),
            ("allowed_domains", "acme.test".to_owned()),
        ]
    };
    let fields = form(CLIENT_SECRET, "Test IdP");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&mut admin, &app, PAGE, &borrowed).await;
    assert_redirect(&r, "/orgs/acme/admin/sso?done=saved");
    let html = admin
        .get(&app, "/orgs/acme/admin/sso?done=saved")
        .await
        .text();
    assert!(html.contains("Single sign-on is saved"), "{html}");
    assert!(html.contains(&op.issuer), "{html}");
    assert!(html.contains("Leave empty to keep the saved one"), "{html}");
    assert!(!html.contains(CLIENT_SECRET), "{html}");
    let saved = invigil_store::sso::config(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.display_name, "Test IdP");
    assert!(saved.enabled);
    // The sign-in page offers it.
    let signin = Browser::default()
        .get(&app, "/signin?org=acme")
        .await
        .text();
    assert!(signin.contains("Sign in with Test IdP"), "{signin}");

    // Saved again with the secret left empty: the saved one is kept.
    let fields = form("", "Acme login");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post(&mut admin, &app, PAGE, &borrowed).await;
    assert_redirect(&r, "/orgs/acme/admin/sso?done=saved");
    let again = invigil_store::sso::config(app.db().read(), org.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.display_name, "Acme login");
    assert_eq!(again.secret_sealed, saved.secret_sealed);

    // Removing asks first, then removes.
    let html = admin.get(&app, PAGE).await.text();
    assert!(html.contains("/orgs/acme/admin/sso/delete"), "{html}");
    let confirm = admin.get(&app, "/orgs/acme/admin/sso/delete").await;
    assert_page(&confirm, 200);
    assert!(
        confirm
            .text()
            .contains("Remove single sign-on \"Acme login\"?"),
        "{}",
        confirm.text()
    );
    assert!(
        invigil_store::sso::config(app.db().read(), org.id)
            .await
            .unwrap()
            .is_some()
    );
    let r = post(&mut admin, &app, "/orgs/acme/admin/sso/delete", &[]).await;
    assert_redirect(&r, "/orgs/acme/admin/sso?done=deleted");
    assert!(
        invigil_store::sso::config(app.db().read(), org.id)
            .await
            .unwrap()
            .is_none()
    );
    let r = post(&mut admin, &app, "/orgs/acme/admin/sso/delete", &[]).await;
    assert_page(&r, 404);
    assert_eq!(
        app.audit_actions(&org)
            .await
            .iter()
            .filter(|a| *a == "org.sso_configured")
            .count(),
        3
    );
}

both!(
    the_sso_page_is_for_the_org_admin,
    an_internal_issuer_is_refused_on_the_page,
);

// The provider runs on loopback: this app allows it.
both!(config = |c: &mut invigil_server::config::Config| c.sso_allow_private_networks = true =>
    saving_against_the_real_provider,
);
