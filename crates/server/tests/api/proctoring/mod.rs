//! Proctoring: event ingest (idempotency, validation, ownership), phone
//! pairing and its credential's scope, the heartbeat watchdog, the risk
//! engine's flags and the live feed — on both backends.

mod ingest;
mod live;
mod pairing;
mod roster;
mod rules;

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
    app.post_json(
        &format!("/api/v1/sessions/{session}/events"),
        token,
        &json!({ "events": events }),
    )
    .await
}

async fn beat(app: &TestApp, token: &str, session: Uuid, source: &str) -> TestResponse {
    app.post_json(
        &format!("/api/v1/sessions/{session}/heartbeat"),
        token,
        &json!({ "source": source }),
    )
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
    store::events_of_type(
        app.db().read(),
        session,
        invigil_domain::proctoring::EventType::parse(t).unwrap(),
    )
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
        .post_as(&format!("/api/v1/sessions/{session}/pairing"), token)
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
