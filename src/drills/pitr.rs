//! `inbound-transfer drill-pitr`: continuous archiving with pgBackRest and a point-in-time restore.
//!
//! A PostgreSQL cluster of the drill's own archives its write-ahead log with pgBackRest (Debian's)
//! into a repository in a temporary directory. After a full backup, clients register travellers
//! without pause through the service. The drill picks a moment in the middle of those writes,
//! restores the backup to that moment into a fresh cluster, and checks there:
//! - every registration acknowledged before the moment is present, unchanged (recovery point);
//! - none begun after it is;
//! - the audit log's chains verify, and the statistics equal a recount;
//!
//! and prints how long the restore took (recovery time).

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use inbound_transfer::db::types::TravellerId;
use inbound_transfer::db::{ConnectionManager, DatabaseUrl};
use inbound_transfer::schema::travellers;

use crate::chaos::{check, give_to_postgres, Cluster, Instance, Tally};

const PGBACKREST: &str = "/usr/bin/pgbackrest";
const STANZA: &str = "drill";

pub struct PitrOptions {
    /// The port of the archived cluster; the restored one uses the next.
    pub port: u16,
    /// Seconds of writes after the full backup.
    pub seconds: u64,
}

/// A registration the service acknowledged: when it was sent and answered, and what it holds.
struct Acknowledged {
    sent: chrono::DateTime<chrono::Utc>,
    answered: chrono::DateTime<chrono::Utc>,
    id: String,
    name: String,
}

fn pgbackrest(cluster: &Cluster, config: &str, args: &[&str]) -> Result<(), String> {
    let out = cluster
        .command(PGBACKREST)
        .arg(format!("--config={config}"))
        .arg(format!("--stanza={STANZA}"))
        .args(args)
        .output()
        .map_err(|e| format!("cannot run pgbackrest (apt-get install pgbackrest): {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "pgbackrest {}: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

pub fn run(opts: PitrOptions) -> Result<(), String> {
    if opts.port == 5432 || opts.port == 5431 {
        return Err("the drill uses clusters of its own: choose a port away from 5432".into());
    }
    let started = Instant::now();
    // The repository and configuration live beside the archived cluster, owned by postgres.
    let mut archived = Cluster::unstarted("pitr-primary", opts.port, &[])?;
    let repo = archived.dir().join("repo");
    let config = archived.dir().join("pgbackrest.conf").display().to_string();
    let spool = archived.dir().join("spool");
    std::fs::write(
        &config,
        format!(
            "[global]\nrepo1-path={}\nrepo1-retention-full=2\nspool-path={}\nlog-path={}\nlock-path={}\n\
             log-level-console=warn\nlog-level-file=off\nstart-fast=y\narchive-async=n\n\n\
             [{STANZA}]\npg1-path={}\npg1-port={}\npg1-socket-path={}\npg1-user=postgres\n",
            repo.display(),
            spool.display(),
            archived.dir().display(),
            archived.dir().display(),
            archived.data(),
            opts.port,
            archived.dir().display(),
        ),
    )
    .map_err(|e| e.to_string())?;
    give_to_postgres(archived.dir())?;
    let archive_command = format!("'{PGBACKREST} --config={config} --stanza={STANZA} archive-push %p'");
    archived.set(&[
        "archive_mode=on".into(),
        format!("archive_command={archive_command}"),
        "wal_level=replica".into(),
    ]);
    archived.init()?;
    archived.start()?;
    pgbackrest(&archived, &config, &["stanza-create"])?;
    pgbackrest(&archived, &config, &["--type=full", "backup"])?;
    let backup_done = Instant::now();
    crate::drills::create_database(&archived.url("postgres"), "drill")?;
    let url = archived.url("drill");
    let instance = Instance::new(&url)?;
    let seconds = opts.seconds.max(4);
    let acknowledged: Vec<Acknowledged> = actix_web::rt::System::new().block_on({
        let base = instance.base();
        async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
            crate::drills::wait_ready(&client, &base).await?;
            let admin = crate::drills::login(&client, &base, "admin", "admin-demo-pass").await?;
            let dispatcher =
                crate::drills::login(&client, &base, "cz.dispatcher", "dispatch-demo-pass").await?;
            let (port_id, community) = crate::drills::port_and_community(&client, &base, &admin).await?;
            let stop = Rc::new(AtomicBool::new(false));
            let mut workers = Vec::new();
            for w in 0..3 {
                let (client, base, dispatcher, port_id, community, stop) = (
                    client.clone(),
                    base.clone(),
                    dispatcher.clone(),
                    port_id.clone(),
                    community.clone(),
                    stop.clone(),
                );
                workers.push(actix_web::rt::spawn(async move {
                    let mut done = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Acquire) {
                        n += 1;
                        let name = format!("Archived Traveller {w}-{n}");
                        let document_no = format!("P{w:02}{n:06}");
                        let body =
                            crate::drills::traveller(&name, &document_no, "MU5102", &port_id, &community);
                        let sent = chrono::Utc::now();
                        let answer = client
                            .post(format!("{base}/api/v1/travellers"))
                            .bearer_auth(&dispatcher)
                            .insert_header(("idempotency-key", uuid::Uuid::new_v4().to_string()))
                            .send_json(&body)
                            .await;
                        if let Ok(mut res) = answer {
                            if res.status() == 201 {
                                let answered = chrono::Utc::now();
                                if let Ok(t) = res.json::<serde_json::Value>().await {
                                    if let Some(id) = t["id"].as_str() {
                                        done.push(Acknowledged {
                                            sent,
                                            answered,
                                            id: id.to_owned(),
                                            name,
                                        });
                                    }
                                }
                            }
                        }
                    }
                    done
                }));
            }
            actix_web::rt::time::sleep(Duration::from_secs(seconds)).await;
            stop.store(true, Ordering::Release);
            let mut all = Vec::new();
            for w in workers {
                all.extend(w.await.map_err(|e| e.to_string())?);
            }
            Ok::<_, String>(all)
        }
    })?;
    drop(instance);
    // The moment to restore to: halfway through the writes.
    let mut times: Vec<_> = acknowledged.iter().map(|a| a.answered).collect();
    times.sort();
    let target = times
        .get(times.len() / 2)
        .copied()
        .ok_or("no write was acknowledged")?
        + chrono::Duration::milliseconds(1);
    // Everything up to now is archived: the last segment is switched out and pushed.
    let mut conn = ConnectionManager::new(DatabaseUrl::parse(&url)?, 5000)
        .connect()
        .map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT pg_switch_wal()")
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    drop(conn);
    pgbackrest(&archived, &config, &["check"])?;

    // The restore, into a fresh cluster: data directory from the repository, then recovery by
    // replaying the archive up to the target, then promotion.
    let restore_began = Instant::now();
    let restored = Cluster::unstarted("pitr-restored", opts.port + 1, &[])?;
    let target_text = target.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
    pgbackrest(
        &restored,
        &config,
        &[
            &format!("--pg1-path={}", restored.data()),
            "--type=time",
            &format!("--target={target_text}"),
            "--target-action=promote",
            "restore",
        ],
    )?;
    // Stop the archived cluster first: one server per repository may push WAL.
    archived.stop();
    restored.start()?;
    let restored_url = restored.url("drill");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let promoted = ConnectionManager::new(DatabaseUrl::parse(&restored_url)?, 5000)
            .connect()
            .ok()
            .and_then(|mut c| {
                #[derive(QueryableByName)]
                struct Recovery {
                    #[diesel(sql_type = diesel::sql_types::Bool)]
                    r: bool,
                }
                diesel::sql_query("SELECT pg_is_in_recovery() AS r")
                    .get_result::<Recovery>(&mut c)
                    .ok()
                    .map(|x| !x.r)
            })
            .unwrap_or(false);
        if promoted {
            break;
        }
        if Instant::now() > deadline {
            return Err("the restored cluster did not finish recovery within two minutes".into());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let restore_seconds = restore_began.elapsed().as_secs_f64();

    let mut conn = ConnectionManager::new(DatabaseUrl::parse(&restored_url)?, 5000)
        .connect()
        .map_err(|e| e.to_string())?;
    let rows: Vec<(TravellerId, String)> = travellers::table
        .select((travellers::id, travellers::full_name))
        .load(&mut conn)
        .map_err(|e| e.to_string())?;
    drop(conn);
    let held: std::collections::HashMap<String, String> = rows
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let before: Vec<&Acknowledged> = acknowledged.iter().filter(|a| a.answered < target).collect();
    let after: Vec<&Acknowledged> = acknowledged.iter().filter(|a| a.sent > target).collect();
    let lost = before.iter().filter(|a| held.get(&a.id) != Some(&a.name)).count();
    let beyond = after.iter().filter(|a| held.contains_key(&a.id)).count();
    let mut problems = check(&restored_url, &Tally::default())?;
    println!(
        "drill-pitr: {:.0} s; full backup in {:.1} s; {} writes acknowledged over {seconds} s; restored to {target_text}: \
         {} acknowledged before it, {lost} lost; {} begun after it, {beyond} present; restore and recovery took {restore_seconds:.1} s",
        started.elapsed().as_secs_f64(),
        backup_done.duration_since(started).as_secs_f64(),
        acknowledged.len(),
        before.len(),
        after.len(),
    );
    if lost > 0 {
        problems.push(format!(
            "{lost} writes acknowledged before the target are missing"
        ));
    }
    if beyond > 0 {
        problems.push(format!("{beyond} writes begun after the target were restored"));
    }
    if before.is_empty() || after.is_empty() {
        problems.push("the target did not fall between writes".into());
    }
    drop(restored);
    if problems.is_empty() {
        println!("drill-pitr: the restore holds every acknowledged write up to the moment chosen");
        Ok(())
    } else {
        for p in &problems {
            println!("drill-pitr: VIOLATED: {p}");
        }
        Err(format!("{} guarantees broken", problems.len()))
    }
}
