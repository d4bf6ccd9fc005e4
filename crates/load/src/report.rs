//! What a run measured: per operation a histogram of acknowledged requests
//! and the failures by status, the live progress line, the table, and the
//! JSON report (`--report FILE`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::histogram::Histogram;

/// The operations measured, in report order.
pub const OPERATIONS: [Op; 6] = [
    Op::Login,
    Op::Start,
    Op::Autosave,
    Op::Events,
    Op::Heartbeat,
    Op::Submit,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Login,
    Start,
    Autosave,
    Events,
    Heartbeat,
    Submit,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Login => "login",
            Op::Start => "start",
            Op::Autosave => "autosave",
            Op::Events => "events",
            Op::Heartbeat => "heartbeat",
            Op::Submit => "submit",
        }
    }
}

/// One operation's recordings.
#[derive(Debug, Default)]
struct OpStats {
    ok: Histogram,
    /// Failures by HTTP status; 0 is a transport failure or a timeout.
    errors: BTreeMap<u16, u64>,
}

/// The recordings of a run, shared by every candidate task.
#[derive(Debug, Default)]
pub struct Recorder {
    ops: Mutex<HashMap<&'static str, OpStats>>,
    /// Acknowledged requests so far (for the progress line).
    acked: [AtomicU64; 6],
    failed: AtomicU64,
}

fn slot(op: Op) -> usize {
    OPERATIONS.iter().position(|o| *o == op).unwrap_or(0)
}

impl Recorder {
    pub fn ok(&self, op: Op, took: Duration) {
        if let Ok(mut ops) = self.ops.lock() {
            ops.entry(op.name()).or_default().ok.record(took);
        }
        if let Some(a) = self.acked.get(slot(op)) {
            a.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn failed(&self, op: Op, status: u16) {
        if let Ok(mut ops) = self.ops.lock() {
            *ops.entry(op.name())
                .or_default()
                .errors
                .entry(status)
                .or_default() += 1;
        }
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// `12s  login 20  start 1500  autosave 3400 ...  errors 0`.
    pub fn progress(&self, elapsed: Duration) -> String {
        let mut line = format!("{:>4}s ", elapsed.as_secs());
        for op in OPERATIONS {
            let n = self
                .acked
                .get(slot(op))
                .map_or(0, |a| a.load(Ordering::Relaxed));
            line.push_str(&format!(" {} {n}", op.name()));
        }
        line.push_str(&format!("  errors {}", self.failed.load(Ordering::Relaxed)));
        line
    }

    /// The operations' summary over `window` (the time the operations ran).
    pub fn summary(&self, window: Duration) -> BTreeMap<String, OpSummary> {
        let ops = match self.ops.lock() {
            Ok(ops) => ops,
            Err(poisoned) => poisoned.into_inner(),
        };
        let secs = window.as_secs_f64().max(0.001);
        OPERATIONS
            .iter()
            .map(|op| {
                let s = ops.get(op.name());
                let h = s.map(|s| s.ok.clone()).unwrap_or_default();
                let errors_by_status = s.map(|s| s.errors.clone()).unwrap_or_default();
                let ms = |d: Duration| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
                (
                    op.name().to_owned(),
                    OpSummary {
                        count: h.count(),
                        errors: errors_by_status.values().sum(),
                        per_s: (h.count() as f64 / secs * 10.0).round() / 10.0,
                        p50_ms: ms(h.quantile(0.50)),
                        p95_ms: ms(h.quantile(0.95)),
                        p99_ms: ms(h.quantile(0.99)),
                        max_ms: ms(h.max()),
                        errors_by_status,
                    },
                )
            })
            .collect()
    }
}

/// One operation in the report.
#[derive(Debug, Clone, Serialize)]
pub struct OpSummary {
    /// Acknowledged requests.
    pub count: u64,
    /// Failed requests (any status but the expected one, or no answer).
    pub errors: u64,
    pub per_s: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// For the table only.
    #[serde(skip)]
    pub errors_by_status: BTreeMap<u16, u64>,
}

/// A raw-baseline figure.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rate {
    pub per_s: f64,
}

/// The JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub backend: String,
    pub candidates: usize,
    pub duration_s: f64,
    pub operations: BTreeMap<String, OpSummary>,
    pub lost: u64,
    /// `autosave` and `events` written straight through the store (empty
    /// without `--baseline`).
    pub baseline: BTreeMap<String, Rate>,
}

/// What the table says about the machine and the run (not in the JSON).
#[derive(Debug, Clone)]
pub struct Context {
    pub cores: usize,
    pub backend: String,
    pub sqlite_sync: Option<String>,
    pub mode: &'static str,
    pub urls: Vec<String>,
    pub event_batch: usize,
}

impl Report {
    /// The human table: machine, one row per operation, baseline ratios.
    pub fn table(&self, ctx: &Context) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "machine: {} cores; backend {}{}; {} mode, {} candidates, {:.1} s, {} server(s): {}\n",
            ctx.cores,
            ctx.backend,
            ctx.sqlite_sync
                .as_ref()
                .map(|s| format!(" (synchronous={s})"))
                .unwrap_or_default(),
            ctx.mode,
            self.candidates,
            self.duration_s,
            ctx.urls.len(),
            ctx.urls.join(" "),
        ));
        out.push_str(&format!(
            "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  errors by status\n",
            "operation", "count", "per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms"
        ));
        for op in OPERATIONS {
            let Some(s) = self.operations.get(op.name()) else {
                continue;
            };
            let errors = if s.errors_by_status.is_empty() {
                "-".to_owned()
            } else {
                s.errors_by_status
                    .iter()
                    .map(|(status, n)| {
                        let status = if *status == 0 {
                            "no answer".to_owned()
                        } else {
                            status.to_string()
                        };
                        format!("{status}: {n}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "{:<10} {:>9} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {errors}\n",
                op.name(),
                s.count,
                s.per_s,
                s.p50_ms,
                s.p95_ms,
                s.p99_ms,
                s.max_ms
            ));
        }
        if let Some(ev) = self.operations.get("events") {
            out.push_str(&format!(
                "events are requests of {} events: {:.0} events/s\n",
                ctx.event_batch,
                ev.per_s * ctx.event_batch as f64
            ));
        }
        for (name, raw) in &self.baseline {
            if ctx.mode == "paced" {
                // Paced HTTP rates are the offered load, not a limit.
                out.push_str(&format!(
                    "baseline {name}: raw {:.0}/s (HTTP/raw: see a --saturate run)\n",
                    raw.per_s
                ));
                continue;
            }
            let http = self.operations.get(name).map_or(0.0, |s| s.per_s);
            out.push_str(&format!(
                "baseline {name}: raw {:.0}/s, HTTP {:.0}/s, HTTP/raw {:.2}\n",
                raw.per_s,
                http,
                if raw.per_s > 0.0 {
                    http / raw.per_s
                } else {
                    0.0
                }
            ));
        }
        out.push_str(&format!("lost: {}\n", self.lost));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_report_has_exactly_the_documented_shape() {
        let rec = Recorder::default();
        rec.ok(Op::Autosave, Duration::from_millis(3));
        rec.ok(Op::Autosave, Duration::from_millis(5));
        rec.failed(Op::Autosave, 503);
        let mut baseline = BTreeMap::new();
        baseline.insert("autosave".to_owned(), Rate { per_s: 100.0 });
        let report = Report {
            backend: "sqlite".into(),
            candidates: 2,
            duration_s: 2.0,
            operations: rec.summary(Duration::from_secs(2)),
            lost: 0,
            baseline,
        };
        let v = serde_json::to_value(&report).unwrap();
        // Sorted: serde_json's map may or may not keep the order.
        let sorted = |o: &serde_json::Map<String, serde_json::Value>| {
            let mut k: Vec<String> = o.keys().cloned().collect();
            k.sort_unstable();
            k
        };
        assert_eq!(
            sorted(v.as_object().unwrap()),
            [
                "backend",
                "baseline",
                "candidates",
                "duration_s",
                "lost",
                "operations"
            ]
        );
        let ops = v["operations"].as_object().unwrap();
        let mut expected = OPERATIONS.map(Op::name).to_vec();
        expected.sort_unstable();
        assert_eq!(sorted(ops), expected);
        let autosave = ops["autosave"].as_object().unwrap();
        assert_eq!(
            sorted(autosave),
            [
                "count", "errors", "max_ms", "p50_ms", "p95_ms", "p99_ms", "per_s"
            ]
        );
        assert_eq!(autosave["count"], 2);
        assert_eq!(autosave["errors"], 1);
        assert_eq!(autosave["per_s"], 1.0);
        assert_eq!(v["baseline"]["autosave"]["per_s"], 100.0);
        assert_eq!(ops["login"]["count"], 0);

        let ctx = Context {
            cores: 2,
            backend: "sqlite".into(),
            sqlite_sync: Some("FULL".into()),
            mode: "saturated",
            urls: vec!["http://127.0.0.1:1".into()],
            event_batch: 10,
        };
        let table = report.table(&ctx);
        assert!(table.contains("503: 1"), "{table}");
        assert!(table.contains("HTTP/raw 0.01"), "{table}");
        assert!(table.ends_with("lost: 0\n"), "{table}");
    }
}
