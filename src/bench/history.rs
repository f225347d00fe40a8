//! `inbound-transfer bench history`: builds a synthetic history of N travellers through the whole loop
//! (registration, batch, boarding, departure, arrival, district and community handoffs), starts the
//! real server over it, and measures the statistics endpoints against `/healthz` in the same run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::prelude::*;

use inbound_transfer::config::Settings;
use inbound_transfer::db::types::{
    BatchId, HandoffId, PortId, Timestamp, TravellerId, UnitId, UserId, VehicleId,
};
use inbound_transfer::db::{DatabaseUrl, DbConnection, Lock};
use inbound_transfer::domain::batch::BatchStatus;
use inbound_transfer::domain::handoff::{HandoffOutcome, HandoffStatus};
use inbound_transfer::domain::traveller::{DocumentType, ExceptionKind, Language, TravellerStatus};
use inbound_transfer::schema::{
    batch_travellers, batches, handoff_travellers, handoffs, ports, travellers, units, users, vehicles,
};
use inbound_transfer::startup::{prepare_database, Application};
use inbound_transfer::store::batches::{Batch, BatchTraveller};
use inbound_transfer::store::handoffs::{Handoff, HandoffTraveller};
use inbound_transfer::store::travellers::Traveller;

pub struct BenchOptions {
    pub databases: Vec<String>,
    pub sizes: Vec<usize>,
    pub requests: usize,
    pub concurrency: usize,
}

/// Inserts rows in chunks, with the backend's own multi-row insert.
macro_rules! bulk_insert {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(500) {
            match $conn {
                DbConnection::Postgres(c) => diesel::insert_into($table).values(chunk).execute(c),
                DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c),
            }?;
        }
    };
}

const BATCH_SIZE: usize = 20;

struct Place {
    city: UnitId,
    communities: Vec<(UnitId, UnitId)>,
    ports: Vec<PortId>,
    dispatcher: UserId,
    district_officer: UserId,
    vehicles: Vec<VehicleId>,
}

fn load_place(conn: &mut DbConnection) -> Result<Place, String> {
    let e = |e: diesel::result::Error| e.to_string();
    let city: UnitId = units::table
        .filter(units::code.eq("CZ"))
        .select(units::id)
        .first(conn)
        .map_err(e)?;
    let communities: Vec<(UnitId, UnitId)> = units::table
        .filter(units::level.eq("community"))
        .order(units::code.asc())
        .select((units::id, units::parent_id.assume_not_null()))
        .load(conn)
        .map_err(e)?;
    let ports: Vec<PortId> = ports::table
        .order(ports::code.asc())
        .select(ports::id)
        .load(conn)
        .map_err(e)?;
    let user = |name: &str, conn: &mut DbConnection| {
        users::table
            .filter(users::username.eq(name.to_owned()))
            .select(users::id)
            .first::<UserId>(conn)
    };
    let dispatcher = user("cz.dispatcher", conn).map_err(e)?;
    let district_officer = user("tn.officer", conn).map_err(e)?;
    let vehicles: Vec<VehicleId> = vehicles::table.select(vehicles::id).load(conn).map_err(e)?;
    Ok(Place {
        city,
        communities,
        ports,
        dispatcher,
        district_officer,
        vehicles,
    })
}

/// Writes `n` travellers who went through the loop: most received, one in fifty a no-show, and the
/// last batches arrived with their district handoffs still pending (some overdue).
/// `pending_batches` of the newest batches stay arrived, their handoffs to the districts pending
/// with the code 123456.
pub fn build_history(conn: &mut DbConnection, n: usize, pending_batches: usize) -> Result<(), String> {
    let p = load_place(conn)?;
    let batch_count = n.div_ceil(BATCH_SIZE);
    let days = (n / 3000).max(30) as i64;
    let start = Utc::now() - chrono::Duration::days(days + 1);
    let step = chrono::Duration::seconds(days * 86_400 / batch_count.max(1) as i64);
    let pending_tail = batch_count.min(pending_batches);
    let mut made = 0usize;
    for first in (0..batch_count).step_by(500) {
        let (mut ts, mut bs, mut bts, mut hs, mut hts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for b in first..(first + 500).min(batch_count) {
            let t0 = Timestamp(start + step * b as i32);
            let hours = |h: i64| t0 + chrono::Duration::hours(h);
            let pending = b >= batch_count - pending_tail;
            let batch_id = BatchId::new();
            let port = p.ports[b % p.ports.len()];
            let mut by_district: std::collections::BTreeMap<UnitId, Vec<(TravellerId, UnitId)>> =
                Default::default();
            for k in 0..BATCH_SIZE.min(n - made) {
                made += 1;
                let (community, district) = p.communities[(b + k) % p.communities.len()];
                let no_show = (b * BATCH_SIZE + k) % 50 == 49;
                let status = match (no_show, pending) {
                    (true, _) => TravellerStatus::Exception,
                    (false, true) => TravellerStatus::Arrived,
                    (false, false) => TravellerStatus::Received,
                };
                let id = TravellerId::new();
                ts.push(Traveller {
                    id,
                    full_name: format!("Synthetic Traveller {b}-{k}"),
                    document_type: DocumentType::Passport,
                    document_no: format!("S{b:07}{k:02}"),
                    nationality: "CHN".into(),
                    phone: None,
                    flight_no: Some(format!("MU{}", 5000 + b % 300)),
                    port_id: port,
                    arrived_at: hours(-3),
                    destination_city_id: p.city,
                    destination_district_id: district,
                    destination_community_id: Some(community),
                    address: None,
                    language: Some(Language::Zh),
                    notes: None,
                    status,
                    custodian_unit_id: if status == TravellerStatus::Received {
                        community
                    } else {
                        p.city
                    },
                    batch_id: Some(batch_id),
                    handoff_id: None,
                    missing: false,
                    exception_kind: no_show.then_some(ExceptionKind::NoShow),
                    exception_reason: None,
                    exception_facility: None,
                    exception_at: no_show.then(|| hours(0)),
                    exception_by: no_show.then_some(p.dispatcher),
                    registered_by: p.dispatcher,
                    created_at: hours(-2),
                    updated_at: hours(5),
                    version: 5,
                    origin_district_id: Some(district),
                    origin_community_id: Some(community),
                    received_at: (status == TravellerStatus::Received).then(|| hours(5)),
                    erased_at: None,
                    exception_message: no_show.then(|| {
                        inbound_transfer::db::types::Json(
                            serde_json::json!({"code": "did_not_board", "params": {"batch_code": "history"}}),
                        )
                    }),
                    missing_since: None,
                });
                bts.push(BatchTraveller {
                    batch_id,
                    traveller_id: id,
                    boarded: Some(!no_show),
                    removed: false,
                    district_id: Some(district),
                    community_id: Some(community),
                });
                if !no_show {
                    by_district.entry(district).or_default().push((id, community));
                }
            }
            bs.push(Batch {
                id: batch_id,
                code: format!("SYN-{b:08}"),
                port_id: port,
                city_id: p.city,
                vehicle_id: p.vehicles.get(b % p.vehicles.len().max(1)).copied(),
                status: if pending {
                    BatchStatus::Arrived
                } else {
                    BatchStatus::Closed
                },
                scheduled_departure_at: None,
                departed_at: Some(hours(0)),
                arrived_at: Some(hours(2)),
                closed_at: (!pending).then(|| hours(5)),
                cancelled_at: None,
                cancel_reason: None,
                created_by: p.dispatcher,
                created_at: hours(-1),
                updated_at: hours(5),
                version: 6,
            });
            for (district, group) in by_district {
                let handoff =
                    |from: UnitId, to: UnitId, community: Option<UnitId>, status: HandoffStatus, at: i64| {
                        Handoff {
                            id: HandoffId::new(),
                            batch_id: Some(batch_id),
                            from_unit_id: from,
                            to_unit_id: to,
                            city_id: p.city,
                            district_id: district,
                            community_id: community,
                            status,
                            code: "123456".into(),
                            failed_attempts: 0,
                            locked: false,
                            created_by: p.dispatcher,
                            created_at: hours(at),
                            due_at: hours(at + 2),
                            confirmed_at: (status == HandoffStatus::Confirmed).then(|| hours(at + 1)),
                            confirmed_by: (status == HandoffStatus::Confirmed).then_some(p.district_officer),
                            rejected_at: None,
                            rejected_by: None,
                            reason: None,
                            note: None,
                            locked_at: None,
                            replaces: None,
                            replaced_by: None,
                            recorded_at: (status == HandoffStatus::Confirmed).then(|| hours(at + 1)),
                            version: 2,
                        }
                    };
                let to_district = handoff(
                    p.city,
                    district,
                    None,
                    if pending {
                        HandoffStatus::Pending
                    } else {
                        HandoffStatus::Confirmed
                    },
                    2,
                );
                for (t, _) in &group {
                    let outcome = if pending {
                        HandoffOutcome::Pending
                    } else {
                        HandoffOutcome::Received
                    };
                    hts.push(HandoffTraveller {
                        handoff_id: to_district.id,
                        traveller_id: *t,
                        outcome,
                    });
                }
                if pending {
                    for (t, _) in &group {
                        if let Some(row) = ts.iter_mut().find(|r| r.id == *t) {
                            row.handoff_id = Some(to_district.id);
                        }
                    }
                } else {
                    let mut by_community: std::collections::BTreeMap<UnitId, Vec<TravellerId>> =
                        Default::default();
                    for (t, c) in &group {
                        by_community.entry(*c).or_default().push(*t);
                    }
                    for (community, people) in by_community {
                        let to_community =
                            handoff(district, community, Some(community), HandoffStatus::Confirmed, 3);
                        for t in people {
                            hts.push(HandoffTraveller {
                                handoff_id: to_community.id,
                                traveller_id: t,
                                outcome: HandoffOutcome::Received,
                            });
                        }
                        hs.push(to_community);
                    }
                }
                hs.push(to_district);
            }
        }
        inbound_transfer::db::write_transaction(conn, Lock::Everything, |tx| -> QueryResult<()> {
            bulk_insert!(tx, batches::table, bs);
            bulk_insert!(tx, travellers::table, ts);
            bulk_insert!(tx, batch_travellers::table, bts);
            bulk_insert!(tx, handoffs::table, hs);
            bulk_insert!(tx, handoff_travellers::table, hts);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    }
    inbound_transfer::db::write_transaction(conn, Lock::Everything, inbound_transfer::store::counts::rebuild)
        .map_err(|e| e.to_string())
}

pub struct Fresh {
    pub url: String,
    drop_with: Option<(String, String)>,
}

pub fn fresh_database(base: &str, n: usize) -> Result<Fresh, String> {
    match DatabaseUrl::parse(base)? {
        DatabaseUrl::Sqlite(path) => {
            let path = format!("{path}.{n}");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            Ok(Fresh {
                url: format!("sqlite://{path}"),
                drop_with: None,
            })
        }
        DatabaseUrl::Postgres(url) => {
            let name = format!("bench_{n}_{}", std::process::id());
            let mut admin = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .map_err(|e| e.to_string())?;
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .map_err(|e| e.to_string())?;
            let (prefix, _) = url.rsplit_once('/').ok_or("postgres URL needs a database")?;
            Ok(Fresh {
                url: format!("{prefix}/{name}"),
                drop_with: Some((url.clone(), name)),
            })
        }
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.drop_with {
            if let Ok(mut admin) = diesel::PgConnection::establish(admin_url) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin);
            }
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    inbound_transfer::stats::read::percentile(sorted, p).unwrap_or(f64::NAN)
}

/// Sequential requests: each one's latency in milliseconds.
async fn latency(
    client: &awc::Client,
    url: &str,
    token: &str,
    etag: Option<&str>,
    n: usize,
) -> Result<Vec<f64>, String> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let mut req = client.get(url).bearer_auth(token);
        if let Some(tag) = etag {
            req = req.insert_header(("if-none-match", tag));
        }
        let started = Instant::now();
        let mut res = req.send().await.map_err(|e| e.to_string())?;
        let _ = res.body().limit(16 << 20).await.map_err(|e| e.to_string())?;
        if !(res.status().is_success() || res.status().as_u16() == 304) {
            return Err(format!("{url} answered {}", res.status()));
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(samples)
}

/// Requests per second with `concurrency` clients in flight.
async fn throughput(
    client: &awc::Client,
    url: &str,
    token: &str,
    etag: Option<&str>,
    total: usize,
    concurrency: usize,
) -> Result<f64, String> {
    let started = Instant::now();
    let per_worker = total / concurrency.max(1);
    let workers = (0..concurrency).map(|_| async {
        for _ in 0..per_worker {
            let mut req = client.get(url).bearer_auth(token);
            if let Some(tag) = etag {
                req = req.insert_header(("if-none-match", tag));
            }
            let mut res = req.send().await.map_err(|e| e.to_string())?;
            let _ = res.body().limit(16 << 20).await.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    });
    for result in futures_util::future::join_all(workers).await {
        result?;
    }
    Ok((per_worker * concurrency) as f64 / started.elapsed().as_secs_f64())
}

/// One server over one history, with the dispatcher's token and the overview's current ETag.
struct Target {
    n: usize,
    base: String,
    token: String,
    etag: String,
}

async fn start(settings: Settings, n: usize, client: &awc::Client) -> Result<Target, String> {
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let mut login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&serde_json::json!({"username": "cz.dispatcher", "password": "dispatch-demo-pass"}))
        .await
        .map_err(|e| e.to_string())?;
    let body: serde_json::Value = login.json().await.map_err(|e| e.to_string())?;
    let token = body["access_token"].as_str().ok_or("login failed")?.to_owned();
    let first = client
        .get(format!("{base}/api/v1/stats/overview"))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .ok_or("no ETag")?
        .to_owned();
    Ok(Target { n, base, token, etag })
}

/// Rounds per measurement: the sizes take turns, so that whatever else the machine does weighs
/// on all of them alike.
const ROUNDS: usize = 10;

const ENDPOINTS: [(&str, &str, bool); 5] = [
    ("/stats/overview", "/api/v1/stats/overview", false),
    ("/stats/overview (If-None-Match)", "/api/v1/stats/overview", true),
    ("/stats/ports", "/api/v1/stats/ports", false),
    ("/stats/districts", "/api/v1/stats/districts", false),
    ("/stats/daily", "/api/v1/stats/daily", false),
];

/// Latency percentiles of one endpoint on every target, the targets taking turns.
async fn latency_row(
    client: &awc::Client,
    targets: &[&Target],
    path: &str,
    conditional: bool,
    requests: usize,
) -> Result<Vec<(f64, f64)>, String> {
    let per_round = requests.div_ceil(ROUNDS);
    let mut samples = vec![Vec::new(); targets.len()];
    for _ in 0..ROUNDS {
        for (t, out) in targets.iter().zip(samples.iter_mut()) {
            let tag = conditional.then_some(t.etag.as_str());
            out.extend(latency(client, &format!("{}{path}", t.base), &t.token, tag, per_round).await?);
        }
    }
    Ok(samples
        .iter_mut()
        .map(|s| {
            s.sort_by(|a, b| a.total_cmp(b));
            (percentile(s, 50.0), percentile(s, 99.0))
        })
        .collect())
}

fn print_row(name: &str, figures: &[(f64, f64)]) {
    print!("{name:<45}");
    for (p50, p99) in figures {
        print!(" {:>17}", format!("{p50:.3} / {p99:.3}"));
    }
    if let (Some(small), Some(large)) = (figures.first(), figures.last()) {
        print!(
            "  {:>11}",
            format!("{:.2} / {:.2}", large.0 / small.0, large.1 / small.1)
        );
    }
    println!();
}

/// Measures every size, each served twice: answering from memory (the default) and with
/// `stats.answer_from_memory = false`, where every request reads the database.
async fn measure(label: &str, targets: &[(Target, Target)], opts: &BenchOptions) -> Result<(), String> {
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    for (memory, database) in targets {
        for t in [memory, database] {
            // Warm up.
            latency(
                &client,
                &format!("{}/api/v1/stats/overview", t.base),
                &t.token,
                None,
                50,
            )
            .await?;
        }
    }
    let per_round = opts.requests.div_ceil(ROUNDS);
    println!(
        "\n== {label}: latency, {} sequential requests per endpoint and size ==",
        per_round * ROUNDS
    );
    print!("{:<45}", "endpoint (p50 / p99 ms)");
    for (t, _) in targets {
        print!(" {:>17}", format!("N = {}", t.n));
    }
    println!("  {:>11}", "last/first");
    let memory: Vec<&Target> = targets.iter().map(|(m, _)| m).collect();
    let database: Vec<&Target> = targets.iter().map(|(_, d)| d).collect();
    print_row(
        "/healthz",
        &latency_row(&client, &memory, "/healthz", false, opts.requests).await?,
    );
    for (name, path, conditional) in ENDPOINTS {
        for (mode, set) in [("memory", &memory), ("database", &database)] {
            let figures = latency_row(&client, set, path, conditional, opts.requests).await?;
            print_row(&format!("{name} [{mode}]"), &figures);
        }
    }
    let total = opts.requests * 4;
    let per_round = total.div_ceil(ROUNDS);
    println!(
        "throughput, {} clients in flight, {} requests per figure:",
        opts.concurrency,
        per_round * ROUNDS
    );
    for (memory, database) in targets {
        let health = format!("{}/healthz", memory.base);
        let runs: [(&str, &Target, Option<&str>); 4] = [
            ("/stats/overview [memory]", memory, None),
            (
                "/stats/overview (If-None-Match) [memory]",
                memory,
                Some(&memory.etag),
            ),
            ("/stats/overview [database]", database, None),
            (
                "/stats/overview (If-None-Match) [database]",
                database,
                Some(&database.etag),
            ),
        ];
        // Each figure is paired with a run of /healthz just before it, and the ratio is the median
        // over the rounds: what else the machine does in a moment weighs on both sides alike.
        let (mut health_seconds, mut health_requests) = (0.0f64, 0usize);
        let mut seconds = [0.0f64; 4];
        let mut ratios = vec![Vec::new(); runs.len()];
        for _ in 0..ROUNDS {
            for (i, (_, t, tag)) in runs.iter().enumerate() {
                let h =
                    throughput(&client, &health, &memory.token, None, per_round, opts.concurrency).await?;
                let url = format!("{}/api/v1/stats/overview", t.base);
                let r = throughput(&client, &url, &t.token, *tag, per_round, opts.concurrency).await?;
                health_seconds += per_round as f64 / h;
                health_requests += per_round;
                seconds[i] += per_round as f64 / r;
                ratios[i].push(r / h);
            }
        }
        println!("  N = {}:", memory.n);
        println!(
            "    {:<45}{:>10.0} req/s",
            "/healthz",
            health_requests as f64 / health_seconds
        );
        for (i, (name, _, _)) in runs.iter().enumerate() {
            let r = (per_round * ROUNDS) as f64 / seconds[i];
            ratios[i].sort_by(|a, b| a.total_cmp(b));
            let median = ratios[i][ratios[i].len() / 2];
            println!(
                "    {name:<45}{r:>10.0} req/s  ({median:.2} of /healthz, median of {ROUNDS} paired rounds)"
            );
        }
    }
    Ok(())
}

/// Runs the benchmark for every database asked for: builds a history of each size, then serves
/// them all at once and measures them in turns.
pub fn run(base: Settings, opts: BenchOptions) -> Result<(), String> {
    let opts = Arc::new(opts);
    for database in &opts.databases {
        let mut fresh = Vec::new();
        let mut settings_per_size = Vec::new();
        for &n in &opts.sizes {
            let db = fresh_database(database, n)?;
            let mut settings = base.clone();
            settings.database.url = db.url.clone();
            settings.server.bind = "127.0.0.1:0".into();
            settings.demo.seed = true;
            settings.demo.motion = false;
            let label = DatabaseUrl::parse(&db.url)?.redacted();
            let started = Instant::now();
            // Building a large history takes longer than any one request may.
            let mut building = settings.clone();
            building.database.statement_timeout_ms = 0;
            let pool = prepare_database(&building)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            build_history(&mut conn, n, 5)?;
            drop(conn);
            drop(pool);
            eprintln!(
                "built a history of {n} travellers on {label} in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            fresh.push(db);
            settings_per_size.push((settings, n));
        }
        let label = DatabaseUrl::parse(database)?.redacted();
        let opts = opts.clone();
        actix_web::rt::System::new().block_on(async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
            let mut targets = Vec::new();
            for (settings, n) in settings_per_size {
                let mut from_database = settings.clone();
                from_database.stats.answer_from_memory = false;
                targets.push((
                    start(settings, n, &client).await?,
                    start(from_database, n, &client).await?,
                ));
            }
            measure(&label, &targets, &opts).await
        })?;
        drop(fresh);
    }
    Ok(())
}
