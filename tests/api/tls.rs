//! HTTPS served by the service itself (`server.tls_cert`, `server.tls_key`): the console's offline
//! desk needs a secure origin away from localhost, and a government network often has no proxy to
//! give it one.

use std::path::PathBuf;
use std::process::Command;

use inbound_transfer::startup::Application;
use serde_json::json;

use crate::browser::{Browser, Screen};
use crate::helpers::*;

/// A directory with a self-signed certificate for `desk.example`, `localhost` and 127.0.0.1, made
/// by the openssl program, and its key.
struct Certificate {
    dir: PathBuf,
}

impl Certificate {
    fn new() -> Certificate {
        let dir = std::env::temp_dir().join(format!("tls-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
            ])
            .args(["-nodes", "-days", "2", "-subj", "/CN=desk.example"])
            .args([
                "-addext",
                "subjectAltName=DNS:desk.example,DNS:localhost,IP:127.0.0.1",
            ])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(dir.join("key.pem"))
            .arg("-out")
            .arg(dir.join("cert.pem"))
            .stderr(std::process::Stdio::null())
            .status()
            .expect("the openssl program runs");
        assert!(status.success(), "openssl made no certificate");
        Certificate { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

impl Drop for Certificate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn https_app(cert: &Certificate) -> TestApp {
    spawn_app_with(|s| {
        s.server.tls_cert = Some(cert.path("cert.pem"));
        s.server.tls_key = Some(cert.path("key.pem"));
    })
    .await
}

#[actix_web::test]
async fn with_a_certificate_and_key_the_service_speaks_https_only() {
    let cert = Certificate::new();
    let app = https_app(&cert).await;
    assert!(app.base.starts_with("https://"));
    // Everything a client does goes over TLS, verified against the certificate.
    let token = app.login(DISPATCHER).await;
    let me = app.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(me.body["username"], DISPATCHER.0);
    let sw = app
        .client
        .get(format!("{}/console/sw.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(sw.status().as_u16(), 200);
    // Plain HTTP on the same address gets no answer: nothing is served unencrypted there.
    let plain = awc::Client::default()
        .get(format!("{}/healthz", app.base.replacen("https://", "http://", 1)))
        .send()
        .await;
    assert!(
        plain.is_err(),
        "plain HTTP answered: {:?}",
        plain.map(|r| r.status())
    );
    // A client that does not trust the certificate is refused the connection.
    let stranger = awc::Client::builder()
        .connector(awc::Connector::new().rustls_0_23(trusting(&Certificate::new().path("cert.pem"))))
        .finish()
        .get(format!("{}/healthz", app.base))
        .send()
        .await;
    assert!(stranger.is_err(), "an untrusted certificate was accepted");
}

#[actix_web::test]
async fn a_certificate_without_its_key_or_an_unreadable_one_stops_the_start() {
    let cert = Certificate::new();
    let (_db, url) = TestDb::create();
    let start = |cert_path: Option<String>, key_path: Option<String>| {
        let mut settings = test_settings(&url);
        settings.server.tls_cert = cert_path;
        settings.server.tls_key = key_path;
        async move { Application::build(settings).await.err() }
    };
    let alone = start(Some(cert.path("cert.pem")), None).await;
    assert!(alone.is_some_and(|e| e.contains("tls_cert and server.tls_key go together")));
    let missing = start(Some(cert.path("nowhere.pem")), Some(cert.path("key.pem"))).await;
    assert!(missing.is_some_and(|e| e.contains("nowhere.pem")));
    // The key of another certificate does not make an identity with this one.
    let other = Certificate::new();
    let mismatched = start(Some(cert.path("cert.pem")), Some(other.path("key.pem"))).await;
    assert!(mismatched.is_some(), "a certificate started with another's key");
    let swapped = start(Some(cert.path("key.pem")), Some(cert.path("cert.pem"))).await;
    assert!(swapped.is_some(), "a key read as a certificate");
}

/// The console at a name on the network (mapped to loopback, which Chromium would otherwise treat
/// as secure): over plain HTTP it says why offline use is unavailable; over HTTPS it installs.
#[actix_web::test]
async fn the_console_installs_over_https_and_says_why_not_over_plain_http() {
    let cert = Certificate::new();
    let secure = https_app(&cert).await;
    let plain = spawn_app().await;
    let port = |base: &str| base.rsplit(':').next().unwrap().to_owned();
    let rules = "--host-resolver-rules=MAP desk.example 127.0.0.1";
    // The test's own certificate authority is not in the browser's store: its errors are ignored,
    // which leaves the origin secure for service workers.
    let Some(phone) = Browser::start_with(Screen::Phone, &[rules, "--ignore-certificate-errors"]).await
    else {
        return;
    };
    let over_http = format!("http://desk.example:{}", port(&plain.base));
    phone.sign_in(&over_http, DISTRICT_OFFICER).await;
    phone.open(&format!("{over_http}/console/#/desk")).await;
    phone.wait_for("#desk-insecure").await;
    assert!(phone.text("#desk-insecure").await.contains("HTTPS"));
    assert_eq!(phone.run("return window.isSecureContext;").await, json!(false));
    phone.screenshot("desk-insecure-phone").await;

    let over_https = format!("https://desk.example:{}", port(&secure.base));
    phone.sign_in(&over_https, DISTRICT_OFFICER).await;
    phone.open(&format!("{over_https}/console/#/desk")).await;
    phone.wait_for("#incoming").await;
    assert!(!phone.exists("#desk-insecure").await);
    phone.wait_for_service_worker().await;
    phone.close().await;
}
