//! Review: encrypted evidence frames (upload, reviewer read, retention
//! purge), the review queue, claims, decisions, timelines, the candidate's
//! integrity view and appeal, QUALITY_ASSURANCE's reopen — on both backends.
//! Flags and events are inserted directly (the ingest path is proctoring's).

mod evidence;
mod workflow;

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_store::delivery::entities::session;
use invigil_store::proctoring::entities::{event, flag, frame};

use crate::common::{TestApp, TestResponse, TestUser};
use crate::delivery::Setup;

pub(crate) const ACME: &str = "/api/v1/orgs/acme";

/// A small but well-formed-looking JPEG: the signature, a marker we can look
/// for on disk, and padding.
pub(crate) fn jpeg() -> Vec<u8> {
    let mut v = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    for _ in 0..64 {
        v.extend_from_slice(b"PLAINTEXT-MARKER-");
    }
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

pub(crate) fn png() -> Vec<u8> {
    let mut v = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    v.extend_from_slice(b"\0\0\0\rIHDR-PNG-BODY-FOR-TESTS");
    v
}

pub(crate) async fn start(app: &TestApp, exam: Uuid, who: &TestUser) -> Uuid {
    app.start_session(exam, &who.token).await["session_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

pub(crate) async fn submit(app: &TestApp, sid: Uuid, who: &TestUser) {
    app.post_as(&format!("/api/v1/sessions/{sid}/submit"), &who.token)
        .await
        .assert(200);
}

pub(crate) async fn upload(
    app: &TestApp,
    sid: Uuid,
    who: &TestUser,
    ct: &str,
    bytes: Vec<u8>,
) -> TestResponse {
    app.post(&format!("/api/v1/sessions/{sid}/frames"))
        .token(&who.token)
        .body(ct, bytes)
        .send()
        .await
}

pub(crate) async fn upload_ok(
    app: &TestApp,
    sid: Uuid,
    who: &TestUser,
    ct: &str,
    bytes: Vec<u8>,
) -> Uuid {
    let r = upload(app, sid, who, ct, bytes).await;
    r.assert(201);
    r.json()["frame_id"].as_str().unwrap().parse().unwrap()
}

/// Records two TAB_SWITCH events and one flag citing them, and moves the
/// session to FLAGGED with `score`. Returns (event ids, flag id).
pub(crate) async fn flag_session(
    app: &TestApp,
    org: Uuid,
    sid: Uuid,
    score: i32,
) -> (Vec<Uuid>, Uuid) {
    let now = app.state.now();
    let mut ids = Vec::new();
    for i in 0..2 {
        let id = Uuid::now_v7();
        event::ActiveModel {
            id: Set(id),
            org_id: Set(org),
            session_id: Set(sid),
            client_event_id: Set(Some(format!("c-{id}"))),
            source: Set(invigil_domain::proctoring::EventSource::Laptop),
            event_type: Set(invigil_domain::proctoring::EventType::TabSwitch),
            severity: Set(5),
            occurred_at: Set(now + Duration::seconds(i)),
            received_at: Set(now + Duration::seconds(i)),
            meta: Set(Some(r#"{"duration_ms": 1200}"#.parse().unwrap())),
            frame_id: Set(None),
        }
        .insert(app.db().write())
        .await
        .unwrap();
        ids.push(id);
    }
    let flag_id = Uuid::now_v7();
    flag::ActiveModel {
        id: Set(flag_id),
        org_id: Set(org),
        session_id: Set(sid),
        rule_id: Set("tab_switch_burst".into()),
        dedupe_key: Set(format!("tab_switch_burst:{}", ids[0])),
        flag_type: Set(invigil_domain::proctoring::FlagType::TabSwitch),
        severity: Set(invigil_domain::proctoring::FlagSeverity::Medium),
        cause: Set(invigil_domain::proctoring::Cause::Behavioural),
        weight: Set(10),
        event_ids: Set(invigil_store::proctoring::entities::EventIds(ids.clone())),
        first_at: Set(now),
        last_at: Set(now + Duration::seconds(1)),
        description: Set("TAB_SWITCH 2 times in 1 s (limit: 1 within 300 s)".into()),
        created_at: Set(now),
        resolved_by: Set(None),
        resolved_at: Set(None),
        resolution: Set(None),
    }
    .insert(app.db().write())
    .await
    .unwrap();
    session::Entity::update_many()
        .col_expr(session::Column::IntegrityStatus, Expr::value("FLAGGED"))
        .col_expr(session::Column::ViolationScore, Expr::value(score))
        .filter(session::Column::Id.eq(sid))
        .exec(app.db().write())
        .await
        .unwrap();
    (ids, flag_id)
}

pub(crate) async fn claim(app: &TestApp, sid: Uuid, who: &TestUser) -> TestResponse {
    app.post_as(&format!("{ACME}/sessions/{sid}/claim"), &who.token)
        .await
}

pub(crate) async fn decide(
    app: &TestApp,
    sid: Uuid,
    who: &TestUser,
    decision: &str,
    notes: &str,
) -> TestResponse {
    app.post_json(
        &format!("{ACME}/sessions/{sid}/review"),
        &who.token,
        &json!({"decision": decision, "notes": notes}),
    )
    .await
}

pub(crate) async fn release_results(app: &TestApp, s: &Setup) {
    app.post_as(
        &format!("{ACME}/exams/{}/release-results", s.exam_id),
        &s.coordinator.token,
    )
    .await
    .assert(200);
}

/// A finished session of the fixture candidate, flagged with `score`.
pub(crate) async fn flagged(app: &TestApp, s: &Setup, score: i32) -> Uuid {
    let sid = start(app, s.exam_id, &s.candidate).await;
    submit(app, sid, &s.candidate).await;
    flag_session(app, s.org.id, sid, score).await;
    sid
}

pub(crate) fn evidence_files(app: &TestApp) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&app.state.config.data_dir.join("evidence"), &mut out);
    out.sort();
    out
}

pub(crate) async fn frame_row(app: &TestApp, id: Uuid) -> frame::Model {
    frame::Entity::find_by_id(id)
        .one(app.db().read())
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn my_results(app: &TestApp, who: &TestUser) -> Value {
    app.get_json("/api/v1/me/results", &who.token).await
}
