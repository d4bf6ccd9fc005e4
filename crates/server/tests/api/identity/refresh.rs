//! Refresh tokens: rotation and reuse, the retry window, concurrent
//! refreshes, logout.

use super::*;

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
    app.post_as("/api/v1/auth/logout", &u.token)
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

both!(
    refresh_rotation_and_reuse_kill_the_family,
    refresh_retry_within_the_window,
    concurrent_refreshes_yield_one_winner,
    logout_revokes_the_current_session_only,
);

both!(config = |c| c.refresh_retry_window_secs = 0 => concurrent_refreshes_without_retry_window);
