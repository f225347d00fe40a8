//! `chaos`: a fault run anyone can repeat. It makes a PostgreSQL cluster of its own with `initdb`
//! on another port (never the one on 5432), starts two instances of this binary over it, and
//! drives the whole loop through both while killing an instance (`kill -9`), restarting the
//! database and pausing it (SIGSTOP). Then it checks what must hold whatever happened: one status
//! and one custodian per traveller that fits it, every confirmed handoff's sent = received +
//! missing, statistics equal to a recount, and every hash chain of the log. Bounded in time and
//! in travellers, loopback only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{json, Value};

use inbound_transfer::db::types::{TravellerId, UnitId};
use inbound_transfer::db::{ConnectionManager, DatabaseUrl, DbConnection};
use inbound_transfer::schema::{travellers, units};

pub struct ChaosOptions {
    /// How long the workload and the faults run.
    pub seconds: u64,
    /// The most travellers registered.
    pub travellers: usize,
    /// The port of the cluster made for the run.
    pub port: u16,
    /// Concurrent trips.
    pub workers: usize,
}

const PASSWORD: &str = "chaos-officer-pass";
const DISTRICTS: [&str; 3] = ["CZ-TN", "CZ-ZL", "CZ-WJ"];
const COMMUNITIES: [&str; 6] = [
    "CZ-TN-HM", "CZ-TN-QL", "CZ-ZL-XC", "CZ-ZL-NY", "CZ-WJ-HL", "CZ-WJ-NX",
];

/// A cluster of PostgreSQL in a temporary directory, run as the `postgres` user when run as root.
pub(crate) struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// More server settings (`name=value`), given at every start.
    settings: Vec<String>,
}

pub(crate) fn postgres_bin() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "PostgreSQL's server programs are not installed (/usr/lib/postgresql)".to_owned())?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql".into())
}

/// Gives `dir` and what it holds to the `postgres` user, when run as root (PostgreSQL and its
/// tools refuse to run as root).
pub(crate) fn give_to_postgres(dir: &Path) -> Result<(), String> {
    if is_root() {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir)
            .status()
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub(crate) fn is_root() -> bool {
    std::env::var("USER").map(|u| u == "root").unwrap_or(false)
        || Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false)
}

impl Cluster {
    pub(crate) fn command(&self, program: &str) -> Command {
        // PostgreSQL's own programs by name; another (pgbackrest, say) by its path.
        let path = if program.contains('/') {
            PathBuf::from(program)
        } else {
            self.bin.join(program)
        };
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    pub(crate) fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{program}: {}", String::from_utf8_lossy(&out.stderr)))
        }
    }

    pub(crate) fn create(port: u16) -> Result<Cluster, String> {
        Self::create_with("chaos", port, &[])
    }

    /// A new cluster in a directory named for `name` and this process, started with `settings`.
    pub(crate) fn create_with(name: &str, port: u16, settings: &[String]) -> Result<Cluster, String> {
        let cluster = Self::unstarted(name, port, settings)?;
        cluster.init()?;
        cluster.start()?;
        Ok(cluster)
    }

    /// Makes the cluster's data directory (`initdb`).
    pub(crate) fn init(&self) -> Result<(), String> {
        let data = self.data();
        self.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        )
    }

    /// More server settings for the next starts.
    pub(crate) fn set(&mut self, settings: &[String]) {
        self.settings.extend_from_slice(settings);
    }

    /// Stops the server (fast: sessions are ended, the log is flushed).
    pub(crate) fn stop(&self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// A directory for a cluster, owned by `postgres`, with no data yet (a restore fills it).
    pub(crate) fn unstarted(name: &str, port: u16, settings: &[String]) -> Result<Cluster, String> {
        let dir = std::env::temp_dir().join(format!("inbound-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        give_to_postgres(&dir)?;
        Ok(Cluster {
            dir,
            bin: postgres_bin()?,
            port,
            settings: settings.to_vec(),
        })
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    pub(crate) fn start(&self) -> Result<(), String> {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.display()
        );
        for setting in &self.settings {
            options.push_str(&format!(" -c {setting}"));
        }
        let log = self.dir.join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-o", &options, "-w", "start"],
        )
    }

    fn restart(&self) -> Result<(), String> {
        self.run("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "restart"])
    }

    fn signal(&self, signal: &str) {
        signal_all(&postgres_processes(Path::new(&self.data()), None), signal);
    }

    pub(crate) fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

/// The processes of the PostgreSQL server whose data directory is `data`: the postmaster and its
/// children, or only the children whose title holds `only` (`walsender`, say).
pub(crate) fn postgres_processes(data: &Path, only: Option<&str>) -> Vec<String> {
    let Some(main) = std::fs::read_to_string(data.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().next().map(str::to_owned))
    else {
        return Vec::new();
    };
    let mut pgrep = Command::new("pgrep");
    pgrep.args(["-P", &main]);
    if let Some(title) = only {
        pgrep.args(["-f", title]);
    }
    let children: Vec<String> = pgrep
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    match only {
        Some(_) => children,
        None => std::iter::once(main).chain(children).collect(),
    }
}

/// Sends `signal` (`-KILL`, `-STOP`, …) to each process.
pub(crate) fn signal_all(pids: &[String], signal: &str) {
    for pid in pids {
        let _ = Command::new("kill")
            .args([signal, pid])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One instance of the service, a child process that can be killed and started again.
pub(crate) struct Instance {
    port: u16,
    url: String,
    /// More settings, as environment variables.
    env: Vec<(String, String)>,
    child: Mutex<Option<Child>>,
}

pub(crate) fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl Instance {
    pub(crate) fn new(url: &str) -> Result<Instance, String> {
        Self::with_env(url, &[])
    }

    pub(crate) fn with_env(url: &str, env: &[(&str, &str)]) -> Result<Instance, String> {
        let instance = Instance {
            port: free_port()?,
            url: url.to_owned(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            child: Mutex::new(None),
        };
        instance.start()?;
        Ok(instance)
    }

    pub(crate) fn start(&self) -> Result<(), String> {
        let child = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .arg("serve")
            .env("APP__DATABASE__URL", &self.url)
            .env("APP__SERVER__BIND", format!("127.0.0.1:{}", self.port))
            .env("APP__DEMO__SEED", "true")
            .env("APP__LOG__LEVEL", "error")
            .env("APP__AUTH__ACCESS_TTL_SECS", "3600")
            .env("APP__AUTH__LOGIN_MAX_FAILURES", "1000")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?;
        *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        Ok(())
    }

    pub(crate) fn kill(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// SIGTERM, then waits for the process to exit (at most `within`); answers how long it took.
    pub(crate) fn terminate(&self, within: Duration) -> Result<Duration, String> {
        let mut guard = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let child = guard.as_mut().ok_or("the instance is not running")?;
        let started = Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .map_err(|e| e.to_string())?;
        loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                guard.take();
                return if status.success() {
                    Ok(started.elapsed())
                } else {
                    Err(format!("the instance exited with {status} after SIGTERM"))
                };
            }
            if started.elapsed() > within {
                return Err(format!("the instance still runs {within:?} after SIGTERM"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the run counted.
#[derive(Default)]
pub(crate) struct Tally {
    requests: AtomicUsize,
    retries: AtomicUsize,
    unavailable: AtomicUsize,
    server_errors: AtomicUsize,
    writes: AtomicUsize,
    trips: AtomicUsize,
    abandoned: AtomicUsize,
    registered: AtomicUsize,
    kills: AtomicUsize,
    restarts: AtomicUsize,
    pauses: AtomicUsize,
}

struct Driver {
    client: awc::Client,
    instances: Vec<String>,
    tally: Arc<Tally>,
    next: AtomicUsize,
}

impl Driver {
    /// Sends a request to the instances in turn, retrying with the same `Idempotency-Key`
    /// through outages for up to 60 s; `None` when it never got an answer.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Option<(u16, Value)> {
        let key = uuid::Uuid::new_v4().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % self.instances.len();
            let url = format!("{}{path}", self.instances[i]);
            let mut req = self
                .client
                .request(awc::http::Method::from_bytes(method.as_bytes()).ok()?, url)
                .insert_header(("idempotency-key", key.as_str()));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            self.tally.requests.fetch_add(1, Ordering::Relaxed);
            let sent = match body {
                Some(b) => req.send_json(b).await,
                None => req.send().await,
            };
            let retry = match sent {
                Ok(mut res) => {
                    let status = res.status().as_u16();
                    let value: Value = res.json().limit(16 << 20).await.unwrap_or(Value::Null);
                    match status {
                        503 => {
                            self.tally.unavailable.fetch_add(1, Ordering::Relaxed);
                            true
                        }
                        500..=599 => {
                            self.tally.server_errors.fetch_add(1, Ordering::Relaxed);
                            eprintln!("chaos: {status} from {method} {path}: {value}");
                            true
                        }
                        _ => {
                            if method != "GET" && status < 300 {
                                self.tally.writes.fetch_add(1, Ordering::Relaxed);
                            }
                            return Some((status, value));
                        }
                    }
                }
                Err(_) => true,
            };
            if retry && Instant::now() < deadline {
                self.tally.retries.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            return None;
        }
    }

    async fn ok(&self, method: &str, path: &str, token: &str, body: Value) -> Option<Value> {
        let body = (method != "GET").then_some(body);
        match self.call(method, path, Some(token), body.as_ref()).await {
            Some((status, value)) if status < 300 => Some(value),
            Some((status, value)) => {
                eprintln!(
                    "chaos: a trip stops at {method} {path}: {status} {}",
                    value["detail"]
                );
                None
            }
            None => {
                eprintln!("chaos: a trip stops at {method} {path}: no answer within 60 s");
                None
            }
        }
    }

    async fn login(&self, username: &str, password: &str) -> Result<String, String> {
        let body = json!({"username": username, "password": password});
        match self.call("POST", "/api/v1/auth/login", None, Some(&body)).await {
            Some((200, v)) => Ok(v["access_token"].as_str().unwrap_or_default().to_owned()),
            other => Err(format!("cannot log in as {username}: {other:?}")),
        }
    }
}

struct People {
    admin: String,
    dispatcher: String,
    officers: BTreeMap<String, String>,
    units: BTreeMap<String, String>,
    ports: Vec<String>,
}

async fn people(driver: &Driver) -> Result<People, String> {
    let admin = driver.login("admin", "admin-demo-pass").await?;
    let dispatcher = driver.login("cz.dispatcher", "dispatch-demo-pass").await?;
    let list = driver
        .ok("GET", "/api/v1/units?limit=500", &admin, Value::Null)
        .await
        .ok_or("cannot list units")?;
    let units: BTreeMap<String, String> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            (
                u["code"].as_str().unwrap_or("").to_owned(),
                u["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut officers = BTreeMap::new();
    for code in DISTRICTS.iter().chain(COMMUNITIES.iter()) {
        let role = if code.matches('-').count() == 1 {
            "district_officer"
        } else {
            "community_officer"
        };
        let username = format!("chaos.{}", code.to_lowercase());
        let body = json!({"username": username, "password": PASSWORD, "display_name": username,
                          "role": role, "unit_id": units.get(*code)});
        driver
            .call("POST", "/api/v1/users", Some(&admin), Some(&body))
            .await;
        officers.insert((*code).to_owned(), driver.login(&username, PASSWORD).await?);
    }
    let ports = driver
        .ok("GET", "/api/v1/ports", &admin, Value::Null)
        .await
        .ok_or("cannot list ports")?["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    Ok(People {
        admin,
        dispatcher,
        officers,
        units,
        ports,
    })
}

/// One trip through the whole loop: register, batch, board (with a no-show now and then),
/// depart, arrive, disinfect, and both handoffs (with a missing traveller now and then).
async fn trip(driver: &Driver, people: &People, vehicle: &str, n: usize, serial: usize) -> Option<()> {
    let d = &people.dispatcher;
    let port = &people.ports[serial % people.ports.len()];
    let mut ids = Vec::new();
    for i in 0..n {
        let community = COMMUNITIES[(serial + i) % COMMUNITIES.len()];
        let body = json!({
            "full_name": format!("Chaos Traveller {serial}-{i}"), "document_type": "passport",
            "document_no": format!("C{serial:06}{i:02}"), "nationality": "CHN",
            "flight_no": format!("MU{}", 5000 + serial % 90), "port_id": port,
            "arrived_at": chrono::Utc::now().to_rfc3339(),
            "destination_community_id": people.units.get(community), "language": "zh",
        });
        let t = driver.ok("POST", "/api/v1/travellers", d, body).await?;
        driver.tally.registered.fetch_add(1, Ordering::Relaxed);
        ids.push(t["id"].as_str()?.to_owned());
    }
    let crew = json!([{"name": "Driver Wang", "role": "driver"}]);
    let batch = driver
        .ok(
            "POST",
            "/api/v1/batches",
            d,
            json!({"port_id": port, "traveller_ids": ids, "vehicle_id": vehicle, "crew": crew}),
        )
        .await?;
    let batch_id = batch["id"].as_str()?.to_owned();
    let no_show: Vec<&String> = if serial % 7 == 3 {
        ids.iter().take(1).collect()
    } else {
        Vec::new()
    };
    let boarded: Vec<&String> = ids.iter().filter(|t| !no_show.contains(t)).collect();
    driver
        .ok(
            "POST",
            &format!("/api/v1/batches/{batch_id}/boarding"),
            d,
            json!({"boarded": boarded, "no_show": no_show}),
        )
        .await?;
    if boarded.is_empty() {
        return Some(());
    }
    driver
        .ok(
            "POST",
            &format!("/api/v1/batches/{batch_id}/depart"),
            d,
            json!({}),
        )
        .await?;
    let arrived = driver
        .ok(
            "POST",
            &format!("/api/v1/batches/{batch_id}/arrive"),
            d,
            json!({}),
        )
        .await?;
    driver
        .ok(
            "POST",
            &format!("/api/v1/vehicles/{vehicle}/disinfections"),
            d,
            json!({"note": "after trip"}),
        )
        .await?;
    for handoff in arrived["handoffs"].as_array()?.clone() {
        confirm(driver, people, d, &handoff, serial).await?;
    }
    Some(())
}

/// The receiving officer confirms with the code the sender reads out; the community handoffs
/// that a district's confirmation creates are confirmed in turn.
async fn confirm(
    driver: &Driver,
    people: &People,
    sender: &str,
    handoff: &Value,
    serial: usize,
) -> Option<()> {
    let id = handoff["id"].as_str()?.to_owned();
    let to = handoff["to_unit_id"].as_str()?;
    let code_of_unit = people.units.iter().find(|(_, v)| v.as_str() == to)?.0.clone();
    let receiver = people.officers.get(&code_of_unit)?;
    let seen = driver
        .ok("GET", &format!("/api/v1/handoffs/{id}"), sender, Value::Null)
        .await?;
    let code = seen["code"].as_str()?.to_owned();
    let travellers: Vec<String> = seen["traveller_ids"]
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    // Now and then one traveller is not at the door.
    let received: Vec<&String> = if serial % 5 == 2 && travellers.len() > 1 {
        travellers.iter().skip(1).collect()
    } else {
        travellers.iter().collect()
    };
    driver
        .ok(
            "POST",
            &format!("/api/v1/handoffs/{id}/confirm"),
            receiver,
            json!({"code": code, "received_traveller_ids": received}),
        )
        .await?;
    if code_of_unit.matches('-').count() == 1 {
        let pending = driver
            .ok(
                "GET",
                &format!("/api/v1/handoffs?status=pending&from_unit_id={to}&limit=500"),
                receiver,
                Value::Null,
            )
            .await?;
        // Only this trip's: other trips' handoffs are their own workers' to confirm.
        let ours = |h: &&Value| {
            h["traveller_ids"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|id| received.iter().any(|r| id == r.as_str())))
        };
        for next in pending["items"]
            .as_array()?
            .iter()
            .filter(ours)
            .cloned()
            .collect::<Vec<_>>()
        {
            Box::pin(confirm(driver, people, receiver, &next, serial)).await?;
        }
    }
    Some(())
}

/// Kills, restarts and pauses in turn until told to stop.
async fn faults(
    cluster: Arc<Cluster>,
    instances: Arc<Vec<Instance>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let mut round = 0usize;
    while !stop.load(Ordering::Acquire) {
        actix_web::rt::time::sleep(Duration::from_secs(4)).await;
        if stop.load(Ordering::Acquire) {
            break;
        }
        match round % 3 {
            0 => {
                let victim = &instances[round / 3 % instances.len()];
                victim.kill();
                tally.kills.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::time::sleep(Duration::from_millis(800)).await;
                let _ = victim.start();
            }
            1 => {
                let c = cluster.clone();
                if actix_web::web::block(move || c.restart()).await.is_ok() {
                    tally.restarts.fetch_add(1, Ordering::Relaxed);
                }
            }
            _ => {
                cluster.signal("-STOP");
                tally.pauses.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::time::sleep(Duration::from_secs(3)).await;
                cluster.signal("-CONT");
            }
        }
        round += 1;
    }
}

/// What must hold after the run, read straight from the database.
pub(crate) fn check(url: &str, tally: &Tally) -> Result<Vec<String>, String> {
    let mut conn = ConnectionManager::new(DatabaseUrl::parse(url)?, 5000)
        .connect()
        .map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    let conn: &mut DbConnection = &mut conn;
    let (stored, recounted) = (
        inbound_transfer::store::counts::stored(conn).map_err(|e| e.to_string())?,
        inbound_transfer::store::counts::recount(conn).map_err(|e| e.to_string())?,
    );
    if stored != recounted {
        problems.push("the stored statistics differ from a recount".to_owned());
    }
    let levels: BTreeMap<UnitId, String> = units::table
        .select((units::id, units::level))
        .load::<(UnitId, String)>(conn)
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    let rows: Vec<(TravellerId, String, UnitId, UnitId, UnitId, Option<UnitId>)> = travellers::table
        .select((
            travellers::id,
            travellers::status,
            travellers::custodian_unit_id,
            travellers::destination_city_id,
            travellers::destination_district_id,
            travellers::destination_community_id,
        ))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    for (id, status, custodian, city, district, community) in &rows {
        *by_status.entry(status.clone()).or_default() += 1;
        let holds = match status.as_str() {
            "awaiting_transfer" | "assigned" | "boarded" | "in_transit" | "arrived" => custodian == city,
            "at_district" => custodian == district || custodian == city,
            "received" => Some(*custodian) == *community,
            "exception" => levels.contains_key(custodian),
            _ => false,
        };
        if !holds {
            problems.push(format!("traveller {id} is {status} but held by {custodian}"));
        }
    }
    #[derive(QueryableByName)]
    struct Unbalanced {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    // Every confirmed handoff: each traveller it sent is either received or missing, once.
    let unbalanced = diesel::sql_query(
        "SELECT COUNT(*) AS n FROM (SELECT h.id, COUNT(*) AS sent, \
         SUM(CASE WHEN ht.outcome = 'received' THEN 1 ELSE 0 END) AS received, \
         SUM(CASE WHEN ht.outcome = 'missing' THEN 1 ELSE 0 END) AS missing \
         FROM handoffs h JOIN handoff_travellers ht ON ht.handoff_id = h.id \
         WHERE h.status = 'confirmed' GROUP BY h.id) t WHERE sent <> received + missing",
    )
    .get_result::<Unbalanced>(conn)
    .map_err(|e| e.to_string())?
    .n;
    if unbalanced > 0 {
        problems.push(format!(
            "{unbalanced} confirmed handoffs where sent != received + missing"
        ));
    }
    let chains = inbound_transfer::store::events::verify(conn).map_err(|e| e.to_string())?;
    let events: i64 = chains.iter().map(|c| c.events).sum();
    for chain in chains.iter().filter(|c| c.first_broken_seq.is_some()) {
        problems.push(format!(
            "the hash chain of {:?} breaks at {:?}",
            chain.city_id, chain.first_broken_seq
        ));
    }
    if tally.server_errors.load(Ordering::Relaxed) > 0 {
        problems.push(format!(
            "{} answers were 5xx other than 503",
            tally.server_errors.load(Ordering::Relaxed)
        ));
    }
    println!("travellers by status: {by_status:?}");
    println!(
        "events: {events} in {} hash chains, all verified: {}",
        chains.len(),
        chains.iter().all(|c| c.first_broken_seq.is_none())
    );
    Ok(problems)
}

pub fn run(opts: ChaosOptions) -> Result<(), String> {
    if opts.port == 5432 {
        return Err("the fault run uses a cluster of its own: choose a port other than 5432".into());
    }
    let started = Instant::now();
    let cluster = Arc::new(Cluster::create(opts.port)?);
    let mut admin = ConnectionManager::new(DatabaseUrl::parse(&cluster.url("postgres"))?, 5000)
        .connect()
        .map_err(|e| e.to_string())?;
    diesel::sql_query("CREATE DATABASE chaos")
        .execute(&mut admin)
        .map_err(|e| e.to_string())?;
    drop(admin);
    let url = cluster.url("chaos");
    let instances = Arc::new(vec![Instance::new(&url)?, Instance::new(&url)?]);
    let tally = Arc::new(Tally::default());
    let bases: Vec<String> = instances.iter().map(Instance::base).collect();
    let (seconds, budget, workers) = (opts.seconds, opts.travellers, opts.workers.max(1));
    let run_tally = tally.clone();
    let run_cluster = cluster.clone();
    let run_instances = instances.clone();
    actix_web::rt::System::new().block_on(async move {
        let driver = std::rc::Rc::new(Driver {
            client: awc::Client::builder().timeout(Duration::from_secs(10)).finish(),
            instances: bases,
            tally: run_tally.clone(),
            next: AtomicUsize::new(0),
        });
        // Both instances answer before anything starts.
        for _ in 0..60 {
            if driver.call("GET", "/readyz", None, None).await.is_some_and(|(s, _)| s == 200) {
                break;
            }
        }
        let people = std::rc::Rc::new(people(&driver).await?);
        let mut vehicles = Vec::new();
        for w in 0..workers {
            let body = json!({"plate": format!("CHAOS-{w:03}"), "kind": "bus", "seats": 40, "unit_id": people.units.get("CZ")});
            let v = driver.ok("POST", "/api/v1/vehicles", &people.dispatcher, body).await.ok_or("cannot add a vehicle")?;
            vehicles.push(v["id"].as_str().unwrap_or_default().to_owned());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let fault_task = actix_web::rt::spawn(faults(run_cluster, run_instances, run_tally.clone(), stop.clone()));
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let serial = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for vehicle in vehicles {
            let (driver, people, serial, tally) = (driver.clone(), people.clone(), serial.clone(), run_tally.clone());
            tasks.push(actix_web::rt::spawn(async move {
                while Instant::now() < deadline && tally.registered.load(Ordering::Relaxed) < budget {
                    let s = serial.fetch_add(1, Ordering::Relaxed);
                    match trip(&driver, &people, &vehicle, 2 + s % 3, s).await {
                        Some(()) => tally.trips.fetch_add(1, Ordering::Relaxed),
                        None => tally.abandoned.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
        stop.store(true, Ordering::Release);
        let _ = fault_task.await;
        let _ = &people.admin;
        Ok::<_, String>(())
    })?;
    cluster.signal("-CONT");
    let problems = check(&url, &tally)?;
    let t = |a: &AtomicUsize| a.load(Ordering::Relaxed);
    println!(
        "chaos: {:.0} s; {} requests ({} retried, {} answered 503, {} other 5xx); {} writes; \
         {} travellers registered; {} trips through the whole loop, {} cut short by faults; \
         faults: {} instance kills, {} database restarts, {} database pauses",
        started.elapsed().as_secs_f64(),
        t(&tally.requests),
        t(&tally.retries),
        t(&tally.unavailable),
        t(&tally.server_errors),
        t(&tally.writes),
        t(&tally.registered),
        t(&tally.trips),
        t(&tally.abandoned),
        t(&tally.kills),
        t(&tally.restarts),
        t(&tally.pauses),
    );
    drop(instances);
    if problems.is_empty() {
        println!("chaos: every invariant holds");
        Ok(())
    } else {
        for p in &problems {
            println!("chaos: VIOLATED: {p}");
        }
        Err(format!("{} invariants violated", problems.len()))
    }
}
