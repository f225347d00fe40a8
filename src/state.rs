//! What every request handler shares: the pool, settings, token keys and the password hasher.
//! Nothing here holds per-user or per-request state, so any number of instances can serve.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::web;

use crate::auth::password::Passwords;
use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::{DbConnection, Pool};
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::feed::Feed;
use crate::freshness::Freshness;
use crate::store::Committed;

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    pub passwords: Passwords,
    pub metrics: crate::metrics::Metrics,
    /// A cache of what is current, which every instance is told to forget on change.
    pub freshness: Arc<Freshness>,
    /// The schema is up to date: until then only the operations routes answer.
    database_ready: AtomicBool,
    /// The event streams open on this instance.
    pub streams: Arc<crate::feed::StreamSlots>,
    /// The recent events the streams of this instance follow.
    pub feed: Arc<Feed>,
    /// The texts of the notices to travellers.
    pub notices: Arc<crate::notices::Notices>,
    /// Places for the rosters being built on this instance.
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Places for the manifests being read on this instance.
    pub imports: Arc<tokio::sync::Semaphore>,
    /// True once the instance is stopping (SIGTERM): `/readyz` answers 503 and event streams end,
    /// so that their clients resume elsewhere with `Last-Event-ID`.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    pub fn new(
        pool: Pool,
        settings: Arc<Settings>,
        metrics: crate::metrics::Metrics,
        freshness: Arc<Freshness>,
        notices: crate::notices::Notices,
    ) -> Self {
        Self {
            notices: Arc::new(notices),
            feed: Feed::new(freshness.heard_change()),
            freshness,
            metrics,
            database_ready: AtomicBool::new(false),
            streams: Default::default(),
            keys: TokenKeys::new(&settings.auth),
            passwords: Passwords::new(settings.auth.hash_concurrency, settings.auth.hash_queue),
            exports: Arc::new(tokio::sync::Semaphore::new(settings.concurrent_rosters())),
            imports: Arc::new(tokio::sync::Semaphore::new(settings.import.max_concurrent)),
            stopping: tokio::sync::watch::channel(false).0,
            pool,
            settings,
        }
    }

    pub fn mark_database_ready(&self) {
        self.database_ready.store(true, Ordering::Release);
    }

    pub fn database_ready(&self) -> bool {
        self.database_ready.load(Ordering::Acquire)
    }

    /// Marks the instance as stopping: streams end, `/readyz` answers 503.
    pub fn begin_stopping(&self) {
        self.stopping.send_replace(true);
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Changes when the instance begins stopping.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stopping.subscribe()
    }

    /// How long one call of `db` may take: the wait for a connection and one statement's time.
    pub fn db_deadline(&self) -> Option<Duration> {
        let database = &self.settings.database;
        (database.statement_timeout_ms > 0)
            .then(|| Duration::from_millis(database.pool_timeout_ms + database.statement_timeout_ms))
    }

    /// Runs blocking database work on the blocking thread pool with a pooled connection. A database that
    /// does not answer within the deadline (frozen, or cut off without a reset) turns into 503:
    /// the work itself still ends as one transaction, committed or not, which a retry with the
    /// same `Idempotency-Key` settles.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        self.db_within(self.db_deadline(), work).await
    }

    /// Runs a state change (`store::write`) like `db`: what it touched is forgotten by this
    /// instance's cache before the answer goes out.
    pub async fn write_within<T, F>(&self, deadline: Option<Duration>, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<Committed<T>> + Send + 'static,
    {
        let freshness = self.freshness.clone();
        let value = self
            .db_within(deadline, move |conn| {
                let committed = work(conn)?;
                freshness.forget(&committed.touched);
                Ok(committed.value)
            })
            .await;
        self.feed.wake();
        value
    }

    /// `write_within` with the usual deadline.
    pub async fn write<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<Committed<T>> + Send + 'static,
    {
        self.write_within(self.db_deadline(), work).await
    }

    /// `db` with a deadline of the caller's choice.
    pub async fn db_within<T, F>(&self, deadline: Option<Duration>, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let blocked = web::block(move || {
            let mut conn = pool.get().map_err(ApiError::from)?;
            let result = work(&mut conn);
            if result
                .as_ref()
                .is_err_and(|e| e.status == StatusCode::SERVICE_UNAVAILABLE)
            {
                // Lost, or busy beyond its time: the pool opens a fresh one instead.
                conn.mark_lost();
            }
            result
        });
        let done = match deadline {
            Some(limit) => actix_web::rt::time::timeout(limit, blocked).await.map_err(|_| {
                tracing::warn!(
                    after_ms = limit.as_millis() as u64,
                    "the database did not answer in time"
                );
                ApiError::unavailable(msg!("database_timeout"))
            })?,
            None => blocked.await,
        };
        done.map_err(ApiError::from)?
    }
}
