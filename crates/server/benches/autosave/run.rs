//! One case: seed, serve the router on an ephemeral port, let every client
//! start and save, and sum up the latencies.

use super::*;

pub(super) async fn run_case(s: &Settings, backend: Backend, mode: Mode) -> anyhow::Result<Row> {
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
