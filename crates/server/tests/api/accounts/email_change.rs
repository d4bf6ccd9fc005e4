//! Email change: the current password, other sessions signed out, the
//! revert link.

use super::*;

// ---- point 6: email change

async fn change_email(app: &TestApp, token: &str, email: &str, current: &str) -> TestResponse {
    app.post_json(
        "/api/v1/me/email",
        token,
        &json!({ "email": email, "current_password": current }),
    )
    .await
}

async fn email_change_needs_the_current_password(app: TestApp) {
    let u = app.user("owner@example.org").await;
    // Without it: 422; with a wrong one: 403, nothing mailed.
    app.post_json(
        "/api/v1/me/email",
        &u.token,
        &json!({ "email": "thief@example.org" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    let v = change_email(&app, &u.token, "thief@example.org", "wrong-guess-123")
        .await
        .assert_problem(403, "forbidden");
    assert!(s(&v, "detail").contains("current_password"), "{v}");
    assert!(app.mails_to("thief@example.org").await.is_empty());
    assert!(app.mails_to("owner@example.org").await.is_empty());
    // Counted like failed sign-ins: the fifth failure locks the address.
    for _ in 0..4 {
        change_email(&app, &u.token, "thief@example.org", "wrong-guess-123")
            .await
            .assert(403);
    }
    let r = change_email(&app, &u.token, "thief@example.org", PASSWORD).await;
    r.assert_problem(429, "account_locked");
    assert!(r.header("retry-after").is_some());
    app.login("owner@example.org", PASSWORD)
        .await
        .assert_problem(429, "account_locked");
    assert!(app.mails_to("thief@example.org").await.is_empty());
    let failed = platform_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "auth.password_check_failed")
        .count();
    assert_eq!(failed, 5);
    // After the lock, the right password works (a new access token: the
    // old one expired meanwhile).
    app.clock.advance(Duration::minutes(16));
    let fresh = app.fresh_token(&u).await;
    change_email(&app, &fresh, "mine@example.org", PASSWORD)
        .await
        .assert(202);
}

async fn applying_an_email_change_signs_out_other_sessions(app: TestApp) {
    let u = app.user("old@example.org").await;
    let other = app.fresh_token(&u).await;
    change_email(&app, &u.token, "New@Example.org", PASSWORD)
        .await
        .assert(202);
    // The new address gets the verification link, the old one a notice with
    // a revert link.
    let verify = app.mailed_token("new@example.org").await;
    let notice = app.mails_to("old@example.org").await;
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].body.contains("revert-email?token="),
        "{}",
        notice[0].body
    );
    assert!(notice[0].body.contains("new@example.org"));
    assert!(app.token_works(&other).await, "nothing happens before");
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    assert!(app.token_works(&u.token).await, "the asking session stays");
    assert!(!app.token_works(&other).await, "every other session ends");
    let v = app.get_json("/api/v1/me", &u.token).await;
    assert_eq!(v["email"], "new@example.org");
    let (_, details) = platform_actions(&app)
        .await
        .into_iter()
        .rfind(|(a, _)| a == "auth.email_verified")
        .unwrap();
    assert_eq!(details["sessions_revoked"], 1, "{details}");
}

async fn the_revert_link_restores_the_old_address(app: TestApp) {
    let u = app.user("victim@example.org").await;
    // A thief who knows the password changes the address twice.
    change_email(&app, &u.token, "thief1@example.org", PASSWORD)
        .await
        .assert(202);
    let revert1 = app.mailed_token("victim@example.org").await;
    let verify = app.mailed_token("thief1@example.org").await;
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    app.clock.advance(Duration::seconds(5));
    change_email(&app, &u.token, "thief2@example.org", PASSWORD)
        .await
        .assert(202);
    let revert2 = app.mailed_token("thief1@example.org").await;
    let verify = app.mailed_token("thief2@example.org").await;
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": verify }))
        .send()
        .await
        .assert(204);
    // A third change is pending.
    change_email(&app, &u.token, "thief3@example.org", PASSWORD)
        .await
        .assert(202);
    let pending = app.mailed_token("thief3@example.org").await;
    app.clock.advance(Duration::days(6));
    // The owner follows the first revert link, six days later.
    app.post("/api/v1/auth/revert-email")
        .json(&json!({ "token": revert1 }))
        .send()
        .await
        .assert(204);
    assert!(!app.token_works(&u.token).await, "every session ends");
    app.login("thief2@example.org", PASSWORD).await.assert(401);
    let r = app.login("victim@example.org", PASSWORD).await;
    r.assert(200);
    let v = app
        .get_json("/api/v1/me", &s(&r.json(), "access_token"))
        .await;
    assert_eq!(v["email"], "victim@example.org");
    // Single use; the thief's later revert link and pending change are dead.
    for (path, token) in [
        ("/api/v1/auth/revert-email", &revert1),
        ("/api/v1/auth/revert-email", &revert2),
        ("/api/v1/auth/verify-email", &pending),
    ] {
        app.post(path)
            .json(&json!({ "token": token }))
            .send()
            .await
            .assert_problem(400, "invalid_token");
    }
    let (_, details) = platform_actions(&app)
        .await
        .into_iter()
        .rfind(|(a, _)| a == "auth.email_reverted")
        .unwrap();
    assert_eq!(details["from"], "thief2@example.org");
    assert_eq!(details["to"], "victim@example.org");
    assert_eq!(details["sessions_revoked"], 1, "{details}");
    // Revert links last 7 days.
    let fresh = app.fresh_token(&u).await;
    change_email(&app, &fresh, "later@example.org", PASSWORD)
        .await
        .assert(202);
    let late = app.mailed_token("victim@example.org").await;
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    app.post("/api/v1/auth/revert-email")
        .json(&json!({ "token": late }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
}

both!(
    email_change_needs_the_current_password,
    applying_an_email_change_signs_out_other_sessions,
    the_revert_link_restores_the_old_address,
);
