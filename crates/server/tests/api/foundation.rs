//! The foundation: operational endpoints, errors, headers, migrations, leases.

use chrono::Duration;
use serde_json::json;

use crate::both;
use crate::common::TestApp;

async fn health_and_readiness(app: TestApp) {
    let r = app.get("/healthz").send().await;
    r.assert(200);
    assert_eq!(r.json()["status"], "ok");
    let r = app.get("/readyz").send().await;
    r.assert(200);
    assert_eq!(r.json()["database"], app.backend);
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    app.get("/api/v1/no-such-thing")
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post("/nowhere")
        .json(&json!({}))
        .send()
        .await
        .assert_problem(404, "not_found");
    let r = app.delete("/healthz").send().await;
    r.assert_problem(405, "method_not_allowed");
    assert!(r.header("allow").is_some_and(|a| a.contains("GET")));
}

async fn malformed_and_huge_bodies_are_problems(app: TestApp) {
    let r = app
        .post("/api/v1/orgs")
        .body("application/json", "{\"not json")
        .send()
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let big = vec![b'a'; 5 * 1024 * 1024];
    let r = app
        .post("/api/v1/orgs")
        .body("application/json", big)
        .send()
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

async fn request_id_and_security_headers(app: TestApp) {
    let r = app.get("/healthz").send().await;
    let id = r.header("x-request-id").expect("request id");
    assert_eq!(id.len(), 36);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(
        r.header("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'"))
    );
    assert!(
        r.header("strict-transport-security").is_none(),
        "no HSTS without TLS"
    );
    // A client's own request id is echoed.
    let r = app
        .get("/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
}

async fn metrics_count_requests_per_route(app: TestApp) {
    app.get("/healthz").send().await.assert(200);
    let r = app.get("/metrics").send().await;
    r.assert(200);
    let text = r.text();
    assert!(text.contains("http_requests_total"), "{text}");
    assert!(text.contains("route=\"/healthz\""), "{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket"),
        "{text}"
    );
}

async fn openapi_document_is_served(app: TestApp) {
    let r = app.get("/api/v1/openapi.json").send().await;
    r.assert(200);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/healthz"].is_object());
}

async fn migrations_are_complete_and_idempotent(app: TestApp) {
    assert!(app.db().pending_migrations().await.unwrap().is_empty());
    app.db().migrate().await.unwrap();
    assert!(app.db().pending_migrations().await.unwrap().is_empty());
}

async fn job_leases_exclude_other_replicas(app: TestApp) {
    use invigil_store::jobs::try_lease;
    let now = app.state.now();
    let db = app.db();
    assert!(
        try_lease(db, "sweep", "a", now, now + Duration::seconds(30))
            .await
            .unwrap()
    );
    assert!(
        !try_lease(db, "sweep", "b", now, now + Duration::seconds(30))
            .await
            .unwrap()
    );
    // The holder renews.
    assert!(
        try_lease(db, "sweep", "a", now, now + Duration::seconds(60))
            .await
            .unwrap()
    );
    // Once expired, another replica takes it.
    let later = now + Duration::seconds(61);
    assert!(
        try_lease(db, "sweep", "b", later, later + Duration::seconds(30))
            .await
            .unwrap()
    );
    assert!(
        !try_lease(db, "sweep", "a", later, later + Duration::seconds(30))
            .await
            .unwrap()
    );
}

/// The clean-up job removes what expired and keeps what did not (here:
/// pending single sign-ons nobody finished).
async fn cleanup_removes_only_what_expired(app: TestApp) {
    use invigil_store::sso::{self, SsoState};
    let org = app.org("acme").await;
    let now = app.state.now();
    for (hash, expires) in [
        ("old", now - Duration::minutes(1)),
        ("fresh", now + Duration::minutes(9)),
    ] {
        sso::insert_state(
            app.db().write(),
            SsoState {
                id: uuid::Uuid::now_v7(),
                state_hash: hash.into(),
                org_id: org.id,
                nonce: "n".into(),
                pkce_verifier: "v".into(),
                next_path: None,
                expires_at: expires,
                created_at: now - Duration::minutes(10),
            },
        )
        .await
        .unwrap();
    }
    let report = invigil_server::jobs::cleanup(&app.state).await.unwrap();
    assert_eq!(report.sso_states, 1, "{report:?}");
    let again = invigil_server::jobs::cleanup(&app.state).await.unwrap();
    assert_eq!(again.sso_states, 0);
    assert!(
        sso::take_state(app.db().write(), org.id, "fresh", now)
            .await
            .unwrap()
            .is_some()
    );
}

both!(
    health_and_readiness,
    unknown_routes_and_methods_are_problems,
    malformed_and_huge_bodies_are_problems,
    request_id_and_security_headers,
    metrics_count_requests_per_route,
    openapi_document_is_served,
    migrations_are_complete_and_idempotent,
    job_leases_exclude_other_replicas,
    cleanup_removes_only_what_expired,
);
