//! The refresh retry window: what counts as reuse.

use super::*;

// ---- point 7: the refresh retry window

/// A -> B, then B -> C by "someone else": presenting A within the window is
/// reuse (its successor was used), and the whole family dies.
async fn a_retry_after_the_successor_was_used_is_reuse(app: TestApp) {
    let u = app.user("fam@example.org").await;
    let b = refresh(&app, &u.refresh_token).await.json();
    app.clock.advance(Duration::seconds(2));
    let c = refresh(&app, &s(&b, "refresh_token")).await.json();
    assert!(app.token_works(&s(&c, "access_token")).await);
    app.clock.advance(Duration::seconds(2));
    refresh(&app, &u.refresh_token)
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&c, "access_token")).await);
    refresh(&app, &s(&c, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    let reused = platform_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "auth.refresh_token_reused")
        .count();
    assert_eq!(reused, 1);
}

/// A -> B is lost, the retry A -> B' replaces B. Presenting B while B' is
/// unused is only a dead token; once B' was used, presenting B is reuse.
async fn a_replaced_token_after_the_family_moved_on_is_reuse(app: TestApp) {
    let u = app.user("lost@example.org").await;
    let b = refresh(&app, &u.refresh_token).await.json();
    app.clock.advance(Duration::seconds(1));
    let r = refresh(&app, &u.refresh_token).await;
    r.assert(200);
    let b2 = r.json();
    // B (revoked by the retry) before B' is used: 401, the family lives.
    refresh(&app, &s(&b, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(app.token_works(&s(&b2, "access_token")).await);
    // B' is used (C); now B turns up again: two parties hold this family.
    app.clock.advance(Duration::seconds(1));
    let c = refresh(&app, &s(&b2, "refresh_token")).await;
    c.assert(200);
    let c = c.json();
    refresh(&app, &s(&b, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&c, "access_token")).await);
    refresh(&app, &s(&c, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    // Other sessions of the user are not part of the family.
    let other = app.fresh_token(&u).await;
    assert!(app.token_works(&other).await);
}

/// API.md: of two concurrent refreshes with one token, one wins and the
/// other is the retry. The loser's pair is the one revoked; if it is
/// presented after the winner's pair moved on, the family is revoked.
async fn concurrent_refreshes_then_the_losing_pair_is_reuse(app: TestApp) {
    let u = app.user("tabs@example.org").await;
    let (r1, r2) = tokio::join!(
        refresh(&app, &u.refresh_token),
        refresh(&app, &u.refresh_token)
    );
    r1.assert(200);
    r2.assert(200);
    let (j1, j2) = (r1.json(), r2.json());
    let live1 = app.token_works(&s(&j1, "access_token")).await;
    let live2 = app.token_works(&s(&j2, "access_token")).await;
    assert!(live1 ^ live2, "exactly one pair is live: {live1} {live2}");
    let (live, dead) = if live1 { (j1, j2) } else { (j2, j1) };
    app.clock.advance(Duration::seconds(1));
    let next = refresh(&app, &s(&live, "refresh_token")).await;
    next.assert(200);
    let next = next.json();
    refresh(&app, &s(&dead, "refresh_token"))
        .await
        .assert_problem(401, "invalid_token");
    assert!(!app.token_works(&s(&next, "access_token")).await);
}

both!(
    a_retry_after_the_successor_was_used_is_reuse,
    a_replaced_token_after_the_family_moved_on_is_reuse,
    concurrent_refreshes_then_the_losing_pair_is_reuse,
);
