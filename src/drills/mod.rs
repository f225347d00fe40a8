//! Drills of the operations a city's system of record must survive, run against real processes on
//! loopback, each bounded in time, each printing its figures and failing when a guarantee breaks:
//! - `rolling`: a rolling restart behind HAProxy that fails no request;
//! - `pitr`: continuous archiving with pgBackRest and a restore to a chosen moment.

pub mod pitr;
pub mod rolling;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
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
