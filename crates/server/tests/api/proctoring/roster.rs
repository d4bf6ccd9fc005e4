//! The staff's roster of an exam (`GET /orgs/{org}/exams/{exam}/sessions`):
//! every session with state, time left, last heartbeats and open flags;
//! filters; pages; who may read it.

use super::*;

async fn the_roster_shows_every_session_with_heartbeats_and_flags(app: TestApp) {
    let (s, session) = setup(&app).await;
    let t = &s.candidate.token;
    // A second candidate who has not started is not a session: not listed.
    let org = &s.org;
    let other = app.member(org, "late@acme.org", &[Role::Candidate]).await;
    enroll(&app, org, s.exam_id, other.id, None).await;
    beat(&app, t, session, "LAPTOP").await.assert(204);
    let base = app.state.now() - Duration::seconds(100);
    let tabs: Vec<Value> = (0..4)
        .map(|i| {
            laptop(
                &format!("t{i}"),
                "TAB_SWITCH",
                base + Duration::seconds(i * 20),
            )
        })
        .collect();
    post(&app, t, session, tabs).await.assert(202);

    let url = format!("/api/v1/orgs/acme/exams/{}/sessions", s.exam_id);
    let page = app.get_json(&url, &s.proctor.token).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let row = &items[0];
    assert_eq!(row["session_id"], session.to_string());
    assert_eq!(row["candidate"]["email"], "cand@acme.org");
    assert_eq!(row["attempt"], 1);
    assert_eq!(row["status"], "IN_PROGRESS");
    assert_eq!(row["integrity"], "CLEAN");
    assert!(row["remaining_seconds"].as_u64().unwrap() > 3000, "{row}");
    assert!(row["last_heartbeat"]["LAPTOP"].is_string(), "{row}");
    assert!(row["last_heartbeat"]["MOBILE"].is_null(), "{row}");
    assert_eq!(row["open_flags"], 1, "{row}");
    assert_eq!(page["next_cursor"], Value::Null);

    // The coordinator reads it too; filters narrow it.
    let running = app
        .get_json(&format!("{url}?status=IN_PROGRESS"), &s.coordinator.token)
        .await;
    assert_eq!(running["items"].as_array().unwrap().len(), 1);
    let flagged = app
        .get_json(&format!("{url}?integrity=FLAGGED"), &s.coordinator.token)
        .await;
    assert_eq!(flagged["items"].as_array().unwrap().len(), 0);
    let unknown = app
        .get_as(&format!("{url}?status=SLEEPING"), &s.proctor.token)
        .await;
    assert_field(&unknown, "status");
    let unknown = app
        .get_as(&format!("{url}?integrity=bad"), &s.proctor.token)
        .await;
    assert_field(&unknown, "integrity");

    // Pages: the second candidate starts; one row per page.
    let second = start_as(&app, s.exam_id, &other.token, None).await;
    let first = app
        .get_json(&format!("{url}?limit=1"), &s.proctor.token)
        .await;
    assert_eq!(first["items"][0]["session_id"], session.to_string());
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let next = app
        .get_json(&format!("{url}?limit=1&cursor={cursor}"), &s.proctor.token)
        .await;
    assert_eq!(next["items"][0]["session_id"], second.to_string());
    assert_eq!(next["items"][0]["open_flags"], 0);
    assert_eq!(next["next_cursor"], Value::Null);
}
both!(the_roster_shows_every_session_with_heartbeats_and_flags);

async fn only_those_who_act_on_sessions_read_the_roster(app: TestApp) {
    let (s, _session) = setup(&app).await;
    let url = format!("/api/v1/orgs/acme/exams/{}/sessions", s.exam_id);
    // The candidate, and staff who do not act on sessions: 403.
    app.get_as(&url, &s.candidate.token)
        .await
        .assert_problem(403, "forbidden");
    let viewer = app
        .member(&s.org, "viewer@acme.org", &[Role::ReportViewer])
        .await;
    app.get_as(&url, &viewer.token)
        .await
        .assert_problem(403, "forbidden");
    // Another organization's proctor: its own org has no such exam, and
    // this org is not theirs: 404 both ways.
    let other = app.org("other").await;
    let stranger = app
        .member(&other, "p@other.org", &[Role::ProctorReviewer])
        .await;
    app.get_as(
        &format!("/api/v1/orgs/other/exams/{}/sessions", s.exam_id),
        &stranger.token,
    )
    .await
    .assert_problem(404, "not_found");
    assert_eq!(app.get_as(&url, &stranger.token).await.status, 404);
    // No token: 401.
    app.get(&url)
        .send()
        .await
        .assert_problem(401, "unauthenticated");
}
both!(only_those_who_act_on_sessions_read_the_roster);
