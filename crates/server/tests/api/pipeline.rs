//! Hot paths under load and faults (issue 9): saves judged by their arrival,
//! one bad event job refused alone, overload answered 503 before the
//! database, the live feed ending with its token, SQLite housekeeping — on
//! both backends.

use std::time::Duration as StdDuration;

use axum::body::Body;
use axum::http::Request;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use invigil_server::proctoring::writer::Work;
use invigil_store::proctoring::{self as pstore, Event};

use crate::both;
use crate::common::TestApp;
use crate::delivery::{ExamOpts, qid, save, setup_with, start};

/// Polls `cond` (every 5 ms, at most 10 s).
async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
    while !cond() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
}

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
    assert_eq!(answers[0].response, json!({"text": "Paris"}).to_string());
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
    assert_eq!(row.status, "AUTO_SUBMITTED");
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
            source: "LAPTOP".into(),
            event_type: "TAB_SWITCH".into(),
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
    app.post(&format!("/api/v1/sessions/{sid}/events"))
        .token(&s.candidate.token)
        .json(&json!({"events": [client_event("ok-3", now)]}))
        .send()
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

// ---- 8: the live feed ends with its token ----

async fn open_feed(app: &TestApp, token: &str, exam: Uuid) -> Body {
    let req = Request::get(format!("/api/v1/orgs/acme/exams/{exam}/live"))
        .header("authorization", format!("Bearer {token}"))
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))))
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    resp.into_body()
}

/// Reads the feed until it ends; panics when it is still open after `secs`.
async fn read_to_end(mut body: Body, secs: u64) -> String {
    let mut text = String::new();
    tokio::time::timeout(StdDuration::from_secs(secs), async {
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                text.push_str(&String::from_utf8_lossy(&data));
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the feed is still open: {text}"));
    text
}

async fn live_feed_ends_when_its_token_goes(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;

    // Sign-out revokes the token: the feed ends within the re-check.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    app.post("/api/v1/auth/logout")
        .token(&token)
        .send()
        .await
        .assert(204);
    let text = read_to_end(feed, 5).await;
    assert!(text.starts_with(": connected"), "{text}");
    assert!(text.contains("event: end"), "{text}");

    // Expiry too: the access token lives 15 minutes.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    app.clock.advance(Duration::minutes(16));
    let text = read_to_end(feed, 5).await;
    assert!(text.contains("event: end"), "{text}");

    // Losing the right to watch (suspended in the org) ends it as well.
    let token = app.fresh_token(&s.proctor).await;
    let feed = open_feed(&app, &token, s.exam_id).await;
    invigil_store::tenancy::set_member_status(
        app.db().write(),
        s.org.id,
        s.proctor.id,
        "SUSPENDED",
        app.state.now(),
    )
    .await
    .unwrap();
    let text = read_to_end(feed, 5).await;
    assert!(text.contains("event: end"), "{text}");
}

// ---- 14: imports never stall the exam ----

async fn large_import_is_chunked_and_lets_saves_through(app: TestApp) {
    use invigil_server::content::service::IMPORT_CHUNK;
    let s = setup_with(&app, ExamOpts::default()).await;
    let author = app
        .member(
            &s.org,
            "author@acme.org",
            &[invigil_domain::identity::Role::ExamAuthor],
        )
        .await;
    let r = app
        .post("/api/v1/orgs/acme/question-banks")
        .token(&author.token)
        .json(&json!({"title": "Big import"}))
        .send()
        .await;
    r.assert(201);
    let bank: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    let n = 8 * IMPORT_CHUNK + 17;
    let gift: String = (0..n)
        .map(|i| format!("::q{i}:: Is {i} a number? {{T}}\n\n"))
        .collect();

    let body = start(&app, &s).await;
    let sid = body["session_id"].as_str().unwrap().to_owned();
    let sa = qid(&body, "short_answer");
    let done = std::sync::atomic::AtomicBool::new(false);
    let (app_ref, done_ref, token) = (&app, &done, &author.token);
    let import = async move {
        let r = app_ref
            .post(&format!(
                "/api/v1/orgs/acme/question-banks/{bank}/import?format=gift"
            ))
            .token(token)
            .body("text/plain", gift)
            .send()
            .await;
        done_ref.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    };
    let (org_id, t) = (s.org.id, &s.candidate.token);
    let (sid_ref, sa_ref) = (&sid, &sa);
    let saves = async move {
        // Saves acknowledged while the import was part-way written (SQLite:
        // chunks; PostgreSQL: one transaction, which never blocks saves).
        let mut interleaved = 0;
        let mut during = 0;
        let mut rev = 0;
        while !done_ref.load(std::sync::atomic::Ordering::SeqCst) {
            rev += 1;
            save(
                app_ref,
                t,
                sid_ref,
                sa_ref,
                json!({"text": format!("r{rev}")}),
                rev,
            )
            .await
            .assert(200);
            let c = invigil_store::content::count_active(app_ref.db().read(), org_id, bank)
                .await
                .unwrap();
            if c > 0 && c < u64::try_from(n).unwrap() {
                interleaved += 1;
            }
            during += 1;
        }
        (interleaved, during)
    };
    let (r, (interleaved, during)) = tokio::join!(import, saves);
    r.assert(200);
    assert_eq!(r.json()["imported"], n);
    assert_eq!(
        invigil_store::content::count_active(app.db().read(), org_id, bank)
            .await
            .unwrap(),
        u64::try_from(n).unwrap()
    );
    if app.backend == "sqlite" {
        assert!(
            interleaved > 0,
            "no save was acknowledged between the import's chunks"
        );
    } else {
        assert!(during > 0, "no save was acknowledged during the import");
    }
    let audits = app.audit_actions(&s.org).await;
    assert_eq!(
        audits.iter().filter(|a| *a == "bank.imported").count(),
        1,
        "{audits:?}"
    );
}

async fn interrupted_import_leaves_nothing(app: TestApp) {
    use invigil_server::content::service::IMPORT_CHUNK;
    let org = app.org("acme").await;
    let author = app
        .member(
            &org,
            "author@acme.org",
            &[invigil_domain::identity::Role::ExamAuthor],
        )
        .await;
    let r = app
        .post("/api/v1/orgs/acme/question-banks")
        .token(&author.token)
        .json(&json!({"title": "Interrupted"}))
        .send()
        .await;
    r.assert(201);
    let bank: Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    let n = 40 * IMPORT_CHUNK;
    let gift: String = (0..n)
        .map(|i| format!("::q{i}:: Is {i} a number? {{T}}\n\n"))
        .collect();
    let req = Request::post(format!(
        "/api/v1/orgs/acme/question-banks/{bank}/import?format=gift"
    ))
    .header("authorization", format!("Bearer {}", author.token))
    .header("content-type", "text/plain")
    .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        40000,
    ))))
    .body(Body::from(gift))
    .unwrap();
    let count = || invigil_store::content::count_active(app.db().read(), org.id, bank);
    // The request goes away (a timeout, a closed connection) part-way: on
    // SQLite after some chunks were committed; on PostgreSQL (one
    // transaction) while it runs.
    let import = app.router.clone().oneshot(req);
    let sqlite = app.backend == "sqlite";
    tokio::select! {
        r = import => panic!("the import finished first: {}", r.unwrap().status()),
        () = async {
            if sqlite {
                while count().await.unwrap() == 0 {
                    tokio::time::sleep(StdDuration::from_millis(2)).await;
                }
            } else {
                tokio::time::sleep(StdDuration::from_millis(300)).await;
            }
        } => {}
    }
    // What it wrote is deleted again.
    let deadline = std::time::Instant::now() + StdDuration::from_secs(10);
    while count().await.unwrap() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the partial import stayed"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(
        !app.audit_actions(&org)
            .await
            .contains(&"bank.imported".to_owned())
    );
}

// ---- 16: SQLite housekeeping ----

async fn wal_checkpoint_shrinks_the_wal(app: TestApp) {
    if app.backend == "postgres" {
        // No WAL file of ours: the job has nothing to do.
        assert!(
            invigil_server::jobs::wal_checkpoint(&app.state)
                .await
                .unwrap()
                .is_none()
        );
        return;
    }
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    let now = app.state.now();
    let meta = Some(json!({"pad": "x".repeat(2000)}).to_string());
    for round in 0..10 {
        let events: Vec<Event> = (0..500)
            .map(|i| Event {
                id: Uuid::now_v7(),
                org_id: s.org.id,
                session_id: sid,
                client_event_id: Some(format!("pad-{round}-{i}")),
                source: "LAPTOP".into(),
                event_type: "TAB_SWITCH".into(),
                severity: 3,
                occurred_at: now,
                received_at: now,
                meta: meta.clone(),
                frame_id: None,
            })
            .collect();
        pstore::insert_events(app.db().write(), &events)
            .await
            .unwrap();
    }
    let wal = invigil_store::db::wal_path(&app.state.config.data_dir.join("invigil.db"));
    let before = std::fs::metadata(&wal).unwrap().len();
    assert!(before > 1_000_000, "the WAL grew: {before} bytes");
    let done = invigil_server::jobs::wal_checkpoint(&app.state)
        .await
        .unwrap()
        .expect("SQLite checkpoints");
    assert!(done.truncated, "{done:?}");
    assert_eq!(done.wal_bytes_before, before);
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
    // The data is all there.
    assert_eq!(
        pstore::events_of_session(app.db().read(), sid)
            .await
            .unwrap()
            .len(),
        5000
    );
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `invigil serve`'s start-up on SQLite: the data directory is 0700, the
/// database with its -wal and -shm files and the evidence key are 0600.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = invigil_server::config::Config {
        data_dir: data.clone(),
        ..Default::default()
    };
    let state = invigil_server::app::start_state(config).await.unwrap();
    let db = data.join("invigil.db");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&invigil_store::db::wal_path(&db)), 0o600);
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    assert_eq!(mode(std::path::Path::new(&shm)), 0o600);
    assert_eq!(
        mode(&data.join(invigil_server::review::keys::KEY_FILE)),
        0o600
    );
    // Evidence blobs: 0600 files in 0700 directories.
    use invigil_store::proctoring::evidence::{EvidenceStore, LocalDiskStore};
    let store = LocalDiskStore::new(data.join("evidence"));
    let key = store.put(b"frame").await.unwrap();
    let blob = store.path_of(&key).unwrap();
    assert_eq!(mode(&blob), 0o600);
    let mut dir = blob.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(data.join("evidence"))) {
        assert_eq!(mode(d), 0o700, "{}", d.display());
        dir = d.parent();
    }
    state.background.shutdown().await;
    state.db.clone().close().await.unwrap();
}

both!(
    save_is_judged_by_its_arrival,
    sweeper_waits_for_saves_that_arrived_in_time,
    one_bad_event_job_is_refused_alone,
    large_import_is_chunked_and_lets_saves_through,
    interrupted_import_leaves_nothing,
    wal_checkpoint_shrinks_the_wal,
);
both!(config = |c| c.live_recheck_secs = 1 => live_feed_ends_when_its_token_goes);
both!(config = |c| {
    c.autosave_max_in_flight = 2;
    c.events_max_in_flight = 1;
} => overload_is_refused_early_and_loses_nothing);
