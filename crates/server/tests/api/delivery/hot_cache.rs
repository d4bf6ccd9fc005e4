//! The autosave path's in-process cache (`delivery::hot`): what takes a
//! candidate's standing away on this process refuses the next save at once;
//! another replica learns it at its next poll of the cache epoch (the TTL,
//! `hot_cache_ttl_ms`, is the backstop); a cached session
//! state never refuses a save the database would take, nor lets one into a
//! paused session.

use tower::ServiceExt;

use super::*;

/// A save sent through another replica's router.
async fn save_via(
    router: &axum::Router,
    token: &str,
    session: &str,
    q: &str,
    revision: i64,
) -> u16 {
    let req = axum::http::Request::put(format!("/api/v1/sessions/{session}/answers/{q}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            json!({"response": {"text": "x"}, "revision": revision}).to_string(),
        ))
        .unwrap();
    router.clone().oneshot(req).await.unwrap().status().as_u16()
}

async fn standing_changes_reach_the_cached_save_path(app: TestApp) {
    // Ten minutes, so running out of time comes before the tokens expire.
    let s = setup_with(
        &app,
        ExamOpts {
            duration_minutes: 10,
            ..ExamOpts::default()
        },
    )
    .await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let q = qid(&body, "short_answer");
    let t = &s.candidate.token;
    // Warm: the principal and the session are now cached (a heartbeat uses
    // the same entries).
    app.post_json(
        &format!("/api/v1/sessions/{sid}/heartbeat"),
        t,
        &json!({ "source": "LAPTOP" }),
    )
    .await
    .assert(204);
    for rev in 1..=3 {
        save(&app, t, &sid, &q, json!({"text": "x"}), rev)
            .await
            .assert(200);
    }
    assert_ne!(app.state.hot.len(), (0, 0));

    // Paused by a proctor: the cached state still says IN_PROGRESS, the
    // writer's own check refuses.
    let act = |typ: &'static str, minutes: Option<i64>| {
        let mut b = json!({"type": typ, "reason": "checked by proctor"});
        if let Some(m) = minutes {
            b["minutes"] = json!(m);
        }
        app.post(&format!("/api/v1/orgs/acme/sessions/{sid}/actions"))
            .token(&s.proctor.token)
            .json(&b)
            .send()
    };
    act("PAUSE", None).await.assert(200);
    save(&app, t, &sid, &q, json!({"text": "x"}), 4)
        .await
        .assert_problem(409, "session_paused");
    // Another replica reads the session while it is paused and caches that;
    // once resumed, its stale refusal is read again and the save goes in.
    let (_other, replica) = app.replica();
    assert_eq!(save_via(&replica, t, &sid, &q, 5).await, 409);
    act("RESUME", None).await.assert(200);
    assert_eq!(save_via(&replica, t, &sid, &q, 6).await, 200);
    save(&app, t, &sid, &q, json!({"text": "x"}), 7)
        .await
        .assert(200);

    // Suspended through the API on this process: refused at once.
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", s.candidate.id),
        &admin.token,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert(200);
    save(&app, t, &sid, &q, json!({"text": "x"}), 8)
        .await
        .assert(403);
    // Heartbeats and events go through the same cache: refused too.
    app.post_json(
        &format!("/api/v1/sessions/{sid}/heartbeat"),
        t,
        &json!({ "source": "LAPTOP" }),
    )
    .await
    .assert(403);
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", s.candidate.id),
        &admin.token,
        &json!({ "status": "ACTIVE" }),
    )
    .await
    .assert(200);
    save(&app, t, &sid, &q, json!({"text": "x"}), 9)
        .await
        .assert(200);

    // Out of time: refused, on the cached path as on the database.
    app.clock.advance(Duration::minutes(11));
    save(&app, t, &sid, &q, json!({"text": "x"}), 10)
        .await
        .assert_problem(409, "session_closed");
    assert_eq!(save_via(&replica, t, &sid, &q, 10).await, 409);

    // Signed out: the token stops working at once.
    app.post_as("/api/v1/auth/logout", t).await.assert(204);
    save(&app, t, &sid, &q, json!({"text": "x"}), 11)
        .await
        .assert(401);
}

async fn another_replica_learns_within_the_ttl(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let q = qid(&body, "short_answer");
    let t = &s.candidate.token;
    let (_other, replica) = app.replica();
    assert_eq!(save_via(&replica, t, &sid, &q, 1).await, 200);
    // Suspended through this process; the other replica's cache holds the
    // old standing for at most the TTL (300 ms here), then refuses.
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", s.candidate.id),
        &admin.token,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert(200);
    save(&app, t, &sid, &q, json!({"text": "x"}), 2)
        .await
        .assert(403);
    // The TTL runs on the application's clock (the one deadlines use).
    app.clock.advance(Duration::milliseconds(400));
    assert_eq!(save_via(&replica, t, &sid, &q, 3).await, 403);
}

/// With the default TTL (minutes), another replica learns of a suspension
/// at its next poll of the standing epoch, not at the end of the TTL.
async fn another_replica_learns_at_its_next_epoch_poll(app: TestApp) {
    use invigil_server::delivery::hot::poll_epoch;
    let s = setup_with(&app, ExamOpts::default()).await;
    let admin = app
        .member(&s.org, "admin@acme.org", &[Role::OrgAdmin])
        .await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let q = qid(&body, "short_answer");
    let t = &s.candidate.token;
    let (other, replica) = app.replica();
    let mut seen = None;
    poll_epoch(&other, &mut seen).await.unwrap();
    assert_eq!(save_via(&replica, t, &sid, &q, 1).await, 200);
    // Nothing changed: a poll keeps the cache.
    poll_epoch(&other, &mut seen).await.unwrap();
    assert_ne!(other.hot.len(), (0, 0));
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", s.candidate.id),
        &admin.token,
        &json!({ "status": "SUSPENDED" }),
    )
    .await
    .assert(200);
    // Before its poll the replica still holds the old standing (that is
    // the second it may lag) ...
    assert_eq!(save_via(&replica, t, &sid, &q, 2).await, 200);
    // ... and after it, refuses at once, long before the TTL.
    poll_epoch(&other, &mut seen).await.unwrap();
    assert_eq!(other.hot.len(), (0, 0));
    assert_eq!(save_via(&replica, t, &sid, &q, 3).await, 403);
    // A sign-out on this process reaches it the same way.
    app.patch_json(
        &format!("/api/v1/orgs/acme/members/{}", s.candidate.id),
        &admin.token,
        &json!({ "status": "ACTIVE" }),
    )
    .await
    .assert(200);
    poll_epoch(&other, &mut seen).await.unwrap();
    assert_eq!(save_via(&replica, t, &sid, &q, 4).await, 200);
    app.post_as("/api/v1/auth/logout", t).await.assert(204);
    poll_epoch(&other, &mut seen).await.unwrap();
    assert_eq!(save_via(&replica, t, &sid, &q, 5).await, 401);
}

both!(standing_changes_reach_the_cached_save_path);
both!(another_replica_learns_at_its_next_epoch_poll);
both!(config = |c| c.hot_cache_ttl_ms = 300 => another_replica_learns_within_the_ttl);
