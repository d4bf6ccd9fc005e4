//! `invigil load` against an in-process server on a loopback port: a short
//! paced run and a short saturated run with the raw baseline, on both
//! backends. Counts, errors and `lost` are checked, never the speed.

use std::net::SocketAddr;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use invigil_load::{LoadArgs, Report};
use invigil_server::cli::load::ServerHarness;

use crate::both;
use crate::common::*;

/// Serves the app's router on 127.0.0.1:<ephemeral>, runs the load, stops
/// the server.
async fn run_load(app: &TestApp, configure: impl FnOnce(&mut LoadArgs)) -> (Report, Value) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let server = {
        let router = app.router.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let report_file = dir.path().join("report.json");
    let mut args = LoadArgs::new(vec![format!("http://{addr}")], 20, 3);
    args.report = Some(report_file.clone());
    args.logins = 2;
    configure(&mut args);
    let harness = ServerHarness {
        state: app.state.clone(),
    };
    let report = invigil_load::run(args, &harness).await.unwrap();
    stop.cancel();
    server.await.unwrap().unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
    (report, json)
}

fn assert_clean(report: &Report, json: &Value, ops: &[&str]) {
    assert_eq!(report.lost, 0, "{report:#?}");
    assert_eq!(json["lost"], 0);
    assert_eq!(json["candidates"], 20);
    assert!(json["backend"].is_string() && json["duration_s"].is_number());
    let operations = json["operations"].as_object().unwrap();
    let mut names: Vec<&str> = operations.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "autosave",
            "events",
            "heartbeat",
            "login",
            "start",
            "submit"
        ]
    );
    for (name, op) in operations {
        let mut fields: Vec<&str> = op.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "count", "errors", "max_ms", "p50_ms", "p95_ms", "p99_ms", "per_s"
            ],
            "{name}"
        );
        assert_eq!(op["errors"], 0, "{name}: {report:#?}");
    }
    for name in ops {
        assert!(
            operations[*name]["count"].as_u64().unwrap() > 0,
            "{name}: {report:#?}"
        );
    }
}

async fn load_paced_run_loses_nothing(app: TestApp) {
    let (report, json) = run_load(&app, |a| {
        a.start_spread = 0.5;
        a.autosave_every = 0.3;
        a.events_per_minute = 600.0;
        a.heartbeat_every = 0.5;
    })
    .await;
    assert_clean(
        &report,
        &json,
        &[
            "login",
            "start",
            "autosave",
            "events",
            "heartbeat",
            "submit",
        ],
    );
    assert_eq!(json["operations"]["start"]["count"], 20);
    assert_eq!(json["operations"]["submit"]["count"], 20);
    assert_eq!(json["baseline"], serde_json::json!({}));
}

async fn load_saturated_run_with_baseline(app: TestApp) {
    let (report, json) = run_load(&app, |a| {
        a.saturate = true;
        a.duration = 2;
        a.connections = 8;
        a.baseline = true;
        a.baseline_duration = 2;
    })
    .await;
    assert_clean(
        &report,
        &json,
        &["login", "start", "autosave", "events", "submit"],
    );
    for kind in ["autosave", "events"] {
        assert!(
            json["baseline"][kind]["per_s"].as_f64().unwrap() > 0.0,
            "{json}"
        );
    }
    // The candidates' sessions are closed at the end.
    assert_eq!(json["operations"]["submit"]["count"], 20);
}

both!(
    load_paced_run_loses_nothing,
    load_saturated_run_with_baseline
);
