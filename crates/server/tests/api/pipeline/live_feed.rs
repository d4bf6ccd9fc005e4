//! The live feed ends with its token.

use super::*;

// ---- 8: the live feed ends with its token ----

async fn open_feed(app: &TestApp, token: &str, exam: Uuid) -> Body {
    let req = Request::get(format!("/api/v1/orgs/acme/exams/{exam}/live"))
        .header("authorization", format!("Bearer {token}"))
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.into_body()
}

/// Reads the feed until it ends; panics when it is still open after `secs`.
async fn read_to_end(mut body: Body, secs: u64) -> String {
    let mut text = String::new();
    tokio::time::timeout(StdDuration::from_secs(secs), async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the feed is still open: {text}"));
    text
}

async fn live_feed_ends_when_its_token_goes(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;

    // Sign-out revokes the token: the feed ends within the re-check.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    app.post_as("/api/v1/auth/logout", &token).await.assert(204);
    let text = read_to_end(feed, 5).await;
    assert!(text.starts_with(": connected"), "{text}");
    assert!(text.contains("event: end"), "{text}");

    // Expiry too: the access token lives 15 minutes.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    app.clock.advance(Duration::minutes(16));
    let text = read_to_end(feed, 5).await;
    assert!(text.contains("event: end"), "{text}");

    // Losing the right to watch (suspended in the org) ends it as well.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    invigil_store::tenancy::set_member_status(
        app.db().write(),
        s.org.id,
        s.proctor.id,
        invigil_domain::identity::MemberStatus::Suspended,
        app.state.now(),
    )
    .await
    .unwrap();
    let text = read_to_end(feed, 5).await;
    assert!(text.contains("event: end"), "{text}");
}

both!(config = |c| c.live_recheck_secs = 1 => live_feed_ends_when_its_token_goes);
