//! Periodic work of every instance: stored idempotent answers past `idempotency.retain_hours`
//! and failed logins past the login window are removed (plain deletes, so instances sweeping at
//! the same time do no harm), and expired personal data is erased by one instance at a time. On
//! SQLite, the write-ahead log is copied back into the database file every second, apart from
//! the requests (see `db::Checkpoints`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use actix_web::web;

use crate::db::types::Timestamp;
use crate::db::Lock;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store;
use crate::store::{idempotency, users};

/// Runs the sweeps every `housekeeping.every_secs`, refreshes the metrics' gauges every
/// `metrics.refresh_secs` and, on SQLite, checkpoints every `db::CHECKPOINT_EVERY`, while the
/// application lives.
pub fn start(state: &web::Data<AppState>) {
    let settings = &state.settings;
    every(
        state,
        Duration::from_secs(settings.housekeeping.every_secs.max(1)),
        |state| {
            Box::pin(async move {
                if let Err(error) = sweep(&state).await {
                    tracing::warn!(error = %error.detail(), "housekeeping failed; retrying at the next tick");
                }
            })
        },
    );
    every(
        state,
        Duration::from_secs(settings.metrics.refresh_secs.max(1)),
        |state| Box::pin(async move { crate::http::metrics::refresh(&state).await }),
    );
    if matches!(
        crate::db::DatabaseUrl::parse(&settings.database.url),
        Ok(crate::db::DatabaseUrl::Sqlite(_))
    ) {
        every(state, crate::db::CHECKPOINT_EVERY, |state| {
            Box::pin(async move {
                let copied = state
                    .db(|conn| crate::db::checkpoint(conn).map_err(ApiError::from))
                    .await;
                if let Err(error) = copied {
                    tracing::warn!(error = %error.detail(), "the write-ahead log was not copied back; retrying in a second");
                }
            })
        });
    }
}

type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// Runs `task` now and then every `period`, until the application is gone.
fn every(state: &web::Data<AppState>, period: Duration, task: fn(Arc<AppState>) -> Task) {
    let weak: Weak<AppState> = Arc::downgrade(&state.clone().into_inner());
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(period);
        loop {
            ticks.tick().await;
            let Some(state) = weak.upgrade() else { break };
            task(state).await;
        }
    });
}

/// One round of every sweep.
pub async fn sweep(state: &AppState) -> Result<(), ApiError> {
    let now = Timestamp::now();
    let keys_before =
        now - chrono::Duration::hours(state.settings.idempotency.retain_hours.min(87_600) as i64);
    let failures_before = now - chrono::Duration::seconds(state.settings.auth.login_window_secs as i64);
    let (keys, failures) = state
        .write(move |conn| {
            // Old answers and failures belong to nobody's city; logins count apart from them.
            store::write(conn, Lock::Logins, |tx| {
                Ok::<_, ApiError>((
                    idempotency::sweep(tx.conn()?, keys_before)?,
                    users::prune_failures(tx.conn()?, failures_before)?,
                ))
            })
        })
        .await?;
    if keys + failures > 0 {
        tracing::info!(idempotency_keys = keys, login_failures = failures, "swept");
    }
    let erased = erase_expired(state).await?;
    if erased > 0 {
        tracing::info!(travellers = erased, "erased expired personal data");
    }
    Ok(())
}

/// Travellers erased per transaction.
const ERASE_CHUNK: i64 = 500;

/// Erases all expired personal data, a chunk per transaction, unless another instance is at it.
pub async fn erase_expired(state: &AppState) -> Result<usize, ApiError> {
    let privacy = state.settings.privacy.clone();
    let mut total = 0;
    loop {
        let privacy = privacy.clone();
        let erased = state
            .write(move |conn| {
                store::write(conn, Lock::Everything, |tx| {
                    if !crate::db::try_exclusive(tx.conn()?, crate::db::ERASURE_LOCK_KEY)? {
                        return Ok(0);
                    }
                    let closed_before = Timestamp::now() - privacy.retention();
                    crate::transfer::privacy::erase_expired(
                        tx,
                        closed_before,
                        ERASE_CHUNK,
                        privacy.retain_days,
                    )
                    .map(|e| e.count())
                })
            })
            .await?;
        total += erased;
        if (erased as i64) < ERASE_CHUNK {
            return Ok(total);
        }
    }
}
