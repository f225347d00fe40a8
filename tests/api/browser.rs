//! A real browser for the console's tests: Debian's headless Chromium driven through chromedriver
//! (WebDriver), both started here, one pair per test.
//!
//! Without `chromium` and `chromedriver` a test is skipped and says so, unless
//! `REQUIRE_BROWSER=1`, which CI sets: there a missing browser fails the test.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The two programs, from `CHROMIUM` and `CHROMEDRIVER` or Debian's paths.
fn programs() -> Option<(PathBuf, PathBuf)> {
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let driver =
        PathBuf::from(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()));
    (chromium.exists() && driver.exists()).then_some((chromium, driver))
}

/// The size of the browser's viewport.
#[derive(Clone, Copy)]
pub enum Screen {
    Laptop,
    Wall,
    /// A phone 375 px wide, emulated with touch and its pixel ratio.
    Phone,
}

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// A browser, or None (with a note) where the machine has none and none is required.
    pub async fn start(screen: Screen) -> Option<Browser> {
        Self::start_with(screen, &[]).await
    }

    /// A browser started with more command-line switches (`--host-resolver-rules`, say).
    pub async fn start_with(screen: Screen, switches: &[&str]) -> Option<Browser> {
        let Some((chromium, driver_path)) = programs() else {
            if std::env::var("REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!("REQUIRE_BROWSER=1 but /usr/bin/chromium or /usr/bin/chromedriver is missing");
            }
            eprintln!("skipped: no chromium and chromedriver on this machine (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, with the browsers it starts: the group is killed whole when
            // the test ends, even when it panicked.
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("console-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--lang=en-US".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(switches.iter().map(|s| s.to_string()));
        let mut options = json!({"binary": chromium, "prefs": {"intl.accept_languages": "en-US,en"}});
        match screen {
            Screen::Laptop => args.push("--window-size=1366,768".into()),
            Screen::Wall => args.push("--window-size=1920,1080".into()),
            Screen::Phone => {
                options["mobileEmulation"] =
                    json!({"deviceMetrics": {"width": 375, "height": 812, "pixelRatio": 2.0, "touch": true}});
            }
        }
        options["args"] = json!(args);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() > deadline => panic!("no WebDriver session: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Some(Browser {
            client,
            driver,
            _profile: TempDir(profile),
        })
    }

    pub async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("the page opens");
    }

    /// The element, once it is there (at most 10 s).
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} is not on the page: {e}"))
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// The element's text; if the page redrew it meanwhile, the new element's.
    pub async fn text(&self, css: &str) -> String {
        for _ in 0..20 {
            if let Ok(text) = self.wait_for(css).await.text().await {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} has no text");
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let mut last = None;
        for _ in 0..20 {
            let field = self.wait_for(css).await;
            match async {
                field.clear().await?;
                field.send_keys(text).await
            }
            .await
            {
                Ok(()) => return,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot type into {css}: {last:?}");
    }

    /// Clicks the element; if the page redrew it between finding and clicking, finds it again.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.wait_for(css).await.click().await {
                Ok(()) => return,
                Err(e) if tries < 20 && e.to_string().contains("stale element") => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}"),
            }
        }
    }

    /// Polls `check` until it gives Some, at most `within`; panics with `what` otherwise.
    pub async fn eventually<T, F, Fut>(&self, within: Duration, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + within;
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if Instant::now() > deadline {
                panic!("{what}: not within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element's text contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css} never said {needle:?}; it said {last:?}");
    }

    pub async fn run(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .expect("the script runs")
    }

    /// Signs in through the form and waits for the shell.
    pub async fn sign_in(&self, base: &str, (username, password): (&str, &str)) {
        self.open(&format!("{base}/console/")).await;
        self.wait_for("#signin input[name=username]").await;
        self.type_into("#signin input[name=username]", username).await;
        self.type_into("#signin input[name=password]", password).await;
        self.click("#signin-submit").await;
        self.wait_for("#whoami").await;
    }

    /// Waits until a service worker controls the page: the console is installed.
    pub async fn wait_for_service_worker(&self) {
        self.eventually(
            Duration::from_secs(20),
            "the service worker controls the page",
            || async {
                (self
                    .run("return Boolean(navigator.serviceWorker.controller);")
                    .await
                    == json!(true))
                .then_some(())
            },
        )
        .await;
    }

    /// Every address the page has loaded (documents, scripts, styles, fetches, streams).
    pub async fn loaded_addresses(&self) -> Vec<String> {
        let v = self
            .run(
                "return [location.href, ...performance.getEntriesByType('navigation').map(e => e.name), \
                 ...performance.getEntriesByType('resource').map(e => e.name)];",
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts that the page loaded nothing from another origin than the service's.
    pub async fn assert_same_origin(&self, base: &str) {
        let addresses = self.loaded_addresses().await;
        assert!(addresses.len() > 3, "the page loaded its files: {addresses:?}");
        for address in &addresses {
            assert!(
                address.starts_with(&format!("{base}/")),
                "{address} is not from {base}"
            );
        }
    }

    /// Saves a screenshot as a test artefact under `target/screenshots` (or `SCREENSHOTS_DIR`).
    pub async fn screenshot(&self, name: &str) {
        let dir = std::env::var("SCREENSHOTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots"));
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        self.kill_group();
        let _ = self.driver.wait();
    }

    /// Kills chromedriver and every browser process it started (its process group).
    fn kill_group(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.kill_group();
    }
}

impl Browser {
    /// Controls on the page that have no accessible name (a label, aria-label or text).
    pub async fn unlabelled_controls(&self) -> Vec<String> {
        let found = self
            .run(
                "const bad = [];
                 for (const el of document.querySelectorAll('input, select, textarea, button')) {
                   if (el.type === 'hidden') continue;
                   const byFor = el.id ? document.querySelector(`label[for=\"${el.id}\"]`) : null;
                   const name = el.getAttribute('aria-label') || byFor?.textContent
                     || el.closest('label')?.textContent || (el.tagName === 'BUTTON' ? el.textContent : '');
                   if (!name || !name.trim()) bad.push(el.outerHTML.slice(0, 160));
                 }
                 return bad;",
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Asserts that every control of the screen has a name a screen reader can say.
    pub async fn assert_labelled(&self, screen: &str) {
        let bad = self.unlabelled_controls().await;
        assert!(bad.is_empty(), "unlabelled controls on {screen}: {bad:#?}");
    }
}
