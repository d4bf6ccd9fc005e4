//! Autosave throughput and latency (design principle 6).
//!
//! `cargo bench -p invigil-server --bench autosave`
//!
//! For each backend (SQLite in a temporary directory with `synchronous=FULL`;
//! PostgreSQL when `INVIGIL_BENCH_PG_URL` or `INVIGIL_TEST_PG_URL` names a
//! server where a database may be created) and each write mode (group commit
//! with the default `autosave_batch_max`, and one transaction per save with
//! `autosave_batch_max = 1`), the bench:
//! 1. creates a fresh database and seeds an exam with one candidate per
//!    client ([`invigil_server::loadgen::seed_exam`]);
//! 2. serves the real router in-process on 127.0.0.1 (an ephemeral port);
//! 3. lets every client start its session, then save answers with increasing
//!    revisions over its own keep-alive connection, one request at a time,
//!    for a warm-up and then the measured window;
//! 4. prints acknowledged saves per second and p50/p99/max latency.
//!
//! The third mode, "during import", uses group commit while an exam author
//! imports a GIFT file of `INVIGIL_BENCH_IMPORT_MIB` MiB (16, the route's
//! limit) into a DRAFT bank: only saves sent while the import runs are
//! measured, and the import's own time and status are printed (issue 9:
//! autosave p99 stays under 100 ms, the import finishes within the request
//! timeout). `INVIGIL_BENCH_MODES` picks modes: `group,tx,import` (all).
//!
//! Clients and server share the machine (and the Tokio runtime), so the
//! numbers include the load generator's own cost. Knobs:
//! `INVIGIL_BENCH_CLIENTS` (200), `INVIGIL_BENCH_SECS` (10),
//! `INVIGIL_BENCH_WARMUP_SECS` (2), `INVIGIL_BENCH_ONLY` (`sqlite` or
//! `postgres`), `INVIGIL_BENCH_MODES`, `INVIGIL_BENCH_IMPORT_MIB`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use invigil_server::clock::SystemClock;
use invigil_server::config::{Config, Secret};
use invigil_server::loadgen::{self, http::Client};
use invigil_server::state::AppState;
use invigil_store::pgadmin;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    GroupCommit,
    TxPerSave,
    DuringImport,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::GroupCommit => "group commit",
            Mode::TxPerSave => "one tx per save",
            Mode::DuringImport => "during import",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Mode::GroupCommit => "group",
            Mode::TxPerSave => "tx",
            Mode::DuringImport => "import",
        }
    }
}

/// How the import of the "during import" mode went.
struct ImportRun {
    bytes: usize,
    questions: usize,
    status: u16,
    took: Duration,
}

struct Settings {
    clients: usize,
    measure: Duration,
    warmup: Duration,
    pg_admin_url: Option<String>,
    only: Option<String>,
    modes: Vec<Mode>,
    import_mib: usize,
}

fn env_number(name: &str, default: u64) -> anyhow::Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{name} must be a whole number")),
        _ => Ok(default),
    }
}

fn settings() -> anyhow::Result<Settings> {
    let pg_admin_url = ["INVIGIL_BENCH_PG_URL", "INVIGIL_TEST_PG_URL"]
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()));
    Ok(Settings {
        clients: usize::try_from(env_number("INVIGIL_BENCH_CLIENTS", 200)?)?.max(1),
        measure: Duration::from_secs(env_number("INVIGIL_BENCH_SECS", 10)?.max(1)),
        warmup: Duration::from_secs(env_number("INVIGIL_BENCH_WARMUP_SECS", 2)?),
        pg_admin_url,
        only: std::env::var("INVIGIL_BENCH_ONLY")
            .ok()
            .filter(|v| !v.is_empty()),
        modes: {
            let wanted = std::env::var("INVIGIL_BENCH_MODES")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| "group,tx,import".into());
            [Mode::GroupCommit, Mode::TxPerSave, Mode::DuringImport]
                .into_iter()
                .filter(|m| wanted.split(',').any(|w| w.trim() == m.key()))
                .collect()
        },
        import_mib: usize::try_from(env_number("INVIGIL_BENCH_IMPORT_MIB", 16)?)?.max(1),
    })
}

/// One row of the result table.
struct Row {
    backend: Backend,
    mode: Mode,
    saves: u64,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    refused: u64,
    import: Option<ImportRun>,
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench` (and a filter); nothing to parse.
    let s = settings()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut backends = vec![Backend::Sqlite];
    if s.pg_admin_url.is_some() {
        backends.push(Backend::Postgres);
    } else {
        eprintln!("INVIGIL_BENCH_PG_URL / INVIGIL_TEST_PG_URL unset: PostgreSQL skipped");
    }
    backends.retain(|b| s.only.as_deref().is_none_or(|o| o == b.name()));
    let mut rows = Vec::new();
    for backend in backends {
        for mode in s.modes.clone() {
            eprintln!(
                "running {} / {} with {} clients for {:?} (+{:?} warm-up) ...",
                backend.name(),
                mode.name(),
                s.clients,
                s.measure,
                s.warmup
            );
            let row = runtime.block_on(run_case(&s, backend, mode))?;
            eprintln!("  {:.0} saves/s, p99 {:.1} ms", row.per_sec, ms(row.p99));
            rows.push(row);
        }
    }
    print_table(&s, &rows);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn print_table(s: &Settings, rows: &[Row]) {
    println!();
    println!(
        "autosave: {} clients on loopback, {:?} measured after {:?} warm-up, {} CPUs",
        s.clients,
        s.measure,
        s.warmup,
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!("| backend  | mode            | saves/s | p50 ms | p99 ms | max ms | saves  | 503s |");
    println!("|----------|-----------------|--------:|-------:|-------:|-------:|-------:|-----:|");
    for r in rows {
        println!(
            "| {:8} | {:15} | {:7.0} | {:6.1} | {:6.1} | {:6.1} | {:6} | {:4} |",
            r.backend.name(),
            r.mode.name(),
            r.per_sec,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.saves,
            r.refused
        );
    }
    for r in rows {
        if let Some(i) = &r.import {
            println!(
                "import on {}: {:.1} MiB GIFT, {} questions, answered {} in {:.1} s (saves measured only while it ran)",
                r.backend.name(),
                i.bytes as f64 / (1024.0 * 1024.0),
                i.questions,
                i.status,
                i.took.as_secs_f64()
            );
        }
    }
}

/// A GIFT file of about `bytes` bytes of multiple-choice questions.
fn gift_of_size(bytes: usize) -> (String, usize) {
    let mut out = String::with_capacity(bytes);
    let mut n = 0;
    loop {
        let q = format!(
            "::Item {n}:: Which statement about item {n} of the imported load-test bank holds? \
             The stem is padded to look like a real question of a few lines. {{\n\
             =The first statement holds\n~The second statement holds\n\
             ~The third statement holds\n~None of them holds\n}}\n\n"
        );
        if out.len() + q.len() > bytes {
            break;
        }
        out.push_str(&q);
        n += 1;
    }
    (out, n)
}

/// An exam author (signed in) and a DRAFT bank to import into.
async fn import_target(state: &AppState, org_id: Uuid) -> anyhow::Result<(String, Uuid)> {
    use invigil_domain::identity::Role;
    use invigil_store::identity::{AccountStatus, users};
    let now = state.now();
    let tx = state.db.begin().await?;
    let user = users::create(
        &tx,
        users::NewUser {
            email: format!("importer-{}@load.invigil.test", Uuid::now_v7().simple()),
            name: "Load Importer".into(),
            status: AccountStatus::Active,
            password_hash: None,
            is_super_admin: false,
            email_verified: true,
        },
        now,
    )
    .await?;
    invigil_store::tenancy::ensure_member(&tx, org_id, user.id, now).await?;
    invigil_store::tenancy::add_roles(
        &tx,
        org_id,
        user.id,
        &[(Role::ExamAuthor.as_str().to_owned(), None)],
        now,
    )
    .await?;
    let (_, tokens) = invigil_server::identity::service::open_session(
        &tx,
        &user,
        &invigil_server::http::auth::ClientInfo::default(),
        None,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("sign in the importer: {e}"))?;
    let bank = invigil_store::content::create_bank(
        &tx,
        org_id,
        invigil_store::content::NewBank {
            title: "Load: import".into(),
            description: None,
            tags: vec![],
            department_id: None,
            author_id: user.id,
        },
        invigil_domain::content::BankStatus::Draft,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((tokens.access_token, bank.id))
}

/// Sends the import through the real router (in process, with its request
/// timeout) and times it.
async fn run_import(
    router: axum::Router,
    org_slug: String,
    bank: Uuid,
    token: String,
    text: String,
    questions: usize,
) -> anyhow::Result<ImportRun> {
    use tower::ServiceExt;
    let bytes = text.len();
    let req = axum::http::Request::post(format!(
        "/api/v1/orgs/{org_slug}/question-banks/{bank}/import?format=gift"
    ))
    .header("authorization", format!("Bearer {token}"))
    .header("content-type", "text/plain")
    .extension(axum::extract::ConnectInfo(SocketAddr::from((
        [127, 0, 0, 1],
        40000,
    ))))
    .body(axum::body::Body::from(text))?;
    let started = Instant::now();
    let resp = router.oneshot(req).await?;
    let status = resp.status().as_u16();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await?;
    let took = started.elapsed();
    if status != 200 {
        eprintln!(
            "  import answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(ImportRun {
        bytes,
        questions,
        status,
        took,
    })
}

/// A fresh database for one case; dropped (PostgreSQL) when done.
struct Database {
    dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Database {
    async fn create(s: &Settings, backend: Backend) -> anyhow::Result<Database> {
        let dir = tempfile::tempdir()?;
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin_url = s
                    .pg_admin_url
                    .clone()
                    .context("no PostgreSQL URL configured")?;
                let name = format!("invigil_bench_{}", Uuid::new_v4().simple());
                let admin = pgadmin::connect(&admin_url).await?;
                pgadmin::create_database(&admin, &name, None).await?;
                admin.close().await?;
                Some((admin_url, name))
            }
        };
        Ok(Database { dir, pg })
    }

    fn config(&self, mode: Mode) -> Config {
        let defaults = Config::default();
        Config {
            data_dir: self.dir.path().to_path_buf(),
            database_url: self
                .pg
                .as_ref()
                .map(|(url, name)| Secret::new(pgadmin::url_with_database(url, name))),
            autosave_batch_max: match mode {
                Mode::GroupCommit | Mode::DuringImport => defaults.autosave_batch_max,
                Mode::TxPerSave => 1,
            },
            ..defaults
        }
    }

    async fn drop_pg(self) -> anyhow::Result<()> {
        if let Some((admin_url, name)) = &self.pg {
            let admin = pgadmin::connect(admin_url).await?;
            pgadmin::drop_database(&admin, name).await?;
            admin.close().await?;
        }
        Ok(())
    }
}

async fn run_case(s: &Settings, backend: Backend, mode: Mode) -> anyhow::Result<Row> {
    let database = Database::create(s, backend).await?;
    let outcome = measure(s, &database, backend, mode).await;
    let dropped = database.drop_pg().await;
    let row = outcome?;
    dropped?;
    Ok(row)
}

/// What one client saw in the measured window.
#[derive(Default)]
struct ClientStats {
    latencies_us: Vec<u32>,
    refused: u64,
}

async fn measure(
    s: &Settings,
    database: &Database,
    backend: Backend,
    mode: Mode,
) -> anyhow::Result<Row> {
    let config = database.config(mode);
    let db = invigil_server::app::open_db(&config).await?;
    let state = AppState::new(db, config, Arc::new(SystemClock));
    let exam = loadgen::seed_exam(&state, s.clients).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let stop_server = CancellationToken::new();
    let server = {
        let router = invigil_server::http::router(state.clone());
        let stop = stop_server.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
        })
    };

    // "During import": saves count only while the import runs.
    let importing = (mode == Mode::DuringImport).then(|| Arc::new(AtomicBool::new(false)));
    let import_job = match &importing {
        None => None,
        Some(flag) => {
            let (token, bank) = import_target(&state, exam.org_id).await?;
            let (text, questions) = gift_of_size(s.import_mib * 1024 * 1024 - 4096);
            // The parse alone (before any write), for reference.
            let parsing = Instant::now();
            let parsed =
                invigil_domain::content::import(invigil_domain::content::ImportFormat::Gift, &text);
            eprintln!(
                "  parsing {} questions ({} errors) takes {:.2} s",
                parsed.items.len(),
                parsed.errors.len(),
                parsing.elapsed().as_secs_f64()
            );
            Some((flag.clone(), token, bank, text, questions))
        }
    };

    let started = Instant::now();
    let warm_until = started + s.warmup;
    // The window opens when every session is started (or the warm-up ends).
    let tasks: Vec<_> = exam
        .candidates
        .iter()
        .enumerate()
        .map(|(n, c)| {
            tokio::spawn(client_loop(
                addr,
                exam.exam_id,
                c.access_token.clone(),
                n,
                warm_until,
                s.measure,
                importing.clone(),
            ))
        })
        .collect();
    let import_task = import_job.map(|(flag, token, bank, text, questions)| {
        let router = invigil_server::http::router(state.clone());
        let slug = exam.org_slug.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(warm_until.into()).await;
            flag.store(true, Ordering::SeqCst);
            let run = run_import(router, slug, bank, token, text, questions).await;
            flag.store(false, Ordering::SeqCst);
            run
        })
    });
    let import = match import_task {
        Some(t) => Some(t.await??),
        None => None,
    };
    let mut stats = Vec::with_capacity(tasks.len());
    let mut first_error = None;
    for t in tasks {
        match t.await? {
            Ok(st) => stats.push(st),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }

    stop_server.cancel();
    server.await??;
    state.background.shutdown().await;
    state.db.clone().close().await?;
    if let Some(e) = first_error {
        return Err(e);
    }

    let refused = stats.iter().map(|c| c.refused).sum();
    let mut all: Vec<u32> = stats.into_iter().flat_map(|c| c.latencies_us).collect();
    all.sort_unstable();
    if all.is_empty() {
        bail!("no save was acknowledged in the measured window");
    }
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        Duration::from_micros(u64::from(all.get(i).copied().unwrap_or(0)))
    };
    let saves = all.len() as u64;
    Ok(Row {
        backend,
        mode,
        saves,
        per_sec: saves as f64
            / import
                .as_ref()
                .map_or(s.measure, |i| i.took.min(s.measure))
                .as_secs_f64()
                .max(0.001),
        p50: pct(0.50),
        p99: pct(0.99),
        max: Duration::from_micros(u64::from(all.last().copied().unwrap_or(0))),
        refused,
        import,
    })
}

/// Starts the candidate's session, then saves until the window closes,
/// recording the latency of every acknowledged save inside the window.
async fn client_loop(
    addr: SocketAddr,
    exam_id: Uuid,
    token: String,
    client_no: usize,
    warm_until: Instant,
    window: Duration,
    only_while: Option<Arc<AtomicBool>>,
) -> anyhow::Result<ClientStats> {
    let mut client = Client::new(addr, REQUEST_TIMEOUT);
    let r = client
        .post_json(
            &format!("/api/v1/exams/{exam_id}/sessions"),
            Some(&token),
            None,
        )
        .await?;
    if r.status != 201 {
        bail!("start answered {}: {}", r.status, r.text());
    }
    let v = r.json()?;
    let session_id = v["session_id"].as_str().context("session_id")?.to_owned();
    let questions: Vec<(String, String, usize)> = v["questions"]
        .as_array()
        .context("questions")?
        .iter()
        .filter_map(|q| {
            Some((
                q["id"].as_str()?.to_owned(),
                q["type"].as_str()?.to_owned(),
                q["options"].as_array().map_or(0, Vec::len),
            ))
        })
        .collect();
    if questions.is_empty() {
        bail!("the session has no questions");
    }

    let mut stats = ClientStats::default();
    let mut window_end: Option<Instant> = None;
    let mut revision: i64 = 0;
    loop {
        let now = Instant::now();
        // Everyone's window is the same: it opens at `warm_until`.
        if now >= warm_until && window_end.is_none() {
            window_end = Some(warm_until + window);
        }
        if window_end.is_some_and(|end| now >= end) {
            break;
        }
        revision += 1;
        let slot = usize::try_from(revision).unwrap_or(0);
        let (qid, kind, options) = &questions[slot % questions.len()];
        let response = if kind == "single_choice" {
            json!({ "option": slot % (*options).max(1) })
        } else {
            json!({ "text": format!("client {client_no} revision {revision}") })
        };
        let body = json!({ "response": response, "revision": revision, "latency_ms": 1500 });
        let path = format!("/api/v1/sessions/{session_id}/answers/{qid}");
        let sent = Instant::now();
        let r = client.put_json(&path, Some(&token), &body).await?;
        let took = sent.elapsed();
        let in_window = sent >= warm_until
            && only_while
                .as_ref()
                .is_none_or(|flag| flag.load(Ordering::SeqCst));
        match r.status {
            200 if in_window => stats
                .latencies_us
                .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
            200 => {}
            503 => {
                if in_window {
                    stats.refused += 1;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => bail!("save answered {other}: {}", r.text()),
        }
    }
    Ok(stats)
}
