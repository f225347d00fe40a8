//! `inbound-transfer drill-rolling`: a rolling restart behind HAProxy that fails no request.
//!
//! Two instances over a PostgreSQL cluster of the drill's own, behind HAProxy (Debian's) whose
//! health checks ask `/readyz`. Clients register travellers (each with its `Idempotency-Key`) and
//! read lists and statistics without pause, and two event streams follow the log, while each
//! instance in turn gets SIGTERM, exits and starts again. Then:
//! - no request failed (HAProxy may retry a connection refused before the request was sent; the
//!   clients retry nothing);
//! - every acknowledged registration is there;
//! - each stream, resuming with `Last-Event-ID` whenever it ended, saw every event committed after
//!   it opened, none skipped and none repeated;
//! - the invariants of the fault run hold (statistics equal a recount, the chains verify).

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::chaos::{check, free_port, Cluster, Instance, Tally};
use crate::drills::{follow, Counts};

pub struct RollingOptions {
    /// The port of the drill's PostgreSQL cluster (never 5432).
    pub port: u16,
    /// Clients sending requests at once.
    pub clients: usize,
}

/// HAProxy in front of the instances, from a configuration written for the drill.
struct Balancer {
    child: Child,
    dir: std::path::PathBuf,
    port: u16,
}

impl Balancer {
    fn start(servers: &[u16]) -> Result<Balancer, String> {
        let port = free_port()?;
        let dir = std::env::temp_dir().join(format!("inbound-drill-haproxy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let servers: String = servers
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  server i{i} 127.0.0.1:{p} check inter 300ms fall 1 rise 2\n"))
            .collect();
        let config = format!(
            "global\n  maxconn 4000\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 120s\n  timeout server 120s\n\
             \x20 retries 3\n  option redispatch 1\n  retry-on conn-failure\n  option http-server-close\n\
             frontend api\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
             backend instances\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n\
             {servers}"
        );
        let file = dir.join("haproxy.cfg");
        std::fs::write(&file, config).map_err(|e| e.to_string())?;
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&file)
            .arg("-db")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start haproxy (apt-get install haproxy): {e}"))?;
        Ok(Balancer { child, dir, port })
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One request through the balancer; a failure is anything but the expected answer.
async fn request(
    client: &awc::Client,
    counts: &Counts,
    method: &str,
    url: &str,
    token: &str,
    body: Option<&Value>,
) -> Option<Value> {
    counts.requests.fetch_add(1, Ordering::Relaxed);
    let mut req = client
        .request(awc::http::Method::from_bytes(method.as_bytes()).ok()?, url)
        .bearer_auth(token);
    if body.is_some() {
        req = req.insert_header(("idempotency-key", uuid::Uuid::new_v4().to_string()));
    }
    let sent = match body {
        Some(b) => req.send_json(b).await,
        None => req.send().await,
    };
    match sent {
        Ok(mut res) if res.status().is_success() => res.json().limit(16 << 20).await.ok(),
        Ok(mut res) => {
            let body = res.body().await.unwrap_or_default();
            eprintln!(
                "drill: {method} {url} answered {}: {}",
                res.status(),
                String::from_utf8_lossy(&body)
            );
            counts.failed.fetch_add(1, Ordering::Relaxed);
            None
        }
        Err(e) => {
            eprintln!("drill: {method} {url} failed: {e}");
            counts.failed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

pub fn run(opts: RollingOptions) -> Result<(), String> {
    if opts.port == 5432 {
        return Err("the drill uses a cluster of its own: choose a port other than 5432".into());
    }
    let started = Instant::now();
    let cluster = Cluster::create(opts.port)?;
    crate::drills::create_database(&cluster.url("postgres"), "drill")?;
    let url = cluster.url("drill");
    let env = [
        ("APP__SERVER__DRAIN_SECS", "2"),
        ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", "20"),
    ];
    let instances = [Instance::with_env(&url, &env)?, Instance::with_env(&url, &env)?];
    let balancer = Balancer::start(&[instances[0].port(), instances[1].port()])?;
    let base = balancer.base();
    let clients = opts.clients.max(1);
    let counts = Rc::new(Counts::default());
    let report = actix_web::rt::System::new().block_on({
        let counts = counts.clone();
        let instances = &instances;
        async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
            crate::drills::wait_ready(&client, &instances[0].base()).await?;
            crate::drills::wait_ready(&client, &instances[1].base()).await?;
            crate::drills::wait_ready(&client, &base).await?;
            let admin = crate::drills::login(&client, &base, "admin", "admin-demo-pass").await?;
            let dispatcher =
                crate::drills::login(&client, &base, "cz.dispatcher", "dispatch-demo-pass").await?;
            let (port_id, community) = crate::drills::port_and_community(&client, &base, &admin).await?;
            let stop = Rc::new(AtomicBool::new(false));
            let first_seq = crate::drills::latest_seq(&client, &base, &admin).await?;
            let streams: Vec<_> = (0..2)
                .map(|_| {
                    actix_web::rt::spawn(follow(
                        base.clone(),
                        admin.clone(),
                        first_seq,
                        counts.clone(),
                        stop.clone(),
                    ))
                })
                .collect();
            let acknowledged = Rc::new(std::cell::RefCell::new(Vec::<(String, String)>::new()));
            let mut workers = Vec::new();
            for w in 0..clients {
                let (client, counts, stop, acknowledged) =
                    (client.clone(), counts.clone(), stop.clone(), acknowledged.clone());
                let (base, dispatcher, port_id, community) = (
                    base.clone(),
                    dispatcher.clone(),
                    port_id.clone(),
                    community.clone(),
                );
                workers.push(actix_web::rt::spawn(async move {
                    let mut n = 0usize;
                    while !stop.load(Ordering::Acquire) {
                        n += 1;
                        let name = format!("Rolling Traveller {w}-{n}");
                        let document_no = format!("R{w:02}{n:06}");
                        let body =
                            crate::drills::traveller(&name, &document_no, "MU5101", &port_id, &community);
                        let url = format!("{base}/api/v1/travellers");
                        if let Some(t) =
                            request(&client, &counts, "POST", &url, &dispatcher, Some(&body)).await
                        {
                            counts.acknowledged.fetch_add(1, Ordering::Relaxed);
                            if let Some(id) = t["id"].as_str() {
                                acknowledged.borrow_mut().push((id.to_owned(), name));
                            }
                        }
                        let read = if n.is_multiple_of(2) {
                            format!("{base}/api/v1/travellers?limit=20")
                        } else {
                            format!("{base}/api/v1/stats/overview")
                        };
                        request(&client, &counts, "GET", &read, &dispatcher, None).await;
                    }
                }));
            }
            // Each instance in turn: SIGTERM, exit, start again, back in the balancer.
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            let mut stops = Vec::new();
            for instance in instances.iter() {
                let took = instance.terminate(Duration::from_secs(30))?;
                stops.push(took.as_secs_f64());
                instance.start()?;
                crate::drills::wait_ready(&client, &instance.base()).await?;
                // HAProxy takes it back after two good checks.
                actix_web::rt::time::sleep(Duration::from_secs(2)).await;
            }
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            stop.store(true, Ordering::Release);
            for w in workers {
                let _ = w.await;
            }
            // The streams catch up with the last write, then stop.
            actix_web::rt::time::sleep(Duration::from_secs(3)).await;
            let last_seq = crate::drills::latest_seq(&client, &base, &admin).await?;
            let mut seen = Vec::new();
            for s in streams {
                seen.push(s.await.map_err(|e| e.to_string())?);
            }
            let committed = crate::drills::event_seqs(&client, &base, &admin, first_seq, last_seq).await?;
            let mut lost = 0usize;
            let written = acknowledged.borrow().clone();
            for (id, name) in &written {
                let url = format!("{base}/api/v1/travellers/{id}");
                match request(&client, &counts, "GET", &url, &admin, None).await {
                    Some(t) if t["full_name"] == name.as_str() => {}
                    _ => lost += 1,
                }
            }
            Ok::<_, String>((stops, seen, committed, lost, first_seq, last_seq))
        }
    });
    let (stops, seen, committed, lost, first_seq, last_seq) = report?;
    let mut problems = check(&url, &Tally::default())?;
    for (i, seq) in seen.iter().enumerate() {
        let set: BTreeSet<i64> = seq.iter().copied().filter(|s| *s <= last_seq).collect();
        let repeated = seq.len() - seq.iter().copied().collect::<BTreeSet<_>>().len();
        let skipped = committed.difference(&set).count();
        println!(
            "drill: stream {i}: {} events after seq {first_seq}, {skipped} skipped, {repeated} repeated",
            set.len()
        );
        if repeated > 0 || skipped > 0 {
            problems.push(format!(
                "stream {i} skipped {skipped} and repeated {repeated} events"
            ));
        }
    }
    let c = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    println!(
        "drill-rolling: {:.0} s; {} requests through HAProxy, {} failed; {} writes acknowledged, \
         {lost} lost; {} stream resumptions; instances stopped after SIGTERM in {:?} s",
        started.elapsed().as_secs_f64(),
        c(&counts.requests),
        c(&counts.failed),
        c(&counts.acknowledged),
        c(&counts.resumed),
        stops
            .iter()
            .map(|s| (s * 10.0).round() / 10.0)
            .collect::<Vec<_>>(),
    );
    if c(&counts.failed) > 0 {
        problems.push(format!("{} requests failed", c(&counts.failed)));
    }
    if lost > 0 {
        problems.push(format!("{lost} acknowledged writes lost"));
    }
    if c(&counts.resumed) == 0 {
        problems.push("no stream was ended by a restart".into());
    }
    drop(balancer);
    drop(instances);
    drop(cluster);
    if problems.is_empty() {
        println!("drill-rolling: every request answered, nothing lost");
        Ok(())
    } else {
        for p in &problems {
            println!("drill-rolling: VIOLATED: {p}");
        }
        Err(format!("{} guarantees broken", problems.len()))
    }
}
