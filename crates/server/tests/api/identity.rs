//! Identity: sign-in, lockout and rate limits, refresh rotation, sessions,
//! password reset, email change, invitations and `/me`.

use chrono::Duration;
use serde_json::{Value, json};

use invigil_domain::identity::Role;
use invigil_store::identity::{AccountStatus, users};

use crate::both;
use crate::common::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "another-long-passphrase-42";

fn refresh_body(token: &str) -> Value {
    json!({ "refresh_token": token })
}

async fn login_answers_tokens_and_user(app: TestApp) {
    let u = app.user("ana@example.org").await;
    // Emails are normalised.
    let r = app.login("  ANA@Example.org ", PASSWORD).await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 900);
    assert_eq!(v["user"]["id"], u.id.to_string());
    assert_eq!(v["user"]["email"], "ana@example.org");
    assert!(v["user"]["name"].is_string());
    let access = v["access_token"].as_str().unwrap();
    let refresh = v["refresh_token"].as_str().unwrap();
    assert_ne!(access, refresh);
    assert!(app.token_works(access).await);
    // The access token expires after 15 minutes.
    app.clock
        .advance(Duration::minutes(15) + Duration::seconds(1));
    assert!(!app.token_works(access).await);
    // Garbage and missing tokens.
    app.get("/api/v1/me")
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/api/v1/me")
        .token("not-a-token")
        .send()
        .await
        .assert_problem(401, "invalid_token");
}

async fn login_failures_do_not_reveal_accounts(app: TestApp) {
    app.user("known@example.org").await;
    let wrong = app.login("known@example.org", "wrong-password-123").await;
    let unknown = app.login("nobody@example.org", "wrong-password-123").await;
    let garbage = app.login("not an email", "x").await;
    for r in [&wrong, &unknown, &garbage] {
        r.assert_problem(401, "invalid_credentials");
    }
    assert_eq!(wrong.json(), unknown.json());
    assert_eq!(wrong.json(), garbage.json());
    // A pending (invited) account has no password: the same answer.
    users::create(
        app.db().write(),
        users::NewUser {
            email: "pending@example.org".into(),
            name: "Pending".into(),
            status: AccountStatus::PendingVerification,
            password_hash: None,
            is_super_admin: false,
            email_verified: false,
        },
        app.state.now(),
    )
    .await
    .unwrap();
    let pending = app.login("pending@example.org", "").await;
    assert_eq!(pending.json(), wrong.json());
}

async fn lockout_after_five_failures_with_injected_clock(app: TestApp) {
    app.user("lock@example.org").await;
    for _ in 0..5 {
        app.login("lock@example.org", "bad-password-000")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // Locked, whatever the password, and whatever the spelling of the email.
    for pw in [PASSWORD, "bad-password-000"] {
        let r = app.login("LOCK@example.org", pw).await;
        r.assert_problem(429, "account_locked");
        assert_eq!(r.header("retry-after"), Some("900"));
    }
    // Unknown emails lock the same way (no enumeration).
    for _ in 0..5 {
        app.login("ghost@example.org", "bad-password-000")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let r = app.login("ghost@example.org", "bad-password-000").await;
    r.assert_problem(429, "account_locked");
    assert_eq!(r.header("retry-after"), Some("900"));
    // Other emails are not affected.
    app.user("free@example.org").await;
    app.login("free@example.org", PASSWORD).await.assert(200);
    // Fourteen minutes later: still locked, with less to wait.
    app.clock.advance(Duration::minutes(14));
    let r = app.login("lock@example.org", PASSWORD).await;
    r.assert_problem(429, "account_locked");
    assert_eq!(r.header("retry-after"), Some("60"));
    // After the lock, the right password works again.
    app.clock
        .advance(Duration::minutes(1) + Duration::seconds(1));
    app.login("lock@example.org", PASSWORD).await.assert(200);
    // A second lock in the streak lasts twice as long.
    for _ in 0..5 {
        app.login("lock@example.org", "bad-password-000").await;
    }
    // (The success above ended the streak: the first lock again.)
    let r = app.login("lock@example.org", PASSWORD).await;
    r.assert_problem(429, "account_locked");
    assert_eq!(r.header("retry-after"), Some("900"));
    app.clock.advance(Duration::minutes(16));
    for _ in 0..5 {
        app.login("lock@example.org", "bad-password-000").await;
    }
    let r = app.login("lock@example.org", PASSWORD).await;
    r.assert_problem(429, "account_locked");
    assert_eq!(r.header("retry-after"), Some("1800"));
    // The lock is audited (platform chain).
    let v = invigil_store::audit::verify(app.db().read(), None)
        .await
        .unwrap();
    assert!(v.first_broken.is_none(), "{v:?}");
}

async fn per_ip_rate_limit_with_injected_clock(app: TestApp) {
    app.user("ip@example.org").await;
    let ip = [203, 0, 113, 7];
    for i in 0..3 {
        app.login_from(&format!("u{i}@example.org"), "bad-password-000", ip)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let r = app.login_from("ip@example.org", PASSWORD, ip).await;
    r.assert_problem(429, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address is not limited.
    app.login_from("ip@example.org", PASSWORD, [198, 51, 100, 1])
        .await
        .assert(200);
    // Password-reset requests have their own limit, and still say nothing.
    for _ in 0..3 {
        app.post("/api/v1/auth/password-reset")
            .ip(ip)
            .json(&json!({ "email": "ip@example.org" }))
            .send()
            .await
            .assert(202);
    }
    app.post("/api/v1/auth/password-reset")
        .ip(ip)
        .json(&json!({ "email": "ip@example.org" }))
        .send()
        .await
        .assert_problem(429, "rate_limited");
    // A minute later the window is new.
    app.clock.advance(Duration::seconds(61));
    app.login_from("ip@example.org", PASSWORD, ip)
        .await
        .assert(200);
}

async fn refresh_rotation_and_reuse_kill_the_family(app: TestApp) {
    let u = app.user("rot@example.org").await;
    let other = app.fresh_token(&u).await;
    // A -> B.
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&refresh_body(&u.refresh_token))
        .send()
        .await;
    r.assert(200);
    let b = r.json();
    let (b_access, b_refresh) = (
        b["access_token"].as_str().unwrap().to_owned(),
        b["refresh_token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["user"]["id"], u.id.to_string());
    assert_ne!(b_refresh, u.refresh_token);
    // The old access token is gone with its pair.
    assert!(!app.token_works(&u.token).await);
    assert!(app.token_works(&b_access).await);
    // Replaying A after the retry window: 401, and A's family (B) is dead.
    app.clock.advance(Duration::seconds(11));
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(&u.refresh_token))
        .send()
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&b_access).await);
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(&b_refresh))
        .send()
        .await
        .assert_problem(401, "invalid_token");
    // Another session of the same user is untouched.
    assert!(app.token_works(&other).await);
    // Unknown tokens.
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body("nonsense"))
        .send()
        .await
        .assert_problem(401, "invalid_token");
}

async fn refresh_retry_within_the_window(app: TestApp) {
    let u = app.user("retry@example.org").await;
    let b = app
        .post("/api/v1/auth/refresh")
        .json(&refresh_body(&u.refresh_token))
        .send()
        .await
        .json();
    // The response was "lost": the client retries with A within 10 s.
    app.clock.advance(Duration::seconds(3));
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&refresh_body(&u.refresh_token))
        .send()
        .await;
    r.assert(200);
    let c = r.json();
    // C is live; the pair it replaces (B) is revoked.
    assert!(app.token_works(c["access_token"].as_str().unwrap()).await);
    assert!(!app.token_works(b["access_token"].as_str().unwrap()).await);
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(b["refresh_token"].as_str().unwrap()))
        .send()
        .await
        .assert(401);
    let r = app
        .post("/api/v1/auth/refresh")
        .json(&refresh_body(c["refresh_token"].as_str().unwrap()))
        .send()
        .await;
    r.assert(200);
    assert!(
        app.token_works(r.json()["access_token"].as_str().unwrap())
            .await
    );
}

async fn concurrent_refreshes_yield_one_winner(app: TestApp) {
    let u = app.user("race@example.org").await;
    let send = || {
        app.post("/api/v1/auth/refresh")
            .json(&refresh_body(&u.refresh_token))
            .send()
    };
    let (r1, r2) = tokio::join!(send(), send());
    // One rotates, the other is its retry: both answer, one pair is live.
    r1.assert(200);
    r2.assert(200);
    let live = [
        app.token_works(r1.json()["access_token"].as_str().unwrap())
            .await,
        app.token_works(r2.json()["access_token"].as_str().unwrap())
            .await,
    ];
    assert_eq!(live.iter().filter(|l| **l).count(), 1, "{live:?}");
    // Exactly one refresh token goes on.
    let mut ok = 0;
    for r in [&r1, &r2] {
        let resp = app
            .post("/api/v1/auth/refresh")
            .json(&refresh_body(r.json()["refresh_token"].as_str().unwrap()))
            .send()
            .await;
        if resp.status == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
}

async fn concurrent_refreshes_without_retry_window(app: TestApp) {
    let u = app.user("race0@example.org").await;
    let send = || {
        app.post("/api/v1/auth/refresh")
            .json(&refresh_body(&u.refresh_token))
            .send()
    };
    let (r1, r2) = tokio::join!(send(), send());
    let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
    // The reuse revoked the whole family, the winner's pair too.
    let winner = if r1.status == 200 { &r1 } else { &r2 };
    assert!(
        !app.token_works(winner.json()["access_token"].as_str().unwrap())
            .await
    );
}

async fn logout_revokes_the_current_session_only(app: TestApp) {
    let u = app.user("out@example.org").await;
    let second = app.fresh_token(&u).await;
    app.post("/api/v1/auth/logout")
        .token(&u.token)
        .send()
        .await
        .assert(204);
    assert!(!app.token_works(&u.token).await);
    app.post("/api/v1/auth/refresh")
        .json(&refresh_body(&u.refresh_token))
        .send()
        .await
        .assert(401);
    assert!(app.token_works(&second).await);
}

async fn me_lists_memberships_and_roles(app: TestApp) {
    let a = app.org("alpha").await;
    let b = app.org("beta").await;
    let dept = app.department(&b, "Physics").await;
    let u = app
        .member(
            &a,
            "me@example.org",
            &[Role::ExamAuthor, Role::ReportViewer],
        )
        .await;
    app.add_to(&b, &u, &[(Role::ExamCoordinator, Some(dept))])
        .await;
    let r = app.get("/api/v1/me").token(&u.token).send().await;
    r.assert(200);
    let v = r.json();
    assert_eq!(v["id"], u.id.to_string());
    assert_eq!(v["email"], "me@example.org");
    assert_eq!(v["status"], "ACTIVE");
    assert_eq!(v["is_super_admin"], false);
    let ms = v["memberships"].as_array().unwrap();
    assert_eq!(ms.len(), 2, "{v}");
    assert_eq!(ms[0]["org"], "alpha");
    assert_eq!(ms[0]["org_name"], "Org alpha");
    assert_eq!(ms[0]["roles"], json!(["EXAM_AUTHOR", "REPORT_VIEWER"]));
    assert_eq!(ms[1]["org"], "beta");
    assert_eq!(ms[1]["roles"], json!(["EXAM_COORDINATOR"]));
    assert_eq!(ms[1]["grants"][0]["department_id"], dept.to_string());
    // A user without organizations.
    let lone = app.super_admin("root@example.org").await;
    let v = app.get("/api/v1/me").token(&lone.token).send().await.json();
    assert_eq!(v["memberships"], json!([]));
    assert_eq!(v["is_super_admin"], true);
}

async fn my_sessions_list_and_revoke(app: TestApp) {
    let u = app.user("s@example.org").await;
    let second = app
        .login_from("s@example.org", PASSWORD, [192, 0, 2, 5])
        .await
        .json();
    let second_token = second["access_token"].as_str().unwrap().to_owned();
    let r = app.get("/api/v1/me/sessions").token(&u.token).send().await;
    r.assert(200);
    let v = r.json();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{v}");
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);
    let current = items.iter().find(|s| s["current"] == true).unwrap();
    assert_eq!(current["id"], u.session_id.to_string());
    let other = items.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(other["ip"], "192.0.2.5");
    // No token or hash in the listing.
    let text = r.text();
    assert!(!text.contains(&u.token) && !text.contains(&second_token));
    // Someone else's session: 404, and it stays alive.
    let stranger = app.user("stranger@example.org").await;
    app.delete(&format!("/api/v1/me/sessions/{}", stranger.session_id))
        .token(&u.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    assert!(app.token_works(&stranger.token).await);
    app.delete("/api/v1/me/sessions/not-a-uuid")
        .token(&u.token)
        .send()
        .await
        .assert_problem(404, "not_found");
    // Revoke the second session.
    let id = other["id"].as_str().unwrap();
    app.delete(&format!("/api/v1/me/sessions/{id}"))
        .token(&u.token)
        .send()
        .await
        .assert(204);
    assert!(!app.token_works(&second_token).await);
    app.delete(&format!("/api/v1/me/sessions/{id}"))
        .token(&u.token)
        .send()
        .await
        .assert(404);
    let v = app
        .get("/api/v1/me/sessions")
        .token(&u.token)
        .send()
        .await
        .json();
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
}

async fn password_change_revokes_other_sessions(app: TestApp) {
    let u = app.user("pw@example.org").await;
    let other = app.fresh_token(&u).await;
    // Wrong current password.
    let r = app
        .post("/api/v1/me/password")
        .token(&u.token)
        .json(&json!({ "current_password": "nope-nope-nope", "new_password": NEW_PASSWORD }))
        .send()
        .await;
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.json()["errors"][0]["field"], "current_password");
    // A weak new password.
    app.post("/api/v1/me/password")
        .token(&u.token)
        .json(&json!({ "current_password": PASSWORD, "new_password": "short" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    assert!(app.token_works(&other).await);
    app.post("/api/v1/me/password")
        .token(&u.token)
        .json(&json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert(204);
    assert!(app.token_works(&u.token).await, "the current session stays");
    assert!(!app.token_works(&other).await);
    app.login("pw@example.org", PASSWORD).await.assert(401);
    app.login("pw@example.org", NEW_PASSWORD).await.assert(200);
}

async fn password_reset_flow(app: TestApp) {
    let u = app.user("reset@example.org").await;
    let other = app.fresh_token(&u).await;
    let before = app.outbox().await.len();
    let known = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "Reset@Example.org" }))
        .send()
        .await;
    let unknown = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "nobody@example.org" }))
        .send()
        .await;
    let garbage = app
        .post("/api/v1/auth/password-reset")
        .json(&json!({ "email": "nonsense" }))
        .send()
        .await;
    for r in [&known, &unknown, &garbage] {
        r.assert(202);
        assert_eq!(r.body, known.body);
    }
    // One mail, to the known address only.
    let outbox = app.outbox().await;
    assert_eq!(outbox.len(), before + 1);
    assert_eq!(outbox.last().unwrap().to_email, "reset@example.org");
    let token = app.mailed_token("reset@example.org").await;
    // A weak password is refused and the token survives.
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": token, "new_password": "short" }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": token, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert(204);
    // Every session is revoked.
    assert!(!app.token_works(&u.token).await);
    assert!(!app.token_works(&other).await);
    // Single use.
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": token, "new_password": "yet-another-passphrase-7" }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    app.login("reset@example.org", PASSWORD).await.assert(401);
    app.login("reset@example.org", NEW_PASSWORD)
        .await
        .assert(200);
}

async fn password_reset_token_expires_after_an_hour(app: TestApp) {
    app.user("late@example.org").await;
    let ask = || {
        app.post("/api/v1/auth/password-reset")
            .json(&json!({ "email": "late@example.org" }))
            .send()
    };
    ask().await.assert(202);
    let old = app.mailed_token("late@example.org").await;
    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": old, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    // A new request replaces older links.
    ask().await.assert(202);
    let first = app.mailed_token("late@example.org").await;
    ask().await.assert(202);
    let second = app.mailed_token("late@example.org").await;
    assert_ne!(first, second);
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": first, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    // Within the hour it works.
    app.clock.advance(Duration::minutes(59));
    app.post("/api/v1/auth/password-reset/confirm")
        .json(&json!({ "token": second, "new_password": NEW_PASSWORD }))
        .send()
        .await
        .assert(204);
    app.login("late@example.org", NEW_PASSWORD)
        .await
        .assert(200);
}

async fn email_change_applies_on_verification(app: TestApp) {
    let u = app.user("old@example.org").await;
    app.user("taken@example.org").await;
    // Bad and unchanged addresses.
    app.post("/api/v1/me/email")
        .token(&u.token)
        .json(&json!({ "email": "not an email", "current_password": PASSWORD }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/me/email")
        .token(&u.token)
        .json(&json!({ "email": "OLD@example.org", "current_password": PASSWORD }))
        .send()
        .await
        .assert_problem(422, "validation_failed");
    // An address of another account: 202 too, but no mail.
    app.post("/api/v1/me/email")
        .token(&u.token)
        .json(&json!({ "email": "taken@example.org", "current_password": PASSWORD }))
        .send()
        .await
        .assert(202);
    assert!(app.mails_to("taken@example.org").await.is_empty());
    // The real change.
    app.post("/api/v1/me/email")
        .token(&u.token)
        .json(&json!({ "email": "New@Example.org", "current_password": PASSWORD }))
        .send()
        .await
        .assert(202);
    let token = app.mailed_token("new@example.org").await;
    // Nothing changes before verification.
    let v = app.get("/api/v1/me").token(&u.token).send().await.json();
    assert_eq!(v["email"], "old@example.org");
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": token }))
        .send()
        .await
        .assert(204);
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": token }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
    // The session that asked stays (issue 9: every other one is signed
    // out, see accounts.rs); the new address signs in.
    assert!(app.token_works(&u.token).await);
    app.login("old@example.org", PASSWORD).await.assert(401);
    let r = app.login("new@example.org", PASSWORD).await;
    r.assert(200);
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    let v = app.get("/api/v1/me").token(&access).send().await.json();
    assert_eq!(v["email"], "new@example.org");
    assert_eq!(v["email_verified"], true);
    // Verification links expire after 24 hours.
    app.post("/api/v1/me/email")
        .token(&access)
        .json(&json!({ "email": "third@example.org", "current_password": PASSWORD }))
        .send()
        .await
        .assert(202);
    let token = app.mailed_token("third@example.org").await;
    app.clock
        .advance(Duration::hours(24) + Duration::seconds(1));
    app.post("/api/v1/auth/verify-email")
        .json(&json!({ "token": token }))
        .send()
        .await
        .assert_problem(400, "invalid_token");
}

/// Captured through `common::logs`, which is deterministic: the scoped
/// subscriber this test used before missed every event of a callsite that
/// another test's thread reached first (tracing cached it as "never"), so the
/// capture sometimes lacked the requests (about 1 run in 8).
async fn tokens_never_appear_in_logs(app: TestApp) {
    let org = app.org("logs").await;
    let admin = app
        .member(&org, "admin@logs.example", &[Role::OrgAdmin])
        .await;
    let (lines, secrets) = crate::common::logs::capture(async {
        let mut secrets = vec![PASSWORD.to_owned(), NEW_PASSWORD.to_owned()];
        let r = app.login("admin@logs.example", PASSWORD).await;
        r.assert(200);
        let pair = r.json();
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        secrets.push(pair["access_token"].as_str().unwrap().to_owned());
        secrets.push(refresh.clone());
        let r = app
            .post("/api/v1/auth/refresh")
            .json(&refresh_body(&refresh))
            .send()
            .await;
        r.assert(200);
        let access = r.json()["access_token"].as_str().unwrap().to_owned();
        secrets.push(access.clone());
        secrets.push(r.json()["refresh_token"].as_str().unwrap().to_owned());
        app.get("/api/v1/me")
            .token(&access)
            .send()
            .await
            .assert(200);
        // A failed sign-in with a password-looking secret.
        app.login("admin@logs.example", "hunter2-secret-guess")
            .await
            .assert(401);
        secrets.push("hunter2-secret-guess".to_owned());
        // An invitation and its acceptance.
        app.post(&format!("/api/v1/orgs/{}/invitations", org.slug))
            .token(&access)
            .json(&json!({ "email": "new@logs.example", "name": "New", "roles": ["EXAM_AUTHOR"] }))
            .send()
            .await
            .assert(201);
        let invite = app.mailed_token("new@logs.example").await;
        app.post("/api/v1/auth/accept-invitation")
            .json(&json!({ "token": invite, "name": "New", "password": NEW_PASSWORD }))
            .send()
            .await
            .assert(200);
        secrets.push(invite);
        // A password reset.
        app.post("/api/v1/auth/password-reset")
            .json(&json!({ "email": "admin@logs.example" }))
            .send()
            .await
            .assert(202);
        let reset = app.mailed_token("admin@logs.example").await;
        app.post("/api/v1/auth/password-reset/confirm")
            .json(&json!({ "token": reset, "new_password": "a-third-passphrase-99" }))
            .send()
            .await
            .assert(204);
        secrets.push(reset);
        secrets.push("a-third-passphrase-99".to_owned());
        // A request with a bad token.
        app.get("/api/v1/me")
            .token("bogus-token-value-abc")
            .send()
            .await
            .assert(401);
        secrets.push("bogus-token-value-abc".to_owned());
        secrets
    })
    .await;
    drop(admin);
    let text = lines.join("\n");
    assert!(
        text.contains("/api/v1/auth/login"),
        "the capture should have seen the requests:\n{text}"
    );
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "{s:?} appears in the logs");
    }
    // Nor in the audit log.
    use sea_orm::EntityTrait;
    let rows = invigil_store::audit::entity::Entity::find()
        .all(app.db().read())
        .await
        .unwrap();
    assert!(rows.len() > 5);
    for row in rows {
        let text = format!("{row:?}");
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{s:?} appears in {text}");
        }
    }
}

both!(
    login_answers_tokens_and_user,
    login_failures_do_not_reveal_accounts,
    lockout_after_five_failures_with_injected_clock,
    refresh_rotation_and_reuse_kill_the_family,
    refresh_retry_within_the_window,
    concurrent_refreshes_yield_one_winner,
    logout_revokes_the_current_session_only,
    me_lists_memberships_and_roles,
    my_sessions_list_and_revoke,
    password_change_revokes_other_sessions,
    password_reset_flow,
    password_reset_token_expires_after_an_hour,
    email_change_applies_on_verification,
    tokens_never_appear_in_logs,
);
both!(config = |c| c.refresh_retry_window_secs = 0 => concurrent_refreshes_without_retry_window);
both!(config = |c| c.login_rate_per_ip_per_minute = 3 => per_ip_rate_limit_with_injected_clock);
