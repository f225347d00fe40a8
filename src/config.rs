//! Layered configuration: `config/default.toml`, then `config/{APP_ENV}.toml`, then `APP__*`
//! environment variables, with `DATABASE_URL` as an alias of `APP__DATABASE__URL`.

use std::path::Path;

use serde::Deserialize;

/// The development signing key shipped in `config/default.toml`; production refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str = "dev-only-insecure-secret-change-me-0123456789abcdef";

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub handoff: HandoffSettings,
    pub demo: DemoSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub stats: StatsSettings,
    #[serde(default)]
    pub stream: StreamSettings,
    #[serde(default)]
    pub metrics: MetricsSettings,
    #[serde(default)]
    pub idempotency: IdempotencySettings,
    #[serde(default)]
    pub housekeeping: HousekeepingSettings,
    #[serde(default)]
    pub privacy: PrivacySettings,
    #[serde(default)]
    pub import: ImportSettings,
    #[serde(default)]
    pub reports: ReportSettings,
    #[serde(default)]
    pub notices: NoticeSettings,
    /// The `[loop]` section: when what keeps the loop open becomes a loose end.
    #[serde(default, rename = "loop")]
    pub closed_loop: LoopSettings,
    #[serde(default)]
    pub console: ConsoleSettings,
    /// The value of APP_ENV (`local` when unset); not read from the files.
    #[serde(skip)]
    pub environment: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout_secs: u64,
    /// Proxies whose `X-Forwarded-For` is believed: addresses or CIDR ranges (a list in the
    /// files, comma-separated in the environment).
    #[serde(default, deserialize_with = "address_ranges")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// After SIGTERM, how long the instance goes on accepting while `/readyz` answers 503, so that a
    /// balancer's health checks take it out before it stops accepting.
    #[serde(default)]
    pub drain_secs: u64,
    /// PEM certificate chain and private key: when both are set, `bind` serves HTTPS.
    #[serde(default)]
    pub tls_cert: Option<String>,
    #[serde(default)]
    pub tls_key: Option<String>,
}

/// A list of addresses or CIDR ranges, given as a list or as one comma-separated string.
fn address_ranges<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ranges {
        List(Vec<String>),
        Text(String),
    }
    let words: Vec<String> = match Ranges::deserialize(d)? {
        Ranges::List(list) => list,
        Ranges::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.parse::<ipnet::IpNet>()
                .or_else(|_| w.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| serde::de::Error::custom(format!("{w:?} is not an address or CIDR range")))
        })
        .collect()
}

#[derive(Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub pool_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
    /// How long opening a PostgreSQL connection may take.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long one PostgreSQL statement may run, and a connection may wait on a lock, before it
    /// is cancelled; the request then answers 503.
    #[serde(default = "default_statement_timeout_ms")]
    pub statement_timeout_ms: u64,
}

fn default_connect_timeout_ms() -> u64 {
    2000
}

fn default_statement_timeout_ms() -> u64 {
    5000
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = DatabaseUrl::parse(&self.url)
            .map(|u| u.redacted())
            .unwrap_or_else(|_| "<invalid>".into());
        f.debug_struct("DatabaseSettings")
            .field("url", &url)
            .field("pool_size", &self.pool_size)
            .field("pool_timeout_ms", &self.pool_timeout_ms)
            .field("sqlite_busy_timeout_ms", &self.sqlite_busy_timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("statement_timeout_ms", &self.statement_timeout_ms)
            .finish()
    }
}

#[derive(Clone, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    pub secret: String,
}

#[derive(Clone, Deserialize)]
pub struct AuthSettings {
    pub jwt_secret: String,
    pub jwt_kid: String,
    #[serde(default)]
    pub previous_keys: Vec<SigningKey>,
    pub issuer: String,
    pub audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    /// Failed logins per username and client address in one window.
    pub login_max_failures: u32,
    /// Failed logins per client address, whatever the usernames, in one window.
    #[serde(default = "default_failures_per_address")]
    pub login_max_failures_per_address: u32,
    /// Failed logins per username, whatever the addresses, in one window.
    #[serde(default = "default_failures_per_username")]
    pub login_max_failures_per_username: u32,
    pub login_window_secs: u64,
    pub hash_concurrency: usize,
    /// Password checks that may wait for a hashing slot; beyond them a login answers 429 at once.
    #[serde(default = "default_hash_queue")]
    pub hash_queue: usize,
}

fn default_failures_per_address() -> u32 {
    100
}

fn default_failures_per_username() -> u32 {
    1000
}

fn default_hash_queue() -> usize {
    8
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("jwt_secret", &"***")
            .field("jwt_kid", &self.jwt_kid)
            .field(
                "previous_keys",
                &self.previous_keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("access_ttl_secs", &self.access_ttl_secs)
            .field("refresh_ttl_secs", &self.refresh_ttl_secs)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_max_failures_per_address",
                &self.login_max_failures_per_address,
            )
            .field(
                "login_max_failures_per_username",
                &self.login_max_failures_per_username,
            )
            .field("login_window_secs", &self.login_window_secs)
            .field("hash_concurrency", &self.hash_concurrency)
            .field("hash_queue", &self.hash_queue)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HandoffSettings {
    pub sla_minutes: i64,
}

/// The web console on an officer's device.
#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    /// How long the desk keeps the pending handoffs and their people on the device, in hours,
    /// for use without a network (wiped at sign-out in any case).
    pub offline_hours: u32,
    /// Mixed into the version of the console's files: the same files under another version, as a
    /// new release would have. For tests of a console that replaces itself; unset in use.
    #[serde(default)]
    pub version_salt: Option<String>,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            offline_hours: 12,
            version_salt: None,
        }
    }
}

/// When what keeps the loop open becomes a loose end.
#[derive(Debug, Clone, Deserialize)]
pub struct LoopSettings {
    /// Travellers awaiting transfer at a port longer than this are a `waiting` loose end.
    pub waiting_alert_minutes: i64,
}

impl Default for LoopSettings {
    fn default() -> Self {
        LoopSettings {
            waiting_alert_minutes: 240,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatsSettings {
    /// The dashboards' local time, for daily numbers: minutes east of UTC (China: 480).
    pub utc_offset_minutes: i32,
    /// Answer polls whose numbers have not changed from memory (see `freshness`); off, every poll
    /// reads the database.
    pub answer_from_memory: bool,
    /// How often each instance reads the changes it has been told of (PostgreSQL notifications,
    /// SQLite's data version), in milliseconds: the most another instance's change can take to
    /// reach this one's memory.
    pub hear_every_ms: u64,
}

impl Default for StatsSettings {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 480,
            answer_from_memory: true,
            hear_every_ms: 5,
        }
    }
}

/// Limits on open event streams.
#[derive(Debug, Clone, Deserialize)]
pub struct StreamSettings {
    pub max_per_user: usize,
    pub max_total: usize,
    /// How long one stream lasts before the client is asked to reconnect.
    #[serde(default = "default_stream_seconds")]
    pub max_seconds: u64,
}

fn default_stream_seconds() -> u64 {
    600
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            max_per_user: 8,
            max_total: 2000,
            max_seconds: default_stream_seconds(),
        }
    }
}

/// `/metrics`: with a token, scrapes must send it as a bearer token.
#[derive(Clone, Deserialize)]
pub struct MetricsSettings {
    #[serde(default)]
    pub token: Option<String>,
    /// How often the loop's gauges are read from the database, in seconds.
    #[serde(default = "default_metrics_refresh_secs")]
    pub refresh_secs: u64,
}

fn default_metrics_refresh_secs() -> u64 {
    5
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            token: None,
            refresh_secs: default_metrics_refresh_secs(),
        }
    }
}

impl std::fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("refresh_secs", &self.refresh_secs)
            .finish()
    }
}

/// How long stored answers to `Idempotency-Key` requests are kept.
#[derive(Debug, Clone, Deserialize)]
pub struct IdempotencySettings {
    pub retain_hours: u64,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        Self { retain_hours: 24 }
    }
}

/// Periodic sweeps of each instance (`housekeeping`).
#[derive(Debug, Clone, Deserialize)]
pub struct HousekeepingSettings {
    pub every_secs: u64,
}

impl Default for HousekeepingSettings {
    fn default() -> Self {
        Self { every_secs: 60 }
    }
}

/// How long personal data is kept after a traveller's loop closed.
#[derive(Debug, Clone, Deserialize)]
pub struct PrivacySettings {
    pub retain_days: u64,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self { retain_days: 28 }
    }
}

impl PrivacySettings {
    /// How long personal data is kept after a loop closes.
    pub fn retention(&self) -> chrono::Duration {
        chrono::Duration::days(self.retain_days.min(36_500) as i64)
    }
}

/// Manifests sent as files.
#[derive(Debug, Clone, Deserialize)]
pub struct ImportSettings {
    /// The largest manifest accepted, in bytes (CSV or XLSX).
    pub max_body_bytes: usize,
    /// Manifests read at once by one instance; beyond them 429.
    #[serde(default = "two")]
    pub max_concurrent: usize,
}

fn two() -> usize {
    2
}

/// Roster downloads: each holds a database connection while its pages are read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportSettings {
    /// Rosters built at once by one instance; beyond them 429. Unset: half the pool.
    pub max_concurrent: Option<usize>,
}

impl Default for ImportSettings {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            max_concurrent: two(),
        }
    }
}

/// Notices to travellers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NoticeSettings {
    /// A directory of `.ftl` files (`{lang}/notice.ftl` or `{lang}.ftl`) whose messages take
    /// precedence over the built-in texts.
    pub dir: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DemoSettings {
    pub seed: bool,
    /// With `seed`: on a database without travellers, set the demo city's day in motion
    /// (travellers waiting, a batch on the road, pending and overdue handoffs, a partial receipt).
    #[serde(default)]
    pub motion: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

impl Settings {
    /// Rosters one instance builds at once: as set, or half the pool's connections (at least one).
    pub fn concurrent_rosters(&self) -> usize {
        self.reports
            .max_concurrent
            .unwrap_or(self.database.pool_size as usize / 2)
            .max(1)
    }

    /// Loads the settings from `config/` under the working directory and the environment.
    pub fn load() -> Result<Self, String> {
        Self::load_from(Path::new("config"))
    }

    pub fn load_from(dir: &Path) -> Result<Self, String> {
        let environment = std::env::var("APP_ENV").unwrap_or_else(|_| "local".to_owned());
        let mut builder = config::Config::builder()
            .add_source(config::File::from(dir.join("default.toml")).required(true))
            .add_source(config::File::from(dir.join(format!("{environment}.toml"))).required(false))
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            );
        if std::env::var_os("APP__DATABASE__URL").is_none() {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                builder = builder
                    .set_override("database.url", url)
                    .map_err(|e| e.to_string())?;
            }
        }
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| format!("invalid configuration: {e}"))?;
        settings.environment = environment;
        settings.validate()?;
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }

    /// Refuses settings that would be unsafe or cannot work.
    pub fn validate(&self) -> Result<(), String> {
        DatabaseUrl::parse(&self.database.url)?;
        if self.auth.jwt_secret.len() < 32 {
            return Err("auth.jwt_secret must be at least 32 bytes".into());
        }
        if self.database.pool_size == 0 || self.auth.hash_concurrency == 0 {
            return Err("database.pool_size and auth.hash_concurrency must be at least 1".into());
        }
        let auth = &self.auth;
        if auth.login_max_failures == 0
            || auth.login_max_failures_per_address == 0
            || auth.login_max_failures_per_username == 0
        {
            return Err("auth.login_max_failures* must be at least 1".into());
        }
        if let Some(n) = self.reports.max_concurrent {
            if n == 0 || n > self.database.pool_size as usize {
                return Err("reports.max_concurrent must be between 1 and database.pool_size".into());
            }
        }
        if !(1..=10_080).contains(&self.closed_loop.waiting_alert_minutes) {
            return Err("loop.waiting_alert_minutes must be between 1 and 10080 (a week)".into());
        }
        if !(1..=168).contains(&self.console.offline_hours) {
            return Err("console.offline_hours must be between 1 and 168 (a week)".into());
        }
        if self.import.max_concurrent == 0 {
            return Err("import.max_concurrent must be at least 1".into());
        }
        if self.stream.max_per_user == 0 || self.stream.max_total == 0 {
            return Err("stream.max_per_user and stream.max_total must be at least 1".into());
        }
        if self.is_production() {
            if self.auth.jwt_secret == DEVELOPMENT_JWT_SECRET
                || self
                    .auth
                    .previous_keys
                    .iter()
                    .any(|k| k.secret == DEVELOPMENT_JWT_SECRET)
            {
                return Err("APP_ENV=production refuses the built-in development JWT secret: \
                            set APP__AUTH__JWT_SECRET"
                    .into());
            }
            if self.demo.seed {
                return Err("APP_ENV=production refuses to start with demo.seed = true".into());
            }
        }
        Ok(())
    }
}

/// A database location, chosen by the URL scheme.
#[derive(Debug, Clone)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err("sqlite:// URL needs a file path, e.g. sqlite://data/app.db".into());
            }
            Ok(Self::Sqlite(path.to_owned()))
        } else {
            Err("database URL must start with sqlite://, postgres:// or postgresql://".into())
        }
    }

    /// The URL with any password replaced, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{path}"),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme_end), Some(at)) if at > scheme_end => {
                    let userinfo = &url[scheme_end + 3..at];
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}
