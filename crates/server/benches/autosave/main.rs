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
//!    client ([`invigil_testkit::loadgen::seed_exam`]);
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

mod database;
mod import;
mod run;

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
use invigil_server::state::AppState;
use invigil_testkit::loadgen::{self, http::Client};
use invigil_testkit::pgadmin;

use database::Database;
use import::{ImportRun, gift_of_size, import_target, run_import};
use run::run_case;

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
