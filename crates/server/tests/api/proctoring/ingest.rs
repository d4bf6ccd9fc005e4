//! Event ingest: idempotent and validated, only the candidate posts, the
//! heartbeat watchdog, a resume on another device.

use super::*;

async fn ingest_is_idempotent_and_validated(app: TestApp) {
    let (s, session) = setup(&app).await;
    let t = &s.candidate.token;
    let now = app.state.now();
    let batch = vec![
        laptop("e1", "WINDOW_BLUR", now - Duration::seconds(5)),
        laptop("e2", "NETWORK_OFFLINE", now - Duration::seconds(4)),
        laptop("e3", "NETWORK_ONLINE", now - Duration::seconds(3)),
    ];
    let r = post(&app, t, session, batch.clone()).await;
    r.assert(202);
    assert_eq!(r.json(), json!({"accepted": 3, "duplicates": 0}));
    let r = post(&app, t, session, batch).await;
    r.assert(202);
    assert_eq!(r.json(), json!({"accepted": 0, "duplicates": 3}));
    let r = post(
        &app,
        t,
        session,
        vec![
            laptop("e3", "NETWORK_ONLINE", now),
            laptop("e4", "COPY_PASTE", now + Duration::seconds(10)),
        ],
    )
    .await;
    assert_eq!(r.json(), json!({"accepted": 1, "duplicates": 1}));
    let stored = events(&app, session).await;
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|e| e.received_at == now && e.source.name() == "LAPTOP")
    );
    let copy = stored
        .iter()
        .find(|e| e.event_type.name() == "COPY_PASTE")
        .unwrap();
    assert_eq!(copy.severity, 5, "the type's default severity");

    // Validation: each problem against its field, nothing stored.
    let r = post(&app, t, session, vec![ev("s1", "SYSTEM", "OTHER", now)]).await;
    assert_field(&r, "events[0].source");
    let r = post(
        &app,
        t,
        session,
        vec![laptop("u0", "OTHER", now), laptop("u1", "TELEPORTED", now)],
    )
    .await;
    assert_field(&r, "events[1].type");
    let r = post(
        &app,
        t,
        session,
        vec![laptop("f1", "OTHER", now + Duration::seconds(60))],
    )
    .await;
    assert_field(&r, "events[0].occurred_at");
    let mut e = laptop("sev", "OTHER", now);
    e["severity"] = json!(11);
    assert_field(&post(&app, t, session, vec![e]).await, "events[0].severity");
    let mut e = laptop("meta", "OTHER", now);
    e["meta"] = json!({ "blob": "x".repeat(5000) });
    assert_field(&post(&app, t, session, vec![e]).await, "events[0].meta");
    let many: Vec<Value> = (0..501)
        .map(|i| laptop(&format!("m{i}"), "OTHER", now))
        .collect();
    assert_field(&post(&app, t, session, many).await, "events");
    assert_field(&post(&app, t, session, vec![]).await, "events");
    // The candidate's credential posts LAPTOP only.
    let r = post(&app, t, session, vec![ev("mob", "MOBILE", "OTHER", now)]).await;
    assert_field(&r, "events[0].source");
    let r = app.post_json(&format!("/api/v1/sessions/{session}/events"), t, &json!({ "events": [{"client_event_id": "x", "source": "LAPTOP", "type": "OTHER", "occurred_at": now.to_rfc3339(), "severity": "high"}] })).await;
    assert_field(&r, "events[0].severity");
    assert_eq!(events(&app, session).await.len(), 4);
}

async fn only_the_candidate_may_post(app: TestApp) {
    let (s, session) = setup(&app).await;
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    let theirs = start_as(&app, s.exam_id, &other.token, None).await;
    let now = app.state.now();
    let e = vec![laptop("a", "OTHER", now)];
    post(&app, &other.token, session, e.clone())
        .await
        .assert_problem(404, "not_found");
    beat(&app, &other.token, session, "LAPTOP")
        .await
        .assert_problem(404, "not_found");
    post(&app, &s.candidate.token, theirs, e.clone())
        .await
        .assert_problem(404, "not_found");
    post(&app, &s.candidate.token, Uuid::now_v7(), e.clone())
        .await
        .assert_problem(404, "not_found");
    // Staff of the org are not the candidate either.
    post(&app, &s.proctor.token, session, e.clone())
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/sessions/{session}/events"))
        .json(&json!({ "events": e }))
        .send()
        .await
        .assert_problem(401, "unauthenticated");
    post(&app, "not-a-token", session, e.clone())
        .await
        .assert_problem(401, "invalid_token");
    assert!(events(&app, session).await.is_empty());

    // Late events: accepted for the grace after the session finished.
    app.post_as(
        &format!("/api/v1/sessions/{session}/submit"),
        &s.candidate.token,
    )
    .await
    .assert(200);
    post(&app, &s.candidate.token, session, e).await.assert(202);
    app.clock.advance(Duration::seconds(31));
    let late = vec![laptop("b", "OTHER", app.state.now())];
    post(&app, &s.candidate.token, session, late)
        .await
        .assert_problem(409, "session_closed");
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert_problem(409, "session_closed");
}

async fn watchdog_reports_quiet_and_returning_devices(app: TestApp) {
    let (s, session) = setup(&app).await;
    let (_, phone) = pair(&app, &s.candidate.token, session).await;
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert(204);
    beat(&app, &phone, session, "MOBILE").await.assert(204);
    assert_eq!(watchdog(&app.state).await.unwrap(), 0);

    app.clock.advance(Duration::seconds(46));
    // The laptop keeps beating; the phone goes quiet.
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert(204);
    assert_eq!(watchdog(&app.state).await.unwrap(), 2);
    let missed = of_type(&app, session, "HEARTBEAT_MISSED").await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].source.name(), "SYSTEM");
    let meta: Value = Value::Object(missed[0].meta.clone().unwrap().0);
    assert_eq!(meta["device"], "MOBILE");
    assert_eq!(of_type(&app, session, "DEVICE_DISCONNECTED").await.len(), 1);
    // Once per timeout, not once per run.
    assert_eq!(watchdog(&app.state).await.unwrap(), 0);

    app.clock.advance(Duration::seconds(10));
    beat(&app, &phone, session, "MOBILE").await.assert(204);
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert(204);
    assert_eq!(watchdog(&app.state).await.unwrap(), 1);
    let back = of_type(&app, session, "DEVICE_RECONNECTED").await;
    assert_eq!(back.len(), 1);
    let meta: Value = Value::Object(back[0].meta.clone().unwrap().0);
    assert_eq!(meta["device"], "MOBILE");
    assert_eq!(back[0].occurred_at, app.state.now());
    assert_eq!(watchdog(&app.state).await.unwrap(), 0);

    // Still quiet over two timeouts: missed twice, disconnected once.
    app.clock.advance(Duration::seconds(46));
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert(204);
    assert_eq!(watchdog(&app.state).await.unwrap(), 2);
    app.clock.advance(Duration::seconds(46));
    beat(&app, &s.candidate.token, session, "LAPTOP")
        .await
        .assert(204);
    assert_eq!(watchdog(&app.state).await.unwrap(), 1);
    assert_eq!(of_type(&app, session, "HEARTBEAT_MISSED").await.len(), 3);
    assert_eq!(of_type(&app, session, "DEVICE_DISCONNECTED").await.len(), 2);

    // A finished session is not watched.
    app.post_as(
        &format!("/api/v1/sessions/{session}/submit"),
        &s.candidate.token,
    )
    .await
    .assert(200);
    app.clock.advance(Duration::minutes(10));
    assert_eq!(watchdog(&app.state).await.unwrap(), 0);
}

async fn resume_on_another_device_is_an_event(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let a = start_as(
        &app,
        s.exam_id,
        &s.candidate.token,
        Some(json!({"device_fingerprint": "laptop-a"})),
    )
    .await;
    let b = start_as(
        &app,
        s.exam_id,
        &s.candidate.token,
        Some(json!({"device_fingerprint": "laptop-b"})),
    )
    .await;
    assert_eq!(a, b);
    let second = of_type(&app, a, "SECOND_DEVICE_LOGIN").await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].source.name(), "SYSTEM");
    let meta: Value = Value::Object(second[0].meta.clone().unwrap().0);
    assert_eq!(meta["device"], "LAPTOP");
    assert_eq!(meta["to"], "laptop-b");
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"session.device_changed".to_owned())
    );
}

both!(
    ingest_is_idempotent_and_validated,
    only_the_candidate_may_post,
    watchdog_reports_quiet_and_returning_devices,
    resume_on_another_device_is_an_event,
);
