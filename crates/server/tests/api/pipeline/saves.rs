//! Saves and events under load: judged by arrival, the sweeper waits,
//! one bad event job is refused alone, overload is refused early.

use super::*;

fn ten_minutes() -> ExamOpts {
    ExamOpts {
        duration_minutes: 10,
        ..Default::default()
    }
}

// ---- 13: a save that arrived in time is judged by its arrival ----

async fn save_is_judged_by_its_arrival(app: TestApp) {
    let s = setup_with(&app, ten_minutes()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let tf = qid(&body, "true_false");
    let t = &s.candidate.token;
    let grace = app.state.config.grace();
    // The save arrives 3 s before deadline + grace...
    app.clock
        .advance(Duration::minutes(10) + grace - Duration::seconds(3));
    let arrived = app.state.now();
    let hold = app.state.answers.hold().await;
    let app_ref = &app;
    let release = async move {
        wait_until("the save is queued", || app_ref.state.answers.queued() == 1).await;
        // ...and the writer commits it 10 s later, past deadline + grace.
        app_ref.clock.advance(Duration::seconds(10));
        drop(hold);
    };
    let (r, ()) = tokio::join!(
        save(&app, t, &sid, &sa, json!({"text": "Paris"}), 1),
        release
    );
    r.assert(200);
    let saved_at: DateTime<Utc> = r.json()["saved_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(saved_at, arrived, "the answer is stamped with its arrival");
    // A save arriving now (past deadline + grace) is still refused.
    save(&app, t, &sid, &tf, json!({"value": true}), 1)
        .await
        .assert_problem(409, "session_closed");
    let answers = invigil_store::delivery::answers(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0].response.0, json!({"text": "Paris"}));
}

async fn sweeper_waits_for_saves_that_arrived_in_time(app: TestApp) {
    let s = setup_with(&app, ten_minutes()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let t = &s.candidate.token;
    let grace = app.state.config.grace();
    app.clock
        .advance(Duration::minutes(10) + grace - Duration::seconds(3));
    let hold = app.state.answers.hold().await;
    let app_ref = &app;
    let sweep_meanwhile = async move {
        wait_until("the save is queued", || app_ref.state.answers.queued() == 1).await;
        app_ref.clock.advance(Duration::seconds(10));
        // The sweeper runs while the save still waits for the writer.
        let sweep = invigil_server::delivery::service::sweep(&app_ref.state);
        let release = async move {
            tokio::time::sleep(StdDuration::from_millis(100)).await;
            drop(hold);
        };
        let (swept, ()) = tokio::join!(sweep, release);
        swept.unwrap()
    };
    let (r, swept) = tokio::join!(
        save(&app, t, &sid, &sa, json!({"text": "Paris"}), 1),
        sweep_meanwhile
    );
    r.assert(200);
    assert_eq!(swept, 1);
    let row = invigil_store::delivery::session(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status.name(), "AUTO_SUBMITTED");
    // The acknowledged answer was stored before grading: it counts.
    assert_eq!(row.objective_score, Some(1.0));
}

// ---- 12: one bad event job never refuses the others ----

fn client_event(id: &str, at: DateTime<Utc>) -> Value {
    json!({"client_event_id": id, "source": "LAPTOP", "type": "TAB_SWITCH", "occurred_at": at.to_rfc3339()})
}

/// Two rows with one primary key: the database refuses this job every time.
fn unstorable(org_id: Uuid, session_id: Uuid, at: DateTime<Utc>) -> Vec<Event> {
    let id = Uuid::now_v7();
    ["bad-1", "bad-2"]
        .iter()
        .map(|c| Event {
            id,
            org_id,
            session_id,
            client_event_id: Some((*c).to_owned()),
            source: invigil_domain::proctoring::EventSource::Laptop,
            event_type: invigil_domain::proctoring::EventType::TabSwitch,
            severity: 3,
            occurred_at: at,
            received_at: at,
            meta: None,
            frame_id: None,
        })
        .collect()
}

async fn one_bad_event_job_is_refused_alone(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    let now = app.state.now();
    let writer = app.state.proctoring.events.clone();
    let bad = unstorable(s.org.id, sid, now);

    // Both jobs wait for the writer, so they are committed as one batch.
    let hold = writer.hold().await;
    let (app_ref, token) = (&app, &s.candidate.token);
    let good = async move {
        app_ref
            .post(&format!("/api/v1/sessions/{sid}/events"))
            .token(token)
            .json(&json!({"events": [client_event("ok-1", now), client_event("ok-2", now)]}))
            .send()
            .await
    };
    let w = writer.clone();
    let bad_job = async move { w.submit(Work::Events(bad)).await };
    let release = async move {
        wait_until("both jobs are queued", || writer.queued() == 2).await;
        drop(hold);
    };
    let (good, bad_result, ()) = tokio::join!(good, bad_job, release);
    good.assert(202);
    assert_eq!(good.json()["accepted"], 2);
    let err = bad_result.expect_err("the bad job is refused");
    let resp = err.into_response();
    assert_eq!(
        resp.status().as_u16(),
        422,
        "a permanent refusal is 4xx, not 503"
    );

    let stored: Vec<_> = pstore::events_of_session(app.db().read(), sid)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| e.client_event_id)
        .collect();
    assert!(stored.contains(&"ok-1".to_owned()) && stored.contains(&"ok-2".to_owned()));
    assert!(!stored.iter().any(|c| c.starts_with("bad")), "{stored:?}");

    // Alone, the bad job is refused the same way (not 503 forever).
    let again = app
        .state
        .proctoring
        .events
        .submit(Work::Events(unstorable(s.org.id, sid, now)))
        .await
        .expect_err("refused again");
    assert_eq!(again.into_response().status().as_u16(), 422);
    // And the writer goes on.
    app.post_json(
        &format!("/api/v1/sessions/{sid}/events"),
        &s.candidate.token,
        &json!({"events": [client_event("ok-3", now)]}),
    )
    .await
    .assert(202);
}

// ---- 15: overload is refused before the database ----

async fn overload_is_refused_early_and_loses_nothing(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let tf = qid(&body, "true_false");
    let t = s.candidate.token.clone();

    // Two saves in flight (held by the writer) fill the autosave limit.
    let hold = app.state.answers.hold().await;
    let app_ref = &app;
    let (sid_ref, sa_ref, t_ref) = (&sid, &sa, &t);
    let probe = async move {
        wait_until("two saves in flight", || {
            app_ref.state.answers.queued() == 2
        })
        .await;
        // A third one is refused at once with Retry-After...
        let r = save(app_ref, t_ref, sid_ref, sa_ref, json!({"text": "x"}), 9).await;
        r.assert_problem(503, "overloaded");
        assert!(r.header("retry-after").is_some());
        // ...before authentication reads anything: even a bad token gets 503.
        save(
            app_ref,
            "not-a-token",
            sid_ref,
            sa_ref,
            json!({"text": "x"}),
            9,
        )
        .await
        .assert_problem(503, "overloaded");
        drop(hold);
    };
    let (a, b, ()) = tokio::join!(
        save(&app, &t, &sid, &sa, json!({"text": "Paris"}), 1),
        save(&app, &t, &sid, &tf, json!({"value": true}), 1),
        probe
    );
    a.assert(200);
    b.assert(200);

    // Events: one in flight fills the limit; a heartbeat waits its turn too.
    let sid_uuid: Uuid = sid.parse().unwrap();
    let now = app.state.now();
    let hold = app.state.proctoring.events.hold().await;
    let probe = async move {
        wait_until("one event request in flight", || {
            app_ref.state.proctoring.events.queued() == 1
        })
        .await;
        let r = app_ref
            .post(&format!("/api/v1/sessions/{sid_uuid}/heartbeat"))
            .token(t_ref)
            .json(&json!({"source": "LAPTOP"}))
            .send()
            .await;
        r.assert_problem(503, "overloaded");
        assert!(r.header("retry-after").is_some());
        drop(hold);
    };
    let (e, ()) = tokio::join!(
        app.post(&format!("/api/v1/sessions/{sid_uuid}/events"))
            .token(&t)
            .json(&json!({"events": [client_event("e-1", now)]}))
            .send(),
        probe
    );
    e.assert(202);

    // A burst: some saves are refused, every acknowledged one is stored.
    let questions: Vec<String> = body["questions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|q| q["type"] == "short_answer" || q["type"] == "essay")
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect();
    let mut burst = Vec::new();
    for rev in 2..42_i64 {
        let q = questions[usize::try_from(rev).unwrap() % questions.len()].clone();
        let text = format!("answer {rev}");
        let (app_ref, t_ref, sid_ref) = (&app, &t, &sid);
        burst.push(async move {
            let r = save(app_ref, t_ref, sid_ref, &q, json!({"text": text}), rev).await;
            (q, rev, r)
        });
    }
    let results = futures_util::future::join_all(burst).await;
    let mut refused = 0;
    let mut acked: std::collections::HashMap<String, i64> = Default::default();
    for (q, rev, r) in &results {
        match r.status.as_u16() {
            200 => {
                let e = acked.entry(q.clone()).or_default();
                *e = (*e).max(*rev);
            }
            503 => {
                assert_eq!(r.json()["code"], "overloaded");
                assert!(r.header("retry-after").is_some());
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    let stored = invigil_store::delivery::answers(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap();
    for (q, rev) in &acked {
        let a = stored
            .iter()
            .find(|a| a.question_id.to_string() == *q)
            .expect("an acknowledged answer is stored");
        assert!(a.revision >= *rev, "acknowledged revision {rev} lost");
    }
    eprintln!(
        "burst of {}: {refused} refused with 503, {} acknowledged",
        results.len(),
        results.len() - refused
    );
    // Every permit came back.
    assert_eq!(app.state.answers.admission.available(), 2);
    assert_eq!(app.state.proctoring.events.admission.available(), 1);
}

// ---- one batch, one multi-row upsert (issue 14) ----

/// Saves of the same answer in one writer batch, in a known order and out of
/// revision order: the highest revision is stored (the first of equal ones),
/// as if they had been upserted one by one, and every save is acknowledged
/// with what is stored.
async fn one_batch_keeps_the_highest_revision_of_each_answer(app: TestApp) {
    let s = setup_with(&app, ten_minutes()).await;
    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let tf = qid(&body, "true_false");
    let t = &s.candidate.token;
    let hold = app.state.answers.hold().await;
    let plan: Vec<(String, Value, i64)> = vec![
        (sa.clone(), json!({"text": "three"}), 3),
        (sa.clone(), json!({"text": "five"}), 5),
        (tf.clone(), json!({"value": true}), 1),
        (sa.clone(), json!({"text": "four"}), 4),
        (sa.clone(), json!({"text": "five again"}), 5),
        (sa.clone(), json!({"text": "two"}), 2),
    ];
    let n = plan.len();
    let app_ref = &app;
    let sid_ref = &sid;
    let saves = plan
        .into_iter()
        .enumerate()
        .map(|(i, (q, response, rev))| async move {
            // Queued in this order: save i waits until the i before it are queued.
            wait_until("the earlier saves are queued", || {
                app_ref.state.answers.queued() == i
            })
            .await;
            save(app_ref, t, sid_ref, &q, response, rev).await
        });
    let release = async move {
        wait_until("every save is queued", || {
            app_ref.state.answers.queued() == n
        })
        .await;
        drop(hold);
    };
    let (results, ()) = tokio::join!(futures_util::future::join_all(saves), release);
    for (i, r) in results.iter().enumerate() {
        r.assert(200);
        let want = if i == 2 { 1 } else { 5 };
        assert_eq!(r.json()["revision"], want, "save {i}: {}", r.text());
    }
    let stored = invigil_store::delivery::answers(app.db().read(), sid.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 2);
    let short = stored
        .iter()
        .find(|a| a.question_id.to_string() == sa)
        .unwrap();
    assert_eq!(
        (short.revision, &short.response.0),
        (5, &json!({"text": "five"}))
    );
}

// ---- the writer's one-statement fast path (issue 14) ----

/// `upsert_live_answers`, the statement a writer batch is in the common
/// case, writes a save only when the session it reads is surely live, and
/// answers exactly what it wrote: a stale revision, a save judged in the
/// last moments before or past deadline + grace, another organization's id
/// and a submitted session are left alone (the writer's full check judges
/// those). Pinned here because
/// the full check would answer every save correctly on its own: without this
/// test a fast path that never wrote would go unnoticed.
async fn the_one_statement_batch_writes_only_surely_live_saves(app: TestApp) {
    use invigil_store::delivery::{AnswerSave, answers, upsert_live_answers};
    let s = setup_with(&app, ten_minutes()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    let sa: Uuid = qid(&body, "short_answer").parse().unwrap();
    let tf: Uuid = qid(&body, "true_false").parse().unwrap();
    let grace = app.state.config.grace();
    let now = app.state.now();
    let save = |q: Uuid, revision: i64, org_id: Uuid| AnswerSave {
        session_id: sid,
        question_id: q,
        org_id,
        response: json!({"text": format!("r{revision}")}),
        revision,
        latency_ms: Some(10),
        saved_at: now,
    };
    let db = app.db().write();
    let live = |batch: Vec<(AnswerSave, DateTime<Utc>)>| async move {
        let refs: Vec<(&AnswerSave, DateTime<Utc>)> = batch.iter().map(|(a, t)| (a, *t)).collect();
        upsert_live_answers(db, &refs, grace).await.unwrap()
    };
    let org = s.org.id;
    // Live: written, and answered from the statement itself.
    let wrote = live(vec![(save(sa, 2, org), now), (save(tf, 1, org), now)]).await;
    assert_eq!(wrote.len(), 2, "{wrote:?}");
    assert!(
        wrote.iter().any(|w| (w.0, w.1, w.2) == (sid, sa, 2)),
        "{wrote:?}"
    );
    // A stale revision, another organization's id, a save judged just past
    // deadline + grace (the deadline is 10 min after the start): not written.
    let late = now + Duration::minutes(10) + grace;
    let wrote = live(vec![
        (save(sa, 1, org), now),
        (save(tf, 5, Uuid::now_v7()), now),
        (save(sa, 7, org), late),
    ])
    .await;
    assert!(wrote.is_empty(), "{wrote:?}");
    // The last `LIVE_MARGIN` before deadline + grace is left to the full
    // check (the stored deadline may be up to a millisecond late); just
    // before it, written.
    let margin = invigil_store::delivery::LIVE_MARGIN;
    let wrote = live(vec![(save(sa, 3, org), late - margin)]).await;
    assert!(wrote.is_empty(), "{wrote:?}");
    let wrote = live(vec![(
        save(sa, 3, org),
        late - margin - Duration::milliseconds(1),
    )])
    .await;
    assert_eq!(wrote.len(), 1, "{wrote:?}");
    // Submitted: nothing is written any more.
    app.post_as(
        &format!("/api/v1/sessions/{sid}/submit"),
        &s.candidate.token,
    )
    .await
    .assert(200);
    let wrote = live(vec![(save(sa, 9, org), now)]).await;
    assert!(wrote.is_empty(), "{wrote:?}");
    let stored = answers(app.db().read(), sid).await.unwrap();
    let short = stored.iter().find(|a| a.question_id == sa).unwrap();
    assert_eq!(short.revision, 3);
    let tf_row = stored.iter().find(|a| a.question_id == tf).unwrap();
    assert_eq!(tf_row.revision, 1);
}

// ---- starts and submits take turns (issue 14, point 3) ----

/// A start or submit beyond `sessions_max_in_flight` waits for a turn; one
/// that waits longer than `sessions_admission_wait_ms` gets 503 + Retry-After
/// and writes nothing. A submit that waited is still judged by its arrival.
async fn starts_and_submits_take_turns(app: TestApp) {
    let s = setup_with(&app, ten_minutes()).await;
    let t = &s.candidate.token;
    let start_path = format!("/api/v1/exams/{}/sessions", s.exam_id);

    // Every turn taken: the start is shed after the wait, nothing is written.
    let hold = app.state.sessions.try_admit().unwrap();
    let r = app.post(&start_path).token(t).json(&json!({})).send().await;
    r.assert_problem(503, "overloaded");
    assert!(r.header("retry-after").is_some());
    let sessions = invigil_store::delivery::sessions_of_user(app.db().read(), s.candidate.id)
        .await
        .unwrap();
    assert!(sessions.is_empty(), "a shed start wrote a session");

    // A turn freed while it waits: the start goes through.
    let app_ref = &app;
    let (r, ()) = tokio::join!(
        app.post(&start_path).token(t).json(&json!({})).send(),
        async move {
            tokio::time::sleep(StdDuration::from_millis(100)).await;
            drop(hold);
        }
    );
    r.assert(201);
    let sid = r.json()["session_id"].as_str().unwrap().to_owned();

    // The submit arrives 1 s before deadline + grace and waits 2 s for its
    // turn (the app clock moves on meanwhile): still in time.
    let grace = app.state.config.grace();
    app.clock
        .advance(Duration::minutes(10) + grace - Duration::seconds(1));
    let hold = app.state.sessions.try_admit().unwrap();
    let submit_path = format!("/api/v1/sessions/{sid}/submit");
    let release = async move {
        tokio::time::sleep(StdDuration::from_millis(100)).await;
        app_ref.clock.advance(Duration::seconds(2));
        drop(hold);
    };
    let (r, ()) = tokio::join!(app.post(&submit_path).token(t).send(), release);
    r.assert(200);
    assert_eq!(r.json()["status"], "SUBMITTED", "{}", r.text());
    assert_eq!(app.state.sessions.available(), 1);
}

both!(
    one_batch_keeps_the_highest_revision_of_each_answer,
    the_one_statement_batch_writes_only_surely_live_saves,
    save_is_judged_by_its_arrival,
    sweeper_waits_for_saves_that_arrived_in_time,
    one_bad_event_job_is_refused_alone,
);

both!(config = |c| {
    c.autosave_max_in_flight = 2;
    c.events_max_in_flight = 1;
} => overload_is_refused_early_and_loses_nothing);

both!(config = |c| {
    c.sessions_max_in_flight = 1;
    c.sessions_admission_wait_ms = 300;
} => starts_and_submits_take_turns);
