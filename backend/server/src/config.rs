//! Configuration from the environment (API.md's table); tests build a `Config` directly.
use std::path::PathBuf;
use std::time::Duration;

use minqing_domain::i18n::{Lang, message};
use minqing_domain::password::check_password;
use minqing_storage::SessionConfig;
use minqing_storage::throttle::LoginLimits;

#[derive(Debug, Clone)]
pub struct Config {
    /// `MINQING_LISTEN`; port 0 picks a free port.
    pub listen: String,
    /// `MINQING_DATA_DIR`: the embedded database and uploads.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`; SQLite under the data dir by default.
    pub database_url: String,
    /// `REDIS_URL`; the in-process cache when unset.
    pub redis_url: Option<String>,
    /// `MINQING_BOOTSTRAP_PASSWORD`: of `operator` and the demo `admin`, when created.
    pub bootstrap_password: Option<String>,
    /// `MINQING_DEMO`: seed the demo tenant `nanchang` on an empty database.
    pub demo: bool,
    /// `MINQING_SITE_ROOT`: the built portal (wasm, CSS); `cargo run` sets it.
    pub site_root: PathBuf,
    /// `MINQING_LOG_FORMAT=json` for JSON logs.
    pub json_logs: bool,
    /// `MINQING_SECURE_COOKIES=true` behind HTTPS.
    pub secure_cookies: bool,
    /// `MINQING_SESSION_IDLE_MINUTES` (720) and `MINQING_SESSION_ABSOLUTE_HOURS` (168).
    pub sessions: SessionConfig,
    /// `MINQING_LOGIN_FAILURES_PER_ACCOUNT` (5) and `…_PER_ADDRESS` (30) per 15 minutes.
    pub login_limits: LoginLimits,
    /// `MINQING_PUBLIC_DEMANDS_PER_HOUR` (20): online-form submissions per client address.
    pub public_demands_per_hour: i64,
    /// `MINQING_TRUSTED_PROXY_HOPS` (0): proxies in front that append to `X-Forwarded-For`,
    /// whose reading of the client's address throttling then uses.
    pub trusted_proxy_hops: usize,
    /// `MINQING_DATA_KEY`: 32 bytes (64 hex digits or base64) sealing residents' personal
    /// data. Required on PostgreSQL (`serve` refuses to start without it); unset on SQLite: a
    /// key generated once into `<data dir>/data.key`.
    pub data_key: Option<String>,
    /// `MINQING_SWEEP_SECONDS` (60): how often the deadline sweeper runs; 0 turns it off.
    pub sweep_every: Duration,
    /// `MINQING_DELIVERY_SECONDS` (5): how often queued notifications are sent; 0 turns it off.
    pub deliver_every: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str, default: bool) -> anyhow::Result<bool> {
    match env(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => anyhow::bail!("{name} must be true or false, not {other:?}"),
    }
}

fn env_u64(name: &str, default: u64) -> anyhow::Result<u64> {
    match env(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {v:?}")),
    }
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(env("MINQING_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = env("DATABASE_URL").unwrap_or_else(|| default_sqlite_url(&data_dir));
        let bootstrap_password = env("MINQING_BOOTSTRAP_PASSWORD");
        if let Some(p) = &bootstrap_password {
            // It becomes the password of `operator` and `admin`: the same rules as any other.
            for user in ["operator", "admin"] {
                check_password(p, user).map_err(|code| {
                    anyhow::anyhow!(
                        "MINQING_BOOTSTRAP_PASSWORD is not accepted: {}",
                        message(code, Lang::En)
                    )
                })?;
            }
        }
        Ok(Self {
            listen: env("MINQING_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into()),
            database_url,
            redis_url: env("REDIS_URL"),
            bootstrap_password,
            demo: env_bool("MINQING_DEMO", true)?,
            site_root: PathBuf::from(
                env("MINQING_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            ),
            json_logs: env("MINQING_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            secure_cookies: env_bool("MINQING_SECURE_COOKIES", false)?,
            sessions: SessionConfig {
                idle: Duration::from_secs(env_u64("MINQING_SESSION_IDLE_MINUTES", 720)? * 60),
                absolute: Duration::from_secs(
                    env_u64("MINQING_SESSION_ABSOLUTE_HOURS", 168)? * 3600,
                ),
            },
            login_limits: LoginLimits {
                per_account: env_u64("MINQING_LOGIN_FAILURES_PER_ACCOUNT", 5)? as i64,
                per_address: env_u64("MINQING_LOGIN_FAILURES_PER_ADDRESS", 30)? as i64,
            },
            public_demands_per_hour: env_u64("MINQING_PUBLIC_DEMANDS_PER_HOUR", 20)? as i64,
            trusted_proxy_hops: env_u64("MINQING_TRUSTED_PROXY_HOPS", 0)? as usize,
            data_key: env("MINQING_DATA_KEY"),
            sweep_every: Duration::from_secs(env_u64("MINQING_SWEEP_SECONDS", 60)?),
            deliver_every: Duration::from_secs(env_u64("MINQING_DELIVERY_SECONDS", 5)?),
            data_dir,
        })
    }
}

pub fn default_sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}/minqing.db?mode=rwc", data_dir.display())
}
