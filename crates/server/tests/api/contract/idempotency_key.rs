//! Idempotency-Key: tokens never stored, keys freed on cancel, notices for
//! large responses, takeover after a killed process, replays and reuse.

use super::*;

// ---- Idempotency-Key

async fn idempotency_never_stores_tokens(app: TestApp) {
    let u = app.user("keys@example.org").await;
    // Sign-in with a bearer token and a key: answered normally, nothing kept.
    for _ in 0..2 {
        let r = app
            .post("/api/v1/auth/login")
            .token(&u.token)
            .header("idempotency-key", "login-1")
            .json(&json!({ "email": u.email, "password": PASSWORD }))
            .send()
            .await;
        r.assert(200);
        assert!(r.header("idempotent-replay").is_none());
        assert!(r.json()["refresh_token"].is_string());
    }
    assert!(
        store::find(app.db().write(), u.id, "login-1")
            .await
            .unwrap()
            .is_none()
    );
    let r = app
        .post("/api/v1/auth/refresh")
        .token(&u.token)
        .header("idempotency-key", "refresh-1")
        .json(&json!({ "refresh_token": u.refresh_token }))
        .send()
        .await;
    r.assert(200);
    assert!(
        store::find(app.db().write(), u.id, "refresh-1")
            .await
            .unwrap()
            .is_none()
    );

    // A phone pairing token: a retry gets a fresh token, none is stored.
    let s = setup_with(&app, ExamOpts::default()).await;
    let r = app
        .post_as(
            &format!("/api/v1/exams/{}/sessions", s.exam_id),
            &s.candidate.token,
        )
        .await;
    let session = r.json()["session_id"].as_str().unwrap().to_owned();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = app
            .post(&format!("/api/v1/sessions/{session}/pairing"))
            .token(&s.candidate.token)
            .header("idempotency-key", "pair-1")
            .send()
            .await;
        r.assert(200);
        assert!(r.header("idempotent-replay").is_none());
        tokens.push(r.json()["pairing_token"].as_str().unwrap().to_owned());
    }
    assert_ne!(tokens[0], tokens[1]);
    assert!(
        store::find(app.db().write(), s.candidate.id, "pair-1")
            .await
            .unwrap()
            .is_none()
    );
}

/// A tiny app behind the real idempotency layer, with a handler the test
/// controls.
fn layered(app: &TestApp, handler: Router) -> Router {
    handler.route_layer(axum::middleware::from_fn_with_state(
        app.state.clone(),
        idempotency::layer,
    ))
}

fn keyed_post(uri: &str, token: &str, key: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap()
}

async fn idempotency_key_freed_when_request_is_cancelled(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let u = app.user("cancel@example.org").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let router = layered(
        &app,
        Router::new().route(
            "/slow",
            post(move || {
                let c = c.clone();
                async move {
                    // The first call hangs until it is cancelled.
                    if c.fetch_add(1, Ordering::SeqCst) == 0 {
                        tokio::time::sleep(Duration::from_secs(600)).await;
                    }
                    (StatusCode::CREATED, "{\"ok\":true}")
                }
            }),
        ),
    );
    // The first request reaches the handler, then its future is dropped
    // (what a client disconnect or the timeout layer does).
    let first = tokio::spawn(
        router
            .clone()
            .oneshot(keyed_post("/slow", &u.token, "k-cancel")),
    );
    for _ in 0..400 {
        if calls.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler never started");
    first.abort();
    assert!(first.await.is_err_and(|e| e.is_cancelled()));
    // The drop guard frees the key in the background.
    let mut freed = false;
    for _ in 0..50 {
        if store::find(app.db().write(), u.id, "k-cancel")
            .await
            .unwrap()
            .is_none()
        {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(freed, "the reservation of a cancelled request was kept");
    let retry = router
        .clone()
        .oneshot(keyed_post("/slow", &u.token, "k-cancel"))
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    // And now the key replays.
    let again = router
        .oneshot(keyed_post("/slow", &u.token, "k-cancel"))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replay"], "true");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

async fn idempotency_keeps_a_notice_for_large_responses(app: TestApp) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let u = app.user("large@example.org").await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let router = layered(
        &app,
        Router::new().route(
            "/big",
            post(move || {
                let c = c.clone();
                async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    let big = format!("\"{}\"", "x".repeat(MAX_STORED_RESPONSE + 10));
                    (StatusCode::CREATED, big)
                }
            }),
        ),
    );
    let first = router
        .clone()
        .oneshot(keyed_post("/big", &u.token, "k-big"))
        .await
        .unwrap();
    assert_eq!(
        first.status(),
        StatusCode::CREATED,
        "committed work is not a 500"
    );
    let body = first.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        body.len(),
        MAX_STORED_RESPONSE + 12,
        "the client gets it all"
    );
    let replay = router
        .oneshot(keyed_post("/big", &u.token, "k-big"))
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replay"], "true");
    let v: Value =
        serde_json::from_slice(&replay.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["code"], NOT_KEPT_CODE);
    assert_eq!(v["status"], 201);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a retry does not repeat the work"
    );
}

/// A reservation whose request died with the process (no drop guard ran)
/// does not block retries for 24 hours: once older than twice the request
/// timeout plus a minute, the same request runs again.
async fn idempotency_key_left_by_a_killed_process_is_taken_over(app: TestApp) {
    use sha2::{Digest, Sha256};
    let u = app.user("killed@example.org").await;
    let router = layered(
        &app,
        Router::new().route("/work", post(|| async { (StatusCode::CREATED, "{}") })),
    );
    // What the layer hashes: method, path, query and body.
    let hash = hex::encode(Sha256::digest(b"POST /work?\n{}"));
    let reserved = store::reserve(
        app.db().write(),
        u.id,
        "k-killed",
        &hash,
        app.state.now(),
        chrono::TimeDelta::minutes(2),
    )
    .await
    .unwrap();
    assert_eq!(reserved, store::Reservation::Fresh);
    // Soon after: still running as far as anyone can tell.
    let r = router
        .clone()
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Long after the request timeout: taken over.
    app.clock.advance(chrono::Duration::minutes(3));
    let r = router
        .clone()
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert!(r.headers().get("idempotent-replay").is_none());
    let r = router
        .oneshot(keyed_post("/work", &u.token, "k-killed"))
        .await
        .unwrap();
    assert_eq!(r.headers()["idempotent-replay"], "true");
}

async fn idempotency_replays_and_refuses_a_reused_key(app: TestApp) {
    let org = app.org("keys").await;
    let admin = app
        .member(
            &org,
            "admin@keys.org",
            &[invigil_domain::identity::Role::OrgAdmin],
        )
        .await;
    let send = |name: &'static str| {
        app.post("/api/v1/orgs/keys/departments")
            .token(&admin.token)
            .header("idempotency-key", "dept-1")
            .json(&json!({ "name": name }))
            .send()
    };
    let first = send("Physics").await;
    first.assert(201);
    let again = send("Physics").await;
    again.assert(201);
    assert_eq!(again.header("idempotent-replay"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    send("Chemistry")
        .await
        .assert_problem(422, "idempotency_key_reused");
    let list = app
        .get_as("/api/v1/orgs/keys/departments", &admin.token)
        .await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
}

both!(
    idempotency_never_stores_tokens,
    idempotency_key_freed_when_request_is_cancelled,
    idempotency_keeps_a_notice_for_large_responses,
    idempotency_key_left_by_a_killed_process_is_taken_over,
    idempotency_replays_and_refuses_a_reused_key,
);
