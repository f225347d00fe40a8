//! SIGTERM: the instance stops accepting, ends its event streams cleanly (their clients resume
//! elsewhere with Last-Event-ID) and exits once the requests in flight are done, well within
//! `server.shutdown_timeout_secs`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};

use crate::helpers::TestDb;

#[actix_web::test]
async fn sigterm_ends_event_streams_cleanly_and_exits_without_waiting_for_them() {
    let (_db, url) = TestDb::create();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbound-transfer"))
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env("APP__DATABASE__URL", &url)
        .env("APP__SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", "30")
        .env("APP__DEMO__SEED", "true")
        .env("APP__DEMO__MOTION", "false")
        .env("APP__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the instance never became ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut login = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"username": "admin", "password": "admin-demo-pass"}))
        .await
        .unwrap();
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut stream = client
        .get(format!("{base}/api/v1/events/stream"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let first = stream.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("retry:"));

    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // The stream ends cleanly: its body finishes, with no broken transfer.
    let mut ended = None;
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the stream ends within seconds of SIGTERM")
    {
        if let Err(e) = chunk {
            ended = Some(format!("broken: {e}"));
            break;
        }
    }
    assert_eq!(ended, None, "the stream ended without a clean close");
    // The process exits by itself, long before the 30 s allowed for requests in flight.
    let exit = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "a stopped instance answered"
    );
}
