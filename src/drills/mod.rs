//! Drills of the operations a city's system of record must survive, run against real processes on
//! loopback, each bounded in time, each printing its figures and failing when a guarantee breaks:
//! - `rolling`: a rolling restart behind HAProxy that fails no request;
//! - `pitr`: continuous archiving with pgBackRest and a restore to a chosen moment;
//! - `failover`: a Patroni cluster loses its primary twice under load, and nothing is lost.

pub mod failover;
pub mod pitr;
pub mod rolling;

use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use futures_util::StreamExt;
use serde_json::{json, Value};

use inbound_transfer::db::{ConnectionManager, DatabaseUrl};

/// Creates a database on the server that `admin_url` names.
pub fn create_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut admin = ConnectionManager::new(DatabaseUrl::parse(admin_url)?, 5000)
        .connect()
        .map_err(|e| e.to_string())?;
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Waits until `/readyz` at `base` answers 200 (at most a minute).
pub async fn wait_ready(client: &awc::Client, base: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
            if res.status() == 200 {
                return Ok(());
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{base} was not ready within a minute"))
}

pub async fn login(
    client: &awc::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<String, String> {
    let mut res = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": username, "password": password}))
        .await
        .map_err(|e| format!("cannot sign in as {username}: {e}"))?;
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("cannot sign in as {username}: {body}"))
}

async fn get(client: &awc::Client, url: &str, token: &str) -> Result<Value, String> {
    let mut res = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let body: Value = res.json().limit(16 << 20).await.map_err(|e| e.to_string())?;
    if res.status().is_success() {
        Ok(body)
    } else {
        Err(format!("GET {url}: {} {body}", res.status()))
    }
}

/// A registration the drills send: a passport holder arriving now at `port_id`, bound for
/// `community`.
pub fn traveller(name: &str, document_no: &str, flight_no: &str, port_id: &str, community: &str) -> Value {
    json!({
        "full_name": name, "document_type": "passport", "document_no": document_no,
        "nationality": "CHN", "flight_no": flight_no, "port_id": port_id,
        "arrived_at": chrono::Utc::now().to_rfc3339(),
        "destination_community_id": community, "language": "zh",
    })
}

/// A port of entry of the demo city and one of its communities.
pub async fn port_and_community(
    client: &awc::Client,
    base: &str,
    admin: &str,
) -> Result<(String, String), String> {
    let ports = get(client, &format!("{base}/api/v1/ports"), admin).await?;
    let port = ports["items"][0]["id"]
        .as_str()
        .ok_or("no port of entry")?
        .to_owned();
    let units = get(client, &format!("{base}/api/v1/units?limit=500"), admin).await?;
    let community = units["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["code"] == "CZ-TN-HM")
        .and_then(|u| u["id"].as_str())
        .ok_or("no community CZ-TN-HM")?
        .to_owned();
    Ok((port, community))
}

/// The `seq` of the newest event the caller sees (0 when none).
pub async fn latest_seq(client: &awc::Client, base: &str, token: &str) -> Result<i64, String> {
    let newest = get(
        client,
        &format!("{base}/api/v1/events?newest=true&limit=1"),
        token,
    )
    .await?;
    Ok(newest["items"][0]["seq"].as_i64().unwrap_or(0))
}

/// The `seq` of every event the caller sees after `after`, up to `upto`.
pub async fn event_seqs(
    client: &awc::Client,
    base: &str,
    token: &str,
    after: i64,
    upto: i64,
) -> Result<BTreeSet<i64>, String> {
    let mut seqs = BTreeSet::new();
    let mut from = after;
    loop {
        let page = get(
            client,
            &format!("{base}/api/v1/events?after={from}&limit=500"),
            token,
        )
        .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let mut last = from;
        for seq in items.iter().filter_map(|e| e["seq"].as_i64()) {
            if seq <= upto {
                seqs.insert(seq);
            }
            last = last.max(seq);
        }
        if items.is_empty() || last >= upto {
            return Ok(seqs);
        }
        from = last;
    }
}

/// What a drill's clients counted.
#[derive(Default)]
pub struct Counts {
    pub requests: AtomicUsize,
    pub failed: AtomicUsize,
    pub acknowledged: AtomicUsize,
    pub resumed: AtomicUsize,
}

/// Follows the event stream, resuming with `Last-Event-ID` whenever it ends; answers the `seq`
/// of every event it saw, in order.
pub async fn follow(
    base: String,
    token: String,
    after: i64,
    counts: Rc<Counts>,
    stop: Rc<AtomicBool>,
) -> Vec<i64> {
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    let mut seen = Vec::new();
    // From the drill's start, not from whenever the stream (re)opens.
    let mut last = after;
    let mut opened = 0usize;
    while !stop.load(Ordering::Acquire) {
        let mut req = client
            .get(format!("{base}/api/v1/events/stream"))
            .bearer_auth(&token);
        req = req.insert_header(("last-event-id", last.to_string()));
        let mut res = match req.send().await {
            Ok(res) if res.status().is_success() => res,
            other => {
                eprintln!(
                    "drill: the event stream did not open: {:?}",
                    other.map(|r| r.status())
                );
                counts.failed.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        opened += 1;
        if opened > 1 {
            counts.resumed.fetch_add(1, Ordering::Relaxed);
        }
        let mut text = String::new();
        loop {
            let next = tokio::time::timeout(Duration::from_millis(500), res.next()).await;
            match next {
                Ok(Some(Ok(chunk))) => {
                    text.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = text.find("\n\n") {
                        let frame: String = text.drain(..end + 2).collect();
                        if let Some(id) = frame.lines().find_map(|l| l.strip_prefix("id:")) {
                            if let Ok(seq) = id.trim().parse::<i64>() {
                                seen.push(seq);
                                last = seq;
                            }
                        }
                    }
                }
                Ok(Some(Err(e))) => {
                    eprintln!("drill: the event stream broke: {e}");
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                // Ended cleanly: resume.
                Ok(None) => break,
                Err(_) if stop.load(Ordering::Acquire) => return seen,
                Err(_) => {}
            }
        }
    }
    seen
}
