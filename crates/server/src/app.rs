//! Start-up and graceful shutdown of `invigil serve`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use invigil_store::Db;

use crate::clock::SystemClock;
use crate::config::Config;
use crate::state::AppState;

/// Connects to the database and applies pending migrations.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let opts = config.db_options();
    let db = Db::connect(&opts)
        .await
        .with_context(|| format!("cannot open the database ({:?})", opts.target))?;
    if let Some(path) = db.file_readable_by_others() {
        tracing::warn!(path = %path.display(), "the database file is readable by others; chmod 600 it (and its -wal and -shm files)");
    }
    db.migrate().await.context("migrations failed")?;
    Ok(db)
}

/// Builds the state and starts the background jobs.
pub async fn start_state(config: Config) -> anyhow::Result<AppState> {
    // The data directory (database, key, evidence) is private: 0700 when
    // it is created here.
    invigil_store::db::create_private_dir(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    // The evidence key is generated (0600) on first start when none is
    // configured; a bad configured key stops start-up here.
    crate::review::keys::ensure_key(&config)?;
    // A bad blob store configuration (S3) stops start-up here too.
    crate::files::blob::Blobs::from_config(&config).context("blob store")?;
    let db = open_db(&config).await?;
    let state = AppState::new(db, config, Arc::new(SystemClock));
    crate::jobs::spawn_all(&state);
    Ok(state)
}

/// Serves until SIGINT/SIGTERM, then lets in-flight requests finish (up to
/// `shutdown_timeout_secs`), stops the background tasks (flushing batched
/// writes) and closes the database.
pub async fn serve(state: AppState) -> anyhow::Result<()> {
    let addr = state.config.addr;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    println!("Invigil is listening on http://{local}");
    tracing::info!(%local, backend = state.db.backend().name(), "listening");

    let router = crate::http::router(state.clone());
    let signalled = CancellationToken::new();
    let on_signal = signalled.clone();
    if let Some(metrics_addr) = state.config.metrics_addr {
        // /metrics on its own listener (the main one answers 404 for it).
        let metrics_listener = TcpListener::bind(metrics_addr)
            .await
            .with_context(|| format!("cannot listen on {metrics_addr} (metrics_addr)"))?;
        let metrics_local = metrics_listener.local_addr()?;
        println!("Metrics are served on http://{metrics_local}/metrics");
        tracing::info!(%metrics_local, "metrics listening");
        let metrics = crate::http::ops::metrics_router(state.clone());
        let stop = signalled.clone();
        tokio::spawn(async move {
            let served = axum::serve(metrics_listener, metrics)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "metrics listener failed");
            }
        });
    }
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight requests");
        on_signal.cancel();
    });
    let grace = Duration::from_secs(state.config.shutdown_timeout_secs);
    tokio::select! {
        result = server => result.context("server error")?,
        _ = async { signalled.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("shutdown timeout reached; closing remaining connections");
        }
    }
    state.background.shutdown().await;
    state.db.clone().close().await.ok();
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
