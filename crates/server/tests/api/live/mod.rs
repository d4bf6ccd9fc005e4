//! Live sessions (issue 15 point 7): a course's live classes, their
//! participants and attendance, joining in the window, cancel notices and
//! reminders sent once — through the real router on both backends.

mod pages;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use invigil_domain::identity::Role;

use crate::both;
use crate::common::TestApp;
use crate::courses::{ORG, World, id_of, published_course, world};

pub const MEET: &str = "https://meet.example.org/abc-defg-hij";

pub fn at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Moves the clock and signs everyone in again (access tokens expire).
async fn advance(app: &TestApp, w: &mut World, d: Duration) {
    app.clock.advance(d);
    for u in [
        &mut w.admin,
        &mut w.teacher,
        &mut w.other_teacher,
        &mut w.learner,
        &mut w.learner2,
        &mut w.proctor,
    ] {
        u.token = app.fresh_token(u).await;
    }
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

/// A published course of the teacher with both learners enrolled, and a
/// live class of it starting in `in_minutes`. (course, live session).
pub async fn class_in(app: &TestApp, w: &World, in_minutes: i64) -> (Uuid, Uuid) {
    let (course, _, _) = published_course(app, &w.teacher, json!({"title": "Live Rust"})).await;
    for who in [&w.learner, &w.learner2] {
        app.post_as(&format!("{ORG}/courses/{course}/enroll"), &who.token)
            .await
            .assert(200);
    }
    let r = app
        .post_json(
            &format!("{ORG}/courses/{course}/live-sessions"),
            &w.teacher.token,
            &json!({"title": "Office hour", "description": "Questions **welcome**",
                "scheduled_at": at(app.state.now() + Duration::minutes(in_minutes)),
                "duration_minutes": 60, "join_url": MEET}),
        )
        .await;
    r.assert(201);
    (course, id_of(&r.json()))
}

async fn schedule_validate_and_scope(app: TestApp) {
    let w = world(&app).await;
    let (course, live) = class_in(&app, &w, 30).await;
    let url = format!("{ORG}/courses/{course}/live-sessions");
    let now = app.state.now();
    let good = json!({"title": "T", "scheduled_at": at(now + Duration::hours(1)),
        "duration_minutes": 30, "join_url": MEET});
    // Bad input: 422 naming the field, nothing written.
    for (field, change) in [
        ("title", json!({"title": "  "})),
        ("join_url", json!({"join_url": "http://meet.example.org/x"})),
        ("join_url", json!({"join_url": "javascript:alert(1)"})),
        (
            "join_url",
            json!({"join_url": "https://user@evil.example/"}),
        ),
        (
            "scheduled_at",
            json!({"scheduled_at": at(now - Duration::minutes(1))}),
        ),
        (
            "scheduled_at",
            json!({"scheduled_at": at(now + Duration::days(400))}),
        ),
        ("duration_minutes", json!({"duration_minutes": 0})),
        (
            "duration_minutes",
            json!({"duration_minutes": 100000000000i64}),
        ),
        ("recording_url", json!({"recording_url": "ftp://x"})),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = app
            .post_json(&url, &w.teacher.token, &body)
            .await
            .assert_problem(422, "validation_failed");
        assert!(p.to_string().contains(field), "{field}: {p}");
    }
    let mut extra = good.clone();
    extra["host_id"] = json!(w.admin.id);
    app.post_json(&url, &w.teacher.token, &extra)
        .await
        .assert(422);
    app.post_json(&url, &w.teacher.token, &json!({"title": "x"}))
        .await
        .assert(422);
    let list = app.get_json(&url, &w.teacher.token).await;
    assert_eq!(items(&list).len(), 1, "{list}");
    let s = &items(&list)[0];
    assert_eq!(s["status"], "SCHEDULED");
    assert_eq!(s["join_url"], MEET);
    assert_eq!(s["participants"], 1, "the host takes part");
    // Who may see and change it: the course's instructor and course
    // managers; another teacher 403, a proctor 403 (policy), a learner
    // who is no participant 404.
    let one = format!("{ORG}/live-sessions/{live}");
    app.get_json(&one, &w.admin.token).await;
    app.get_as(&url, &w.other_teacher.token)
        .await
        .assert_problem(403, "forbidden");
    app.patch_json(&one, &w.other_teacher.token, &json!({"title": "Mine"}))
        .await
        .assert(404);
    app.get_as(&url, &w.proctor.token).await.assert(403);
    app.get_as(&one, &w.learner.token).await.assert(404);
    // A course of another organization, or a random id: 404.
    let other = app.org("other").await;
    let boss = app
        .member(&other, "boss@other.org", &[Role::OrgAdmin])
        .await;
    app.get_as(
        &format!("/api/v1/orgs/other/courses/{course}/live-sessions"),
        &boss.token,
    )
    .await
    .assert(404);
    app.get_as(
        &format!("/api/v1/orgs/other/live-sessions/{live}"),
        &boss.token,
    )
    .await
    .assert(404);
    app.post_json(
        &format!("/api/v1/orgs/other/courses/{course}/live-sessions"),
        &boss.token,
        &good,
    )
    .await
    .assert(404);
    app.get_as(
        &format!("{ORG}/live-sessions/{}", Uuid::now_v7()),
        &w.admin.token,
    )
    .await
    .assert(404);
    app.get_as(
        &format!("{ORG}/courses/{}/live-sessions", Uuid::now_v7()),
        &w.admin.token,
    )
    .await
    .assert(404);
    // Changes: the schedule moves while SCHEDULED.
    let r = app
        .patch_json(
            &one,
            &w.teacher.token,
            &json!({"title": "Office hour (moved)", "scheduled_at": at(now + Duration::hours(2)),
                "description": null}),
        )
        .await;
    r.assert(200);
    assert_eq!(r.json()["title"], "Office hour (moved)");
    assert_eq!(r.json()["description"], Value::Null);
    app.patch_json(&one, &w.teacher.token, &json!({"join_url": "http://x"}))
        .await
        .assert_problem(422, "validation_failed");
    app.patch_json(&one, &w.teacher.token, &json!({"status": "LIVE"}))
        .await
        .assert(422);
}

async fn participants_join_and_attendance(app: TestApp) {
    let mut w = world(&app).await;
    let (course, live) = class_in(&app, &w, 30).await;
    let one = format!("{ORG}/live-sessions/{live}");
    let parts = format!("{one}/participants");
    // By id: only learners enrolled in the course (each one named).
    let outsider = app.member(&w.org, "eve@acme.org", &[Role::Candidate]).await;
    let p = app
        .post_json(
            &parts,
            &w.teacher.token,
            &json!({"user_ids": [w.learner.id, outsider.id]}),
        )
        .await
        .assert_problem(422, "validation_failed");
    assert!(p.to_string().contains("user_ids[1]"), "{p}");
    app.post_json(&parts, &w.teacher.token, &json!({"user_ids": []}))
        .await
        .assert(422);
    app.post_json(&parts, &w.teacher.token, &json!({"user_ids": ["nope"]}))
        .await
        .assert(422);
    let r = app
        .post_json(
            &parts,
            &w.teacher.token,
            &json!({"user_ids": [w.learner.id]}),
        )
        .await;
    assert_eq!(r.json()["added"], 1);
    // Every enrolled learner: the one in already is skipped.
    let r = app
        .post_as(&format!("{parts}/enrolled"), &w.teacher.token)
        .await;
    assert_eq!(r.json()["added"], 1, "{}", r.text());
    let r = app
        .post_as(&format!("{parts}/enrolled"), &w.teacher.token)
        .await;
    assert_eq!(r.json()["added"], 0);
    let list = app.get_json(&parts, &w.teacher.token).await;
    assert_eq!(items(&list).len(), 3, "{list}");
    assert_eq!(items(&list)[0]["role"], "HOST");
    assert_eq!(items(&list)[1]["email"], "ann@acme.org");
    // Learners: the participant sees it without the link; staff routes 403.
    let seen = app.get_json(&one, &w.learner.token).await;
    assert_eq!(seen["join_url"], Value::Null);
    assert_eq!(seen["title"], "Office hour");
    app.get_as(&parts, &w.learner.token).await.assert(403);
    app.post_as(&format!("{one}/start"), &w.learner.token)
        .await
        .assert(403);
    // Joining: not yet (30 minutes ahead), with the reason.
    let p = app
        .post_as(&format!("{one}/join"), &w.learner.token)
        .await
        .assert_problem(409, "live_not_open");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("opens for joining at"),
        "{p}"
    );
    app.post_as(&format!("{one}/leave"), &w.learner.token)
        .await
        .assert_problem(409, "conflict");
    // Not a participant: 404 (a learner), 403 (staff).
    app.post_as(&format!("{one}/join"), &outsider.token)
        .await
        .assert(404);
    app.post_as(&format!("{one}/join"), &w.admin.token)
        .await
        .assert(403);
    // 10 minutes before the start the window opens.
    advance(&app, &mut w, Duration::minutes(20)).await;
    let r = app.post_as(&format!("{one}/join"), &w.learner.token).await;
    r.assert(200);
    assert_eq!(r.json()["join_url"], MEET);
    let first = r.json()["joined_at"].clone();
    advance(&app, &mut w, Duration::minutes(1)).await;
    app.post_as(&format!("{one}/leave"), &w.learner.token)
        .await
        .assert(204);
    let again = app.post_as(&format!("{one}/join"), &w.learner.token).await;
    assert_eq!(again.json()["joined_at"], first, "the first join is kept");
    // The attendance list.
    let att = app
        .get_json(&format!("{parts}?attended=true"), &w.teacher.token)
        .await;
    assert_eq!(items(&att).len(), 1, "{att}");
    assert_eq!(items(&att)[0]["user_id"], json!(w.learner.id));
    assert_eq!(items(&att)[0]["attended"], true);
    assert_eq!(items(&att)[0]["left_at"], Value::Null);
    let s = app.get_json(&one, &w.teacher.token).await;
    assert_eq!(
        (s["participants"].clone(), s["attended"].clone()),
        (json!(3), json!(1))
    );
    // Start, then the schedule no longer changes; end; no join after.
    let r = app.post_as(&format!("{one}/start"), &w.teacher.token).await;
    assert_eq!(r.json()["status"], "LIVE");
    app.patch_json(&one, &w.teacher.token, &json!({"duration_minutes": 90}))
        .await
        .assert_problem(409, "conflict");
    app.post_as(&format!("{one}/start"), &w.teacher.token)
        .await
        .assert_problem(409, "invalid_transition");
    app.post_as(&format!("{one}/cancel"), &w.teacher.token)
        .await
        .assert(409);
    // While LIVE anyone added may join, even late.
    app.post_as(&format!("{one}/join"), &w.learner2.token)
        .await
        .assert(200);
    // Removing: not the host; a learner, then they are gone.
    app.delete_as(&format!("{parts}/{}", w.teacher.id), &w.teacher.token)
        .await
        .assert(409);
    app.delete_as(&format!("{parts}/{}", outsider.id), &w.teacher.token)
        .await
        .assert(404);
    app.post_as(&format!("{one}/end"), &w.teacher.token)
        .await
        .assert(200);
    let p = app
        .post_as(&format!("{one}/join"), &w.learner.token)
        .await
        .assert_problem(409, "live_not_open");
    assert_eq!(p["detail"], "the live class has ended");
    app.post_as(&format!("{parts}/enrolled"), &w.teacher.token)
        .await
        .assert(409);
    let r = app
        .patch_json(
            &one,
            &w.teacher.token,
            &json!({"recording_url": "https://video.example.org/rec/1"}),
        )
        .await;
    assert_eq!(r.json()["recording_url"], "https://video.example.org/rec/1");
    // My live classes: with the org and course to find them by.
    let mine = app
        .get_json("/api/v1/me/live-sessions", &w.learner.token)
        .await;
    assert_eq!(items(&mine).len(), 1, "{mine}");
    let m = &items(&mine)[0];
    assert_eq!(m["org_slug"], "acme");
    assert_eq!(m["course_title"], "Live Rust");
    assert_eq!(m["course_id"], json!(course));
    assert_eq!(m["join_url"], Value::Null);
    assert_eq!(m["joined_at"], first);
    let none = app
        .get_json("/api/v1/me/live-sessions", &w.other_teacher.token)
        .await;
    assert!(items(&none).is_empty());
    app.get_as("/api/v1/me/live-sessions?limit=0", &w.learner.token)
        .await
        .assert(422);
    app.delete_as(&format!("{parts}/{}", w.learner2.id), &w.teacher.token)
        .await
        .assert(204);
    // Every write is in the audit log.
    let audit = app
        .get_json(&format!("{ORG}/audit-log?limit=500"), &w.admin.token)
        .await
        .to_string();
    for a in [
        "live_session.scheduled",
        "live_session.updated",
        "live_session.status_changed",
        "live_session.participants_added",
        "live_session.participant_removed",
        "live_session.joined",
        "live_session.left",
    ] {
        assert!(audit.contains(a), "{a}");
    }
}

async fn unread(app: &TestApp, token: &str) -> Vec<Value> {
    let v = app
        .get_json("/api/v1/me/notifications?limit=100", token)
        .await;
    items(&v)
        .iter()
        .filter(|n| n["kind"] == "LIVE_SESSION")
        .cloned()
        .collect()
}

async fn cancel_tells_every_participant(app: TestApp) {
    let w = world(&app).await;
    let (_, live) = class_in(&app, &w, 120).await;
    let one = format!("{ORG}/live-sessions/{live}");
    app.post_as(&format!("{one}/participants/enrolled"), &w.teacher.token)
        .await
        .assert(200);
    let r = app.post_as(&format!("{one}/cancel"), &w.admin.token).await;
    assert_eq!(r.json()["status"], "CANCELLED");
    for who in [&w.learner, &w.learner2, &w.teacher] {
        let n = unread(&app, &who.token).await;
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0]["title"], "Cancelled: Office hour");
        assert_eq!(n[0]["link"], "/me/live");
    }
    app.patch_json(&one, &w.teacher.token, &json!({"title": "x"}))
        .await
        .assert(409);
    app.post_as(&format!("{one}/join"), &w.learner.token)
        .await
        .assert_problem(409, "live_not_open");
}

async fn reminders_go_out_once(app: TestApp) {
    let mut w = world(&app).await;
    let (_, live) = class_in(&app, &w, 40).await;
    let one = format!("{ORG}/live-sessions/{live}");
    app.post_as(&format!("{one}/participants/enrolled"), &w.teacher.token)
        .await
        .assert(200);
    // 40 minutes ahead: not yet (the lead is 15 minutes).
    assert_eq!(
        invigil_server::live::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0
    );
    advance(&app, &mut w, Duration::minutes(26)).await;
    assert_eq!(
        invigil_server::live::reminders::send_due(&app.state)
            .await
            .unwrap(),
        3
    );
    // Run again, and on another replica (as after a restart): nothing more.
    assert_eq!(
        invigil_server::live::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0
    );
    let (restarted, _) = app.replica();
    assert_eq!(
        invigil_server::live::reminders::send_due(&restarted)
            .await
            .unwrap(),
        0
    );
    for who in [&w.learner, &w.learner2, &w.teacher] {
        let n = unread(&app, &who.token).await;
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0]["title"], "Starting soon: Office hour");
    }
    let parts = app
        .get_json(&format!("{one}/participants"), &w.teacher.token)
        .await;
    assert!(items(&parts).iter().all(|p| p["reminded_at"].is_string()));
    // Moved: reminded again before the new start.
    let new_start = app.state.now() + Duration::hours(3);
    app.patch_json(
        &one,
        &w.teacher.token,
        &json!({"scheduled_at": at(new_start)}),
    )
    .await
    .assert(200);
    assert_eq!(
        invigil_server::live::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0
    );
    let d = new_start - Duration::minutes(5) - app.state.now();
    advance(&app, &mut w, d).await;
    assert_eq!(
        invigil_server::live::reminders::send_due(&restarted)
            .await
            .unwrap(),
        3
    );
    assert_eq!(unread(&app, &w.learner.token).await.len(), 2);
    // Started classes are not reminded of.
    let (_, other) = class_in_same_course(&app, &w).await;
    app.post_as(
        &format!("{ORG}/live-sessions/{other}/start"),
        &w.teacher.token,
    )
    .await
    .assert(200);
    assert_eq!(
        invigil_server::live::reminders::send_due(&app.state)
            .await
            .unwrap(),
        0
    );
}

/// A second class, starting in 5 minutes, of a new course.
async fn class_in_same_course(app: &TestApp, w: &World) -> (Uuid, Uuid) {
    let r = app
        .post_json(
            &format!("{ORG}/courses"),
            &w.teacher.token,
            &json!({"title": "Another"}),
        )
        .await;
    let course = id_of(&r.json());
    let r = app
        .post_json(
            &format!("{ORG}/courses/{course}/live-sessions"),
            &w.teacher.token,
            &json!({"title": "Soon", "scheduled_at": at(app.state.now() + Duration::minutes(5)),
                "duration_minutes": 15, "join_url": MEET}),
        )
        .await;
    r.assert(201);
    (course, id_of(&r.json()))
}

both!(
    schedule_validate_and_scope,
    participants_join_and_attendance,
    cancel_tells_every_participant,
    reminders_go_out_once,
);
