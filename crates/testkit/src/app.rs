//! The [`TestApp`]: the real router against a fresh database (a temporary
//! SQLite file, or a PostgreSQL database copied from a migrated template
//! when `INVIGIL_TEST_PG_URL` is set), driven in-process.
//!
//! `TestApp::builder(Backend::Postgres).with_config(|c| c.autosave_batch_max = 1).build()`
//! makes one; the test binary's `both!` macro runs a test body on each
//! backend through [`run`], which cleans the database up afterwards.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::Utc;
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::OnceCell;
use tower::ServiceExt;

use invigil_server::clock::{Clock, ManualClock};
use invigil_server::config::{Config, Secret};
use invigil_server::state::AppState;
use invigil_store::{Backend, Db, DbTarget, db::DbOptions};

use crate::{logs, pgadmin};

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub backend: &'static str,
    /// The PostgreSQL URL of this test's database (`None` on SQLite, whose
    /// file is `invigil.db` in the data directory): for running the
    /// `invigil` binary's commands on the same database.
    pub database_url: Option<String>,
    _dir: tempfile::TempDir,
}

/// What to clean up after a test, kept apart from the app it outlives.
pub enum Cleanup {
    None,
    DropPg { admin_url: String, name: String },
}

pub const PG_ENV: &str = "INVIGIL_TEST_PG_URL";

static PG_TEMPLATE: OnceCell<Result<String, String>> = OnceCell::const_new();

/// Set (non-empty) on CI: a PostgreSQL half without `INVIGIL_TEST_PG_URL`
/// then fails instead of passing silently.
pub const CI_ENV: &str = "CI";

/// Names of templates: `invigil_tpl_<unix seconds>_<pid>`.
const TEMPLATE_PREFIX: &str = "invigil_tpl_";

/// A template older than this is a leftover of a run whose reaper could not
/// drop it (both killed at once); the next run drops it.
const STALE_TEMPLATE_SECS: u64 = 24 * 3600;

/// Env of the reaper child: the template it drops once its parent is gone.
const REAP_ENV: &str = "INVIGIL_TEST_REAP_TEMPLATE";

/// Migrates one template database per test process; every PostgreSQL test
/// copies it (`CREATE DATABASE ... TEMPLATE`), which is much faster than
/// migrating each time.
///
/// Cleanup, correct with several test binaries (or runs) at once: the name is
/// unique to this process (`invigil_tpl_<secs>_<pid>`), so no run ever drops
/// or copies another run's template. The first test that needs it starts a
/// reaper: this same test binary running only [`template_reaper`], in its own
/// process group, with a pipe as its stdin whose write end this process holds
/// until it exits. When this process ends (however: normally, panic, kill -9),
/// the OS closes the pipe; the reaper reads end-of-file and drops the
/// template. Templates a killed reaper left behind are dropped by the next
/// run once they are a day old (no run takes that long).
async fn pg_template(admin_url: &str) -> Result<String, String> {
    PG_TEMPLATE
        .get_or_init(|| async {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?
                .as_secs();
            drop_stale_templates(admin_url, secs).await;
            let name = format!("{TEMPLATE_PREFIX}{secs}_{}", std::process::id());
            make_template(admin_url, &name).await?;
            spawn_reaper(admin_url, &name)?;
            Ok(name)
        })
        .await
        .clone()
}

/// Drops `invigil_tpl_<secs>_<pid>` templates older than a day (leftovers).
/// Templates named otherwise (older harnesses) are left alone.
async fn drop_stale_templates(admin_url: &str, now_secs: u64) {
    let Ok(admin) = pgadmin::connect(admin_url).await else {
        return;
    };
    use sea_orm::ConnectionTrait;
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'invigil\\_tpl\\_%'".to_owned(),
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .strip_prefix(TEMPLATE_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(secs, pid)| pid.parse::<u32>().ok().and(secs.parse::<u64>().ok()));
        if let Some(created) = created
            && now_secs.saturating_sub(created) > STALE_TEMPLATE_SECS
        {
            let _ = pgadmin::drop_database(&admin, &name).await;
        }
    }
    let _ = admin.close().await;
}

/// The reaper's stdin, held open until this process exits.
static REAPER: std::sync::Mutex<Option<std::process::Child>> = std::sync::Mutex::new(None);

fn spawn_reaper(admin_url: &str, name: &str) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args([REAPER_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(REAP_ENV, name)
        .env(PG_ENV, admin_url)
        .stdin(std::process::Stdio::piped())
        // Not inherited: cargo would wait for the reaper to close them.
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    {
        // Out of the terminal's process group: Ctrl-C on the run must not
        // kill the reaper before it drops the template.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let child = cmd
        .spawn()
        .map_err(|e| format!("starting the template reaper: {e}"))?;
    *REAPER.lock().map_err(|e| e.to_string())? = Some(child);
    Ok(())
}

/// The test the reaper child runs (see [`pg_template`]): every test binary
/// that uses PostgreSQL declares it, as `common::template_reaper`, calling
/// [`template_reaper`]:
///
/// ```ignore
/// #[tokio::test]
/// async fn template_reaper() {
///     invigil_testkit::template_reaper().await;
/// }
/// ```
pub const REAPER_TEST: &str = "common::template_reaper";

/// In a reaper process (see [`pg_template`]): waits until the parent test
/// process is gone, then drops its template. In a normal run: nothing.
pub async fn template_reaper() {
    let (Ok(name), Ok(admin_url)) = (std::env::var(REAP_ENV), std::env::var(PG_ENV)) else {
        return;
    };
    // End of file on stdin: the parent exited and the OS closed the pipe.
    let _ = tokio::task::spawn_blocking(|| {
        use std::io::Read;
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    if let Ok(admin) = pgadmin::connect(&admin_url).await {
        let _ = pgadmin::drop_database(&admin, &name).await;
        let _ = admin.close().await;
    }
}

/// What a PostgreSQL half does without `INVIGIL_TEST_PG_URL`: on CI (`CI`
/// set and non-empty) it fails, since a skipped half would pass silently;
/// elsewhere it says so and passes.
pub fn pg_unavailable(test: &str) {
    let ci = std::env::var(CI_ENV).is_ok_and(|v| !v.is_empty());
    assert!(
        !ci,
        "{test}: {PG_ENV} is not set but {CI_ENV} is: the PostgreSQL half cannot be \
         skipped on CI; set {PG_ENV} to a PostgreSQL admin URL"
    );
    eprintln!("{PG_ENV} unset: PostgreSQL run of {test} skipped");
}

/// Creates and migrates the template `name` unless it exists. Templates of
/// other builds are left alone: another test run may be copying from them.
async fn make_template(admin_url: &str, name: &str) -> Result<(), String> {
    let admin = pgadmin::connect(admin_url)
        .await
        .map_err(|e| e.to_string())?;
    pgadmin::lock(&admin, 7_242_001)
        .await
        .map_err(|e| e.to_string())?;
    let result = async {
        if !pgadmin::database_exists(&admin, name)
            .await
            .map_err(|e| e.to_string())?
        {
            pgadmin::create_database(&admin, name, None)
                .await
                .map_err(|e| e.to_string())?;
            let db = connect(DbTarget::Postgres {
                url: pgadmin::url_with_database(admin_url, name),
            })
            .await?;
            db.migrate().await.map_err(|e| e.to_string())?;
            db.close().await.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    }
    .await;
    let _ = pgadmin::unlock(&admin, 7_242_001).await;
    let _ = admin.close().await;
    result
}

async fn connect(target: DbTarget) -> Result<Db, String> {
    Db::connect(&DbOptions {
        target,
        max_connections: 4,
        busy_timeout: std::time::Duration::from_secs(10),
    })
    .await
    .map_err(|e| e.to_string())
}

type ConfigChange = Box<dyn FnOnce(&mut Config) + Send>;

/// Builds a [`TestApp`]: `TestApp::builder(backend).with_config(|c| ...).build()`.
#[must_use]
pub struct TestAppBuilder {
    backend: Backend,
    changes: Vec<ConfigChange>,
}

impl TestAppBuilder {
    /// Changes the configuration the app starts with (after the test
    /// defaults: a temporary data directory); several calls apply in order.
    pub fn with_config(mut self, change: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.changes.push(Box::new(change));
        self
    }

    /// A fresh, migrated database and the app on it, with what to clean up
    /// after the test ([`run`] does). `None` for PostgreSQL when
    /// `INVIGIL_TEST_PG_URL` is not set.
    pub async fn build(self) -> Option<(TestApp, Cleanup)> {
        logs::install();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let (db, cleanup, database_url) = match self.backend {
            Backend::Sqlite => (sqlite_db(&dir).await, Cleanup::None, None),
            Backend::Postgres => {
                let admin_url = std::env::var(PG_ENV).ok().filter(|s| !s.is_empty())?;
                let (db, name) = postgres_db(&admin_url).await;
                config.database_url = Some(Secret::new("postgres://test"));
                let url = pgadmin::url_with_database(&admin_url, &name);
                (db, Cleanup::DropPg { admin_url, name }, Some(url))
            }
        };
        for change in self.changes {
            change(&mut config);
        }
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let (state, router) = assemble(db, config, clock.clone());
        let app = TestApp {
            router,
            state,
            clock,
            backend: self.backend.name(),
            database_url,
            _dir: dir,
        };
        Some((app, cleanup))
    }
}

/// A migrated SQLite database in `dir`.
async fn sqlite_db(dir: &tempfile::TempDir) -> Db {
    let db = connect(DbTarget::Sqlite {
        path: dir.path().join("invigil.db"),
    })
    .await
    .expect("sqlite");
    db.migrate().await.expect("migrate");
    db
}

/// A fresh PostgreSQL database copied from this process's migrated
/// template, and its name.
async fn postgres_db(admin_url: &str) -> (Db, String) {
    let template = pg_template(admin_url).await.expect("PostgreSQL template");
    let name = format!("invigil_t_{}", uuid::Uuid::new_v4().simple());
    let admin = pgadmin::connect(admin_url)
        .await
        .expect("pg admin connection");
    if pgadmin::create_database(&admin, &name, Some(&template))
        .await
        .is_err()
    {
        // Another test run may have dropped the template: make it again.
        make_template(admin_url, &template)
            .await
            .expect("PostgreSQL template");
        pgadmin::create_database(&admin, &name, Some(&template))
            .await
            .expect("create test database");
    }
    let _ = admin.close().await;
    let db = connect(DbTarget::Postgres {
        url: pgadmin::url_with_database(admin_url, &name),
    })
    .await
    .expect("pg connect");
    (db, name)
}

/// The state and router of one app (or replica) on `db`.
fn assemble(db: Db, config: Config, clock: Arc<ManualClock>) -> (AppState, Router) {
    let clock: Arc<dyn Clock> = clock;
    let state = AppState::new(db, config, clock);
    let router = invigil_server::http::router(state.clone());
    (state, router)
}

impl TestApp {
    /// See [`TestAppBuilder`].
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            changes: Vec::new(),
        }
    }

    /// An app on a fresh SQLite database with the test configuration.
    pub async fn sqlite() -> (TestApp, Cleanup) {
        Self::builder(Backend::Sqlite)
            .build()
            .await
            .expect("SQLite needs no URL")
    }

    /// An app on a fresh PostgreSQL database with the test configuration;
    /// `None` when `INVIGIL_TEST_PG_URL` is not set.
    pub async fn postgres() -> Option<(TestApp, Cleanup)> {
        Self::builder(Backend::Postgres).build().await
    }

    /// Another replica on the same database, configuration and clock (its
    /// own in-memory state: caches, live feeds, batchers), as after a
    /// restart or beside this one.
    pub fn replica(&self) -> (AppState, Router) {
        assemble(
            self.state.db.clone(),
            (*self.state.config).clone(),
            self.clock.clone(),
        )
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// The database once every committed audit entry is on its chain: the
    /// server links them a moment after each change (and before it reads the
    /// log); a test reading the store straight away links first.
    pub async fn audit_linked(&self) -> &Db {
        invigil_store::audit::link_pending(self.db())
            .await
            .expect("link the pending audit entries");
        self.db()
    }

    /// Sends a request in-process, from 127.0.0.1 unless `ip` says otherwise.
    pub async fn send(&self, mut req: Request<Body>) -> TestResponse {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        }
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder {
            app: self,
            builder: Request::builder().method(method).uri(path),
            body: Body::empty(),
            ip: None,
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder<'_> {
        self.req(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> RequestBuilder<'_> {
        self.req(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> RequestBuilder<'_> {
        self.req(Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> RequestBuilder<'_> {
        self.req(Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> RequestBuilder<'_> {
        self.req(Method::DELETE, path)
    }

    /// `GET path` as the holder of `token`.
    pub async fn get_as(&self, path: &str, token: &str) -> TestResponse {
        self.get(path).token(token).send().await
    }

    /// `POST path` without a body as the holder of `token`.
    pub async fn post_as(&self, path: &str, token: &str) -> TestResponse {
        self.post(path).token(token).send().await
    }

    /// `DELETE path` as the holder of `token`.
    pub async fn delete_as(&self, path: &str, token: &str) -> TestResponse {
        self.delete(path).token(token).send().await
    }

    /// `POST /api/v1/exams/{exam}/sessions` as the candidate holding
    /// `token`, answering 201: the new session's JSON.
    pub async fn start_session(&self, exam: uuid::Uuid, token: &str) -> Value {
        let r = self
            .post_as(&format!("/api/v1/exams/{exam}/sessions"), token)
            .await;
        r.assert(201);
        r.json()
    }

    /// `POST path` with a JSON `body` as the holder of `token`.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> TestResponse {
        self.post(path).token(token).json(body).send().await
    }

    /// `PATCH path` with a JSON `body` as the holder of `token`.
    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> TestResponse {
        self.patch(path).token(token).json(body).send().await
    }

    /// `PUT path` with a JSON `body` as the holder of `token`.
    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> TestResponse {
        self.put(path).token(token).json(body).send().await
    }

    /// `GET path` as the holder of `token`: the JSON body, whatever the
    /// status (a body that is not JSON fails the test).
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        self.get(path).token(token).send().await.json()
    }
}

pub struct RequestBuilder<'a> {
    app: &'a TestApp,
    builder: axum::http::request::Builder,
    body: Body,
    ip: Option<[u8; 4]>,
}

impl<'a> RequestBuilder<'a> {
    pub fn json(mut self, value: &Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(serde_json::to_vec(value).expect("json"));
        self
    }
    pub fn body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = Body::from(bytes.into());
        self
    }
    pub fn token(mut self, token: &str) -> Self {
        self.builder = self
            .builder
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }
    /// A header whose value is not text (e.g. bytes above 0x7F).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        let value = axum::http::HeaderValue::from_bytes(value).expect("header value");
        self.builder = self.builder.header(name, value);
        self
    }
    pub fn ip(mut self, ip: [u8; 4]) -> Self {
        self.ip = Some(ip);
        self
    }
    pub async fn send(self) -> TestResponse {
        let mut req = self.builder.body(self.body).expect("request");
        if let Some(ip) = self.ip {
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from((ip, 40000))));
        }
        self.app.send(req).await
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn assert(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        self
    }
    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) -> Value {
        self.assert(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text()
        );
        let v = self.json();
        assert_eq!(v["code"], code, "body: {v}");
        assert_eq!(v["status"], status);
        v
    }
}

/// The longest one test may run before it fails as hung (a test that
/// waits forever would otherwise hold the whole run until CI's limit);
/// `INVIGIL_TEST_LIMIT_SECS` changes it.
fn test_limit() -> std::time::Duration {
    let secs = std::env::var("INVIGIL_TEST_LIMIT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20 * 60);
    std::time::Duration::from_secs(secs)
}

/// How long the app's background jobs and its database pool may take to
/// stop after a test.
const TEARDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs `test` on a fresh app and cleans the database up afterwards, even if
/// the test panics. A test that outlives [`test_limit`], or an app whose
/// jobs or pool do not stop within [`TEARDOWN_LIMIT`] afterwards, fails
/// with the reason instead of hanging the run.
pub async fn run<F, Fut>(setup: (TestApp, Cleanup), test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use futures_util::FutureExt;
    let (app, cleanup) = setup;
    let state = app.state.clone();
    let limit = test_limit();
    let outcome = tokio::time::timeout(
        limit,
        std::panic::AssertUnwindSafe(test(app)).catch_unwind(),
    )
    .await;
    let mut stuck = Vec::new();
    if tokio::time::timeout(TEARDOWN_LIMIT, state.background.shutdown())
        .await
        .is_err()
    {
        stuck.push("the background jobs did not stop");
    }
    if tokio::time::timeout(TEARDOWN_LIMIT, state.db.clone().close())
        .await
        .is_err()
    {
        stuck.push("the database pool did not close (a connection is still in use)");
    }
    drop(state);
    if let Cleanup::DropPg { admin_url, name } = cleanup
        && let Ok(admin) = pgadmin::connect(&admin_url).await
    {
        let _ = pgadmin::drop_database(&admin, &name).await;
        let _ = admin.close().await;
    }
    match outcome {
        Err(_) => panic!("the test did not finish within {limit:?}: it hangs"),
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Ok(Ok(())) if !stuck.is_empty() => {
            panic!(
                "after the test, within {TEARDOWN_LIMIT:?}: {}",
                stuck.join("; ")
            )
        }
        Ok(Ok(())) => {}
    }
}
