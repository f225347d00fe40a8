//! `backup --to PATH`: a consistent copy of the embedded SQLite database taken while the service
//! runs and writes, checked before it is named; on PostgreSQL it refuses and names the continuous
//! archiving the README documents.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use diesel::prelude::*;
use inbound_transfer::config::DatabaseUrl;
use inbound_transfer::db::types::Id;
use inbound_transfer::db::ConnectionManager;
use inbound_transfer::schema::travellers;

use crate::world::World;

fn backup(url: &str, to: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_inbound-transfer"))
        .args(["backup", "--to"])
        .arg(to)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env("APP__DATABASE__URL", url)
        .env("APP__LOG__LEVEL", "warn")
        .output()
        .expect("the binary runs")
}

#[actix_web::test]
async fn a_backup_taken_while_writes_go_on_holds_every_acknowledged_write_and_checks() {
    let w = World::new().await;
    let url = w.app.settings.database.url.clone();
    let dir = std::env::temp_dir().join(format!("backup-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let to = dir.join("copy.db");
    if url.starts_with("postgres") {
        // PostgreSQL is backed up by continuous archiving: the command says so and fails.
        let out = backup(&url, &to);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pgBackRest"));
        assert!(!to.exists());
        return;
    }

    // Writers register travellers without pause; each acknowledged one is noted with its time.
    let acknowledged: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers = {
        let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
        let w = &w;
        async move {
            let mut n = 0;
            while !stop.load(Ordering::Acquire) {
                n += 1;
                let id = w.register("PVG", "CZ-TN-HM", &format!("BK{n:04}")).await;
                acknowledged.lock().unwrap().push((Instant::now(), id));
            }
        }
    };
    let copy = {
        let (url, to, stop) = (url.clone(), to.clone(), stop.clone());
        async move {
            // Some writes before, then the backup while they go on.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let began = Instant::now();
            let out = actix_web::web::block(move || backup(&url, &to)).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            stop.store(true, Ordering::Release);
            (began, out)
        }
    };
    let ((began, out), ()) = futures::join!(copy, writers);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["integrity"], "ok");
    assert_eq!(report["chains_ok"], true);
    assert_eq!(report["statistics_equal_recount"], true);
    let acknowledged = acknowledged.lock().unwrap().clone();
    let before: Vec<&String> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| id)
        .collect();
    let after = acknowledged.len() - before.len();
    assert!(
        !before.is_empty() && after > 0,
        "writes before ({}) and during ({after})",
        before.len()
    );

    // Every write acknowledged before the backup began is in the copy; the copy's log verifies
    // and its statistics equal a recount (checked again here, outside the command).
    let copy_url = format!("sqlite://{}", to.display());
    let mut conn = ConnectionManager::new(DatabaseUrl::parse(&copy_url).unwrap(), 1000)
        .connect()
        .unwrap();
    let held: std::collections::HashSet<String> = travellers::table
        .select(travellers::id)
        .load::<Id>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    for id in &before {
        assert!(held.contains(*id), "acknowledged {id} is missing from the backup");
    }
    let (stored, recounted) = (
        inbound_transfer::store::counts::stored(&mut conn).unwrap(),
        inbound_transfer::store::counts::recount(&mut conn).unwrap(),
    );
    assert_eq!(stored, recounted);
    drop(conn);
    let verified = Command::new(env!("CARGO_BIN_EXE_inbound-transfer"))
        .arg("verify-log")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env("APP__DATABASE__URL", &copy_url)
        .env("APP__LOG__LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );

    // A backup never overwrites: the same path again fails and leaves the copy as it was.
    let size = std::fs::metadata(&to).unwrap().len();
    let again = backup(&url, &to);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    assert_eq!(std::fs::metadata(&to).unwrap().len(), size);
    let _ = std::fs::remove_dir_all(&dir);
}
