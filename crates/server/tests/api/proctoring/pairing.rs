//! Phone pairing: single use, scoped, expiring.

use super::*;

async fn pairing_is_single_use_and_scoped(app: TestApp) {
    let (s, session) = setup(&app).await;
    let (pairing, phone) = pair(&app, &s.candidate.token, session).await;
    let now = app.state.now();

    // The phone posts MOBILE events and heartbeats of its session.
    let r = post(
        &app,
        &phone,
        session,
        vec![ev("p1", "MOBILE", "AUDIO_DETECTED", now)],
    )
    .await;
    r.assert(202);
    assert_eq!(r.json()["accepted"], 1);
    beat(&app, &phone, session, "MOBILE").await.assert(204);
    assert_field(
        &post(&app, &phone, session, vec![laptop("p2", "OTHER", now)]).await,
        "events[0].source",
    );
    assert_field(&beat(&app, &phone, session, "LAPTOP").await, "source");
    // ...and nothing else.
    app.get_as("/api/v1/me", &phone)
        .await
        .assert_problem(401, "invalid_token");
    app.get_as(&format!("/api/v1/sessions/{session}"), &phone)
        .await
        .assert(401);
    app.post_as(&format!("/api/v1/sessions/{session}/pairing"), &phone)
        .await
        .assert(401);
    let other = app
        .member(&s.org, "other@acme.org", &[Role::Candidate])
        .await;
    enroll(&app, &s.org, s.exam_id, other.id, None).await;
    let theirs = start_as(&app, s.exam_id, &other.token, None).await;
    post(&app, &phone, theirs, vec![ev("p3", "MOBILE", "OTHER", now)])
        .await
        .assert_problem(404, "not_found");
    beat(&app, &phone, theirs, "MOBILE")
        .await
        .assert_problem(404, "not_found");
    // Another candidate cannot pair a phone with this session.
    app.post_as(&format!("/api/v1/sessions/{session}/pairing"), &other.token)
        .await
        .assert_problem(404, "not_found");

    // A second claim: 409, recorded as SECOND_DEVICE_LOGIN, which flags.
    claim(&app, &pairing, "phone-2")
        .await
        .assert_problem(409, "conflict");
    let second = of_type(&app, session, "SECOND_DEVICE_LOGIN").await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].source.name(), "SYSTEM");
    assert!(second[0].client_event_id.is_none());
    let meta: Value = Value::Object(second[0].meta.clone().unwrap().0);
    assert_eq!(meta["device"], "MOBILE");
    assert_eq!(meta["device_fingerprint"], "phone-2");
    let f = flags(&app, session).await;
    assert!(f.iter().any(|f| f.rule_id == "second_device_login"));
    assert_eq!(
        session_row(&app, session).await.integrity_status.name(),
        "FLAGGED"
    );
    // The first phone keeps working.
    beat(&app, &phone, session, "MOBILE").await.assert(204);
}

async fn pairing_tokens_expire(app: TestApp) {
    let (s, session) = setup(&app).await;
    let r = app
        .post_as(
            &format!("/api/v1/sessions/{session}/pairing"),
            &s.candidate.token,
        )
        .await;
    r.assert(200);
    let v = r.json();
    let expires: DateTime<Utc> = v["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires, app.state.now() + Duration::minutes(5));
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    claim(&app, v["pairing_token"].as_str().unwrap(), "phone")
        .await
        .assert_problem(400, "invalid_token");
    claim(&app, "nonsense", "phone")
        .await
        .assert_problem(400, "invalid_token");
    let fresh = app
        .post_as(
            &format!("/api/v1/sessions/{session}/pairing"),
            &s.candidate.token,
        )
        .await
        .json();
    claim(&app, fresh["pairing_token"].as_str().unwrap(), "")
        .await
        .assert_problem(422, "validation_failed");
    // A finished session cannot be paired.
    app.post_as(
        &format!("/api/v1/sessions/{session}/submit"),
        &s.candidate.token,
    )
    .await
    .assert(200);
    claim(&app, fresh["pairing_token"].as_str().unwrap(), "phone")
        .await
        .assert_problem(409, "session_closed");
    app.post_as(
        &format!("/api/v1/sessions/{session}/pairing"),
        &s.candidate.token,
    )
    .await
    .assert_problem(409, "session_closed");
    assert!(
        of_type(&app, session, "SECOND_DEVICE_LOGIN")
            .await
            .is_empty()
    );
}

both!(pairing_is_single_use_and_scoped, pairing_tokens_expire,);
