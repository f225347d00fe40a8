//! What every request handler shares: the pool, settings, token keys and the password hasher.
//! Nothing here holds per-user or per-request state, so any number of instances can serve.

use std::sync::Arc;

use actix_web::web;

use crate::auth::password::Passwords;
use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::{DbConnection, Pool};
use crate::error::{ApiError, ApiResult};
use crate::freshness::{take_touched, Freshness};

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    pub passwords: Passwords,
    pub metrics: crate::http::metrics::Metrics,
    /// A cache of what is current, which every instance is told to forget on change.
    pub freshness: Arc<Freshness>,
    /// Every route and its methods, for the checks made before any handler runs.
    pub routes: Arc<crate::http::edge::RouteTable>,
}

impl AppState {
    pub fn new(
        pool: Pool,
        settings: Arc<Settings>,
        metrics: crate::http::metrics::Metrics,
        freshness: Arc<Freshness>,
    ) -> Self {
        Self {
            freshness,
            metrics,
            routes: crate::http::edge::route_table(),
            keys: TokenKeys::new(&settings.auth),
            passwords: Passwords::new(settings.auth.hash_concurrency, settings.auth.hash_queue),
            pool,
            settings,
        }
    }

    /// Runs blocking database work on the blocking thread pool with a pooled connection. What it
    /// changed is forgotten by this instance's cache before the answer goes out.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        let freshness = self.freshness.clone();
        web::block(move || {
            let _ = take_touched();
            let result = pool
                .get()
                .map_err(ApiError::from)
                .and_then(|mut conn| work(&mut conn));
            freshness.forget(&take_touched());
            result
        })
        .await
        .map_err(ApiError::from)?
    }
}
