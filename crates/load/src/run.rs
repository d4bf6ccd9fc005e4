//! One `invigil load` run: prepare, baseline, candidates over HTTP,
//! verification, report.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use hyper::Method;
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

use crate::client::{Answer, Client};
use crate::report::{Context, Op, Recorder, Report};
use crate::verify::{Acked, verify};
use crate::{Harness, LoadArgs, LoadCandidate, LoadExam, baseline};

/// A started session as the candidate sees it.
#[derive(Debug, Clone)]
pub(crate) struct Started {
    pub session_id: Uuid,
    /// (question id, type, number of options).
    pub questions: Vec<(Uuid, String, usize)>,
}

/// What every candidate task shares.
pub(crate) struct Shared {
    pub client: Client,
    pub rec: Recorder,
    pub args: LoadArgs,
    pub exam_id: Uuid,
    pub stop: watch::Receiver<bool>,
}

impl Shared {
    fn url(&self, idx: usize, path: &str) -> String {
        let base = self
            .args
            .urls
            .get(idx % self.args.urls.len().max(1))
            .map_or("", |u| u.trim_end_matches('/'));
        format!("{base}/api/v1{path}")
    }

    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sends and records: `Some(answer)` when the status is `expect`.
    async fn call(
        &self,
        op: Op,
        idx: usize,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Option<Answer> {
        let expect = expected(op);
        let a = self
            .client
            .send(method, &self.url(idx, path), Some(token), body)
            .await;
        if a.status == expect {
            self.rec.ok(op, a.took);
            Some(a)
        } else {
            if a.status != 0 {
                tracing::debug!(op = op.name(), status = a.status, body = %String::from_utf8_lossy(&a.body), "refused");
            }
            self.rec.failed(op, a.status);
            None
        }
    }
}

/// The status a successful `op` answers.
fn expected(op: Op) -> u16 {
    match op {
        Op::Start => 201,
        Op::Events => 202,
        Op::Heartbeat => 204,
        Op::Login | Op::Autosave | Op::Submit => 200,
    }
}

/// Sleeps until `at`; false when the run was stopped first.
async fn sleep_until(at: Instant, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        () = tokio::time::sleep_until(at.into()) => true,
        _ = stop.wait_for(|s| *s) => false,
    }
}

/// A realistic answer to question `q` at revision `rev`.
pub(crate) fn answer_payload(kind: &str, options: usize, idx: usize, rev: i64) -> Value {
    let r = usize::try_from(rev).unwrap_or(0);
    if kind == "single_choice" || kind == "true_false" {
        json!({ "option": (idx + r) % options.max(1) })
    } else {
        json!({ "text": format!(
            "Candidate {idx}, draft {rev}: the answer is the word `answer`, with a short justification \
             of a sentence or two, as a candidate types it during the exam."
        ) })
    }
}

const EVENT_TYPES: [&str; 5] = [
    "TAB_SWITCH",
    "WINDOW_BLUR",
    "FULLSCREEN_EXIT",
    "COPY_PASTE",
    "LOOKING_AWAY",
];

/// Client event ids of a batch: `<candidate>-<n>`.
pub(crate) fn event_id(idx: usize, n: u64) -> String {
    format!("load-{idx}-{n}")
}

fn events_body(idx: usize, first: u64, batch: u32) -> (Value, Vec<String>) {
    let at = (Utc::now() - chrono::TimeDelta::seconds(1)).to_rfc3339();
    let mut ids = Vec::with_capacity(batch as usize);
    let events: Vec<Value> = (0..u64::from(batch))
        .map(|k| {
            let id = event_id(idx, first + k);
            ids.push(id.clone());
            let kind = EVENT_TYPES
                .get(usize::try_from(first + k).unwrap_or(0) % EVENT_TYPES.len())
                .copied()
                .unwrap_or("OTHER");
            json!({
                "client_event_id": id,
                "source": "LAPTOP",
                "type": kind,
                "occurred_at": at,
                "meta": { "load": true, "n": first + k },
            })
        })
        .collect();
    (json!({ "events": events }), ids)
}

/// One candidate's state across operations.
struct Candidate {
    idx: usize,
    token: String,
    started: Option<Started>,
    revision: i64,
    events_sent: u64,
    acked: Acked,
}

impl Candidate {
    fn new(idx: usize, c: &LoadCandidate) -> Self {
        Candidate {
            idx,
            token: c.access_token.clone(),
            started: None,
            revision: 0,
            events_sent: 0,
            acked: Acked::default(),
        }
    }

    async fn login(&mut self, sh: &Shared, c: &LoadCandidate) {
        let Some(password) = &c.password else { return };
        let body = json!({ "email": c.email, "password": password });
        // Not a candidate's own token yet: the request carries none.
        let a = sh
            .client
            .send(
                Method::POST,
                &sh.url(self.idx, "/auth/login"),
                None,
                Some(&body),
            )
            .await;
        if a.status == 200 {
            sh.rec.ok(Op::Login, a.took);
            if let Some(t) = a
                .json()
                .and_then(|v| v["access_token"].as_str().map(str::to_owned))
            {
                self.token = t;
            }
        } else {
            sh.rec.failed(Op::Login, a.status);
        }
    }

    async fn start(&mut self, sh: &Shared) {
        let path = format!("/exams/{}/sessions", sh.exam_id);
        let token = self.token.clone();
        let Some(a) = sh
            .call(Op::Start, self.idx, Method::POST, &path, &token, None)
            .await
        else {
            return;
        };
        self.started = a.json().and_then(|v| parse_started(&v));
        if let Some(s) = &self.started {
            self.acked.session_id = Some(s.session_id);
        }
    }

    async fn autosave(&mut self, sh: &Shared) {
        let Some(s) = &self.started else { return };
        self.revision += 1;
        let rev = self.revision;
        let Some((qid, kind, options)) = s
            .questions
            .get(usize::try_from(rev).unwrap_or(0) % s.questions.len().max(1))
            .cloned()
        else {
            return;
        };
        let body = json!({
            "response": answer_payload(&kind, options, self.idx, rev),
            "revision": rev,
            "latency_ms": 1500,
        });
        let path = format!("/sessions/{}/answers/{qid}", s.session_id);
        let token = self.token.clone();
        if let Some(a) = sh
            .call(
                Op::Autosave,
                self.idx,
                Method::PUT,
                &path,
                &token,
                Some(&body),
            )
            .await
        {
            let stored = a.json().and_then(|v| v["revision"].as_i64()).unwrap_or(rev);
            let e = self.acked.answers.entry(qid).or_insert(0);
            *e = (*e).max(stored);
        }
    }

    async fn events(&mut self, sh: &Shared) {
        let Some(s) = &self.started else { return };
        let (body, ids) = events_body(self.idx, self.events_sent, sh.args.event_batch);
        self.events_sent += u64::from(sh.args.event_batch);
        let path = format!("/sessions/{}/events", s.session_id);
        let token = self.token.clone();
        if sh
            .call(
                Op::Events,
                self.idx,
                Method::POST,
                &path,
                &token,
                Some(&body),
            )
            .await
            .is_some()
        {
            self.acked.events.extend(ids);
        }
    }

    async fn heartbeat(&mut self, sh: &Shared) {
        let Some(s) = &self.started else { return };
        let path = format!("/sessions/{}/heartbeat", s.session_id);
        let body = json!({ "source": "LAPTOP" });
        let token = self.token.clone();
        sh.call(
            Op::Heartbeat,
            self.idx,
            Method::POST,
            &path,
            &token,
            Some(&body),
        )
        .await;
    }

    async fn submit(&mut self, sh: &Shared) {
        let Some(s) = &self.started else { return };
        let path = format!("/sessions/{}/submit", s.session_id);
        let token = self.token.clone();
        sh.call(Op::Submit, self.idx, Method::POST, &path, &token, None)
            .await;
    }
}

pub(crate) fn parse_started(v: &Value) -> Option<Started> {
    let session_id = v["session_id"].as_str()?.parse().ok()?;
    let questions: Vec<(Uuid, String, usize)> = v["questions"]
        .as_array()?
        .iter()
        .filter_map(|q| {
            Some((
                q["id"].as_str()?.parse().ok()?,
                q["type"].as_str()?.to_owned(),
                q["options"].as_array().map_or(0, Vec::len),
            ))
        })
        .collect();
    (!questions.is_empty()).then_some(Started {
        session_id,
        questions,
    })
}

/// A fraction in [0, 1) that spreads candidates' first actions.
fn phase(idx: usize, salt: u64) -> f64 {
    let mut x = (idx as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    (x % 10_000) as f64 / 10_000.0
}

/// Paced: a candidate's exam from sign-in to submit, within `t0..end`.
async fn paced(sh: Arc<Shared>, idx: usize, c: LoadCandidate, t0: Instant, end: Instant) -> Acked {
    let mut me = Candidate::new(idx, &c);
    let mut stop = sh.stop.clone();
    let n = sh.args.candidates.max(1) as f64;
    let spread = Duration::from_secs_f64(sh.args.start_spread * idx as f64 / n);
    // Every candidate's exam lasts as long (the run less the start spread,
    // at least half the run), so submits are spread like the starts.
    let run = end.saturating_duration_since(t0);
    let exam = run
        .saturating_sub(Duration::from_secs_f64(sh.args.start_spread))
        .max(run / 2);
    let end = (t0 + spread + exam).min(end);
    if !sleep_until(t0 + spread, &mut stop).await {
        return me.acked;
    }
    me.login(&sh, &c).await;
    me.start(&sh).await;
    if me.started.is_none() {
        return me.acked;
    }
    let save_every = Duration::from_secs_f64(sh.args.autosave_every);
    let events_every =
        Duration::from_secs_f64(60.0 * f64::from(sh.args.event_batch) / sh.args.events_per_minute);
    let beat_every = Duration::from_secs_f64(sh.args.heartbeat_every);
    let now = Instant::now();
    let mut next_save = now + save_every.mul_f64(phase(idx, 1));
    let mut next_events = now + events_every.mul_f64(phase(idx, 2));
    let mut next_beat = now + beat_every.mul_f64(phase(idx, 3));
    loop {
        let next = next_save.min(next_events).min(next_beat);
        if next >= end || !sleep_until(next, &mut stop).await {
            break;
        }
        if next == next_save {
            me.autosave(&sh).await;
            next_save += save_every;
        } else if next == next_events {
            me.events(&sh).await;
            next_events += events_every;
        } else {
            me.heartbeat(&sh).await;
            next_beat += beat_every;
        }
    }
    if !sh.stopped() {
        sleep_until(end, &mut stop).await;
    }
    // After Ctrl-C nobody submits: the run stops as fast as it can.
    if !sh.stopped() {
        me.submit(&sh).await;
    }
    me.acked
}

/// Runs `work` over `items` with at most `bound` at once, in order of the
/// items.
async fn bounded<T, F, Fut>(items: Vec<T>, bound: usize, work: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(bound.max(1)));
    let mut tasks = Vec::with_capacity(items.len());
    for item in items {
        let permit = sem.clone().acquire_owned().await;
        let fut = work(item);
        tasks.push(tokio::spawn(async move {
            let out = fut.await;
            drop(permit);
            out
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        if let Ok(v) = t.await {
            out.push(v);
        }
    }
    out
}

/// Saturated: start everyone, then autosaves, then event batches, each as
/// fast as `--connections` allow; then submit. Answers each phase's length.
async fn saturated(
    sh: Arc<Shared>,
    exam: &LoadExam,
    duration: Duration,
) -> (Vec<Acked>, HashMap<&'static str, Duration>) {
    let bound = sh.args.connections as usize;
    let mut windows = HashMap::new();
    let cands: Vec<(Candidate, LoadCandidate)> = exam
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (Candidate::new(i, c), c.clone()))
        .collect();
    let t = Instant::now();
    let cands = bounded(cands, bound, |(mut me, c)| {
        let sh = sh.clone();
        async move {
            if !sh.stopped() {
                me.login(&sh, &c).await;
                me.start(&sh).await;
                me.heartbeat(&sh).await;
            }
            (me, c)
        }
    })
    .await;
    windows.insert("start", t.elapsed());
    windows.insert("login", t.elapsed());
    windows.insert("heartbeat", t.elapsed());
    let mut cands: Vec<Candidate> = cands.into_iter().map(|(me, _)| me).collect();

    for (op, share) in [(Op::Autosave, 0.5), (Op::Events, 0.5)] {
        let t = Instant::now();
        let end = t + duration.mul_f64(share);
        // Worker w drives candidates w, w + bound, ... in turn.
        let mut groups: Vec<Vec<Candidate>> = (0..bound).map(|_| Vec::new()).collect();
        for (i, c) in cands.drain(..).enumerate() {
            if let Some(g) = groups.get_mut(i % bound) {
                g.push(c);
            }
        }
        let groups: Vec<Vec<Candidate>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
        let workers: Vec<_> = groups
            .into_iter()
            .map(|mut group| {
                let sh = sh.clone();
                tokio::spawn(async move {
                    let mut k = 0usize;
                    while Instant::now() < end && !sh.stopped() {
                        let n = group.len();
                        if let Some(me) = group.get_mut(k % n) {
                            if me.started.is_none() {
                                // Avoid spinning on a candidate that never started.
                                tokio::task::yield_now().await;
                            } else if op == Op::Autosave {
                                me.autosave(&sh).await;
                            } else {
                                me.events(&sh).await;
                            }
                        }
                        k += 1;
                    }
                    group
                })
            })
            .collect();
        for w in workers {
            if let Ok(group) = w.await {
                cands.extend(group);
            }
        }
        windows.insert(op.name(), t.elapsed());
    }

    let t = Instant::now();
    let cands = bounded(cands, bound, |mut me| {
        let sh = sh.clone();
        async move {
            if !sh.stopped() {
                me.submit(&sh).await;
            }
            me
        }
    })
    .await;
    windows.insert("submit", t.elapsed());
    (cands.into_iter().map(|c| c.acked).collect(), windows)
}

fn read_prepared(path: &std::path::Path) -> anyhow::Result<LoadExam> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a prepared load", path.display()))
}

/// Runs the load described by `args`; prints the progress line on stderr
/// and the table on stdout; writes the JSON report when asked. Ctrl-C stops
/// the candidates; what was acknowledged is still verified and reported.
pub async fn run(args: LoadArgs, harness: &dyn Harness) -> anyhow::Result<Report> {
    args.check().map_err(anyhow::Error::msg)?;
    let (stop_tx, stop) = watch::channel(false);
    let stop_tx = Arc::new(stop_tx);
    let ctrl_c = {
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nstopping (Ctrl-C): the acknowledged writes are still verified");
                stop_tx.send_replace(true);
            }
        })
    };
    let outcome = measure(args, harness, stop).await;
    ctrl_c.abort();
    outcome
}

async fn measure(
    args: LoadArgs,
    harness: &dyn Harness,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Report> {
    let exam = if args.prepare {
        let t = Instant::now();
        eprintln!("preparing {} candidates ...", args.candidates);
        let exam = harness
            .prepare(args.candidates as usize, args.logins as usize)
            .await?;
        eprintln!("prepared in {:.1} s", t.elapsed().as_secs_f64());
        if let Some(path) = &args.prepared {
            std::fs::write(path, serde_json::to_vec(&exam)?)
                .with_context(|| format!("write {}", path.display()))?;
        }
        exam
    } else {
        let path = args.prepared.clone().context("--prepared FILE")?;
        read_prepared(&path)?
    };
    let candidates = exam.candidates.len();
    let idle = if args.saturate {
        args.connections as usize
    } else {
        candidates.min(4096)
    };
    let client = Client::new(idle, Duration::from_secs(args.timeout.max(1)));

    let db = harness.db();
    let backend = db.backend().name().to_owned();
    let sqlite_sync = crate::verify::sqlite_sync(db).await;

    let mut rates = BTreeMap::new();
    if args.baseline {
        rates = baseline::run(&args, harness, &client, stop.clone()).await?;
    }

    let sh = Arc::new(Shared {
        client,
        rec: Recorder::default(),
        args: args.clone(),
        exam_id: exam.exam_id,
        stop: stop.clone(),
    });
    let duration = Duration::from_secs(u64::from(args.duration));
    let t0 = Instant::now();
    let progress = {
        let sh = sh.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            loop {
                tick.tick().await;
                eprintln!("{}", sh.rec.progress(t0.elapsed()));
            }
        })
    };
    let (acked, windows) = if args.saturate {
        saturated(sh.clone(), &exam, duration).await
    } else {
        let end = t0 + duration;
        let tasks: Vec<_> = exam
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| tokio::spawn(paced(sh.clone(), i, c.clone(), t0, end)))
            .collect();
        let mut acked = Vec::with_capacity(tasks.len());
        for t in tasks {
            if let Ok(a) = t.await {
                acked.push(a);
            }
        }
        (acked, HashMap::new())
    };
    let ran = t0.elapsed();
    progress.abort();
    eprintln!("{}", sh.rec.progress(ran));

    eprintln!("verifying {} sessions ...", acked.len());
    let lost = verify(db, &acked).await?;

    let mut operations = sh.rec.summary(ran);
    for (name, window) in &windows {
        if let Some(s) = operations.get_mut(*name) {
            s.per_s = (s.count as f64 / window.as_secs_f64().max(0.001) * 10.0).round() / 10.0;
        }
    }
    let report = Report {
        backend: backend.clone(),
        candidates,
        duration_s: (ran.as_secs_f64() * 10.0).round() / 10.0,
        operations,
        lost,
        baseline: rates,
    };
    let ctx = Context {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        backend,
        sqlite_sync,
        mode: if args.saturate { "saturated" } else { "paced" },
        urls: args.urls.clone(),
        event_batch: args.event_batch as usize,
    };
    println!("{}", report.table(&ctx));
    if let Some(path) = &args.report {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("write {}", path.display()))?;
    }
    Ok(report)
}
