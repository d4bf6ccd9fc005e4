//! /metrics: open by default, a token when configured, its own listener.

use super::*;

// ---- /metrics

async fn metrics_are_open_by_default(app: TestApp) {
    let r = app.get("/metrics").send().await;
    r.assert(200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
}

const METRICS_TOKEN: &str = "metrics-token-0123456789";

async fn metrics_token_is_required_when_configured(app: TestApp) {
    let token = METRICS_TOKEN;
    app.get("/metrics")
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    app.get("/metrics")
        .header("authorization", "Bearer metrics-token-0123456780")
        .send()
        .await
        .assert(401);
    app.get("/metrics")
        .header("authorization", "Bearer metrics-token")
        .send()
        .await
        .assert(401);
    // A user's access token is not the metrics token.
    let u = app.user("metrics@example.org").await;
    app.get_as("/metrics", &u.token).await.assert(401);
    let r = app
        .get("/metrics")
        .header("authorization", &format!("Bearer {token}"))
        .send()
        .await;
    r.assert(200);
    assert!(r.text().contains("http_requests_total"), "{}", r.text());
}

async fn metrics_addr_moves_metrics_off_the_main_listener(app: TestApp) {
    app.get("/metrics")
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = invigil_server::http::ops::metrics_router(app.state.clone())
        .oneshot(
            Request::builder()
                .uri("/metrics")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

both!(metrics_are_open_by_default,);

both!(config = |c| c.metrics_token = Some(Secret::new(METRICS_TOKEN)) => metrics_token_is_required_when_configured);

both!(config = |c| c.metrics_addr = Some("127.0.0.1:0".parse().unwrap()) => metrics_addr_moves_metrics_off_the_main_listener);
