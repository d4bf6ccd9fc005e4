//! Design principle 1 against the real binary: concurrent clients autosave
//! over loopback, the server is killed with SIGKILL in the middle of the
//! load, restarted on the same database, and every save it had acknowledged
//! with 200 must still be there (the same revision with the same response,
//! or a higher revision).
//!
//! Each backend gets its own test (`kill::acknowledged_saves_survive_kill_9::
//! {sqlite,postgres}`, the PostgreSQL one skipped without
//! `INVIGIL_TEST_PG_URL`): SQLite in a temporary data directory, PostgreSQL in
//! a fresh database passed to the child as `DATABASE_URL`. Everything is
//! bounded: request and start-up timeouts, saves per client, the whole run.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::{Child, Command};
use uuid::Uuid;

use invigil_server::clock::SystemClock;
use invigil_server::config::{Config, Secret};
use invigil_server::state::AppState;
use invigil_testkit::loadgen::http::Client;
use invigil_testkit::loadgen::{self, LoadExam};
use invigil_testkit::pgadmin;

use crate::common::PG_ENV;

/// Concurrent clients, one candidate (and one session) each.
const CLIENTS: usize = 32;
/// How long the load runs before the kill.
const LOAD_BEFORE_KILL: Duration = Duration::from_secs(2);
/// Upper bound on saves per client, whatever the timing.
const MAX_SAVES_PER_CLIENT: i64 = 20_000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
/// The whole scenario, from seeding to the last check.
const TEST_TIMEOUT: Duration = Duration::from_secs(240);

mod acknowledged_saves_survive_kill_9 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        super::run(super::Target {
            dir,
            database_url: None,
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(admin_url) = std::env::var(super::PG_ENV).ok().filter(|s| !s.is_empty()) else {
            eprintln!("{} unset: PostgreSQL run skipped", super::PG_ENV);
            return;
        };
        let name = format!("invigil_kill_{}", uuid::Uuid::new_v4().simple());
        let admin = super::pgadmin::connect(&admin_url)
            .await
            .expect("pg admin connection");
        super::pgadmin::create_database(&admin, &name, None)
            .await
            .expect("create database");
        let dir = tempfile::tempdir().expect("tempdir");
        let target = super::Target {
            dir,
            database_url: Some(super::pgadmin::url_with_database(&admin_url, &name)),
        };
        // Drop the database even when the scenario panics.
        let outcome = {
            use futures_util::FutureExt;
            std::panic::AssertUnwindSafe(super::run(target))
                .catch_unwind()
                .await
        };
        let _ = super::pgadmin::drop_database(&admin, &name).await;
        let _ = admin.close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Where the server keeps its data: the data directory (SQLite's file, the
/// evidence key) and, for PostgreSQL, the database URL.
struct Target {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Target {
    fn config(&self) -> Config {
        Config {
            data_dir: self.dir.path().to_path_buf(),
            database_url: self.database_url.clone().map(Secret::new),
            ..Config::default()
        }
    }
}

/// A running `invigil serve`; killed with SIGKILL when dropped, so a failing
/// test never leaves it behind.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    async fn spawn(target: &Target) -> Server {
        let addr = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_invigil"));
        // Only what this test sets: no stray INVIGIL_* or DATABASE_URL of the
        // environment, no ./invigil.toml of the working directory.
        for (name, _) in std::env::vars() {
            if name.starts_with("INVIGIL_") || name == "DATABASE_URL" {
                cmd.env_remove(name);
            }
        }
        cmd.current_dir(target.dir.path())
            .arg("--data-dir")
            .arg(target.dir.path())
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .env("INVIGIL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if let Some(url) = &target.database_url {
            cmd.env("DATABASE_URL", url);
        }
        let child = cmd.spawn().expect("spawn invigil");
        let mut server = Server { child, addr };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&mut self) {
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        let mut client = Client::new(self.addr, Duration::from_secs(2));
        loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                panic!("invigil exited during start-up: {status}");
            }
            if let Ok(r) = client.get("/healthz", None).await
                && r.status == 200
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "invigil not healthy within {STARTUP_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL (no shutdown hook runs, nothing is flushed) and reap.
    async fn kill_9(mut self) {
        self.child.kill().await.expect("SIGKILL invigil");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A port that was free a moment ago (the child binds it).
fn free_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("local addr")
}

/// Migrates and seeds in-process, then closes everything, so only the child
/// has the database open while it is killed.
async fn prepare(target: &Target) -> LoadExam {
    let config = target.config();
    let db = invigil_server::app::open_db(&config)
        .await
        .expect("open and migrate");
    let state = AppState::new(db, config, Arc::new(SystemClock));
    let exam = loadgen::seed_exam(&state, CLIENTS)
        .await
        .expect("seed the exam");
    state.background.shutdown().await;
    state.db.clone().close().await.expect("close");
    exam
}

/// A question as served: id, type, option count.
#[derive(Debug, Clone)]
struct Served {
    id: Uuid,
    kind: String,
    options: usize,
}

#[derive(Debug)]
struct Taking {
    client: Client,
    token: String,
    session_id: Uuid,
    questions: Vec<Served>,
}

/// One acknowledged save.
#[derive(Debug, Clone)]
struct Ack {
    session_id: Uuid,
    question_id: Uuid,
    revision: i64,
    response: Value,
}

#[derive(Debug, Default)]
struct ClientLog {
    acks: Vec<Ack>,
    overloaded: u64,
    /// Transport errors once the server was killed (expected).
    cut_off: u64,
    /// Anything that must not happen: other statuses, errors before the kill.
    failures: Vec<String>,
}

async fn start_session(addr: SocketAddr, exam_id: Uuid, token: String) -> Taking {
    let mut client = Client::new(addr, REQUEST_TIMEOUT);
    let r = client
        .post_json(
            &format!("/api/v1/exams/{exam_id}/sessions"),
            Some(&token),
            None,
        )
        .await
        .expect("start request");
    assert_eq!(r.status, 201, "start: {}", r.text());
    let v = r.json().expect("start JSON");
    let session_id: Uuid = serde_json::from_value(v["session_id"].clone()).expect("session_id");
    let questions: Vec<Served> = v["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| Served {
            id: serde_json::from_value(q["id"].clone()).expect("question id"),
            kind: q["type"].as_str().unwrap_or_default().to_owned(),
            options: q["options"].as_array().map_or(0, Vec::len),
        })
        .collect();
    assert_eq!(questions.len(), loadgen::QUESTIONS);
    Taking {
        client,
        token,
        session_id,
        questions,
    }
}

fn response_for(q: &Served, client_no: usize, revision: i64) -> Value {
    match q.kind.as_str() {
        "single_choice" => {
            json!({ "option": usize::try_from(revision).unwrap_or(0) % q.options.max(1) })
        }
        _ => json!({ "text": format!("client {client_no} revision {revision}") }),
    }
}

/// Saves answers with increasing revisions until stopped, cut off or at
/// the bound; logs what was acknowledged.
async fn drive(mut t: Taking, client_no: usize, killed: Arc<AtomicBool>) -> ClientLog {
    let mut log = ClientLog::default();
    for revision in 1..=MAX_SAVES_PER_CLIENT {
        if killed.load(Ordering::SeqCst) {
            break;
        }
        let q = &t.questions[usize::try_from(revision).unwrap_or(0) % t.questions.len()];
        let response = response_for(q, client_no, revision);
        let path = format!("/api/v1/sessions/{}/answers/{}", t.session_id, q.id);
        let body = json!({ "response": response, "revision": revision, "latency_ms": 10 });
        match t.client.put_json(&path, Some(&t.token), &body).await {
            Ok(r) if r.status == 200 => {
                let stored = r.json().ok().and_then(|v| v["revision"].as_i64());
                if stored != Some(revision) {
                    log.failures.push(format!(
                        "save of revision {revision} acknowledged with {stored:?}: {}",
                        r.text()
                    ));
                }
                log.acks.push(Ack {
                    session_id: t.session_id,
                    question_id: q.id,
                    revision,
                    response,
                });
            }
            Ok(r) if r.status == 503 => {
                log.overloaded += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(r) => {
                log.failures
                    .push(format!("save answered {}: {}", r.status, r.text()));
                break;
            }
            Err(e) if killed.load(Ordering::SeqCst) => {
                let _ = e;
                log.cut_off += 1;
                break;
            }
            Err(e) => {
                log.failures
                    .push(format!("save failed before the kill: {e}"));
                break;
            }
        }
    }
    log
}

async fn run(target: Target) {
    tokio::time::timeout(TEST_TIMEOUT, scenario(&target))
        .await
        .expect("the kill test took too long");
}

async fn scenario(target: &Target) {
    let backend = if target.database_url.is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let exam = prepare(target).await;
    let server = Server::spawn(target).await;

    // Every candidate starts a session on the connection it then saves on.
    let starts: Vec<_> = exam
        .candidates
        .iter()
        .map(|c| {
            tokio::spawn(start_session(
                server.addr,
                exam.exam_id,
                c.access_token.clone(),
            ))
        })
        .collect();
    let mut takings = Vec::with_capacity(starts.len());
    for s in starts {
        takings.push(s.await.expect("start task"));
    }
    let sessions: Vec<(Uuid, String)> = takings
        .iter()
        .map(|t| (t.session_id, t.token.clone()))
        .collect();

    // Load, then SIGKILL in the middle of it.
    let killed = Arc::new(AtomicBool::new(false));
    let drivers: Vec<_> = takings
        .into_iter()
        .enumerate()
        .map(|(n, t)| tokio::spawn(drive(t, n, killed.clone())))
        .collect();
    tokio::time::sleep(LOAD_BEFORE_KILL).await;
    killed.store(true, Ordering::SeqCst);
    server.kill_9().await;

    let mut acks = Vec::new();
    let (mut overloaded, mut cut_off) = (0, 0);
    let mut failures = Vec::new();
    for d in drivers {
        let log = tokio::time::timeout(REQUEST_TIMEOUT * 2, d)
            .await
            .expect("a client did not stop after the kill")
            .expect("client task");
        acks.extend(log.acks);
        overloaded += log.overloaded;
        cut_off += log.cut_off;
        failures.extend(log.failures);
    }
    assert!(
        failures.is_empty(),
        "{} unexpected outcomes, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(
        acks.len() >= CLIENTS,
        "too few saves acknowledged before the kill ({}) to prove anything",
        acks.len()
    );
    assert!(
        cut_off > 0,
        "no client was cut off: the kill did not land mid-load"
    );

    // Restart on the same database and read every session back.
    let server = Server::spawn(target).await;
    let mut client = Client::new(server.addr, REQUEST_TIMEOUT);
    let mut stored: HashMap<(Uuid, Uuid), (i64, Value)> = HashMap::new();
    for (session_id, token) in &sessions {
        let r = client
            .get(&format!("/api/v1/sessions/{session_id}"), Some(token))
            .await
            .expect("read the session after restart");
        assert_eq!(r.status, 200, "session after restart: {}", r.text());
        let v = r.json().expect("session JSON");
        assert_eq!(v["status"], "IN_PROGRESS");
        for (qid, a) in v["answers"].as_object().expect("answers") {
            let qid: Uuid = qid.parse().expect("question id");
            let revision = a["revision"].as_i64().expect("revision");
            stored.insert((*session_id, qid), (revision, a["response"].clone()));
        }
    }
    let mut lost = Vec::new();
    for ack in &acks {
        match stored.get(&(ack.session_id, ack.question_id)) {
            Some((rev, _)) if *rev > ack.revision => {}
            Some((rev, resp)) if *rev == ack.revision && *resp == ack.response => {}
            other => lost.push(format!(
                "session {} question {} acknowledged revision {} {}, stored {other:?}",
                ack.session_id, ack.question_id, ack.revision, ack.response
            )),
        }
    }
    eprintln!(
        "kill test ({backend}): {} saves acknowledged by {CLIENTS} clients in {LOAD_BEFORE_KILL:?}, \
         {overloaded} answered 503, {cut_off} clients cut off by SIGKILL; \
         after restart {} answers stored ({} of them acknowledged), {} acknowledged saves lost",
        acks.len(),
        stored.len(),
        acks.iter()
            .map(|a| (a.session_id, a.question_id))
            .collect::<std::collections::HashSet<_>>()
            .len(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged saves lost or gone backwards, first: {}",
        lost.len(),
        lost[0]
    );
    server.kill_9().await;
}
