//! `inbound-transfer drill-failover`: the PostgreSQL primary dies under load, and nothing is lost.
//!
//! A Patroni cluster (Debian's `patroni` and `etcd-server`) of two PostgreSQL members and one etcd,
//! on loopback ports, in `synchronous_mode` (no standby that may lack an acknowledged commit is
//! ever promoted) without `synchronous_mode_strict` (with two members, strict mode would refuse
//! every write once the standby is promoted). The service connects with a multi-host URL
//! (`target_session_attrs=read-write`). Clients register travellers without pause, retrying a
//! failed write with its `Idempotency-Key`; a dashboard and an event stream are open. Then the
//! primary's PostgreSQL and Patroni are killed with SIGKILL; the old primary rejoins as a standby
//! (pg_rewind), and the new primary is killed in turn. Before each kill the primary's WAL sender
//! is paused for 1.5 s, so that a standby promoted without the primary having waited for it would
//! lack writes the primary acknowledged. Each time:
//! - every write acknowledged (2xx) is present afterwards, unchanged; a retried one took effect
//!   once;
//! - writes succeed again within `ttl` + `loop_wait` + 10 s, and `/readyz` answers 503 meanwhile;
//! - the dashboard and the stream opened before the kill see the writes made after it, the stream
//!   every event committed, none skipped and none repeated;
//! - the chains verify, sent = received + missing holds, and statistics equal a recount.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use inbound_transfer::db::{ConnectionManager, DatabaseUrl};

use crate::chaos::{check, give_to_postgres, is_root, postgres_processes, signal_all, Instance, Tally};
use crate::drills::{follow, Counts};

/// Patroni's timings: `ttl` at Patroni's minimum; `loop_wait + 2 × retry_timeout <= ttl`.
const TTL: u64 = 20;
const LOOP_WAIT: u64 = 2;
const RETRY_TIMEOUT: u64 = 5;

pub struct FailoverOptions {
    /// The first of six loopback ports: etcd's client and peer, the two members' PostgreSQL, and
    /// their REST APIs.
    pub port: u16,
}

/// A program run as `postgres` when the drill runs as root (PostgreSQL refuses root), by exec so
/// that the child is the program itself.
fn as_postgres(program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups", program]);
        c
    } else {
        Command::new(program)
    }
}

fn log_file(path: &PathBuf) -> Result<Stdio, String> {
    std::fs::File::create(path)
        .map(Stdio::from)
        .map_err(|e| e.to_string())
}

struct Member {
    name: String,
    dir: PathBuf,
    pg_port: u16,
    rest_port: u16,
    patroni: Mutex<Option<Child>>,
}

impl Member {
    fn config(&self, etcd: u16) -> String {
        let dir = self.dir.display();
        format!(
            "scope: drill\nname: {name}\n\
             restapi:\n  listen: 127.0.0.1:{rest}\n  connect_address: 127.0.0.1:{rest}\n\
             etcd:\n  host: 127.0.0.1:{etcd}\n\
             bootstrap:\n  dcs:\n    ttl: {TTL}\n    loop_wait: {LOOP_WAIT}\n    retry_timeout: {RETRY_TIMEOUT}\n\
             \x20   maximum_lag_on_failover: 1048576\n    synchronous_mode: true\n    synchronous_mode_strict: false\n\
             \x20   postgresql:\n      use_pg_rewind: true\n      parameters:\n        wal_log_hints: \"on\"\n\
             \x20       max_wal_senders: 5\n        max_replication_slots: 5\n        max_connections: 100\n\
             \x20 initdb:\n    - encoding: UTF8\n    - auth-local: trust\n    - auth-host: trust\n\
             \x20 pg_hba:\n    - local all all trust\n    - host all all 127.0.0.1/32 trust\n    - host replication all 127.0.0.1/32 trust\n\
             postgresql:\n  listen: 127.0.0.1:{pg}\n  connect_address: 127.0.0.1:{pg}\n  data_dir: {dir}/data\n\
             \x20 bin_dir: {bin}\n  pgpass: {dir}/pgpass\n\
             \x20 authentication:\n    superuser:\n      username: postgres\n    replication:\n      username: postgres\n\
             \x20   rewind:\n      username: postgres\n\
             \x20 parameters:\n    unix_socket_directories: {dir}\n",
            name = self.name,
            rest = self.rest_port,
            pg = self.pg_port,
            bin = crate::chaos::postgres_bin().unwrap_or_default().display(),
        )
    }

    fn start(&self, etcd: u16, round: usize) -> Result<(), String> {
        let file = self.dir.join("patroni.yml");
        std::fs::write(&file, self.config(etcd)).map_err(|e| e.to_string())?;
        give_to_postgres(&self.dir)?;
        let child = as_postgres("patroni")
            .arg(&file)
            .stdout(log_file(&self.dir.join(format!("patroni-{round}.log")))?)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start patroni (apt-get install patroni): {e}"))?;
        *self.patroni.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        Ok(())
    }

    /// SIGKILL to Patroni and to every PostgreSQL process of the member.
    fn kill(&self) {
        if let Some(mut child) = self.patroni.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        signal_all(&postgres_processes(&self.dir.join("data"), None), "-KILL");
    }

    /// Sends `signal` to the member's WAL senders (a primary's), if they run.
    fn signal_wal_senders(&self, signal: &str) {
        signal_all(
            &postgres_processes(&self.dir.join("data"), Some("walsender")),
            signal,
        );
    }

    /// What the member's REST API says of `check` (`primary`, `sync`): 200 when it holds.
    async fn is(&self, client: &awc::Client, check: &str) -> bool {
        client
            .get(format!("http://127.0.0.1:{}/{check}", self.rest_port))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map(|r| r.status() == 200)
            .unwrap_or(false)
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the drill saw, checked once every process has stopped.
struct Run {
    rounds: Vec<Round>,
    written: Vec<Written>,
    /// The `seq` of every event the stream delivered, in order.
    seen: Vec<i64>,
    committed: BTreeSet<i64>,
    last_seq: i64,
    dashboard_before: i64,
    dashboard_after: i64,
    resumed: usize,
}

/// What one failover measured.
struct Round {
    killed: String,
    without_primary: f64,
    writes_back: f64,
    readyz_503: usize,
}

/// A registration: what was asked, and whether it took a retry to be acknowledged.
struct Written {
    id: String,
    name: String,
    document_no: String,
    retried: bool,
}

async fn wait_until(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> bool,
) -> Result<f64, String> {
    let started = Instant::now();
    while started.elapsed() < within {
        if check().await {
            return Ok(started.elapsed().as_secs_f64());
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{what}: not within {within:?}"))
}

pub fn run(opts: FailoverOptions) -> Result<(), String> {
    if (opts.port..opts.port + 6).contains(&5432) {
        return Err("the drill uses ports of its own: choose ones away from 5432".into());
    }
    let started = Instant::now();
    let root = std::env::temp_dir().join(format!("inbound-failover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("etcd")).map_err(|e| e.to_string())?;
    let (etcd_port, peer_port) = (opts.port, opts.port + 1);
    let members: Vec<Member> = (0..2u16)
        .map(|i| Member {
            name: format!("m{}", i + 1),
            dir: root.join(format!("m{}", i + 1)),
            pg_port: opts.port + 2 + i,
            rest_port: opts.port + 4 + i,
            patroni: Mutex::new(None),
        })
        .collect();
    for m in &members {
        std::fs::create_dir_all(&m.dir).map_err(|e| e.to_string())?;
    }
    give_to_postgres(&root)?;
    let mut etcd = as_postgres("etcd")
        .args(["--name", "e1", "--enable-v2=true", "--data-dir"])
        .arg(root.join("etcd/data"))
        .arg(format!("--listen-client-urls=http://127.0.0.1:{etcd_port}"))
        .arg(format!("--advertise-client-urls=http://127.0.0.1:{etcd_port}"))
        .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
        .arg(format!(
            "--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"
        ))
        .arg(format!("--initial-cluster=e1=http://127.0.0.1:{peer_port}"))
        .stdout(log_file(&root.join("etcd/etcd.log"))?)
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start etcd (apt-get install etcd-server): {e}"))?;
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/drill?target_session_attrs=read-write",
        members[0].pg_port, members[1].pg_port
    );
    let outcome: Result<Run, String> = actix_web::rt::System::new().block_on(async {
            let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
            wait_until("etcd answers", Duration::from_secs(30), async || {
                client
                    .get(format!("http://127.0.0.1:{etcd_port}/health"))
                    .send()
                    .await
                    .map(|r| r.status() == 200)
                    .unwrap_or(false)
            })
            .await?;
            members[0].start(etcd_port, 0)?;
            wait_until("m1 leads", Duration::from_secs(90), async || members[0].is(&client, "primary").await).await?;
            members[1].start(etcd_port, 0)?;
            wait_until("m2 is the synchronous standby", Duration::from_secs(90), async || {
                members[1].is(&client, "sync").await
            })
            .await?;
            crate::drills::create_database(
                &format!("postgres://postgres@127.0.0.1:{}/postgres", members[0].pg_port),
                "drill",
            )?;
            let instance = Instance::with_env(
                &url,
                &[("APP__DATABASE__CONNECT_TIMEOUT_MS", "1000"), ("APP__DATABASE__POOL_TIMEOUT_MS", "1000")],
            )?;
            let base = instance.base();
            crate::drills::wait_ready(&client, &base).await?;
            let admin = crate::drills::login(&client, &base, "admin", "admin-demo-pass").await?;
            let dispatcher = crate::drills::login(&client, &base, "cz.dispatcher", "dispatch-demo-pass").await?;
            let (port_id, community) = crate::drills::port_and_community(&client, &base, &admin).await?;
            let overview = |client: awc::Client, base: String, admin: String| async move {
                let mut r = client
                    .get(format!("{base}/api/v1/stats/overview"))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let v: Value = r.json().await.map_err(|e| e.to_string())?;
                v["travellers"]["total"].as_i64().ok_or(format!("no overview: {v}"))
            };
            // The dashboard and the stream are open before anything fails.
            let dashboard_before = overview(client.clone(), base.clone(), admin.clone()).await?;
            let first_seq = crate::drills::latest_seq(&client, &base, &admin).await?;
            let counts = Rc::new(Counts::default());
            let stop = Rc::new(AtomicBool::new(false));
            let stream = actix_web::rt::spawn(follow(base.clone(), admin.clone(), first_seq, counts.clone(), stop.clone()));
            let written: Rc<Mutex<Vec<Written>>> = Rc::default();
            let serial = Rc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut writers = Vec::new();
            for _ in 0..4 {
                let (client, base, dispatcher, port_id, community, stop, written, serial) = (
                    client.clone(), base.clone(), dispatcher.clone(), port_id.clone(),
                    community.clone(), stop.clone(), written.clone(), serial.clone(),
                );
                writers.push(actix_web::rt::spawn(async move {
                    while !stop.load(Ordering::Acquire) {
                        let n = serial.fetch_add(1, Ordering::Relaxed);
                        let name = format!("Failover Traveller {n}");
                        let document_no = format!("F{n:07}");
                        let body =
                            crate::drills::traveller(&name, &document_no, "MU5103", &port_id, &community);
                        // One key per registration: a retry after an error is the same request.
                        let key = uuid::Uuid::new_v4().to_string();
                        let mut retried = false;
                        let deadline = Instant::now() + Duration::from_secs(90);
                        while Instant::now() < deadline {
                            let answer = client
                                .post(format!("{base}/api/v1/travellers"))
                                .bearer_auth(&dispatcher)
                                .insert_header(("idempotency-key", key.as_str()))
                                .timeout(Duration::from_secs(15))
                                .send_json(&body)
                                .await;
                            match answer {
                                Ok(mut res) if res.status().is_success() => {
                                    if let Ok(t) = res.json::<Value>().await {
                                        if let Some(id) = t["id"].as_str() {
                                            written.lock().unwrap().push(Written {
                                                id: id.to_owned(), name: name.clone(),
                                                document_no: document_no.clone(), retried,
                                            });
                                        }
                                    }
                                    break;
                                }
                                _ => {
                                    retried = true;
                                    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
                                }
                            }
                        }
                    }
                }));
            }
            let mut rounds = Vec::new();
            let mut primary = 0usize;
            for round in 1..=2usize {
                actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                let victim = &members[primary];
                let survivor = &members[1 - primary];
                // The standby falls behind first (the primary's WAL sender paused): a write the
                // primary acknowledged now is on the standby only if the primary waited for it,
                // which synchronous mode does. Then the primary dies.
                victim.signal_wal_senders("-STOP");
                actix_web::rt::time::sleep(Duration::from_millis(1500)).await;
                let acknowledged_before = written.lock().unwrap().len();
                let killed_at = Instant::now();
                victim.kill();
                // /readyz while no primary answers, and the time until one does.
                let mut unready = 0usize;
                let mut without_primary = None;
                let mut writes_back = None;
                while killed_at.elapsed() < Duration::from_secs(TTL + LOOP_WAIT + 10) {
                    if without_primary.is_none() && survivor.is(&client, "primary").await {
                        without_primary = Some(killed_at.elapsed().as_secs_f64());
                    }
                    let ready = client.get(format!("{base}/readyz")).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                    if ready == 503 {
                        unready += 1;
                    }
                    // A registration sent after the kill, acknowledged: writes are back.
                    if writes_back.is_none() && written.lock().unwrap().len() > acknowledged_before + 4 {
                        writes_back = Some(killed_at.elapsed().as_secs_f64());
                    }
                    if without_primary.is_some() && writes_back.is_some() {
                        break;
                    }
                    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
                }
                let (Some(without_primary), Some(writes_back)) = (without_primary, writes_back) else {
                    return Err(format!(
                        "round {round}: writes did not come back within ttl + loop_wait + 10 s ({} s)",
                        TTL + LOOP_WAIT + 10
                    ));
                };
                println!(
                    "drill-failover: round {round}: killed {} (PostgreSQL and Patroni, SIGKILL); {} promoted after {without_primary:.1} s; \
                     writes back after {writes_back:.1} s; /readyz answered 503 {unready} times meanwhile",
                    victim.name, survivor.name
                );
                rounds.push(Round { killed: victim.name.clone(), without_primary, writes_back, readyz_503: unready });
                // The old primary rejoins as the synchronous standby (pg_rewind).
                victim.start(etcd_port, round)?;
                let rejoined = wait_until("the old primary rejoins as the synchronous standby", Duration::from_secs(120), async || {
                    victim.is(&client, "sync").await
                })
                .await?;
                println!("drill-failover: round {round}: {} rejoined as the synchronous standby after {rejoined:.1} s", victim.name);
                primary = 1 - primary;
            }
            actix_web::rt::time::sleep(Duration::from_secs(2)).await;
            stop.store(true, Ordering::Release);
            for w in writers {
                let _ = w.await;
            }
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            let last_seq = crate::drills::latest_seq(&client, &base, &admin).await?;
            let seen = stream.await.map_err(|e| e.to_string())?;
            let committed = crate::drills::event_seqs(&client, &base, &admin, first_seq, last_seq).await?;
            let dashboard_after = overview(client.clone(), base.clone(), admin.clone()).await?;
            let written = std::mem::take(&mut *written.lock().unwrap());
            drop(instance);
            Ok(Run {
                rounds,
                written,
                seen,
                committed,
                last_seq,
                dashboard_before,
                dashboard_after,
                resumed: counts.resumed.load(Ordering::Relaxed),
            })
        })
    ;
    let result = outcome.and_then(|run| {
        let Run { rounds, written, seen, committed, last_seq, dashboard_before, dashboard_after, resumed } = run;
        let mut problems = check(&url, &Tally::default())?;
        let mut conn = ConnectionManager::new(DatabaseUrl::parse(&url)?, 5000)
            .connect()
            .map_err(|e| e.to_string())?;
        use inbound_transfer::schema::travellers;
        let rows: Vec<(inbound_transfer::db::types::TravellerId, String, String)> = travellers::table
            .select((travellers::id, travellers::full_name, travellers::document_no))
            .load(&mut conn)
            .map_err(|e| e.to_string())?;
        let total = rows.len() as i64;
        let by_id: HashMap<String, &String> = rows.iter().map(|(id, name, _)| (id.to_string(), name)).collect();
        let mut per_document: HashMap<&str, usize> = HashMap::new();
        for (_, _, document) in &rows {
            *per_document.entry(document.as_str()).or_default() += 1;
        }
        let lost = written.iter().filter(|w| by_id.get(&w.id) != Some(&&w.name)).count();
        let retried: Vec<&Written> = written.iter().filter(|w| w.retried).collect();
        let twice = retried
            .iter()
            .filter(|w| per_document.get(w.document_no.as_str()).copied().unwrap_or(0) != 1)
            .count();
        let set: BTreeSet<i64> = seen.iter().copied().filter(|s| *s <= last_seq).collect();
        let repeated = seen.len() - seen.iter().copied().collect::<BTreeSet<_>>().len();
        let skipped = committed.difference(&set).count();
        println!(
            "drill-failover: the stream saw {} events, {skipped} skipped, {repeated} repeated ({resumed} resumptions)",
            set.len()
        );
        if skipped > 0 || repeated > 0 {
            problems.push(format!("the stream skipped {skipped} and repeated {repeated} events"));
        }
        println!(
            "drill-failover: ttl {TTL} s, loop_wait {LOOP_WAIT} s, retry_timeout {RETRY_TIMEOUT} s (limit {} s); \
             {} writes acknowledged, {lost} lost; {} retried with their key, {twice} took effect other than once; \
             the dashboard counted {dashboard_before} travellers before and {dashboard_after} after ({total} in the database)",
            TTL + LOOP_WAIT + 10,
            written.len(),
            retried.len(),
        );
        println!(
            "drill-failover: seconds without a primary: {:?}; until writes succeeded again: {:?}",
            rounds.iter().map(|r| (r.without_primary * 10.0).round() / 10.0).collect::<Vec<_>>(),
            rounds.iter().map(|r| (r.writes_back * 10.0).round() / 10.0).collect::<Vec<_>>(),
        );
        if lost > 0 {
            problems.push(format!("{lost} acknowledged writes lost"));
        }
        if twice > 0 {
            problems.push(format!("{twice} retried writes did not take effect exactly once"));
        }
        if dashboard_after != total {
            problems.push(format!("the dashboard says {dashboard_after} travellers, the database holds {total}"));
        }
        for r in &rounds {
            if r.writes_back > (TTL + LOOP_WAIT + 10) as f64 {
                problems.push(format!("writes came back {:.1} s after {} died", r.writes_back, r.killed));
            }
            if r.readyz_503 == 0 {
                problems.push(format!("/readyz never answered 503 while {} was gone", r.killed));
            }
        }
        Ok(problems)
    });
    drop(members);
    let _ = etcd.kill();
    let _ = etcd.wait();
    let _ = std::fs::remove_dir_all(&root);
    let problems = result?;
    println!("drill-failover: {:.0} s in all", started.elapsed().as_secs_f64());
    if problems.is_empty() {
        println!("drill-failover: two failovers, nothing lost");
        Ok(())
    } else {
        for p in &problems {
            println!("drill-failover: VIOLATED: {p}");
        }
        Err(format!("{} guarantees broken", problems.len()))
    }
}
