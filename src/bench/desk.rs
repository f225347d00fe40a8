//! `inbound-transfer bench-desk`: how soon an officer's phone shows the desk on a poor network.
//!
//! Between Chromium and each service it is given, a relay throttles the link as a weak mobile
//! signal does: 400 kbit/s each way and 400 ms round trip (200 ms each way), shared by every
//! connection. Throttling in the browser would not reach a service worker's own requests; this
//! relay does. With a session stored on the device (as after an earlier sign-in), it measures the
//! time from navigation to the first pending handoff on screen:
//! - cold: a new browser profile, nothing cached and no service worker;
//! - warm: the same browser once the console is installed (or, for a console without a worker,
//!   with what the browser's HTTP cache kept);
//! - offline: the same, with the relay refusing every connection.
//!
//! It also counts the bytes the service sent through the relay until the desk was on screen, and
//! until the page was quiet. Chromium and ChromeDriver are Debian's (`/usr/bin/chromium`,
//! `/usr/bin/chromedriver`, or `CHROMIUM` and `CHROMEDRIVER`).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::rt::net::{TcpListener, TcpStream};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The link: 400 kbit/s each way, 200 ms each way.
const RATE_BYTES_PER_SEC: f64 = 400_000.0 / 8.0;
const ONE_WAY: Duration = Duration::from_millis(200);
/// The first pending handoff on the desk, in every version of the console.
const FIRST_HANDOFF: &str = "#incoming article[data-handoff]";
/// Longest wait for the desk before a run counts as failed: online, and with the link down.
const PATIENCE: Duration = Duration::from_secs(60);
const PATIENCE_OFFLINE: Duration = Duration::from_secs(10);

pub struct DeskOptions {
    /// `label=URL` of each service to measure.
    pub services: Vec<String>,
    pub username: String,
    pub password: String,
    pub runs: usize,
}

pub fn run(options: DeskOptions) -> Result<(), String> {
    actix_web::rt::System::new().block_on(measure(options))
}

async fn measure(options: DeskOptions) -> Result<(), String> {
    let mut rows = Vec::new();
    for service in &options.services {
        let (label, base) = service
            .split_once('=')
            .ok_or_else(|| format!("--service {service}: write it label=URL"))?;
        let base = base.trim_end_matches('/');
        let session = stored_session(base, &options.username, &options.password).await?;
        let relay = Relay::start(base.trim_start_matches("http://")).await?;
        let mut figures: Vec<Figures> = Vec::new();
        for round in 1..=options.runs.max(1) {
            let one = measure_one(&relay, &session).await?;
            eprintln!("{label} round {round}: {one:?}");
            figures.push(one);
        }
        rows.push((label.to_owned(), figures));
    }
    println!();
    println!(
        "Desk on a throttled link (400 kbit/s each way, 400 ms round trip), median of {} runs:",
        options.runs.max(1)
    );
    println!();
    println!("| console | cold | sent until on screen | sent until quiet | warm | offline |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for (label, figures) in &rows {
        let median = |f: &dyn Fn(&Figures) -> Option<f64>| {
            let mut all: Vec<f64> = figures.iter().filter_map(f).collect();
            if all.len() < figures.len() {
                return "never".to_owned();
            }
            all.sort_by(f64::total_cmp);
            format!("{:.2} s", all[all.len() / 2] / 1000.0)
        };
        let kilobytes = |f: &dyn Fn(&Figures) -> u64| {
            let mut all: Vec<u64> = figures.iter().map(f).collect();
            all.sort();
            format!("{:.1} KB", all[all.len() / 2] as f64 / 1000.0)
        };
        println!(
            "| {label} | {} | {} | {} | {} | {} |",
            median(&|f| f.cold_ms),
            kilobytes(&|f| f.cold_bytes),
            kilobytes(&|f| f.cold_quiet_bytes),
            median(&|f| f.warm_ms),
            median(&|f| f.offline_ms),
        );
    }
    Ok(())
}

#[derive(Debug)]
struct Figures {
    cold_ms: Option<f64>,
    cold_bytes: u64,
    cold_quiet_bytes: u64,
    warm_ms: Option<f64>,
    offline_ms: Option<f64>,
}

/// One round in a new browser profile: cold, warm, offline.
async fn measure_one(relay: &Relay, session: &Value) -> Result<Figures, String> {
    let browser = Browser::start().await?;
    let origin = format!("http://127.0.0.1:{}", relay.port);
    let desk = format!("{origin}/console/#/desk");
    // The stored session, written at the origin over a fast link from a page that caches nothing.
    relay.set(Link::Fast);
    browser.open(&format!("{origin}/healthz")).await?;
    browser.wait_for_url(&format!("{origin}/healthz")).await?;
    browser
        .run(&format!(
            "localStorage.setItem('inbound-transfer.session', JSON.stringify({})); return 1;",
            session
        ))
        .await?;

    relay.set(Link::Slow);
    relay.sent.store(0, Ordering::Release);
    let cold_ms = browser.time_to_desk(&desk, PATIENCE).await?;
    let cold_bytes = relay.sent.load(Ordering::Acquire);
    // Quiet: nothing more sent for two seconds (the worker's install included).
    let mut last = relay.sent.load(Ordering::Acquire);
    loop {
        actix_web::rt::time::sleep(Duration::from_secs(2)).await;
        let now = relay.sent.load(Ordering::Acquire);
        if now == last {
            break;
        }
        last = now;
    }
    let cold_quiet_bytes = last;
    // Installed, where the console has a worker: it controls the page once active.
    let installed = browser
        .run("return Boolean(navigator.serviceWorker && navigator.serviceWorker.controller) || !document.querySelector('link[rel=manifest]');")
        .await?;
    if installed != json!(true) {
        browser.open(&desk).await?;
        for _ in 0..100 {
            if browser
                .run("return Boolean(navigator.serviceWorker.controller);")
                .await?
                == json!(true)
            {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let warm_ms = browser.time_to_desk(&desk, PATIENCE).await?;
    relay.set(Link::Down);
    let offline_ms = browser.time_to_desk(&desk, PATIENCE_OFFLINE).await?;
    relay.set(Link::Slow);
    browser.close().await;
    Ok(Figures {
        cold_ms,
        cold_bytes,
        cold_quiet_bytes,
        warm_ms,
        offline_ms,
    })
}

/// What the console keeps after a sign-in, from a login made straight at the service.
async fn stored_session(base: &str, username: &str, password: &str) -> Result<Value, String> {
    let mut answer = awc::Client::default()
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": username, "password": password}))
        .await
        .map_err(|e| format!("cannot sign in at {base}: {e}"))?;
    let body: Value = answer.json().await.map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("signing in at {base}: {body}"));
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    Ok(json!({
        "access_token": body["access_token"],
        "refresh_token": body["refresh_token"],
        "expires_at": now_ms + body["expires_in"].as_i64().unwrap_or(900) * 1000,
        "user": body["user"],
    }))
}

#[derive(Clone, Copy, PartialEq)]
#[repr(u8)]
enum Link {
    Fast = 0,
    Slow = 1,
    /// New connections refused, open ones cut.
    Down = 2,
}

/// A relay that shapes what passes as the link does: each direction one queue at the link's rate,
/// shared by every connection, and each chunk delivered a one-way delay after it left.
struct Relay {
    port: u16,
    state: Arc<AtomicU8>,
    /// Bytes sent from the service towards the browser.
    sent: Arc<AtomicU64>,
}

impl Relay {
    async fn start(target: &str) -> Result<Relay, String> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let state = Arc::new(AtomicU8::new(Link::Fast as u8));
        let sent = Arc::new(AtomicU64::new(0));
        let up = Arc::new(Mutex::new(Instant::now()));
        let down = Arc::new(Mutex::new(Instant::now()));
        let (target, shared, counted) = (target.to_owned(), state.clone(), sent.clone());
        actix_web::rt::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if shared.load(Ordering::Acquire) == Link::Down as u8 {
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                let none = Arc::new(AtomicU64::new(0));
                actix_web::rt::spawn(pump(client_read, server_write, shared.clone(), up.clone(), none));
                actix_web::rt::spawn(pump(
                    server_read,
                    client_write,
                    shared.clone(),
                    down.clone(),
                    counted.clone(),
                ));
            }
        });
        Ok(Relay { port, state, sent })
    }

    fn set(&self, link: Link) {
        self.state.store(link as u8, Ordering::Release);
    }
}

/// Moves bytes one way: each chunk takes its turn on the link (`free_at`), then arrives a one-way
/// delay later. Reading goes on meanwhile, as on a real link.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: Arc<AtomicU8>,
    free_at: Arc<Mutex<Instant>>,
    counted: Arc<AtomicU64>,
) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let link = state.clone();
    actix_web::rt::spawn(async move {
        while let Some((at, chunk)) = rx.recv().await {
            actix_web::rt::time::sleep_until(at.into()).await;
            if link.load(Ordering::Acquire) == Link::Down as u8 || to.write_all(&chunk).await.is_err() {
                break;
            }
            counted.fetch_add(chunk.len() as u64, Ordering::AcqRel);
        }
        let _ = to.shutdown().await;
    });
    let mut buffer = vec![0u8; 4096];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let deliver = match state.load(Ordering::Acquire) {
            s if s == Link::Down as u8 => break,
            s if s == Link::Fast as u8 => Instant::now(),
            _ => {
                let mut free = free_at.lock().expect("the link's clock");
                let start = (*free).max(Instant::now());
                *free = start + Duration::from_secs_f64(n as f64 / RATE_BYTES_PER_SEC);
                *free + ONE_WAY
            }
        };
        if tx.send((deliver, buffer[..n].to_vec())).is_err() {
            break;
        }
    }
}

/// Chromium at a phone's size, driven over WebDriver by ChromeDriver, in a profile of its own.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    client: awc::Client,
    profile: std::path::PathBuf,
}

impl Browser {
    async fn start() -> Result<Browser, String> {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {chromedriver}: {e}"))?;
        let profile = std::env::temp_dir().join(format!("bench-desk-{}", uuid::Uuid::new_v4().simple()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "none",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--disable-extensions",
                         "--lang=en-US", format!("--user-data-dir={}", profile.display())],
                "mobileEmulation": {"deviceMetrics": {"width": 375, "height": 812, "pixelRatio": 2.0, "touch": true}},
            },
        }}});
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            client: awc::Client::builder().timeout(Duration::from_secs(120)).finish(),
            profile,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match browser.command("POST", "/session", &capabilities).await {
                Ok(value) => {
                    browser.session = value["sessionId"].as_str().unwrap_or_default().to_owned();
                    return Ok(browser);
                }
                Err(e) if Instant::now() > deadline => return Err(format!("no WebDriver session: {e}")),
                Err(_) => actix_web::rt::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    async fn command(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "POST" => self.client.post(url),
            _ => self.client.delete(url),
        };
        let mut answer = request.send_json(body).await.map_err(|e| e.to_string())?;
        let value: Value = answer.json().limit(16 << 20).await.map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(value["value"]["message"]
                .as_str()
                .unwrap_or("WebDriver error")
                .to_owned());
        }
        Ok(value["value"].clone())
    }

    async fn open(&self, url: &str) -> Result<(), String> {
        self.command(
            "POST",
            &format!("/session/{}/url", self.session),
            &json!({"url": url}),
        )
        .await
        .map(drop)
    }

    async fn run(&self, script: &str) -> Result<Value, String> {
        self.command(
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            &json!({"script": script, "args": []}),
        )
        .await
    }

    async fn wait_for_url(&self, url: &str) -> Result<(), String> {
        for _ in 0..200 {
            if let Ok(Value::Bool(true)) = self
                .run(&format!(
                    "return location.href === {} && document.readyState === 'complete';",
                    json!(url)
                ))
                .await
            {
                return Ok(());
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("{url} did not load"))
    }

    /// Milliseconds from the navigation's start to the first pending handoff on screen, read by
    /// the page's own clock; None when it never came.
    async fn time_to_desk(&self, desk: &str, patience: Duration) -> Result<Option<f64>, String> {
        self.open("about:blank").await?;
        self.wait_for_url("about:blank").await?;
        self.open(desk).await?;
        let probe = format!(
            "return location.href === {} && document.querySelector({}) ? performance.now() : null;",
            json!(desk),
            json!(FIRST_HANDOFF)
        );
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Ok(Value::Number(ms)) = self.run(&probe).await {
                return Ok(ms.as_f64());
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(None)
    }

    async fn close(mut self) {
        let _ = self
            .command("DELETE", &format!("/session/{}", self.session), &json!({}))
            .await;
        self.kill();
    }

    fn kill(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.driver.try_wait().ok().flatten().is_none() {
            self.kill();
        }
    }
}
