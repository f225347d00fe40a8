//! `inbound-transfer bench-sheets`: importing a manifest as CSV and as XLSX, and exporting a large
//! roster as XLSX and as CSV, through the API, on each database asked for. Memory is the process's
//! resident set, sampled every few milliseconds while a roster is built and sent (the client that
//! reads it is in the same process, so the figure is an upper bound).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use inbound_transfer::config::Settings;
use inbound_transfer::db::DatabaseUrl;
use inbound_transfer::startup::{prepare_database, Application};
use rust_xlsxwriter::Workbook;

use super::history::{build_history, fresh_database};

pub struct SheetOptions {
    pub databases: Vec<String>,
    /// Rows of each manifest imported.
    pub import_rows: usize,
    /// Travellers in the history the roster is exported from.
    pub roster_rows: usize,
}

const HEADER: &str = "full_name,document_type,document_no,nationality,phone,flight_no,port_code,arrived_at,destination_community_code";

fn manifest_row(prefix: &str, i: usize) -> [String; 9] {
    [
        format!("Manifest Traveller {i}"),
        "passport".into(),
        format!("{prefix}{i:07}"),
        "CHN".into(),
        format!("+86 139 {:04} {:04}", i / 10_000, i % 10_000),
        "MU5001".into(),
        "PVG".into(),
        "2020-03-07 08:30".into(),
        ["CZ-TN-HM", "CZ-ZL-NY", "CZ-WJ-HL"][i % 3].into(),
    ]
}

fn csv_manifest(prefix: &str, rows: usize) -> Vec<u8> {
    let mut out = format!("{HEADER}\n");
    for i in 0..rows {
        out.push_str(&manifest_row(prefix, i).join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn xlsx_manifest(prefix: &str, rows: usize) -> Result<Vec<u8>, String> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let e = |e: rust_xlsxwriter::XlsxError| e.to_string();
    for (col, name) in HEADER.split(',').enumerate() {
        sheet.write_string(0, col as u16, name).map_err(e)?;
    }
    for i in 0..rows {
        for (col, value) in manifest_row(prefix, i).iter().enumerate() {
            sheet.write_string(i as u32 + 1, col as u16, value).map_err(e)?;
        }
    }
    book.save_to_buffer().map_err(e)
}

/// The process's resident set now, in bytes.
pub(super) fn resident() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// Samples the resident set until stopped: the highest seen.
pub(super) struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    pub(super) fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(resident()));
        let (s, p) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(resident(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Sampler { stop, peak, thread }
    }

    pub(super) fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}

pub(super) async fn login(client: &awc::Client, base: &str) -> Result<String, String> {
    let mut res = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&serde_json::json!({"username": "cz.dispatcher", "password": "dispatch-demo-pass"}))
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
    Ok(body["access_token"].as_str().ok_or("login failed")?.to_owned())
}

/// Imports of each format, for a median that one slow request does not move.
const IMPORTS: usize = 3;

async fn measure(settings: Settings, opts: &SheetOptions) -> Result<(), String> {
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    let token = login(&client, &base).await?;

    let n = opts.import_rows;
    println!("import of a {n}-row manifest (rows per second; {IMPORTS} requests each, their median):");
    for (label, content_type) in [
        ("CSV", "text/csv"),
        ("XLSX", inbound_transfer::sheets::manifest::XLSX),
    ] {
        let mut rates = Vec::new();
        let mut size = 0;
        for run in 0..IMPORTS {
            // Other documents each time: a document already in transfer is refused.
            let prefix = format!("B{}{run}", &label[..1]);
            let body = match label {
                "CSV" => csv_manifest(&prefix, n),
                _ => xlsx_manifest(&prefix, n)?,
            };
            size = body.len();
            let started = Instant::now();
            let mut res = client
                .post(format!("{base}/api/v1/travellers/import"))
                .bearer_auth(&token)
                .insert_header(("content-type", content_type))
                .send_body(body)
                .await
                .map_err(|e| e.to_string())?;
            let answer = res.body().limit(1 << 20).await.map_err(|e| e.to_string())?;
            let seconds = started.elapsed().as_secs_f64();
            if res.status().as_u16() != 201 {
                return Err(format!(
                    "import answered {}: {}",
                    res.status(),
                    String::from_utf8_lossy(&answer)
                ));
            }
            rates.push(n as f64 / seconds);
        }
        let each: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        rates.sort_by(f64::total_cmp);
        println!(
            "  {label:<5} {:>9.0} rows/s  (each: {}; {:.1} MiB)",
            rates[rates.len() / 2],
            each.join(" · "),
            size as f64 / (1 << 20) as f64
        );
    }

    println!("export of the roster (the dispatcher's city):");
    let mut rows = 0usize;
    for format in ["csv", "xlsx"] {
        let before = resident();
        let sampler = Sampler::start();
        let started = Instant::now();
        let mut res = client
            .get(format!("{base}/api/v1/reports/roster?format={format}"))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if res.status().as_u16() != 200 {
            return Err(format!("roster answered {}", res.status()));
        }
        let (mut bytes, mut lines, mut first) = (0usize, 0usize, None);
        while let Some(chunk) = res.next().await {
            let chunk = chunk.map_err(|e| e.to_string())?;
            first.get_or_insert_with(|| started.elapsed());
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        let seconds = started.elapsed().as_secs_f64();
        let peak = sampler.stop();
        if format == "csv" {
            rows = lines.saturating_sub(1);
        }
        println!(
            "  {format:<5} {:>9.0} rows/s  ({rows} rows in {seconds:.2} s, {:.1} MiB; first bytes after {:.0} ms; resident set grew by {:.1} MiB at most)",
            rows as f64 / seconds,
            bytes as f64 / (1 << 20) as f64,
            first.unwrap_or_default().as_secs_f64() * 1000.0,
            peak.saturating_sub(before) as f64 / (1 << 20) as f64,
        );
    }
    Ok(())
}

pub fn run(base: Settings, opts: SheetOptions) -> Result<(), String> {
    for database in &opts.databases {
        let db = fresh_database(database, opts.roster_rows)?;
        let mut settings = base.clone();
        settings.database.url = db.url.clone();
        settings.server.bind = "127.0.0.1:0".into();
        settings.demo.seed = true;
        settings.demo.motion = false;
        // A roster of this size takes longer to build than a request usually may.
        settings.database.statement_timeout_ms = 0;
        // The synthetic history is old: its erasure would run beside the measurements.
        settings.privacy.retain_days = 36_500;
        let label = DatabaseUrl::parse(&db.url)?.redacted();
        let started = Instant::now();
        let pool = prepare_database(&settings)?;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        build_history(&mut conn, opts.roster_rows, 5)?;
        drop(conn);
        drop(pool);
        println!(
            "\n== {label}: a history of {} travellers, built in {:.1} s ==",
            opts.roster_rows,
            started.elapsed().as_secs_f64()
        );
        actix_web::rt::System::new().block_on(measure(settings, &opts))?;
    }
    Ok(())
}
