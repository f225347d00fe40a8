//! What every request handler shares: the pool, settings, token keys and the password hasher.
//! Nothing here holds per-user or per-request state, so any number of instances can serve.

use std::sync::Arc;

use actix_web::web;

use crate::auth::password::Passwords;
use crate::auth::tokens::TokenKeys;
use crate::config::Settings;
use crate::db::{DbConnection, Pool};
use crate::error::{ApiError, ApiResult};

pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub keys: TokenKeys,
    pub passwords: Passwords,
    pub metrics: crate::http::metrics::Metrics,
}

impl AppState {
    pub fn new(pool: Pool, settings: Arc<Settings>, metrics: crate::http::metrics::Metrics) -> Self {
        Self {
            metrics,
            keys: TokenKeys::new(&settings.auth),
            passwords: Passwords::new(settings.auth.hash_concurrency),
            pool,
            settings,
        }
    }

    /// Runs blocking database work on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, work: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> ApiResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
        .map_err(ApiError::from)?
    }
}
