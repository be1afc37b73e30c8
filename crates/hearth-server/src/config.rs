//! Hearth's configuration: built-in defaults, then `hearth.toml`, then `HEARTH_*` environment
//! variables (e.g. `HEARTH_DATABASE_URL`, `HEARTH_BIND`, `HEARTH_PUBLIC_URL`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use hearth_federation::{DeliverySettings, FederationSettings};
use serde::{Deserialize, Serialize};
use url::Url;

/// Every setting, with its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite:PATH` (created if missing) or `postgres://…`.
    pub database_url: String,
    /// Address the HTTP server listens on.
    pub bind: String,
    /// The base of every actor id. Defaults to `http://` + `bind`.
    pub public_url: Option<String>,
    /// Allow `http://`, explicit ports and private or loopback peers. Local testing only.
    pub allow_private_networks: bool,
    /// Name shown on pages and in NodeInfo.
    pub node_name: String,
    /// Log filter, e.g. `info` or `hearth=debug,info`.
    pub log: String,
    /// Largest inbox body, in bytes.
    pub max_body_bytes: usize,
    /// Database connections per process.
    pub database_connections: u32,
    /// Outbound requests in flight at once, overall.
    pub delivery_concurrency: usize,
    /// Outbound requests in flight at once, per instance.
    pub delivery_per_instance: usize,
    /// Seconds a worker holds a claimed delivery.
    pub delivery_lease_secs: u64,
    /// Seconds before the first retry (doubles each attempt).
    pub delivery_retry_base_secs: u64,
    /// Longest retry delay, in seconds.
    pub delivery_retry_max_secs: u64,
    /// Attempts before a delivery is given up.
    pub delivery_max_attempts: i64,
    /// Consecutive failures that mark an instance unreachable.
    pub delivery_unreachable_after: i64,
    /// Seconds an unreachable instance is left alone before it is tried again.
    pub delivery_unreachable_hold_secs: u64,
    /// Milliseconds an idle worker waits before looking for due jobs again.
    pub delivery_poll_ms: u64,
    /// How long a staff login lasts, in seconds.
    pub session_secs: u64,
    /// Failed logins before an account is locked.
    pub login_max_failures: i64,
    /// How long a locked account stays locked, in minutes.
    pub login_lock_minutes: u64,
    /// Largest image upload (group icons and banners), in bytes.
    pub upload_max_bytes: usize,
    /// How many minutes before an event starts its going participants get a reminder.
    pub event_reminder_minutes: u64,
    /// Bearer token `/metrics` requires. With it (and no `metrics_bind`), `/metrics` is served
    /// on the public listener.
    pub metrics_token: Option<String>,
    /// Address of a listener of its own serving only `/metrics`, e.g. `127.0.0.1:9090`; the
    /// public listener then has no `/metrics`. With neither this nor `metrics_token`, metrics
    /// are not served.
    pub metrics_bind: Option<String>,
}

/// Every setting's name, as in `hearth.toml` (and, upper-cased after `HEARTH_`, in the environment).
const KEYS: [&str; 24] = [
    "database_url",
    "bind",
    "public_url",
    "allow_private_networks",
    "node_name",
    "log",
    "max_body_bytes",
    "database_connections",
    "delivery_concurrency",
    "delivery_per_instance",
    "delivery_lease_secs",
    "delivery_retry_base_secs",
    "delivery_retry_max_secs",
    "delivery_max_attempts",
    "delivery_unreachable_after",
    "delivery_unreachable_hold_secs",
    "delivery_poll_ms",
    "session_secs",
    "login_max_failures",
    "login_lock_minutes",
    "upload_max_bytes",
    "event_reminder_minutes",
    "metrics_token",
    "metrics_bind",
];

impl Default for Config {
    fn default() -> Self {
        let delivery = DeliverySettings::default();
        Config {
            database_url: "sqlite:hearth.db".into(),
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            allow_private_networks: false,
            node_name: "Hearth".into(),
            log: "info,sqlx=warn".into(),
            max_body_bytes: 1024 * 1024,
            database_connections: 10,
            delivery_concurrency: delivery.concurrency,
            delivery_per_instance: delivery.per_instance,
            delivery_lease_secs: delivery.lease.as_secs(),
            delivery_retry_base_secs: delivery.retry_base.as_secs(),
            delivery_retry_max_secs: delivery.retry_max.as_secs(),
            delivery_max_attempts: delivery.max_attempts,
            delivery_unreachable_after: delivery.unreachable_after,
            delivery_unreachable_hold_secs: delivery.unreachable_hold.as_secs(),
            delivery_poll_ms: delivery.poll_interval.as_millis() as u64,
            session_secs: 12 * 3600,
            login_max_failures: 5,
            login_lock_minutes: 15,
            upload_max_bytes: 2 * 1024 * 1024,
            event_reminder_minutes: 1440,
            metrics_token: None,
            metrics_bind: None,
        }
    }
}

impl Config {
    /// Loads the configuration. `path` is an explicit config file (it must exist); without one,
    /// `./hearth.toml` is read when present.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match path {
            Some(path) => {
                if !path.exists() {
                    bail!("config file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => {
                let default = PathBuf::from("hearth.toml");
                if default.exists() {
                    figment = figment.merge(Toml::file(default));
                }
            }
        }
        let config: Config = figment
            .merge(Env::prefixed("HEARTH_").only(&KEYS))
            .extract()
            .context("invalid configuration")?;
        config.bind_addr()?;
        config.public_url()?;
        config.metrics_token()?;
        config.metrics_bind_addr()?;
        Ok(config)
    }

    /// The listen address.
    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind.parse().with_context(|| {
            format!(
                "bind = {:?} is not an address like 127.0.0.1:8080",
                self.bind
            )
        })
    }

    /// The token `/metrics` requires, if any.
    pub fn metrics_token(&self) -> anyhow::Result<Option<&str>> {
        match self.metrics_token.as_deref() {
            Some(token) if token.trim().is_empty() => {
                bail!("metrics_token is empty: set a secret token, or leave the setting out")
            }
            token => Ok(token),
        }
    }

    /// The address of the separate metrics listener, if any.
    pub fn metrics_bind_addr(&self) -> anyhow::Result<Option<SocketAddr>> {
        self.metrics_bind
            .as_deref()
            .map(|bind| {
                bind.parse().with_context(|| {
                    format!("metrics_bind = {bind:?} is not an address like 127.0.0.1:9090")
                })
            })
            .transpose()
    }

    /// The public base URL.
    pub fn public_url(&self) -> anyhow::Result<Url> {
        let text = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind));
        let url =
            Url::parse(&text).with_context(|| format!("public_url = {text:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            bail!("public_url = {text:?} must be an http(s) URL with a host");
        }
        Ok(url)
    }

    /// Federation settings derived from this configuration.
    pub fn federation(&self) -> anyhow::Result<FederationSettings> {
        let mut settings = FederationSettings::new(self.public_url()?);
        settings.allow_private_networks = self.allow_private_networks;
        settings.max_body_bytes = self.max_body_bytes;
        settings.event_reminder = Duration::from_secs(self.event_reminder_minutes * 60);
        settings.delivery = DeliverySettings {
            concurrency: self.delivery_concurrency.max(1),
            per_instance: self.delivery_per_instance.max(1),
            lease: Duration::from_secs(self.delivery_lease_secs.max(1)),
            poll_interval: Duration::from_millis(self.delivery_poll_ms.max(10)),
            retry_base: Duration::from_secs(self.delivery_retry_base_secs.max(1)),
            retry_max: Duration::from_secs(self.delivery_retry_max_secs.max(1)),
            max_attempts: self.delivery_max_attempts.max(1),
            unreachable_after: self.delivery_unreachable_after.max(1),
            unreachable_hold: Duration::from_secs(self.delivery_unreachable_hold_secs.max(1)),
        };
        Ok(settings)
    }

    /// Login policy and session lifetime derived from this configuration.
    pub fn auth(&self) -> anyhow::Result<crate::accounts::AuthSettings> {
        Ok(crate::accounts::AuthSettings {
            session_ms: self.session_secs.max(1) as i64 * 1000,
            max_failures: self.login_max_failures.max(1),
            lock_ms: self.login_lock_minutes.max(1) as i64 * 60_000,
            secure_cookies: self.public_url()?.scheme() == "https",
        })
    }
}
