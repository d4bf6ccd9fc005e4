//! The live feed: flags and state, over SSE, across replicas.

use super::*;

async fn recv_until(
    rx: &mut tokio::sync::broadcast::Receiver<std::sync::Arc<LiveEvent>>,
    pred: impl Fn(&LiveEvent) -> bool,
) -> LiveEvent {
    tokio::time::timeout(StdDuration::from_secs(5), async {
        loop {
            let ev = rx.recv().await.unwrap();
            if pred(&ev) {
                return (*ev).clone();
            }
        }
    })
    .await
    .expect("live event")
}

async fn live_feed_shows_flags_and_state(app: TestApp) {
    let (s, session) = setup(&app).await;
    let mut rx = app.state.proctoring.live.subscribe();
    post(
        &app,
        &s.candidate.token,
        session,
        vec![laptop("m", "MULTIPLE_FACES", app.state.now())],
    )
    .await
    .assert(202);
    let flag = recv_until(&mut rx, |e| matches!(e.change, LiveChange::Flag { .. })).await;
    assert_eq!(flag.exam_id, s.exam_id);
    assert_eq!(flag.session_id, session);
    let LiveChange::Flag { flag: f } = &flag.change else {
        unreachable!()
    };
    assert_eq!(f.flag_type.name(), "MULTIPLE_FACES");
    assert_eq!(f.event_ids.len(), 1);
    let state = recv_until(&mut rx, |e| matches!(e.change, LiveChange::Session { .. })).await;
    assert_eq!(
        state.change,
        LiveChange::Session {
            status: None,
            integrity_status: Some(invigil_domain::review::IntegrityStatus::Flagged),
            violation_score: Some(105)
        }
    );
    invigil_server::proctoring::publish_session_change(
        &app.state,
        s.org.id,
        s.exam_id,
        session,
        "SUBMITTED",
    );
    let changed = recv_until(
        &mut rx,
        |e| matches!(&e.change, LiveChange::Session { status: Some(st), .. } if st == "SUBMITTED"),
    )
    .await;
    assert_eq!(changed.session_id, session);
}

async fn live_feed_over_sse(app: TestApp) {
    let (s, session) = setup(&app).await;
    let (router, _) = utoipa_axum::router::OpenApiRouter::new()
        .nest(
            "/api/v1",
            invigil_server::proctoring::routes::streaming_routes(),
        )
        .split_for_parts();
    let router = router.with_state(app.state.clone());
    let get = |token: &str, exam: Uuid| {
        Request::get(format!("/api/v1/orgs/acme/exams/{exam}/live"))
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let status = |r: axum::response::Response| r.status().as_u16();
    // Candidates and coordinators do not watch; unknown exams do not exist.
    let r = router
        .clone()
        .oneshot(get(&s.candidate.token, s.exam_id))
        .await
        .unwrap();
    assert_eq!(status(r), 403);
    let r = router
        .clone()
        .oneshot(get(&s.coordinator.token, s.exam_id))
        .await
        .unwrap();
    assert_eq!(status(r), 403);
    let r = router
        .clone()
        .oneshot(get(&s.proctor.token, Uuid::now_v7()))
        .await
        .unwrap();
    assert_eq!(status(r), 404);

    let resp = router
        .clone()
        .oneshot(get(&s.proctor.token, s.exam_id))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    let mut body = resp.into_body();
    post(
        &app,
        &s.candidate.token,
        session,
        vec![laptop("m", "PHONE_DETECTED", app.state.now())],
    )
    .await
    .assert(202);
    let mut text = String::new();
    tokio::time::timeout(StdDuration::from_secs(5), async {
        while !text.contains("event: flag") || !text.contains("event: session") {
            let frame = body.frame().await.unwrap().unwrap();
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no flag on the feed: {text}"));
    let data = text
        .lines()
        .skip_while(|l| *l != "event: flag")
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let v: Value = serde_json::from_str(data).unwrap();
    assert_eq!(v["kind"], "flag");
    assert_eq!(v["session_id"], session.to_string());
    assert_eq!(v["flag"]["flag_type"], "PHONE_DETECTED");

    // Shutdown ends the stream.
    app.state.background.token().cancel();
    tokio::time::timeout(StdDuration::from_secs(5), async {
        while let Some(Ok(_)) = body.frame().await {}
    })
    .await
    .expect("the feed ends on shutdown");
}

async fn live_feed_crosses_replicas(app: TestApp) {
    let (s, session) = setup(&app).await;
    // A second replica on the same database.
    let (other, _) = app.replica();
    let mut theirs = other.proctoring.live.subscribe();
    let mut ours = app.state.proctoring.live.subscribe();
    if app.backend == "postgres" {
        // Wait until the other replica listens.
        let mut up = false;
        for _ in 0..50 {
            invigil_server::proctoring::publish_session_change(
                &app.state, s.org.id, s.exam_id, session, "PROBE",
            );
            if tokio::time::timeout(StdDuration::from_millis(200), theirs.recv())
                .await
                .is_ok()
            {
                up = true;
                break;
            }
        }
        assert!(up, "the other replica never heard a notification");
    }
    while ours.try_recv().is_ok() {}
    while theirs.try_recv().is_ok() {}
    post(
        &app,
        &s.candidate.token,
        session,
        vec![laptop("m", "MULTIPLE_FACES", app.state.now())],
    )
    .await
    .assert(202);
    let is_flag = |e: &LiveEvent| matches!(e.change, LiveChange::Flag { .. });
    recv_until(&mut ours, is_flag).await;
    if app.backend == "postgres" {
        let f = recv_until(&mut theirs, is_flag).await;
        assert_eq!(f.session_id, session);
    }
    // Our own notification is not delivered to us a second time.
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let mut again = 0;
    while let Ok(e) = ours.try_recv() {
        if is_flag(&e) {
            again += 1;
        }
    }
    assert_eq!(again, 0);
    if app.backend == "sqlite" {
        assert!(
            theirs.try_recv().is_err(),
            "SQLite fans out in process only"
        );
    }
    other.background.shutdown().await;
}

both!(
    live_feed_shows_flags_and_state,
    live_feed_over_sse,
    live_feed_crosses_replicas,
);
