//! Storage: one connection type over PostgreSQL and embedded SQLite, the pool, migrations and the
//! transaction helpers every state change goes through.

pub mod types;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::DatabaseSettings;
use crate::db::types::UnitId;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A connection as the pool keeps it: checked with a round trip only when it has been idle a
/// while, and dropped when a request found it dead (`mark_lost`) instead of being checked before
/// every use.
pub struct Conn {
    db: DbConnection,
    lost: bool,
    last_checkout: std::time::Instant,
    /// The pool's count of lost connections when this one was last known good.
    known_good_at: u64,
    losses: Arc<AtomicU64>,
}

impl Conn {
    /// The connection failed as a lost one does: the pool drops it when it comes back, and every
    /// other connection is pinged before its next use, since they may have died the same way (a
    /// database restart ends them all).
    pub fn mark_lost(&mut self) {
        self.lost = true;
        self.losses.fetch_add(1, Ordering::AcqRel);
    }
}

impl std::ops::Deref for Conn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.db
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.db
    }
}

/// Statements sent by this process's pooled connections, in all.
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// How many statements this process's pooled connections have sent to the database: what a
/// benchmark reads to see the database's work.
pub fn statements_sent() -> u64 {
    STATEMENTS.load(Ordering::Relaxed)
}

fn count_statements(event: diesel::connection::InstrumentationEvent<'_>) {
    if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
        STATEMENTS.fetch_add(1, Ordering::Relaxed);
    }
}

/// How long a pooled connection may sit unused before its next checkout pings it.
const PING_AFTER_IDLE: Duration = Duration::from_secs(2);

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary constant key: the advisory lock that keeps concurrent instances from migrating at once.
const MIGRATION_LOCK_KEY: i64 = 0x1b0_7a45_f3e2;
/// The advisory lock every write transaction holds shared on PostgreSQL, and a change that may
/// reach any city holds alone (see `Lock`).
const EVERYTHING_LOCK_KEY: i64 = 0x1b0_7a45_f3e3;
/// The advisory lock held for the brief step at commit that appends the transaction's events, so
/// that `seq` follows commit order (see `store::Tx`).
pub const LOG_LOCK_KEY: i64 = 0x1b0_7a45_f3e5;
/// The advisory lock that makes logins count failures one at a time.
const LOGIN_LOCK_KEY: i64 = 0x1b0_7a45_f3e6;

pub use crate::config::DatabaseUrl;

/// The channel the PostgreSQL triggers notify of changes (see the `change_notifications`
/// migration), which every instance listens on (see `freshness`).
pub const CHANNEL: &str = "inbound_transfer_changes";
/// The payload a transaction that appended events notifies at commit (see `store::Tx`).
pub const EVENTS_APPENDED: &str = "events";

/// Opens connections of the backend the URL names, so that a failure reports that backend's own
/// error instead of the derive's "tried every backend" message.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    sqlite_busy_timeout_ms: u64,
    checkpoints: Checkpoints,
    /// How many connections requests have found lost (see `Conn::mark_lost`).
    losses: Arc<AtomicU64>,
}

/// Adds what bounds a PostgreSQL connection's waits, where the URL does not set it already: a
/// connect timeout, TCP keepalives, and a statement and lock timeout (0: none).
pub fn postgres_url_with_limits(url: &str, connect_timeout_ms: u64, statement_timeout_ms: u64) -> String {
    let mut url = url.to_owned();
    let mut add = |key: &str, value: String| {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    };
    // libpq counts whole seconds and takes at least 2.
    add(
        "connect_timeout",
        connect_timeout_ms.div_ceil(1000).max(2).to_string(),
    );
    add("keepalives", "1".into());
    add("keepalives_idle", "10".into());
    add("keepalives_interval", "5".into());
    add("keepalives_count", "3".into());
    if statement_timeout_ms > 0 {
        add(
            "options",
            format!("-c%20statement_timeout%3D{statement_timeout_ms}%20-c%20lock_timeout%3D{statement_timeout_ms}"),
        );
    }
    url
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl, sqlite_busy_timeout_ms: u64) -> Self {
        Self {
            url,
            sqlite_busy_timeout_ms,
            checkpoints: Checkpoints::AtCommit,
            losses: Arc::default(),
        }
    }

    /// The same, with SQLite's write-ahead log copied back as `checkpoints` says.
    pub fn with_checkpoints(self, checkpoints: Checkpoints) -> Self {
        Self { checkpoints, ..self }
    }

    pub fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let mut conn = self.open()?;
        conn.set_instrumentation(count_statements);
        Ok(conn)
    }

    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = std::path::Path::new(path).parent() {
                    if !dir.as_os_str().is_empty() {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(format!(
                                "cannot create directory {}: {e}",
                                dir.display()
                            )))
                        })?;
                    }
                }
                let mut conn = SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA wal_autocheckpoint = {};",
                    self.sqlite_busy_timeout_ms,
                    match self.checkpoints {
                        // SQLite's default: past 1,000 pages, at the commit that grew the log.
                        Checkpoints::AtCommit => 1000,
                        Checkpoints::Apart => 0,
                    }
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Conn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Conn, r2d2::Error> {
        Ok(Conn {
            known_good_at: self.losses.load(Ordering::Acquire),
            db: ConnectionManager::connect(self)?,
            lost: false,
            last_checkout: std::time::Instant::now(),
            losses: self.losses.clone(),
        })
    }

    /// A connection in steady use answers without a round trip: a dead one fails its request,
    /// which marks it lost (see `AppState::db`), and it is dropped. One idle for a while, or one
    /// of a pool where another was found lost since, is pinged first.
    fn is_valid(&self, conn: &mut Conn) -> Result<(), r2d2::Error> {
        let losses = self.losses.load(Ordering::Acquire);
        if conn.last_checkout.elapsed() >= PING_AFTER_IDLE || conn.known_good_at != losses {
            conn.db.ping().map_err(r2d2::Error::QueryError)?;
            conn.known_good_at = losses;
        }
        conn.last_checkout = std::time::Instant::now();
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.lost || std::thread::panicking() || conn.db.is_broken()
    }
}

/// Who copies what SQLite's write-ahead log holds back into the database file (a checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checkpoints {
    /// The connection whose commit grew the log past 1,000 pages, before its commit returns:
    /// for the command line, where nothing else would.
    AtCommit,
    /// The server's housekeeping, every second (`checkpoint`): a request's commit never waits
    /// for one, and a large import does not copy the log of every import before it.
    Apart,
}

/// How often the server copies SQLite's write-ahead log back (see `Checkpoints::Apart`).
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies what SQLite's write-ahead log holds back into the database file, as far as no reader
/// still needs it (`PASSIVE`: it waits for nobody, and writers go on meanwhile). PostgreSQL
/// checkpoints by itself.
pub fn checkpoint(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(lite) => lite.batch_execute("PRAGMA wal_checkpoint(PASSIVE)"),
        DbConnection::Postgres(_) => Ok(()),
    }
}

/// Builds the pool without connecting: callers wait at most `pool_timeout_ms` for a connection,
/// so a database outage turns into quick 503 answers instead of hung requests.
pub fn build_pool(settings: &DatabaseSettings, checkpoints: Checkpoints) -> Result<Pool, String> {
    let url = match DatabaseUrl::parse(&settings.url)? {
        DatabaseUrl::Postgres(url) => DatabaseUrl::Postgres(postgres_url_with_limits(
            &url,
            settings.connect_timeout_ms,
            settings.statement_timeout_ms,
        )),
        sqlite => sqlite,
    };
    let manager = ConnectionManager::new(url, settings.sqlite_busy_timeout_ms).with_checkpoints(checkpoints);
    Ok(r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(0))
        .connection_timeout(Duration::from_millis(settings.pool_timeout_ms))
        .test_on_check_out(true)
        .error_handler(Box::new(PoolErrorLogger))
        .build_unchecked(manager))
}

#[derive(Debug)]
struct PoolErrorLogger;

impl r2d2::HandleError<r2d2::Error> for PoolErrorLogger {
    fn handle_error(&self, error: r2d2::Error) {
        tracing::warn!(error = %error, "database connection failed");
    }
}

impl DbConnection {
    /// Runs the pending migrations of this connection's backend. On PostgreSQL an advisory lock
    /// keeps several instances starting together from migrating at the same time.
    pub fn run_migrations(&mut self) -> Result<Vec<String>, String> {
        let applied = match self {
            Self::Postgres(conn) => {
                // Migrations and the statistics rebuild may take long on a large database.
                conn.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
                    .map_err(|e| e.to_string())?;
                conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                    .map_err(|e| e.to_string())?;
                let result = conn
                    .run_pending_migrations(POSTGRES_MIGRATIONS)
                    .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>())
                    .map_err(|e| e.to_string());
                if let Self::Postgres(conn) = self {
                    let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
                }
                result?
            }
            Self::Sqlite(conn) => conn
                .run_pending_migrations(SQLITE_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect())
                .map_err(|e| e.to_string())?,
        };
        Ok(applied)
    }
}

impl DbConnection {
    /// Lifts the statement timeout of a PostgreSQL connection, for work of an operator's command
    /// that may take long (reading the whole log).
    pub fn lift_statement_timeout(&mut self) -> Result<(), String> {
        match self {
            Self::Postgres(conn) => conn
                .batch_execute("SET statement_timeout = 0")
                .map_err(|e| e.to_string()),
            Self::Sqlite(_) => Ok(()),
        }
    }

    /// Gives a PostgreSQL connection back the statement and lock timeouts of its URL.
    pub fn restore_limits(&mut self) {
        if let Self::Postgres(conn) = self {
            let _ = conn.batch_execute("RESET statement_timeout; RESET lock_timeout");
        }
    }
}

/// Arbitrary constant key: the advisory lock that lets one instance at a time erase expired
/// personal data.
pub const ERASURE_LOCK_KEY: i64 = 0x1b0_7a45_f3e4;

/// Inside a transaction: whether this transaction is the only one holding `key` (PostgreSQL,
/// across instances); on SQLite the write transaction already excludes every other writer.
pub fn try_exclusive(conn: &mut DbConnection, key: i64) -> diesel::QueryResult<bool> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        DbConnection::Postgres(_) => Ok(diesel::sql_query(format!(
            "SELECT pg_try_advisory_xact_lock({key}) AS locked"
        ))
        .get_result::<Locked>(conn)?
        .locked),
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// What a write transaction waits for on PostgreSQL before it reads anything it decides on.
/// Writers of one city queue behind each other; writers of different cities never wait on each
/// other. On SQLite the write transaction (`BEGIN IMMEDIATE`) already excludes every other writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A change within one city that reads rows to decide on others (a batch, a handoff): it
    /// waits for the other writers of its city.
    City(UnitId),
    /// A change that only adds rows (a registration, a manifest): unique indexes, the row locks
    /// of the statistics counters (taken at commit, in one order) and the log's commit step keep
    /// it right, so it waits for no other writer.
    Rows,
    /// Logins: failures are counted one attempt at a time, apart from every city's writes.
    Logins,
    /// A change that may reach any city (an admin's, a migration's, an operator's command): it
    /// waits for every other writer and holds them off until it ends.
    Everything,
}

impl Lock {
    /// The SQL that takes the lock, run with `BEGIN` in one round trip.
    fn sql(self) -> String {
        // Every writer holds the common key shared, so that `Everything` excludes them all.
        let shared = format!("SELECT pg_advisory_xact_lock_shared({EVERYTHING_LOCK_KEY})");
        match self {
            Lock::Everything => format!("SELECT pg_advisory_xact_lock({EVERYTHING_LOCK_KEY})"),
            Lock::Rows => shared,
            Lock::Logins => format!("{shared}; SELECT pg_advisory_xact_lock({LOGIN_LOCK_KEY})"),
            Lock::City(id) => {
                // The city's key: the first 8 bytes of its id (cities are few; a collision only
                // makes two cities queue together).
                let bytes = id.0.as_bytes();
                let key = i64::from_be_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
                format!("{shared}; SELECT pg_advisory_xact_lock({key})")
            }
        }
    }
}

/// Runs `f` in a write transaction under `lock`: `BEGIN IMMEDIATE` on SQLite, so that concurrent
/// read-then-write transactions queue for the write lock instead of failing; on PostgreSQL
/// `BEGIN` and the lock's advisory locks, in one round trip. Rows are still written with
/// optimistic version checks, so a change decided on stale reads is refused, never lost.
/// State changes go through `store::write`, which adds the statistics and the log to this.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    lock: Lock,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(inner) => {
            if let Err(e) =
                AnsiTransactionManager::begin_transaction_sql(inner, &format!("BEGIN; {}", lock.sql()))
            {
                // A lock that timed out leaves the transaction open and failed.
                let _ = inner.batch_execute("ROLLBACK");
                return Err(e.into());
            }
        }
    }
    finish_transaction(conn, f)
}

/// Runs `f` in a read transaction, so that everything it reads is one consistent snapshot.
pub fn read_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN")?,
        DbConnection::Postgres(inner) => AnsiTransactionManager::begin_transaction_sql(
            inner,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
    }
    finish_transaction(conn, f)
}

fn finish_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    type Tm = <DbConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Tm::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                let _ = Tm::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            let _ = Tm::rollback_transaction(conn);
            Err(error)
        }
    }
}
