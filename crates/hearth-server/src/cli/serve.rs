//! `hearth serve` and `hearth worker`.

use anyhow::Context;
use clap::Args;
use hearth_federation::delivery::DeliveryWorker;
use hearth_federation::Federation;

use crate::config::Config;
use crate::http;
use crate::metrics::{routes, Exposure};

/// Options of `hearth serve`.
#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Serve HTTP only; leave deliveries to `hearth worker` processes.
    #[arg(long)]
    pub no_workers: bool,
}

async fn start(config: &Config) -> anyhow::Result<Federation> {
    if config.allow_private_networks {
        tracing::warn!(
            "!!! allow_private_networks is ON: http:// peers, explicit ports and private or loopback \
             addresses are allowed. This disables the SSRF guard; use it for local testing only !!!"
        );
    }
    let store = super::open_store(config).await?;
    let fed = Federation::new(store, config.federation()?)
        .await
        .context("cannot set up federation")?;
    fed.keep_policy_current();
    Ok(fed)
}

/// Runs the web server, and the delivery workers unless told not to, until Ctrl-C or SIGTERM.
pub async fn run(config: Config, args: ServeArgs) -> anyhow::Result<()> {
    let fed = start(&config).await?;
    let addr = config.bind_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let worker = (!args.no_workers).then(|| DeliveryWorker::spawn(fed.clone()));
    tracing::info!(
        "Hearth {} listening on http://{addr}, public URL {} ({:?} database{})",
        env!("CARGO_PKG_VERSION"),
        fed.urls().base(),
        fed.store().backend(),
        if worker.is_some() {
            ", delivering"
        } else {
            ", HTTP only"
        }
    );
    let state = http::AppState::new(fed.clone(), &config)?;
    let metrics_server = serve_metrics(&state).await?;
    let app = http::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    if let Some(worker) = worker {
        worker.shutdown().await;
    }
    fed.store().close().await;
    Ok(())
}

/// Says where `/metrics` is served and, for a listener of its own, starts it.
async fn serve_metrics(
    state: &http::AppState,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    match state.metrics.exposure() {
        Exposure::Off => {
            tracing::info!("metrics are off: set metrics_token or metrics_bind to serve /metrics");
            Ok(None)
        }
        Exposure::Public => {
            tracing::info!("metrics at /metrics on the public listener, token required");
            Ok(None)
        }
        Exposure::Separate(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen for metrics on {addr}"))?;
            tracing::info!("metrics at http://{addr}/metrics");
            let app = routes::listener_router(state.clone());
            Ok(Some(tokio::spawn(async move {
                if let Err(err) = axum::serve(listener, app).await {
                    tracing::error!(error = %err, "the metrics listener failed");
                }
            })))
        }
    }
}

/// Runs delivery workers only, until Ctrl-C or SIGTERM.
pub async fn run_worker(config: Config) -> anyhow::Result<()> {
    let fed = start(&config).await?;
    tracing::info!(
        "Hearth {} delivery worker ({:?} database)",
        env!("CARGO_PKG_VERSION"),
        fed.store().backend()
    );
    let worker = DeliveryWorker::spawn(fed.clone());
    // A worker has no public listener: it serves its metrics on `metrics_bind` only.
    let state = http::AppState::new(fed.clone(), &config)?;
    let metrics_server = match state.metrics.exposure() {
        Exposure::Separate(_) => serve_metrics(&state).await?,
        Exposure::Off | Exposure::Public => None,
    };
    shutdown_signal().await;
    if let Some(metrics_server) = metrics_server {
        metrics_server.abort();
    }
    worker.shutdown().await;
    fed.store().close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
