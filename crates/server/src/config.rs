//! Configuration in layers: built-in defaults, then an optional
//! `invigil.toml` (unknown keys are an error), then `INVIGIL_*` environment
//! variables (unknown names are only a warning, so test variables such as
//! `INVIGIL_TEST_PG_URL` never stop the server), then command-line flags.
//! `DATABASE_URL` selects PostgreSQL. Secrets live in [`Secret`], whose
//! `Debug` never shows them. The resulting [`Config`] is passed explicitly;
//! there is no global.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use invigil_store::DbTarget;
use invigil_store::db::DbOptions;

/// A value that must never reach a log line or a `Debug` print.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Every setting, with its default. Keys of `invigil.toml` are these field
/// names; environment variables are `INVIGIL_` + the name in upper case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub addr: SocketAddr,
    /// Directory for the SQLite database, the evidence key and evidence files.
    pub data_dir: PathBuf,
    /// `postgres://...` to use PostgreSQL instead of SQLite.
    pub database_url: Option<Secret>,
    /// Database connections (PostgreSQL) or reader connections (SQLite).
    pub db_max_connections: u32,
    /// `tracing` filter, e.g. `info` or `invigil_server=debug,info`.
    pub log: String,
    pub log_format: LogFormat,
    /// Requests taking longer answer 503 `timeout`.
    pub request_timeout_secs: u64,
    /// How long shutdown waits for in-flight requests.
    pub shutdown_timeout_secs: u64,
    /// The URL users reach Invigil at; used in mail links. `https://...`
    /// turns on HSTS.
    pub public_url: Option<String>,
    /// Peers whose `X-Forwarded-For` is believed (exact IP addresses).
    pub trusted_proxies: Vec<IpAddr>,
    /// When set, `GET /metrics` needs `Authorization: Bearer <token>`
    /// (401 without it). Unset: /metrics is open to whoever reaches it.
    pub metrics_token: Option<Secret>,
    /// When set, /metrics is served only on this address (e.g.
    /// 127.0.0.1:9090) and the main listener answers 404 for it.
    pub metrics_addr: Option<SocketAddr>,
    /// Saves and submits are accepted this long after a deadline.
    pub grace_seconds: u64,
    /// Replaying the previous refresh token within this window is a retry.
    pub refresh_retry_window_secs: u64,
    /// Login attempts per IP address per minute.
    pub login_rate_per_ip_per_minute: u32,
    /// `smtp://user:pass@host:port` or `smtps://...`; unset keeps mail in
    /// the outbox (see `invigil admin outbox`).
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// Base64 of 32 bytes; generated into the data directory when unset.
    pub evidence_key: Option<Secret>,
    /// Most answer saves committed in one transaction (group commit);
    /// 1 commits each save on its own.
    pub autosave_batch_max: usize,
    /// Saves waiting for the writer before new ones get 503 + Retry-After.
    pub autosave_queue_capacity: usize,
    /// How often the auto-submit sweeper looks for expired sessions.
    pub sweep_interval_secs: u64,
    /// A device (LAPTOP, MOBILE) of a running session without a heartbeat
    /// for this long gets a SYSTEM HEARTBEAT_MISSED event.
    pub heartbeat_timeout_secs: u64,
    /// How often the heartbeat watchdog runs.
    pub watchdog_interval_secs: u64,
    /// How far in the future an event's `occurred_at` may be (client clocks).
    pub event_skew_secs: u64,
    /// Autosave requests in flight in this process before new ones get 503
    /// `overloaded` + `Retry-After` (checked before any database read).
    pub autosave_max_in_flight: usize,
    /// The same bound for proctoring events and heartbeats.
    pub events_max_in_flight: usize,
    /// Exam starts and submits (the heavy session transactions: drawing the
    /// questions, grading) running at once in this process. More wait for a
    /// turn up to `sessions_admission_wait_ms`, then get 503 `overloaded` +
    /// `Retry-After`, so a burst at an exam's opening neither exhausts the
    /// database pool (which saves and events need) nor piles up in memory.
    pub sessions_max_in_flight: usize,
    /// How long a start or submit waits for a turn before the 503.
    pub sessions_admission_wait_ms: u64,
    /// How long the autosave path keeps a token's principal and a
    /// candidate's session in memory (`delivery::hot`); 0 turns it off.
    /// Other replicas learn of a sign-out or a suspension through the cache
    /// epoch (`cache_epoch_poll_ms`); the TTL is the backstop.
    pub hot_cache_ttl_ms: u64,
    /// How often every replica polls the cache epoch (a sign-out, a
    /// suspension on another replica empties this one's cache); 0 turns the
    /// poll off (then only the TTL bounds it).
    pub cache_epoch_poll_ms: u64,
    /// Most entries of each hot-path cache map.
    pub hot_cache_capacity: usize,
    /// How often an open live feed checks that its token still works; a
    /// revoked or expired token ends the feed.
    pub live_recheck_secs: u64,
    /// How often the SQLite WAL is checkpointed (and truncated when idle).
    pub wal_checkpoint_interval_secs: u64,
    /// Where uploaded files and evidence frames are kept: `local` (under
    /// the data directory) or `s3` (an S3-compatible bucket).
    pub blob_store: BlobBackend,
    /// `blob_store = "s3"`: the bucket (it must exist).
    pub s3_bucket: Option<String>,
    /// The S3 endpoint, e.g. `https://s3.eu-central-1.amazonaws.com` or a
    /// MinIO/Garage URL; unset: AWS for the region.
    pub s3_endpoint: Option<String>,
    pub s3_region: String,
    /// Unset: the AWS environment/instance credentials.
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<Secret>,
    /// Allow an `http://` endpoint (a local S3 only).
    pub s3_allow_http: bool,
    /// Largest upload per file kind, in bytes.
    pub files_max_video_bytes: u64,
    pub files_max_pdf_bytes: u64,
    pub files_max_image_bytes: u64,
    pub files_max_audio_bytes: u64,
    pub files_max_document_bytes: u64,
    /// Bytes of files an organization may hold (its settings'
    /// `files_quota_bytes` overrides it).
    pub files_quota_bytes: u64,
    /// Payments: the instructor's (payee's) share of what a payment kept,
    /// in percent (0..=100); the platform keeps the rest.
    pub payout_share_percent: u8,
    /// Payments: base URL of the Stripe(-compatible) API.
    pub stripe_api_base: String,
    /// Payments: the Stripe secret key (`sk_...`); unset turns STRIPE off.
    pub stripe_secret_key: Option<Secret>,
    /// Payments: the signing secret of the Stripe webhook endpoint (`whsec_...`);
    /// unset answers every webhook 400.
    pub stripe_webhook_secret: Option<Secret>,
    /// Live classes: how many minutes before the start every participant
    /// gets the reminder (1 to 10080).
    pub live_reminder_minutes: u64,
    /// Practice interviews: an OpenAI-compatible API base (e.g.
    /// `https://api.openai.com`; `/v1/chat/completions` is appended) that
    /// scores answers; unset scores them with the rubric, here.
    pub practice_evaluator_url: Option<String>,
    /// The bearer key of that API.
    pub practice_evaluator_key: Option<Secret>,
    /// The model named in its requests.
    pub practice_evaluator_model: String,
    /// Practice transcripts (the messages) are deleted this many days
    /// after the session started; scores stay (1 to 3650).
    pub practice_retention_days: u64,
    /// Single sign-on may reach providers on loopback, private-network and
    /// link-local addresses (a provider on this machine or network). Off:
    /// an issuer or provider endpoint at such an address is refused.
    pub sso_allow_private_networks: bool,
}

/// The blob store backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BlobBackend {
    #[default]
    Local,
    S3,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./invigil-data"),
            database_url: None,
            db_max_connections: 8,
            log: "info".into(),
            log_format: LogFormat::Pretty,
            request_timeout_secs: 30,
            shutdown_timeout_secs: 30,
            public_url: None,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            metrics_addr: None,
            grace_seconds: 30,
            refresh_retry_window_secs: 10,
            login_rate_per_ip_per_minute: 60,
            smtp_url: None,
            mail_from: "Invigil <no-reply@invigil.local>".into(),
            evidence_key: None,
            autosave_batch_max: 256,
            autosave_queue_capacity: 10_000,
            sweep_interval_secs: 2,
            heartbeat_timeout_secs: 45,
            watchdog_interval_secs: 10,
            event_skew_secs: 30,
            autosave_max_in_flight: 512,
            events_max_in_flight: 512,
            sessions_max_in_flight: 16,
            sessions_admission_wait_ms: 10_000,
            hot_cache_ttl_ms: 300_000,
            cache_epoch_poll_ms: 1_000,
            hot_cache_capacity: 20_000,
            live_recheck_secs: 3,
            wal_checkpoint_interval_secs: 60,
            blob_store: BlobBackend::Local,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
            files_max_video_bytes: 2 * GIB,
            files_max_pdf_bytes: 100 * MIB,
            files_max_image_bytes: 10 * MIB,
            files_max_audio_bytes: 200 * MIB,
            files_max_document_bytes: 50 * MIB,
            files_quota_bytes: 10 * GIB,
            payout_share_percent: 70,
            stripe_api_base: "https://api.stripe.com".into(),
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            live_reminder_minutes: 15,
            practice_evaluator_url: None,
            practice_evaluator_key: None,
            practice_evaluator_model: "gpt-4o-mini".into(),
            practice_retention_days: 180,
            sso_allow_private_networks: false,
        }
    }
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Flags given on the command line; they override everything else.
#[derive(Debug, Default, Clone, Serialize)]
pub struct FlagOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

/// Names of the settings, for telling known from unknown env variables.
const KEYS: &[&str] = &[
    "addr",
    "data_dir",
    "database_url",
    "db_max_connections",
    "log",
    "log_format",
    "request_timeout_secs",
    "shutdown_timeout_secs",
    "public_url",
    "trusted_proxies",
    "metrics_token",
    "metrics_addr",
    "grace_seconds",
    "refresh_retry_window_secs",
    "login_rate_per_ip_per_minute",
    "smtp_url",
    "mail_from",
    "evidence_key",
    "autosave_batch_max",
    "autosave_queue_capacity",
    "sweep_interval_secs",
    "heartbeat_timeout_secs",
    "watchdog_interval_secs",
    "event_skew_secs",
    "autosave_max_in_flight",
    "events_max_in_flight",
    "sessions_max_in_flight",
    "sessions_admission_wait_ms",
    "hot_cache_ttl_ms",
    "cache_epoch_poll_ms",
    "hot_cache_capacity",
    "live_recheck_secs",
    "wal_checkpoint_interval_secs",
    "blob_store",
    "s3_bucket",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "s3_allow_http",
    "files_max_video_bytes",
    "files_max_pdf_bytes",
    "files_max_image_bytes",
    "files_max_audio_bytes",
    "files_max_document_bytes",
    "files_quota_bytes",
    "payout_share_percent",
    "stripe_api_base",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "live_reminder_minutes",
    "practice_evaluator_url",
    "practice_evaluator_key",
    "practice_evaluator_model",
    "practice_retention_days",
    "sso_allow_private_networks",
];

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

/// Outcome of loading: the config and warnings to log once logging is up.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads the layers from the process environment.
    pub fn load(file: Option<&Path>, flags: &FlagOverrides) -> Result<Loaded, ConfigError> {
        Self::load_from(file, std::env::vars().collect(), flags)
    }

    /// Loads the layers with an explicit environment (testable).
    pub fn load_from(
        file: Option<&Path>,
        env: Vec<(String, String)>,
        flags: &FlagOverrides,
    ) -> Result<Loaded, ConfigError> {
        let mut warnings = Vec::new();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    return Err(ConfigError(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                if Path::new("invigil.toml").exists() {
                    figment = figment.merge(Toml::file_exact("invigil.toml"));
                }
            }
        }
        // Environment: only known INVIGIL_* names; the rest earn a warning.
        let mut known: Vec<(String, String)> = Vec::new();
        for (name, value) in env {
            if name == "DATABASE_URL" {
                known.push(("database_url".into(), value));
            } else if let Some(rest) = name.strip_prefix("INVIGIL_") {
                let key = rest.to_ascii_lowercase();
                if KEYS.contains(&key.as_str()) {
                    known.push((key, value));
                } else if !rest.starts_with("TEST_") {
                    warnings.push(format!("ignoring unknown environment variable {name}"));
                }
            }
        }
        for (key, value) in known {
            let value = value.trim().to_owned();
            figment = if key == "trusted_proxies" {
                let list: Vec<String> = value
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                figment.merge(Serialized::default(&key, list))
            } else {
                // Parsed like figment's own Env provider: numbers, booleans.
                let parsed: figment::value::Value = value
                    .parse()
                    .map_err(|_| ConfigError(format!("cannot parse {key}")))?;
                figment.merge(Serialized::default(&key, parsed))
            };
        }
        figment = figment.merge(Serialized::defaults(flags));
        let mut config: Config = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        if config
            .database_url
            .as_ref()
            .is_some_and(|u| u.expose().is_empty())
        {
            config.database_url = None;
        }
        config.validate()?;
        Ok(Loaded { config, warnings })
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database_url {
            let u = url.expose();
            if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(ConfigError(
                    "database_url must start with postgres:// (unset it to use SQLite)".into(),
                ));
            }
        }
        if self.autosave_batch_max == 0
            || self.autosave_queue_capacity == 0
            || self.sweep_interval_secs == 0
        {
            return Err(ConfigError(
                "autosave_batch_max, autosave_queue_capacity and sweep_interval_secs must be at least 1".into(),
            ));
        }
        if self.heartbeat_timeout_secs == 0 || self.watchdog_interval_secs == 0 {
            return Err(ConfigError(
                "heartbeat_timeout_secs and watchdog_interval_secs must be at least 1".into(),
            ));
        }
        if self.hot_cache_ttl_ms > 3_600_000 || self.hot_cache_capacity == 0 {
            return Err(ConfigError(
                "hot_cache_ttl_ms must be at most 3600000 and hot_cache_capacity at least 1".into(),
            ));
        }
        if self.cache_epoch_poll_ms != 0 && !(100..=60_000).contains(&self.cache_epoch_poll_ms) {
            return Err(ConfigError(
                "cache_epoch_poll_ms must be 0 (off) or from 100 to 60000".into(),
            ));
        }
        if self.autosave_max_in_flight == 0
            || self.events_max_in_flight == 0
            || self.sessions_max_in_flight == 0
            || self.live_recheck_secs == 0
            || self.wal_checkpoint_interval_secs == 0
        {
            return Err(ConfigError(
                "autosave_max_in_flight, events_max_in_flight, sessions_max_in_flight, live_recheck_secs and wal_checkpoint_interval_secs must be at least 1".into(),
            ));
        }
        if self.blob_store == BlobBackend::S3
            && self
                .s3_bucket
                .as_deref()
                .is_none_or(|b| b.trim().is_empty())
        {
            return Err(ConfigError("blob_store = \"s3\" needs s3_bucket".into()));
        }
        if let Some(e) = &self.s3_endpoint
            && !(e.starts_with("https://") || (e.starts_with("http://") && self.s3_allow_http))
        {
            return Err(ConfigError(
                "s3_endpoint must start with https:// (http:// only with s3_allow_http = true)"
                    .into(),
            ));
        }
        if !(1..=3650).contains(&self.practice_retention_days) {
            return Err(ConfigError(
                "practice_retention_days must be from 1 to 3650".into(),
            ));
        }
        if let Some(u) = &self.practice_evaluator_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(ConfigError(
                "practice_evaluator_url must start with https:// or http://".into(),
            ));
        }
        if !(1..=10_080).contains(&self.live_reminder_minutes) {
            return Err(ConfigError(
                "live_reminder_minutes must be from 1 to 10080 (a week)".into(),
            ));
        }
        if self.payout_share_percent > 100 {
            return Err(ConfigError(
                "payout_share_percent must be from 0 to 100".into(),
            ));
        }
        if !(self.stripe_api_base.starts_with("https://")
            || self.stripe_api_base.starts_with("http://"))
        {
            return Err(ConfigError(
                "stripe_api_base must be an http:// or https:// URL".into(),
            ));
        }
        if self.request_timeout_secs == 0 {
            return Err(ConfigError(
                "request_timeout_secs must be at least 1".into(),
            ));
        }
        if let Some(t) = &self.metrics_token
            && t.expose().trim().len() < 16
        {
            return Err(ConfigError(
                "metrics_token must be at least 16 characters".into(),
            ));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError(
                "public_url must start with http:// or https://".into(),
            ));
        }
        Ok(())
    }

    pub fn db_options(&self) -> DbOptions {
        let target = match &self.database_url {
            Some(url) => DbTarget::Postgres {
                url: url.expose().to_owned(),
            },
            None => DbTarget::Sqlite {
                path: self.data_dir.join("invigil.db"),
            },
        };
        DbOptions {
            target,
            max_connections: self.db_max_connections,
            busy_timeout: Duration::from_secs(10),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn grace(&self) -> chrono::Duration {
        chrono::Duration::seconds(i64::try_from(self.grace_seconds).unwrap_or(i64::MAX / 1000))
    }

    /// Base URL for links in mails.
    pub fn public_base(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.addr),
        }
    }

    /// HSTS only makes sense when users reach us over TLS.
    pub fn behind_tls(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    }

    #[test]
    fn defaults_use_sqlite_in_data_dir() {
        let l = Config::load_from(None, vec![], &FlagOverrides::default()).unwrap();
        assert_eq!(l.config.addr.to_string(), "127.0.0.1:8080");
        assert!(matches!(
            l.config.db_options().target,
            DbTarget::Sqlite { .. }
        ));
    }

    #[test]
    fn env_overrides_file_and_flags_override_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("invigil.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:9000\"\ngrace_seconds = 5\n").unwrap();
        let l = Config::load_from(
            Some(&file),
            env(&[
                ("INVIGIL_GRACE_SECONDS", "7"),
                ("INVIGIL_LOG_FORMAT", "json"),
            ]),
            &FlagOverrides {
                addr: Some("127.0.0.1:9100".parse().unwrap()),
                data_dir: None,
            },
        )
        .unwrap();
        assert_eq!(l.config.addr.to_string(), "127.0.0.1:9100");
        assert_eq!(l.config.grace_seconds, 7);
        assert_eq!(l.config.log_format, LogFormat::Json);
    }

    #[test]
    fn unknown_file_key_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("invigil.toml");
        std::fs::write(&file, "adr = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load_from(Some(&file), vec![], &FlagOverrides::default()).unwrap_err();
        assert!(err.to_string().contains("adr"), "{err}");
    }

    #[test]
    fn unknown_env_is_a_warning_and_test_vars_are_silent() {
        let l = Config::load_from(
            None,
            env(&[
                ("INVIGIL_FOO", "1"),
                ("INVIGIL_TEST_PG_URL", "postgres://x"),
            ]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(l.warnings.len(), 1);
        assert!(l.warnings[0].contains("INVIGIL_FOO"));
    }

    #[test]
    fn database_url_selects_postgres_and_is_never_printed() {
        let l = Config::load_from(
            None,
            env(&[("DATABASE_URL", "postgres://u:hunter2@localhost/db")]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert!(matches!(
            l.config.db_options().target,
            DbTarget::Postgres { .. }
        ));
        let printed = format!("{:?} {:?}", l.config, l.config.db_options());
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(
            Config::load_from(
                None,
                env(&[("INVIGIL_GRACE_SECONDS", "soon")]),
                &FlagOverrides::default()
            )
            .is_err()
        );
        assert!(
            Config::load_from(
                None,
                env(&[("DATABASE_URL", "mysql://x")]),
                &FlagOverrides::default()
            )
            .is_err()
        );
        let l = Config::load_from(
            None,
            env(&[("INVIGIL_TRUSTED_PROXIES", "10.0.0.1, ::1")]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(l.config.trusted_proxies.len(), 2);
    }

    #[test]
    fn load_limits_are_settable_and_never_zero() {
        let l = Config::load_from(
            None,
            env(&[
                ("INVIGIL_AUTOSAVE_MAX_IN_FLIGHT", "64"),
                ("INVIGIL_EVENTS_MAX_IN_FLIGHT", "32"),
                ("INVIGIL_LIVE_RECHECK_SECS", "2"),
                ("INVIGIL_WAL_CHECKPOINT_INTERVAL_SECS", "30"),
            ]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.config.autosave_max_in_flight, 64);
        assert_eq!(l.config.events_max_in_flight, 32);
        assert_eq!(l.config.live_recheck_secs, 2);
        assert_eq!(l.config.wal_checkpoint_interval_secs, 30);
        for key in [
            "INVIGIL_AUTOSAVE_MAX_IN_FLIGHT",
            "INVIGIL_EVENTS_MAX_IN_FLIGHT",
            "INVIGIL_LIVE_RECHECK_SECS",
            "INVIGIL_WAL_CHECKPOINT_INTERVAL_SECS",
        ] {
            assert!(
                Config::load_from(None, env(&[(key, "0")]), &FlagOverrides::default()).is_err(),
                "{key}=0"
            );
        }
    }

    #[test]
    fn metrics_restrictions_load_from_env_and_short_tokens_are_refused() {
        let l = Config::load_from(
            None,
            env(&[
                ("INVIGIL_METRICS_TOKEN", "a-long-enough-metrics-token"),
                ("INVIGIL_METRICS_ADDR", "127.0.0.1:9090"),
            ]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert_eq!(
            l.config.metrics_token.as_ref().map(Secret::expose),
            Some("a-long-enough-metrics-token")
        );
        assert_eq!(
            l.config.metrics_addr,
            Some(SocketAddr::from(([127, 0, 0, 1], 9090)))
        );
        assert!(!format!("{:?}", l.config).contains("a-long-enough"));
        assert!(
            Config::load_from(
                None,
                env(&[("INVIGIL_METRICS_TOKEN", "short")]),
                &FlagOverrides::default()
            )
            .is_err()
        );
    }

    #[test]
    fn blob_store_settings() {
        let l = Config::load_from(None, vec![], &FlagOverrides::default()).unwrap();
        assert_eq!(l.config.blob_store, BlobBackend::Local);
        assert_eq!(l.config.files_max_video_bytes, 2 * GIB);
        let l = Config::load_from(
            None,
            env(&[
                ("INVIGIL_BLOB_STORE", "s3"),
                ("INVIGIL_S3_BUCKET", "course-files"),
                ("INVIGIL_S3_ENDPOINT", "http://127.0.0.1:9000"),
                ("INVIGIL_S3_ALLOW_HTTP", "true"),
                ("INVIGIL_S3_ACCESS_KEY_ID", "minio"),
                ("INVIGIL_S3_SECRET_ACCESS_KEY", "very-secret-key"),
                ("INVIGIL_FILES_QUOTA_BYTES", "1000"),
            ]),
            &FlagOverrides::default(),
        )
        .unwrap();
        assert!(l.warnings.is_empty(), "{:?}", l.warnings);
        assert_eq!(l.config.blob_store, BlobBackend::S3);
        assert_eq!(l.config.s3_bucket.as_deref(), Some("course-files"));
        assert_eq!(l.config.files_quota_bytes, 1000);
        assert!(!format!("{:?}", l.config).contains("very-secret-key"));
        // S3 without a bucket, or over plain HTTP without saying so: refused.
        for bad in [
            vec![("INVIGIL_BLOB_STORE", "s3")],
            vec![
                ("INVIGIL_BLOB_STORE", "s3"),
                ("INVIGIL_S3_BUCKET", "b"),
                ("INVIGIL_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ],
            vec![("INVIGIL_BLOB_STORE", "ftp")],
        ] {
            assert!(Config::load_from(None, env(&bad), &FlagOverrides::default()).is_err());
        }
    }
}
