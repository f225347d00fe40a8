//! A database that is down at start-up, frozen, or back again: every request answers within a
//! bounded time, `/readyz` tells the truth within about a second, and an instance started
//! without its database begins serving once it appears.
//!
//! PostgreSQL is reached through a TCP relay in the test that can refuse connections (down) or
//! stop passing bytes while holding the connections open (frozen, as under SIGSTOP: the kernel
//! still accepts and acknowledges). On SQLite the database "appears" when its directory can be
//! made.

use std::time::Duration;

use inbound_transfer::startup::Application;
use serde_json::json;

use crate::helpers::*;
use crate::relay::{Relay, DOWN, FROZEN, UP};

fn postgres_target(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let (_, host) = rest.split_once('@')?;
    Some(host.split('/').next()?.to_owned())
}

async fn get(client: &awc::Client, base: &str, path: &str, token: Option<&str>) -> u16 {
    let mut req = client.get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("the service answers");
    res.status().as_u16()
}

async fn wait_for(client: &awc::Client, base: &str, path: &str, status: u16) {
    for _ in 0..150 {
        if get(client, base, path, None).await == status {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered {status}");
}

/// Starts the service without waiting for its database; returns its base URL.
async fn start(settings: inbound_transfer::config::Settings) -> String {
    inbound_transfer::telemetry::init(&settings.log);
    let app = Application::build(settings)
        .await
        .expect("the service starts without its database");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    base
}

fn client() -> awc::Client {
    // Longer than any bound of the service: a hang shows as a failed request.
    awc::Client::builder().timeout(Duration::from_secs(30)).finish()
}

#[actix_web::test]
async fn an_instance_started_without_its_database_serves_once_it_appears() {
    let (db, url) = TestDb::create();
    let client = client();
    let (base, relay, blocker) = match postgres_target(&url) {
        Some(target) => {
            let relay = Relay::start(target, DOWN);
            let base = start(test_settings(&relay.url(&url))).await;
            (base, Some(relay), None)
        }
        None => {
            // A file where the database's directory should be: nothing can be opened.
            let TestDb::Sqlite { dir } = &db else {
                unreachable!()
            };
            let blocker = dir.join("not-yet");
            std::fs::write(&blocker, b"").unwrap();
            let url = format!("sqlite://{}", blocker.join("app.db").display());
            (start(test_settings(&url)).await, None, Some(blocker))
        }
    };
    assert_eq!(get(&client, &base, "/healthz", None).await, 200);
    assert_eq!(get(&client, &base, "/readyz", None).await, 503);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 503);
    assert!(login.headers().get("retry-after").is_some());

    // The database appears: migrations run, the demo data is loaded, and it serves.
    match (&relay, &blocker) {
        (Some(relay), _) => relay.set(UP),
        (_, Some(blocker)) => std::fs::remove_file(blocker).unwrap(),
        _ => unreachable!(),
    }
    wait_for(&client, &base, "/readyz", 200).await;
    let mut login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": ADMIN.0, "password": ADMIN.1}))
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 200);
    let body: serde_json::Value = login.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(get(&client, &base, "/api/v1/units", Some(token)).await, 200);
    drop(db);
}

#[actix_web::test]
async fn a_frozen_database_turns_into_quick_503s_and_readyz_says_so() {
    let (db, url) = TestDb::create();
    let Some(target) = postgres_target(&url) else {
        eprintln!("skipped: freezing a database needs PostgreSQL (TEST_DATABASE_URL)");
        return;
    };
    let relay = Relay::start(target, UP);
    let mut settings = test_settings(&relay.url(&url));
    settings.database.pool_timeout_ms = 500;
    settings.database.statement_timeout_ms = 1500;
    let base = start(settings).await;
    let client = client();
    let mut login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": DISPATCHER.0, "password": DISPATCHER.1}))
        .await
        .unwrap();
    let body: serde_json::Value = login.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(get(&client, &base, "/api/v1/travellers", Some(&token)).await, 200);

    relay.set(FROZEN);
    // Requests in flight and new ones answer 503 instead of waiting for the database.
    let (a, b, c) = futures::join!(
        get(&client, &base, "/api/v1/travellers", Some(&token)),
        get(&client, &base, "/api/v1/me", Some(&token)),
        get(&client, &base, "/api/v1/vehicles", Some(&token)),
    );
    assert_eq!((a, b, c), (503, 503, 503));
    assert_eq!(get(&client, &base, "/readyz", None).await, 503);
    let overview = get(&client, &base, "/api/v1/stats/overview", Some(&token)).await;
    assert!(matches!(overview, 200 | 503), "the overview answers: {overview}");
    assert_eq!(get(&client, &base, "/healthz", None).await, 200);
    // A scrape reads gauges kept in memory, not the database.
    assert_eq!(get(&client, &base, "/metrics", None).await, 200);

    relay.set(UP);
    wait_for(&client, &base, "/readyz", 200).await;
    assert_eq!(get(&client, &base, "/api/v1/travellers", Some(&token)).await, 200);
    drop(db);
}
