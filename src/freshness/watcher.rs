//! The SQLite watcher: on a connection of its own, `PRAGMA data_version`, which moves when any
//! other connection (of this process or another) commits.

use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;

use super::{keep_hearing, Freshness};

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = BigInt)]
    data_version: i64,
}

fn data_version(conn: &mut SqliteConnection) -> QueryResult<i64> {
    diesel::sql_query("PRAGMA data_version")
        .get_result::<DataVersion>(conn)
        .map(|v| v.data_version)
}

/// The SQLite watcher: reads `PRAGMA data_version` on a connection of its own, which moves when
/// any other connection (of this process or another) commits, and forgets everything when it does.
pub(super) fn watch(path: &str, weak: Weak<Freshness>, every: Duration) {
    let open = || {
        let mut conn = SqliteConnection::establish(path).map_err(|e| e.to_string())?;
        conn.batch_execute("PRAGMA busy_timeout = 1000")
            .and_then(|_| data_version(&mut conn))
            .map(|seen| (conn, seen))
            .map_err(|e| e.to_string())
    };
    keep_hearing(weak, open, |(conn, seen), weak| loop {
        std::thread::sleep(every);
        let freshness = weak.upgrade()?;
        match data_version(conn) {
            Ok(version) => {
                if version != *seen {
                    *seen = version;
                    freshness.forget_all();
                    freshness.heard_change.notify_one();
                }
                freshness.heard();
            }
            Err(e) => return Some(e.to_string()),
        }
    });
}
