//! `inbound-transfer bench-writes`: the write path on PostgreSQL, in one run.
//!
//! - Registration (`POST /travellers`) and handoff confirmation through the API, at 1 and 8
//!   connections, with the statements each sends; registration against pgbench running the same
//!   statements for as long, and both against pgbench running what the service sent at commit
//!   5b42eca (a statement a row); registration also against the statements sent before writes ran
//!   in parallel by city.
//! - A second city's lone dispatcher while the first city's dispatchers write on 8 connections,
//!   against the same lone dispatcher on an idle service (latency p50 and p99).
//! - 1,000 open event streams against 1, while a dispatcher registers at a steady pace: the
//!   statements the service sends the database per second and the delay from a registration to its event on every stream.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::{json, Value};

use inbound_transfer::config::Settings;
use inbound_transfer::db::types::{PortId, UnitId, UserId};
use inbound_transfer::db::DatabaseUrl;
use inbound_transfer::schema::{ports, units, users};
use inbound_transfer::startup::{prepare_database, Application};

use super::history::{build_history, fresh_database};

pub struct WriteOptions {
    pub database: String,
    pub seconds: u64,
    pub streams: usize,
}

/// Batches of 20 left with their district handoffs pending: 20,000 handoffs to each district, of
/// which a third (6,666) hold the `PER_HANDOFF` travellers the confirmation figures use, half for
/// the API and half for pgbench: at 10 s a figure, room for about 160 confirmations a second.
const PENDING_BATCHES: usize = 20_000;

/// What the scripts and the clients need to know of the demo city and the second one.
struct Place {
    city: UnitId,
    district: UnitId,
    community: UnitId,
    port: PortId,
    dispatcher: UserId,
}

fn place(conn: &mut PgConnection, community_code: &str, dispatcher: &str) -> Result<Place, String> {
    let (community, district, city): (UnitId, Option<UnitId>, UnitId) = units::table
        .filter(units::code.eq(community_code))
        .select((units::id, units::district_id, units::city_id))
        .first(conn)
        .map_err(|e| format!("unit {community_code}: {e}"))?;
    let port: PortId = ports::table
        .select(ports::id)
        .order(ports::code.asc())
        .first(conn)
        .map_err(|e| e.to_string())?;
    let dispatcher: UserId = users::table
        .filter(users::username.eq(dispatcher))
        .select(users::id)
        .first(conn)
        .map_err(|e| e.to_string())?;
    Ok(Place {
        city,
        district: district.ok_or("a community has a district")?,
        community,
        port,
        dispatcher,
    })
}

const TRAVELLER_COLUMNS: &str =
    "\"id\", \"full_name\", \"document_type\", \"document_no\", \"nationality\", \
     \"phone\", \"flight_no\", \"port_id\", \"arrived_at\", \"destination_city_id\", \
     \"destination_district_id\", \"destination_community_id\", \"address\", \"language\", \"notes\", \
     \"status\", \"custodian_unit_id\", \"batch_id\", \"handoff_id\", \"missing\", \"exception_kind\", \
     \"exception_reason\", \"exception_facility\", \"exception_at\", \"exception_by\", \"registered_by\", \
     \"created_at\", \"updated_at\", \"version\", \"origin_district_id\", \"origin_community_id\", \
     \"received_at\", \"erased_at\"";

/// The statements common to both registration scripts, from the port lookup to the insert.
fn registration_core(p: &Place) -> String {
    let (city, district, community, port, user) = (p.city, p.district, p.community, p.port, p.dispatcher);
    format!(
        "SELECT \"ports\".\"id\", \"ports\".\"code\", \"ports\".\"name\", \"ports\".\"kind\", \"ports\".\"city_name\", \"ports\".\"created_at\" FROM \"ports\" WHERE (\"ports\".\"id\" = '{port}') LIMIT 1;\n\
         SELECT \"units\".\"id\", \"units\".\"name\", \"units\".\"code\", \"units\".\"level\", \"units\".\"parent_id\", \"units\".\"city_id\", \"units\".\"district_id\", \"units\".\"created_at\", \"units\".\"hotline\", \"units\".\"address\" FROM \"units\" WHERE ((\"units\".\"city_id\" = '{city}') AND (\"units\".\"id\" = '{community}')) LIMIT 1;\n\
         SELECT EXISTS (SELECT 1 FROM \"travellers\" WHERE ((\"travellers\".\"document_type\" = 'passport') AND (\"travellers\".\"document_no\" = 'P' || :doc)) AND (\"travellers\".\"status\" != ALL('{{received,exception}}')));\n\
         INSERT INTO \"travellers\" ({TRAVELLER_COLUMNS}) VALUES (gen_random_uuid(), 'Bench Traveller', 'passport', 'P' || :doc, 'CHN', NULL, 'MU1', '{port}', now(), '{city}', '{district}', '{community}', NULL, 'zh', NULL, 'awaiting_transfer', '{city}', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, '{user}', now(), now(), 1, '{district}', '{community}', NULL, NULL);\n"
    )
}

fn event_insert(p: &Place) -> String {
    let (city, district, community, user) = (p.city, p.district, p.community, p.dispatcher);
    format!(
        "SELECT \"events\".\"hash\", \"events\".\"chain_seq\" FROM \"events\" WHERE ((\"events\".\"hash\" != '') AND (\"events\".\"city_id\" = '{city}')) ORDER BY \"events\".\"seq\" DESC LIMIT 1 \\gset head_\n\
         INSERT INTO \"events\" (\"id\", \"at\", \"actor_id\", \"action\", \"entity_type\", \"entity_id\", \"city_id\", \"district_id\", \"community_id\", \"data\", \"prev_hash\", \"hash\", \"chain_seq\") VALUES (gen_random_uuid(), now(), '{user}', 'traveller.registered', 'traveller', gen_random_uuid(), '{city}', '{district}', '{community}', '{{\"status\": \"awaiting_transfer\"}}', ':head_hash', md5(random()::text) || md5(random()::text), :head_chain_seq + 1);\n"
    )
}

/// The numbers a registration moves, as the arguments of `append_events`: units, metrics, values.
fn counter_arrays(units: &[UnitId], metrics: &[&str]) -> String {
    let mut u = Vec::new();
    let mut m = Vec::new();
    for unit in units {
        for metric in metrics.iter().chain(&["changes"]) {
            u.push(format!("'{unit}'::uuid"));
            m.push(format!("'{metric}'"));
        }
    }
    let ones = vec!["1"; u.len()];
    format!(
        "ARRAY[{}], ARRAY[{}]::text[], ARRAY[{}]::bigint[]",
        u.join(", "),
        m.join(", "),
        ones.join(", ")
    )
}

/// A registration's daily numbers, as the arguments of `append_events`: units, days, metrics, values.
fn daily_arrays(units: &[UnitId]) -> String {
    let u: Vec<String> = units.iter().map(|u| format!("'{u}'::uuid")).collect();
    let days = vec!["to_char(now(), 'YYYY-MM-DD')"; u.len()];
    let metrics = vec!["'registered'"; u.len()];
    let ones = vec!["1"; u.len()];
    format!(
        "ARRAY[{}], ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::bigint[]",
        u.join(", "),
        days.join(", "),
        metrics.join(", "),
        ones.join(", ")
    )
}

fn counter_rows(units: &[UnitId], metrics: &[&str]) -> String {
    let mut rows = Vec::new();
    for unit in units {
        for metric in metrics {
            rows.push(format!("('{unit}', '{metric}', 1)"));
        }
    }
    rows.join(", ")
}

fn daily_rows(units: &[UnitId]) -> String {
    units
        .iter()
        .map(|u| format!("('{u}', to_char(now(), 'YYYY-MM-DD'), 'registered', 1)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the server sends per registration now: the port and the document asked together, the
/// unit, every row in one statement, the events by `append_events`.
fn registration_now(p: &Place) -> String {
    let (city, district, community, port, user) = (p.city, p.district, p.community, p.port, p.dispatcher);
    let units = [p.city, p.district, p.community];
    format!(
        "\\set doc random(1, 999999999999)\n\
         BEGIN\\; SELECT pg_advisory_xact_lock_shared({everything});\n\
         SELECT \"units\".\"id\", \"units\".\"name\", \"units\".\"code\", \"units\".\"level\", \"units\".\"parent_id\", \"units\".\"city_id\", \"units\".\"district_id\", \"units\".\"created_at\", \"units\".\"hotline\", \"units\".\"address\", EXISTS (SELECT 1 FROM \"ports\" WHERE \"ports\".\"id\" = '{port}'), EXISTS (SELECT 1 FROM \"travellers\" WHERE ((\"travellers\".\"document_type\" = 'passport') AND (\"travellers\".\"document_no\" = 'P' || :doc)) AND (\"travellers\".\"status\" != ALL('{{received,exception}}'))) FROM \"units\" WHERE ((\"units\".\"city_id\" = '{city}') AND (\"units\".\"id\" = '{community}')) LIMIT 1;\n\
         WITH w0 AS (INSERT INTO \"travellers\" ({TRAVELLER_COLUMNS}) VALUES (gen_random_uuid(), 'Bench Traveller', 'passport', 'P' || :doc, 'CHN', NULL, 'MU1', '{port}', now(), '{city}', '{district}', '{community}', NULL, 'zh', NULL, 'awaiting_transfer', '{city}', NULL, NULL, false, NULL, NULL, NULL, NULL, NULL, '{user}', now(), now(), 1, '{district}', '{community}', NULL, NULL)) \
         SELECT ARRAY[]::bigint[];\n\
         SELECT append_events({log}, 'inbound_transfer_changes', 'events', ARRAY[gen_random_uuid()], ARRAY['{user}'::uuid], ARRAY['traveller.registered'], ARRAY['traveller'], ARRAY[gen_random_uuid()], ARRAY['{city}'::uuid], ARRAY['{district}'::uuid], ARRAY['{community}'::uuid], ARRAY['{{\"status\": \"awaiting_transfer\"}}'::jsonb], ARRAY[convert_to(:doc::text, 'UTF8')], {totals}, {daily});\n\
         COMMIT;\n",
        everything = 0x1b0_7a45_f3e3_i64,
        totals = counter_arrays(&units, &["travellers", "travellers:awaiting_transfer"]),
        daily = daily_arrays(&units),
        log = 0x1b0_7a45_f3e5_i64,
    )
}

/// What the service sent per registration at commit 5b42eca, one statement a row (read off
/// PostgreSQL's statement log).
fn registration_at_5b42eca(p: &Place) -> String {
    let units = [p.city, p.district, p.community];
    format!(
        "\\set doc random(1, 999999999999)\n\
         BEGIN\\; SELECT pg_advisory_xact_lock_shared({everything});\n\
         {core}\
         INSERT INTO stat_totals (unit_id, metric, value) VALUES {totals} ON CONFLICT (unit_id, metric) DO UPDATE SET value = stat_totals.value + excluded.value;\n\
         INSERT INTO stat_daily (unit_id, day, metric, value) VALUES {daily} ON CONFLICT (unit_id, day, metric) DO UPDATE SET value = stat_daily.value + excluded.value;\n\
         SELECT pg_advisory_xact_lock({log}), pg_notify('inbound_transfer_changes', 'events');\n\
         {event}\
         COMMIT;\n",
        everything = 0x1b0_7a45_f3e3_i64,
        core = registration_core(p),
        totals = counter_rows(&units, &["changes", "travellers", "travellers:awaiting_transfer"]),
        daily = daily_rows(&units),
        log = 0x1b0_7a45_f3e5_i64,
        event = event_insert(p),
    )
}

/// What the service sent per registration before writes ran in parallel by city: two pool
/// checkouts with a ping each, the caller's lookup, one lock for every write in the system, and
/// counters of the whole system (the nil unit) moved by every write.
fn registration_before(p: &Place) -> String {
    let nil = UnitId(uuid::Uuid::nil());
    let units = [nil, p.city, p.district, p.community];
    format!(
        "\\set doc random(1, 999999999999)\n\
         SELECT 1;\n\
         SELECT \"users\".\"username\", \"users\".\"role\", \"users\".\"unit_id\", \"users\".\"active\", \"users\".\"token_version\", \"units\".\"level\" FROM (\"users\" LEFT OUTER JOIN \"units\" ON (\"users\".\"unit_id\" = \"units\".\"id\")) WHERE (\"users\".\"id\" = '{user}') LIMIT 1;\n\
         SELECT 1;\n\
         BEGIN;\n\
         SELECT pg_advisory_xact_lock({global});\n\
         {core}\
         INSERT INTO stat_totals (unit_id, metric, value) VALUES {totals} ON CONFLICT (unit_id, metric) DO UPDATE SET value = stat_totals.value + excluded.value;\n\
         INSERT INTO stat_daily (unit_id, day, metric, value) VALUES {daily} ON CONFLICT (unit_id, day, metric) DO UPDATE SET value = stat_daily.value + excluded.value;\n\
         {event}\
         COMMIT;\n",
        user = p.dispatcher,
        global = 0x1b0_7a45_f3e3_i64,
        core = registration_core(p),
        totals = counter_rows(&units, &["changes", "travellers", "travellers:awaiting_transfer"]),
        daily = daily_rows(&units),
        event = event_insert(p),
    )
}

/// The advisory lock key of a city, as `db::Lock::City` takes it.
fn city_key(city: UnitId) -> i64 {
    i64::from_be_bytes(city.0.as_bytes()[..8].try_into().unwrap_or([0; 8]))
}

/// Travellers per handoff confirmed in the benchmark, through the API and by pgbench alike.
const PER_HANDOFF: usize = 7;

/// What the service sent at commit 5b42eca, one statement a row, to confirm a district's handoff of
/// `PER_HANDOFF` travellers bound for two communities (read off PostgreSQL's statement log): the district takes custody and hands the
/// travellers on to their communities at once. The handoff comes from `bench_queue`, one more
/// statement than the server sends.
fn confirmation_at_5b42eca(
    city: UnitId,
    district: UnitId,
    communities: [UnitId; 2],
    officer: UserId,
) -> String {
    let ids = |k: usize| format!("(':ids'::uuid[])[{k}]");
    let mut script = format!(
        "SELECT id AS h, ids::text AS ids FROM bench_queue WHERE n = (SELECT nextval('bench_next')) \\gset\n\
         BEGIN\\; SELECT pg_advisory_xact_lock_shared({everything})\\; SELECT pg_advisory_xact_lock({key});\n\
         SELECT * FROM handoffs WHERE handoffs.city_id = '{city}' AND handoffs.id = ':h' LIMIT 1;\n\
         SELECT * FROM units WHERE units.id = '{district}';\n\
         SELECT * FROM handoff_travellers WHERE handoff_id = ANY(ARRAY[':h']::uuid[]) ORDER BY handoff_id, traveller_id;\n\
         SELECT * FROM travellers WHERE id = ANY(':ids'::uuid[]);\n\
         UPDATE handoffs SET status = 'confirmed', failed_attempts = 0, locked = false, confirmed_at = now(), confirmed_by = '{officer}', rejected_at = NULL, rejected_by = NULL, reason = NULL, note = NULL, version = 3 WHERE id = ':h' AND version = 2;\n",
        everything = 0x1b0_7a45_f3e3_i64,
        key = city_key(city),
    );
    for k in 1..=PER_HANDOFF {
        script.push_str(&format!(
            "UPDATE travellers SET destination_district_id = '{district}', status = 'at_district', custodian_unit_id = '{district}', handoff_id = NULL, missing = false, updated_at = now(), version = 6 WHERE id = {t} AND version = 5;\n\
             UPDATE handoff_travellers SET outcome = 'received' WHERE handoff_id = ':h' AND traveller_id = {t};\n",
            t = ids(k)
        ));
    }
    let split = PER_HANDOFF.div_ceil(2);
    for (i, community) in communities.iter().enumerate() {
        let range = if i == 0 {
            1..=split
        } else {
            split + 1..=PER_HANDOFF
        };
        script.push_str(&format!(
            "SELECT * FROM units WHERE units.id = '{community}';\n\
             INSERT INTO handoffs (id, batch_id, from_unit_id, to_unit_id, city_id, district_id, community_id, status, code, failed_attempts, locked, created_by, created_at, due_at, confirmed_at, confirmed_by, rejected_at, rejected_by, reason, note, version) VALUES (gen_random_uuid(), NULL, '{district}', '{community}', '{city}', '{district}', '{community}', 'pending', '654321', 0, false, '{officer}', now(), now() + interval '2 hours', NULL, NULL, NULL, NULL, NULL, NULL, 1) RETURNING id AS next \\gset\n"
        ));
        for k in range {
            script.push_str(&format!(
                "INSERT INTO handoff_travellers (handoff_id, traveller_id, outcome) VALUES (':next', {t}, 'pending');\n\
                 UPDATE travellers SET handoff_id = ':next', missing = false, updated_at = now(), version = 7 WHERE id = {t} AND version = 6;\n",
                t = ids(k)
            ));
        }
    }
    let totals: Vec<String> = [district, communities[0], communities[1], city]
        .iter()
        .flat_map(|u| {
            [
                "changes",
                "travellers:arrived",
                "travellers:at_district",
                "handoffs:pending",
                "handoffs:confirmed",
            ]
            .map(|m| format!("('{u}', '{m}', 1)"))
        })
        .collect();
    let events: Vec<String> = (0..PER_HANDOFF * 2 + 3)
        .map(|i| {
            let prev = if i == 0 { "':head_hash'".to_owned() } else { "md5(random()::text) || md5(random()::text)".to_owned() };
            format!(
                "(gen_random_uuid(), now(), '{officer}', 'traveller.received', 'traveller', gen_random_uuid(), '{city}', '{district}', NULL, '{{\"status\": \"at_district\"}}', {prev}, md5(random()::text) || md5(random()::text), :head_chain_seq + {place})",
                place = i + 1
            )
        })
        .collect();
    script.push_str(&format!(
        "SELECT * FROM handoff_travellers WHERE handoff_id = ANY(ARRAY[':h']::uuid[]) ORDER BY handoff_id, traveller_id;\n\
         SELECT * FROM travellers WHERE id = ANY(':ids'::uuid[]);\n\
         SELECT * FROM units WHERE id = ANY(ARRAY['{district}', '{c0}', '{c1}']::uuid[]);\n\
         INSERT INTO stat_totals (unit_id, metric, value) VALUES {totals} ON CONFLICT (unit_id, metric) DO UPDATE SET value = stat_totals.value + excluded.value;\n\
         SELECT pg_advisory_xact_lock({log}), pg_notify('inbound_transfer_changes', 'events');\n\
         SELECT hash, chain_seq FROM events WHERE hash != '' AND city_id = '{city}' ORDER BY seq DESC LIMIT 1 \\gset head_\n\
         INSERT INTO events (id, at, actor_id, action, entity_type, entity_id, city_id, district_id, community_id, data, prev_hash, hash, chain_seq) VALUES {events};\n\
         COMMIT;\n",
        c0 = communities[0],
        c1 = communities[1],
        totals = totals.join(", "),
        log = 0x1b0_7a45_f3e5_i64,
        events = events.join(", "),
    ));
    script
}

/// Runs a pgbench script for `seconds` on `clients` connections: transactions per second.
fn pgbench(url: &str, script: &str, clients: usize, seconds: u64) -> Result<f64, String> {
    let path = std::env::temp_dir().join(format!("inbound-bench-{}.sql", std::process::id()));
    std::fs::write(&path, script).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-M", "simple", "-c", &clients.to_string(), "-j"])
        .arg(clients.min(2).to_string())
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(&path)
        .arg(url)
        .output()
        .map_err(|e| format!("pgbench: {e} (install PostgreSQL's client tools)"))?;
    let _ = std::fs::remove_file(&path);
    let text = String::from_utf8_lossy(&out.stdout);
    let failed = text
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .unwrap_or("");
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .filter(|_| failed.is_empty() || failed.contains(": 0 "))
        .ok_or_else(|| format!("pgbench failed: {text}{}", String::from_utf8_lossy(&out.stderr)))
}

/// `pgbench` off the runtime's thread, so that the service and its clients go on meanwhile.
async fn pgbench_async(url: &str, script: String, clients: usize, seconds: u64) -> Result<f64, String> {
    let url = url.to_owned();
    actix_web::web::block(move || pgbench(&url, &script, clients, seconds))
        .await
        .map_err(|e| e.to_string())?
}

/// A client of the running service.
struct Client {
    http: awc::Client,
    base: String,
}

impl Client {
    async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let method = awc::http::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let mut res = match body {
            Some(body) => req.send_json(body).await,
            None => req.send().await,
        }
        .map_err(|e| e.to_string())?;
        let bytes = res.body().limit(64 << 20).await.map_err(|e| e.to_string())?;
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if !res.status().is_success() {
            return Err(format!("{path} answered {}: {value}", res.status()));
        }
        Ok(value)
    }

    async fn login(&self, username: &str, password: &str) -> Result<String, String> {
        let body = json!({"username": username, "password": password});
        let res = self.send("POST", "/api/v1/auth/login", None, Some(&body)).await?;
        res["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "login failed".into())
    }
}

/// Serial numbers for document numbers no run repeats.
static SERIAL: AtomicUsize = AtomicUsize::new(0);

fn registration(p: &Place) -> Value {
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    json!({
        "full_name": "Bench Traveller",
        "document_type": "passport",
        "document_no": format!("B{}{n:09}", std::process::id()),
        "nationality": "CHN",
        "flight_no": "MU1",
        "port_id": p.port,
        "arrived_at": "2020-03-07T08:30:00Z",
        "destination_community_id": p.community,
        "language": "zh",
    })
}

/// Registrations on `clients` connections for `seconds`: per second, and each one's latency (ms).
async fn register_for(
    c: &Client,
    token: &str,
    p: &Place,
    clients: usize,
    seconds: u64,
) -> Result<(f64, Vec<f64>), String> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers = (0..clients).map(|_| async {
        let mut samples = Vec::new();
        while Instant::now() < until {
            let at = Instant::now();
            c.send("POST", "/api/v1/travellers", Some(token), Some(&registration(p)))
                .await?;
            samples.push(at.elapsed().as_secs_f64() * 1000.0);
        }
        Ok::<_, String>(samples)
    });
    let mut all = Vec::new();
    for samples in futures_util::future::join_all(workers).await {
        all.extend(samples?);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    Ok((rate, all))
}

/// Confirmations of pending handoffs on `clients` connections for `seconds`: per second, and how
/// many.
async fn confirm_for(
    c: &Client,
    token: &str,
    queue: &Mutex<Vec<Value>>,
    clients: usize,
    seconds: u64,
) -> Result<(f64, usize), String> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let done = AtomicUsize::new(0);
    let workers = (0..clients).map(|_| async {
        while Instant::now() < until {
            let Some(h) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else {
                return Err(format!(
                    "ran out of pending handoffs after {} confirmations in {:.1} s: run with fewer --seconds",
                    done.load(Ordering::Relaxed),
                    started.elapsed().as_secs_f64()
                ));
            };
            let body = json!({"code": "123456", "received_traveller_ids": h["traveller_ids"]});
            let path = format!("/api/v1/handoffs/{}/confirm", h["id"].as_str().unwrap_or(""));
            c.send("POST", &path, Some(token), Some(&body)).await?;
            done.fetch_add(1, Ordering::Relaxed);
        }
        Ok::<_, String>(())
    });
    for result in futures_util::future::join_all(workers).await {
        result?;
    }
    let done = done.load(Ordering::Relaxed);
    Ok((done as f64 / started.elapsed().as_secs_f64(), done))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    inbound_transfer::stats::read::percentile(sorted, p).unwrap_or(f64::NAN)
}

/// Opens `n` streams as the admin and, while the city's dispatcher registers `rate` travellers a
/// second for `seconds`, measures the statements the service sends per second and, for every event on every
/// stream, the delay from the registration's request to its delivery.
async fn streams(
    c: &Client,
    admin: &str,
    token: &str,
    p: &Place,
    n: usize,
    seconds: u64,
) -> Result<(f64, Vec<f64>), String> {
    use futures_util::StreamExt;
    let sent: Arc<Mutex<std::collections::HashMap<String, Instant>>> = Default::default();
    let delays: Arc<Mutex<Vec<f64>>> = Default::default();
    let mut readers = Vec::new();
    for _ in 0..n {
        let res = c
            .http
            .get(format!("{}/api/v1/events/stream", c.base))
            .bearer_auth(admin)
            .timeout(Duration::from_secs(seconds + 60))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let (sent, delays) = (sent.clone(), delays.clone());
        readers.push(actix_web::rt::spawn(async move {
            let mut body = res;
            let mut text = String::new();
            while let Some(Ok(chunk)) = body.next().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = text.find("\n\n") {
                    let frame: String = text.drain(..end + 2).collect();
                    let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) else {
                        continue;
                    };
                    let event: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                    let entity = event["entity_id"].as_str().unwrap_or("").to_owned();
                    if let Some(at) = sent.lock().unwrap_or_else(|e| e.into_inner()).get(&entity) {
                        delays
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(at.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
        }));
    }
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    let before = inbound_transfer::db::statements_sent();
    let started = Instant::now();
    let every = Duration::from_millis(50);
    while started.elapsed() < Duration::from_secs(seconds) {
        let at = Instant::now();
        let body = registration(p);
        // The traveller's id is known only from the answer: register, then note when it was sent.
        let made = c
            .send("POST", "/api/v1/travellers", Some(token), Some(&body))
            .await?;
        if let Some(id) = made["id"].as_str() {
            sent.lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.to_owned(), at);
        }
        actix_web::rt::time::sleep(every.saturating_sub(at.elapsed())).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = inbound_transfer::db::statements_sent();
    actix_web::rt::time::sleep(Duration::from_secs(1)).await;
    for reader in readers {
        reader.abort();
    }
    let mut delays = std::mem::take(&mut *delays.lock().unwrap_or_else(|e| e.into_inner()));
    delays.sort_by(|a, b| a.total_cmp(b));
    Ok(((after - before) as f64 / elapsed, delays))
}

pub fn run(base: Settings, opts: WriteOptions) -> Result<(), String> {
    let DatabaseUrl::Postgres(_) = DatabaseUrl::parse(&opts.database)? else {
        return Err("bench-writes compares with pgbench: give a postgres:// URL".into());
    };
    let fresh = fresh_database(&opts.database, 0)?;
    let mut settings = base;
    settings.database.url = fresh.url.clone();
    settings.server.bind = "127.0.0.1:0".into();
    settings.demo.seed = true;
    settings.demo.motion = false;
    settings.stream.max_per_user = opts.streams + 10;
    settings.stream.max_total = opts.streams + 10;
    settings.database.statement_timeout_ms = 0;
    let pool = prepare_database(&settings)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    build_history(&mut conn, PENDING_BATCHES * 20, PENDING_BATCHES)?;
    drop(conn);
    drop(pool);
    let seconds = opts.seconds;
    let url = fresh.url.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).await?;
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        let http = awc::Client::builder()
            .connector(awc::Connector::new().limit(0))
            .timeout(Duration::from_secs(60))
            .finish();
        let c = Client { http, base };
        let admin = c.login("admin", "admin-demo-pass").await?;
        let dispatcher = c.login("cz.dispatcher", "dispatch-demo-pass").await?;
        let officer = c.login("tn.officer", "district-demo-pass").await?;
        // A second city, with its own dispatcher.
        let mut made = std::collections::HashMap::new();
        for (code, level, parent) in [("WX", "city", None), ("WX-LX", "district", Some("WX")), ("WX-LX-01", "community", Some("WX-LX"))] {
            let parent_id = parent.map(|p: &str| made.get(p).cloned().unwrap_or(Value::Null));
            let unit = c
                .send("POST", "/api/v1/units", Some(&admin), Some(&json!({"name": code, "code": code, "level": level, "parent_id": parent_id})))
                .await?;
            made.insert(code, unit["id"].clone());
        }
        c.send(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(&json!({"username": "wx.dispatcher", "password": "dispatch-demo-pass", "display_name": "WX", "role": "dispatcher", "unit_id": made["WX"]})),
        )
        .await?;
        let other_token = c.login("wx.dispatcher", "dispatch-demo-pass").await?;
        let mut pg = PgConnection::establish(&url).map_err(|e| e.to_string())?;
        let first = place(&mut pg, "CZ-TN-HM", "cz.dispatcher")?;
        let second = place(&mut pg, "WX-LX-01", "wx.dispatcher")?;

        // Warm up.
        register_for(&c, &dispatcher, &first, 2, 2).await?;

        println!("\n== registration, {seconds} s per figure (per second) ==");
        println!("{:<58} {:>10} {:>10}", "", "1 conn", "8 conns");
        let mut api = [0.0; 2];
        let mut now = [0.0; 2];
        let mut base = [0.0; 2];
        let mut before = [0.0; 2];
        let mut trips = [0.0; 2];
        for (i, clients) in [1usize, 8].into_iter().enumerate() {
            let sent = inbound_transfer::db::statements_sent();
            let (rate, samples) = register_for(&c, &dispatcher, &first, clients, seconds).await?;
            trips[i] = (inbound_transfer::db::statements_sent() - sent) as f64 / samples.len().max(1) as f64;
            api[i] = rate;
            now[i] = pgbench_async(&url, registration_now(&first), clients, seconds).await?;
            base[i] = pgbench_async(&url, registration_at_5b42eca(&first), clients, seconds).await?;
            before[i] = pgbench_async(&url, registration_before(&first), clients, seconds).await?;
        }
        diesel::sql_query("DELETE FROM stat_totals WHERE unit_id = '00000000-0000-0000-0000-000000000000'")
            .execute(&mut pg)
            .map_err(|e| e.to_string())?;
        diesel::sql_query("DELETE FROM stat_daily WHERE unit_id = '00000000-0000-0000-0000-000000000000'")
            .execute(&mut pg)
            .map_err(|e| e.to_string())?;
        println!("{:<58} {:>10.0} {:>10.0}", "through the API", api[0], api[1]);
        println!("{:<58} {:>10.1} {:>10.1}", "  statements sent per registration", trips[0], trips[1]);
        println!("{:<58} {:>10.0} {:>10.0}", "pgbench, the same statements", now[0], now[1]);
        println!("{:<58} {:>10.2} {:>10.2}", "  API / pgbench", api[0] / now[0], api[1] / now[1]);
        println!("{:<58} {:>10.0} {:>10.0}", "pgbench, the statements of 5b42eca (one a row)", base[0], base[1]);
        println!("{:<58} {:>10.2} {:>10.2}", "  API / pgbench of 5b42eca", api[0] / base[0], api[1] / base[1]);
        println!("{:<58} {:>10.0} {:>10.0}", "pgbench, the statements before this change", before[0], before[1]);
        println!("{:<58} {:>10.2} {:>10.2}", "  API / pgbench before", api[0] / before[0], api[1] / before[1]);

        println!(
            "\n== handoff confirmation ({PER_HANDOFF} travellers, handed on to 2 communities), {seconds} s per figure (per second) =="
        );
        // Handoffs of the same size for both: pgbench takes them from the front of the queue, the
        // API from the back.
        diesel::sql_query(format!(
            "CREATE TABLE bench_queue AS SELECT row_number() OVER (ORDER BY h.id) AS n, h.id, \
             array_agg(ht.traveller_id ORDER BY ht.traveller_id) AS ids FROM handoffs h \
             JOIN handoff_travellers ht ON ht.handoff_id = h.id \
             WHERE h.status = 'pending' AND h.to_unit_id = '{}' GROUP BY h.id HAVING count(*) = {PER_HANDOFF}",
            first.district
        ))
        .execute(&mut pg)
        .map_err(|e| e.to_string())?;
        diesel::sql_query("CREATE UNIQUE INDEX ON bench_queue (n)")
            .execute(&mut pg)
            .map_err(|e| e.to_string())?;
        diesel::sql_query("CREATE SEQUENCE bench_next")
            .execute(&mut pg)
            .map_err(|e| e.to_string())?;
        #[derive(QueryableByName)]
        struct Queued {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            ids: String,
        }
        let queued: Vec<Queued> = diesel::sql_query("SELECT id::text AS id, array_to_json(ids)::text AS ids FROM bench_queue ORDER BY n")
            .load(&mut pg)
            .map_err(|e| e.to_string())?;
        let half = queued.len() / 2;
        let for_api: Vec<Value> = queued[half..]
            .iter()
            .map(|q| json!({"id": q.id, "traveller_ids": serde_json::from_str::<Value>(&q.ids).unwrap_or(Value::Null)}))
            .collect();
        let queue = Mutex::new(for_api);
        let mut communities = units::table
            .filter(units::parent_id.eq(first.district))
            .select(units::id)
            .order(units::code.asc())
            .load::<UnitId>(&mut pg)
            .map_err(|e| e.to_string())?
            .into_iter();
        let (Some(c0), Some(c1)) = (communities.next(), communities.next()) else {
            return Err("the district has two communities".into());
        };
        let officer_id: UserId = users::table
            .filter(users::username.eq("tn.officer"))
            .select(users::id)
            .first(&mut pg)
            .map_err(|e| e.to_string())?;
        let script = confirmation_at_5b42eca(first.city, first.district, [c0, c1], officer_id);
        let (mut confirmed, mut by_pgbench, mut trips) = ([0.0; 2], [0.0; 2], [0.0; 2]);
        for (i, clients) in [1usize, 8].into_iter().enumerate() {
            let sent = inbound_transfer::db::statements_sent();
            let (rate, done) = confirm_for(&c, &officer, &queue, clients, seconds).await?;
            trips[i] = (inbound_transfer::db::statements_sent() - sent) as f64 / done.max(1) as f64;
            confirmed[i] = rate;
            by_pgbench[i] = pgbench_async(&url, script.clone(), clients, seconds).await?;
        }
        println!("{:<58} {:>10} {:>10}", "", "1 conn", "8 conns");
        println!("{:<58} {:>10.0} {:>10.0}", "through the API", confirmed[0], confirmed[1]);
        println!("{:<58} {:>10.1} {:>10.1}", "  statements sent per confirmation", trips[0], trips[1]);
        println!("{:<58} {:>10.0} {:>10.0}", "pgbench, the statements of 5b42eca (one a row)", by_pgbench[0], by_pgbench[1]);
        println!(
            "{:<58} {:>10.2} {:>10.2}",
            "  API / pgbench of 5b42eca",
            confirmed[0] / by_pgbench[0],
            confirmed[1] / by_pgbench[1]
        );

        println!("\n== a second city's lone dispatcher (1 conn), {seconds} s per figure (ms) ==");
        let (_, idle) = register_for(&c, &other_token, &second, 1, seconds).await?;
        let (busy, loaded) = futures_util::future::join(
            register_for(&c, &dispatcher, &first, 8, seconds),
            register_for(&c, &other_token, &second, 1, seconds),
        )
        .await;
        let (first_rate, _) = busy?;
        let (_, loaded) = loaded?;
        println!("{:<58} {:>10} {:>10}", "", "p50", "p99");
        println!("{:<58} {:>10.2} {:>10.2}", "on an idle service", pct(&idle, 50.0), pct(&idle, 99.0));
        println!(
            "{:<58} {:>10.2} {:>10.2}",
            format!("while the first city writes on 8 conns ({first_rate:.0}/s)"),
            pct(&loaded, 50.0),
            pct(&loaded, 99.0)
        );
        println!("{:<58} {:>10.2} {:>10.2}", "  ratio", pct(&loaded, 50.0) / pct(&idle, 50.0), pct(&loaded, 99.0) / pct(&idle, 99.0));

        println!("\n== event streams, while the city registers 20 travellers a second for {seconds} s ==");
        println!("{:<58} {:>12} {:>10} {:>10}", "", "statements/s", "p50 ms", "p99 ms");
        for n in [1usize, opts.streams] {
            let (rate, delays) = streams(&c, &admin, &dispatcher, &first, n, seconds).await?;
            println!(
                "{:<58} {:>12.0} {:>10.1} {:>10.1}",
                format!("{n} open streams ({} deliveries)", delays.len()),
                rate,
                pct(&delays, 50.0),
                pct(&delays, 99.0)
            );
        }
        Ok::<_, String>(())
    })?;
    drop(fresh);
    Ok(())
}
