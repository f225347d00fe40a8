//! The PostgreSQL listener: a connection of its own that `LISTEN`s on the change channel, and
//! proves every second that it still hears it.

use std::collections::BTreeSet;
use std::sync::Weak;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::{keep_hearing, Freshness, PING, PING_EVERY};
use crate::db::types::Id;
use crate::db::{CHANNEL, EVENTS_APPENDED};

/// How the listening connection names itself in `pg_stat_activity`.
pub const LISTENER_NAME: &str = "inbound-transfer-listener";

/// Applies one notification's payload: the id of a unit or a user, new events, or anything else
/// (which forgets everything, to be safe).
fn apply(freshness: &Freshness, payload: &str) {
    freshness.heard_change.notify_one();
    if payload == EVENTS_APPENDED {
        return;
    }
    match payload.parse::<uuid::Uuid>() {
        Ok(id) => freshness.forget(&BTreeSet::from([Id(id)])),
        Err(_) => freshness.forget_all(),
    }
}

/// The PostgreSQL listener: connects, `LISTEN`s, and reads notifications.
pub(super) fn listen(url: &str, weak: Weak<Freshness>, every: Duration) {
    keep_hearing(weak, || connect(url), |conn, weak| serve(conn, weak, every));
}

fn connect(url: &str) -> Result<PgConnection, String> {
    // TCP keepalives, so that a connection that died silently fails instead of hanging.
    let separator = if url.contains('?') { '&' } else { '?' };
    let url =
        format!("{url}{separator}keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=2");
    let mut conn = PgConnection::establish(&url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!(
        "SET application_name = '{LISTENER_NAME}'; LISTEN {CHANNEL}"
    ))
    .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Reads notifications until the cache is dropped (`None`) or the connection fails. Every second
/// it notifies the channel itself, with a token of its own, and counts the changes as heard only
/// when that comes back: proof that the connection stands and `LISTEN` works through whatever
/// sits between it and the database.
fn serve(conn: &mut PgConnection, weak: &Weak<Freshness>, every: Duration) -> Option<String> {
    let ping = format!("{PING}{}", uuid::Uuid::new_v4());
    let mut pinged: Option<Instant> = None;
    loop {
        let freshness = weak.upgrade()?;
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) if n.payload == ping => freshness.heard(),
                Ok(n) if n.payload.starts_with(PING) => {}
                Ok(n) => apply(&freshness, &n.payload),
                Err(e) => return Some(e.to_string()),
            }
        }
        drop(freshness);
        if pinged.is_none_or(|at| at.elapsed() >= PING_EVERY) {
            let sent = diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(CHANNEL)
                .bind::<diesel::sql_types::Text, _>(&ping)
                .execute(conn);
            if let Err(e) = sent {
                return Some(e.to_string());
            }
            pinged = Some(Instant::now());
        }
        std::thread::sleep(every);
    }
}
