//! `hearth serve` and `hearth worker`.

use anyhow::Context;
use clap::Args;
use hearth_federation::delivery::DeliveryWorker;
use hearth_federation::Federation;

use crate::config::Config;
use crate::http;

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
    let app = http::router(http::AppState::new(fed.clone(), &config)?);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    if let Some(worker) = worker {
        worker.shutdown().await;
    }
    fed.store().close().await;
    Ok(())
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
    shutdown_signal().await;
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
