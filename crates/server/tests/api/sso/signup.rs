//! Self sign-up: closed organizations answer 404, the domain allow-list,
//! the same 202 for a known address (no second account), the mailed link
//! used once, expired links.

use chrono::Duration;
use serde_json::json;

use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::TestApp;
use invigil_testkit::browser::{Browser, csrf_field};

const PASSWORD: &str = "a long enough passphrase 42";

async fn sign_up_matrix(app: TestApp) {
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    let url = "/api/v1/orgs/acme/sign-up";
    let body = |email: &str| json!({"email": email, "name": "New Person", "password": PASSWORD});
    // Closed (the default): 404, and so is the page.
    app.post("/api/v1/orgs/acme/sign-up")
        .json(&body("new@uni.test"))
        .send()
        .await
        .assert_problem(404, "not_found");
    let mut b = Browser::default();
    assert_eq!(b.get(&app, "/orgs/acme/sign-up").await.status, 404);
    assert_eq!(
        app.get_json("/api/v1/orgs/acme/sign-up-settings", &admin.token)
            .await["enabled"],
        false
    );
    // Opened for uni.test only.
    let r = app
        .put_json(
            "/api/v1/orgs/acme/sign-up-settings",
            &admin.token,
            &json!({"enabled": true, "allowed_domains": ["UNI.test"]}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["allowed_domains"], json!(["uni.test"]));
    let cand = app.member(&org, "cand@acme.test", &[Role::Candidate]).await;
    app.put_json(
        "/api/v1/orgs/acme/sign-up-settings",
        &cand.token,
        &json!({"enabled": false}),
    )
    .await
    .assert(403);
    assert_eq!(b.get(&app, "/orgs/acme/sign-up").await.status, 200);
    // Another domain: 422 domain_not_allowed, nothing created.
    let r = app.post(url).json(&body("x@other.test")).send().await;
    let p = r.assert_problem(422, "domain_not_allowed");
    assert!(p["detail"].as_str().unwrap().contains("uni.test"));
    assert!(
        users::by_email(app.state.db.read(), "x@other.test")
            .await
            .unwrap()
            .is_none()
    );
    // Bad input: 422 / 400, nothing created.
    for bad in [
        json!({"email": "nope", "name": "N", "password": PASSWORD}),
        json!({"email": "a@uni.test", "name": "", "password": PASSWORD}),
        json!({"email": "a@uni.test", "name": "N", "password": "short"}),
        json!({"email": "a@uni.test", "name": "N", "password": PASSWORD, "role": "ORG_ADMIN"}),
    ] {
        let r = app.post(url).json(&bad).send().await;
        assert!(r.status == 422 || r.status == 400, "{bad}: {}", r.text());
    }
    assert!(
        users::by_email(app.state.db.read(), "a@uni.test")
            .await
            .unwrap()
            .is_none()
    );
    // A new address: 202, a pending account and a link.
    let r = app.post(url).json(&body("new@uni.test")).send().await;
    r.assert(202);
    let accepted = r.json();
    let user = users::by_email(app.state.db.read(), "new@uni.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status, AccountStatus::PendingVerification);
    let first_token = app.mailed_token("new@uni.test").await;
    // The same address again (the link got lost): the same 202, no second
    // account, the link sent again.
    let again = app.post(url).json(&body("new@uni.test")).send().await;
    again.assert(202);
    assert_eq!(again.json(), accepted);
    let mails = app.mails_to("new@uni.test").await;
    assert_eq!(mails.len(), 2);
    assert!(
        mails
            .iter()
            .all(|m| m.body.contains("/sign-up/verify?token="))
    );
    let again_user = users::by_email(app.state.db.read(), "new@uni.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again_user.id, user.id);
    assert_eq!(again_user.password_hash, user.password_hash);
    // An address with an account: the same answer, the owner is told.
    let known = app.user("known@uni.test").await;
    let r = app.post(url).json(&body(&known.email)).send().await;
    r.assert(202);
    assert_eq!(r.json(), accepted);
    assert!(
        app.mails_to(&known.email)
            .await
            .iter()
            .any(|m| m.body.contains("already has an account"))
    );
    // The link: used once, activates and makes a candidate member.
    let token = app.mailed_token("new@uni.test").await;
    assert_ne!(token, first_token);
    let verify = "/api/v1/auth/sign-up/verify";
    let r = app.post(verify).json(&json!({"token": token})).send().await;
    r.assert(200);
    assert!(r.json()["access_token"].is_string());
    let user = users::by_id(app.state.db.read(), user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.status, AccountStatus::Active);
    assert!(user.email_verified_at.is_some());
    let roles = invigil_store::tenancy::roles_of(app.state.db.read(), org.id, user.id)
        .await
        .unwrap();
    assert_eq!(roles, vec![(Role::Candidate, None)]);
    app.post(verify)
        .json(&json!({"token": token}))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    // The earlier link of the same account is no use once it is active.
    app.post(verify)
        .json(&json!({"token": first_token}))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    assert!(app.login("new@uni.test", PASSWORD).await.status == 200);
    let actions = app.audit_actions(&org).await;
    assert!(actions.iter().any(|a| a == "auth.sign_up"));
    assert!(actions.iter().any(|a| a == "org.sign_up_settings_changed"));
}

async fn expired_link_and_web_flow(app: TestApp) {
    let org = app.org("acme").await;
    let admin = app.member(&org, "admin@acme.test", &[Role::OrgAdmin]).await;
    app.put_json(
        "/api/v1/orgs/acme/sign-up-settings",
        &admin.token,
        &json!({"enabled": true, "allowed_domains": []}),
    )
    .await
    .assert(200);
    app.post("/api/v1/orgs/acme/sign-up")
        .json(&json!({"email": "late@x.test", "name": "Late", "password": PASSWORD}))
        .send()
        .await
        .assert(202);
    let token = app.mailed_token("late@x.test").await;
    app.clock.advance(Duration::hours(25));
    app.post("/api/v1/auth/sign-up/verify")
        .json(&json!({"token": token}))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    let late = users::by_email(app.state.db.read(), "late@x.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(late.status, AccountStatus::PendingVerification);

    // The pages: form -> mail -> verify page -> signed in.
    let mut b = Browser::default();
    let page = b.get(&app, "/orgs/acme/sign-up").await;
    assert_eq!(page.status, 200);
    let csrf = csrf_field(&page);
    let r = b
        .post(
            &app,
            "/orgs/acme/sign-up",
            &[
                ("csrf", &csrf),
                ("name", "Web Person"),
                ("email", "web@x.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    let token = app.mailed_token("web@x.test").await;
    let page = b.get(&app, &format!("/sign-up/verify?token={token}")).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_field(&page);
    let r = b
        .post(
            &app,
            "/sign-up/verify",
            &[("csrf", &csrf), ("token", &token)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    assert!(b.has("invigil_session"));
    assert_eq!(b.get(&app, "/me/exams").await.status, 200);
}

both!(sign_up_matrix, expired_link_and_web_flow);
