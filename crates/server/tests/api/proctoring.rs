//! Proctoring: event ingest (idempotency, validation, ownership), phone
//! pairing and its credential's scope, the heartbeat watchdog, the risk
//! engine's flags and the live feed — on both backends.

use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use invigil_domain::identity::Role;
use invigil_server::proctoring::live::{LiveChange, LiveEvent};
use invigil_server::proctoring::watchdog::watchdog;
use invigil_store::delivery::{self, Session};
use invigil_store::proctoring as store;

use crate::both;
use crate::common::{TestApp, TestResponse};
use crate::delivery::{ExamOpts, Setup, enroll, setup_with};

async fn start_as(app: &TestApp, exam_id: Uuid, token: &str, body: Option<Value>) -> Uuid {
    let mut req = app
        .post(&format!("/api/v1/exams/{exam_id}/sessions"))
        .token(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await;
    assert!(
        r.status.as_u16() == 201 || r.status.as_u16() == 200,
        "{}",
        r.text()
    );
    r.json()["session_id"].as_str().unwrap().parse().unwrap()
}

async fn setup(app: &TestApp) -> (Setup, Uuid) {
    let s = setup_with(app, ExamOpts::default()).await;
    let session = start_as(app, s.exam_id, &s.candidate.token, None).await;
    (s, session)
}

fn ev(id: &str, source: &str, typ: &str, at: DateTime<Utc>) -> Value {
    json!({"client_event_id": id, "source": source, "type": typ, "occurred_at": at.to_rfc3339()})
}

fn laptop(id: &str, typ: &str, at: DateTime<Utc>) -> Value {
    ev(id, "LAPTOP", typ, at)
}

async fn post(app: &TestApp, token: &str, session: Uuid, events: Vec<Value>) -> TestResponse {
    app.post(&format!("/api/v1/sessions/{session}/events"))
        .token(token)
        .json(&json!({ "events": events }))
        .send()
        .await
}

async fn beat(app: &TestApp, token: &str, session: Uuid, source: &str) -> TestResponse {
    app.post(&format!("/api/v1/sessions/{session}/heartbeat"))
        .token(token)
        .json(&json!({ "source": source }))
        .send()
        .await
}

#[track_caller]
fn assert_field(r: &TestResponse, field: &str) {
    let v = r.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&field), "{field} not in {v}");
}

async fn events(app: &TestApp, session: Uuid) -> Vec<store::Event> {
    store::events_of_session(app.db().read(), session)
        .await
        .unwrap()
}

async fn of_type(app: &TestApp, session: Uuid, t: &str) -> Vec<store::Event> {
    store::events_of_type(app.db().read(), session, t)
        .await
        .unwrap()
}

async fn flags(app: &TestApp, session: Uuid) -> Vec<store::Flag> {
    store::flags_of_session(app.db().read(), session)
        .await
        .unwrap()
}

async fn session_row(app: &TestApp, session: Uuid) -> Session {
    delivery::session(app.db().read(), session)
        .await
        .unwrap()
        .unwrap()
}

async fn pair(app: &TestApp, token: &str, session: Uuid) -> (String, String) {
    let r = app
        .post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(token)
        .send()
        .await;
    r.assert(200);
    let v = r.json();
    let pairing = v["pairing_token"].as_str().unwrap().to_owned();
    assert!(v["pair_url"].as_str().unwrap().contains(&pairing));
    let c = claim(app, &pairing, "phone-1").await;
    c.assert(200);
    let c = c.json();
    assert_eq!(c["session_id"], session.to_string());
    (pairing, c["access_token"].as_str().unwrap().to_owned())
}

async fn claim(app: &TestApp, pairing: &str, fingerprint: &str) -> TestResponse {
    app.post("/api/v1/pairing/claim")
        .json(&json!({ "pairing_token": pairing, "device_fingerprint": fingerprint }))
        .send()
        .await
}

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
            .all(|e| e.received_at == now && e.source == "LAPTOP")
    );
    let copy = stored
        .iter()
        .find(|e| e.event_type == "COPY_PASTE")
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
    let r = app
        .post(&format!("/api/v1/sessions/{session}/events"))
        .token(t)
        .json(&json!({ "events": [{"client_event_id": "x", "source": "LAPTOP", "type": "OTHER", "occurred_at": now.to_rfc3339(), "severity": "high"}] }))
        .send()
        .await;
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
    app.post(&format!("/api/v1/sessions/{session}/submit"))
        .token(&s.candidate.token)
        .send()
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
    app.get("/api/v1/me")
        .token(&phone)
        .send()
        .await
        .assert_problem(401, "invalid_token");
    app.get(&format!("/api/v1/sessions/{session}"))
        .token(&phone)
        .send()
        .await
        .assert(401);
    app.post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(&phone)
        .send()
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
    app.post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(&other.token)
        .send()
        .await
        .assert_problem(404, "not_found");

    // A second claim: 409, recorded as SECOND_DEVICE_LOGIN, which flags.
    claim(&app, &pairing, "phone-2")
        .await
        .assert_problem(409, "conflict");
    let second = of_type(&app, session, "SECOND_DEVICE_LOGIN").await;
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].source, "SYSTEM");
    assert!(second[0].client_event_id.is_none());
    let meta: Value = serde_json::from_str(second[0].meta.as_deref().unwrap()).unwrap();
    assert_eq!(meta["device"], "MOBILE");
    assert_eq!(meta["device_fingerprint"], "phone-2");
    let f = flags(&app, session).await;
    assert!(f.iter().any(|f| f.rule_id == "second_device_login"));
    assert_eq!(session_row(&app, session).await.integrity_status, "FLAGGED");
    // The first phone keeps working.
    beat(&app, &phone, session, "MOBILE").await.assert(204);
}

async fn pairing_tokens_expire(app: TestApp) {
    let (s, session) = setup(&app).await;
    let r = app
        .post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(&s.candidate.token)
        .send()
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
        .post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(&s.candidate.token)
        .send()
        .await
        .json();
    claim(&app, fresh["pairing_token"].as_str().unwrap(), "")
        .await
        .assert_problem(422, "validation_failed");
    // A finished session cannot be paired.
    app.post(&format!("/api/v1/sessions/{session}/submit"))
        .token(&s.candidate.token)
        .send()
        .await
        .assert(200);
    claim(&app, fresh["pairing_token"].as_str().unwrap(), "phone")
        .await
        .assert_problem(409, "session_closed");
    app.post(&format!("/api/v1/sessions/{session}/pairing"))
        .token(&s.candidate.token)
        .send()
        .await
        .assert_problem(409, "session_closed");
    assert!(
        of_type(&app, session, "SECOND_DEVICE_LOGIN")
            .await
            .is_empty()
    );
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
    assert_eq!(missed[0].source, "SYSTEM");
    let meta: Value = serde_json::from_str(missed[0].meta.as_deref().unwrap()).unwrap();
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
    let meta: Value = serde_json::from_str(back[0].meta.as_deref().unwrap()).unwrap();
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
    app.post(&format!("/api/v1/sessions/{session}/submit"))
        .token(&s.candidate.token)
        .send()
        .await
        .assert(200);
    app.clock.advance(Duration::minutes(10));
    assert_eq!(watchdog(&app.state).await.unwrap(), 0);
}

async fn tab_switch_burst_raises_one_flag(app: TestApp) {
    let (s, session) = setup(&app).await;
    let t = &s.candidate.token;
    let base = app.state.now() - Duration::seconds(120);
    let tabs: Vec<Value> = (0..4)
        .map(|i| {
            laptop(
                &format!("tab{i}"),
                "TAB_SWITCH",
                base + Duration::seconds(i * 40),
            )
        })
        .collect();
    // Three are within the MEDIUM limit (more than 3 in 300 s).
    post(&app, t, session, tabs[..3].to_vec()).await.assert(202);
    assert!(flags(&app, session).await.is_empty());
    post(&app, t, session, tabs[3..].to_vec()).await.assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1, "{f:?}");
    let f = &f[0];
    assert_eq!(f.rule_id, "tab_switch_burst");
    assert_eq!(f.flag_type, "TAB_SWITCH");
    assert_eq!(f.severity, "MEDIUM");
    assert_eq!(f.cause, "BEHAVIOURAL");
    let mut expected: Vec<Uuid> = of_type(&app, session, "TAB_SWITCH")
        .await
        .iter()
        .map(|e| e.id)
        .collect();
    expected.sort();
    let mut cited: Vec<Uuid> = serde_json::from_str(&f.event_ids).unwrap();
    cited.sort();
    assert_eq!(cited, expected);
    assert_eq!(cited.len(), 4);
    assert_eq!(f.first_at, base);
    assert_eq!(f.last_at, base + Duration::seconds(120));
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 20, "weight 10 x MEDIUM 2");
    assert_eq!(row.integrity_status, "CLEAN", "20 < 50");

    // The same events again: duplicates, no second flag.
    let r = post(&app, t, session, tabs.clone()).await;
    assert_eq!(r.json(), json!({"accepted": 0, "duplicates": 4}));
    assert_eq!(flags(&app, session).await.len(), 1);
    // Other events re-evaluate the session without duplicating the flag.
    post(
        &app,
        t,
        session,
        vec![laptop("blur", "WINDOW_BLUR", app.state.now())],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
    assert_eq!(session_row(&app, session).await.violation_score, 20);
}

async fn multiple_faces_flags_the_session(app: TestApp) {
    let (s, session) = setup(&app).await;
    let (_, phone) = pair(&app, &s.candidate.token, session).await;
    let now = app.state.now();
    let faces = vec![ev("f1", "MOBILE", "MULTIPLE_FACES", now)];
    post(&app, &phone, session, faces.clone()).await.assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].flag_type, "MULTIPLE_FACES");
    assert_eq!(f[0].severity, "HIGH");
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 105);
    assert_eq!(row.integrity_status, "FLAGGED");
    post(&app, &phone, session, faces).await.assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
    assert_eq!(session_row(&app, session).await.violation_score, 105);

    // A decision is never undone by later flags.
    let mut active = session_row(&app, session).await.into_active_model();
    active.integrity_status = Set("CLEARED".into());
    active.update(app.db().write()).await.unwrap();
    post(
        &app,
        &phone,
        session,
        vec![ev("ph", "MOBILE", "PHONE_DETECTED", app.state.now())],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 2);
    let row = session_row(&app, session).await;
    assert_eq!(row.integrity_status, "CLEARED");
    assert_eq!(row.violation_score, 210);
}

async fn rules_follow_the_exam_and_the_org(app: TestApp) {
    let (s, session) = setup(&app).await;
    // An org rule set: a single copy-paste is a HIGH flag.
    let rules = json!({
        "rules": [{
            "id": "any_paste",
            "condition": {"kind": "ANY", "event_types": ["COPY_PASTE"],
                "params": {"medium": {"min_severity": 1, "merge_within_secs": 0}}},
            "flag_type": "COPY_PASTE", "severity": "HIGH", "cause": "BEHAVIOURAL", "weight": 5
        }],
        "thresholds": {"low": 100, "medium": 10, "high": 5}
    });
    invigil_store::tenancy::update_org(
        app.db().write(),
        s.org.id,
        None,
        None,
        Some(json!({ "proctoring_rules": rules }).to_string()),
        app.state.now(),
    )
    .await
    .unwrap();
    let t = &s.candidate.token;
    post(
        &app,
        t,
        session,
        vec![laptop("c1", "COPY_PASTE", app.state.now())],
    )
    .await
    .assert(202);
    let f = flags(&app, session).await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule_id, "any_paste");
    let row = session_row(&app, session).await;
    assert_eq!(row.violation_score, 15);
    assert_eq!(row.integrity_status, "FLAGGED");

    // An exam without proctoring raises nothing.
    let mut exam = invigil_store::exams::exam(app.db().read(), s.org.id, s.exam_id)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    exam.enable_proctoring = Set(false);
    exam.update(app.db().write()).await.unwrap();
    post(
        &app,
        t,
        session,
        vec![laptop(
            "c2",
            "COPY_PASTE",
            app.state.now() + Duration::seconds(5),
        )],
    )
    .await
    .assert(202);
    assert_eq!(flags(&app, session).await.len(), 1);
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
    assert_eq!(second[0].source, "SYSTEM");
    let meta: Value = serde_json::from_str(second[0].meta.as_deref().unwrap()).unwrap();
    assert_eq!(meta["device"], "LAPTOP");
    assert_eq!(meta["to"], "laptop-b");
    assert!(
        app.audit_actions(&s.org)
            .await
            .contains(&"session.device_changed".to_owned())
    );
}

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
    assert_eq!(f.flag_type, "MULTIPLE_FACES");
    assert_eq!(f.event_ids.len(), 1);
    let state = recv_until(&mut rx, |e| matches!(e.change, LiveChange::Session { .. })).await;
    assert_eq!(
        state.change,
        LiveChange::Session {
            status: None,
            integrity_status: Some("FLAGGED".into()),
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
    ingest_is_idempotent_and_validated,
    only_the_candidate_may_post,
    pairing_is_single_use_and_scoped,
    pairing_tokens_expire,
    watchdog_reports_quiet_and_returning_devices,
    tab_switch_burst_raises_one_flag,
    multiple_faces_flags_the_session,
    rules_follow_the_exam_and_the_org,
    resume_on_another_device_is_an_event,
    live_feed_shows_flags_and_state,
    live_feed_over_sse,
    live_feed_crosses_replicas,
);
