//! The test harness: every test starts the real server on port 0 against its own fresh database,
//! embedded SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is set (one database per test).
//! With `REQUIRE_POSTGRES=1` a missing or unreachable PostgreSQL fails the test instead of falling
//! back to SQLite.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use awc::http::StatusCode;
use diesel::{Connection, PgConnection, RunQueryDsl};
use inbound_transfer::config::Settings;
use inbound_transfer::startup::Application;
use serde_json::{json, Value};

pub enum TestDb {
    Sqlite {
        dir: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A database owned by another `TestApp`.
    Shared,
}

impl TestDb {
    pub fn create() -> (Self, String) {
        let require = std::env::var("REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let admin_url = unencrypted(&admin_url);
                let name = format!("it_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL is unreachable: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let base = admin_url
                    .split('?')
                    .next()
                    .and_then(|u| u.rsplit_once('/'))
                    .map(|(b, _)| b)
                    .expect("URL with a database name");
                let url = unencrypted(&format!("{base}/{name}"));
                (TestDb::Postgres { admin_url, name }, url)
            }
            _ if require => panic!("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"),
            _ => {
                let dir = std::env::temp_dir()
                    .join(format!("inbound-transfer-test-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}", dir.join("test.db").display());
                (TestDb::Sqlite { dir }, url)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres { admin_url, name } => {
                if let Ok(mut admin) = PgConnection::establish(admin_url) {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin);
                }
            }
            TestDb::Shared => {}
        }
    }
}

/// The same URL, asking libpq for neither TLS nor GSS encryption (unless it says otherwise): the
/// tests talk to a server on this machine, and a test process that exits while a background
/// thread negotiates TLS or GSS can crash in the libraries' exit handlers.
pub fn unencrypted(url: &str) -> String {
    let mut url = url.to_owned();
    for (key, value) in [("sslmode", "disable"), ("gssencmode", "disable")] {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    }
    url
}

pub struct Response {
    pub status: StatusCode,
    pub body: Value,
    /// The body as sent (a file, say).
    pub bytes: actix_web::web::Bytes,
    pub headers: awc::http::header::HeaderMap,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts a problem+json error with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "errors are problem+json"
        );
        assert_eq!(self.body["code"], code, "problem: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string()
                && self.body["detail"].is_string()
                && self.body["type"].is_string()
        );
        // A client acts on `code` and `params` alone: every problem and each of its entries
        // carries both.
        assert!(
            self.body["params"].is_object(),
            "problem without params: {}",
            self.body
        );
        for entry in self.body["errors"].as_array().into_iter().flatten() {
            assert!(
                entry["field"].is_string()
                    && entry["code"].as_str().is_some_and(|c| !c.is_empty())
                    && entry["params"].is_object()
                    && entry["message"].is_string(),
                "error entry without field, code, params or message: {entry}"
            );
        }
        self
    }

    pub fn id(&self) -> String {
        self.body["id"].as_str().expect("response has an id").to_owned()
    }
}

pub struct TestApp {
    pub base: String,
    pub client: awc::Client,
    pub settings: Settings,
    pub db: TestDb,
    units: HashMap<String, String>,
}

pub const ADMIN: (&str, &str) = ("admin", "admin-demo-pass");
pub const DISPATCHER: (&str, &str) = ("cz.dispatcher", "dispatch-demo-pass");
pub const DISTRICT_OFFICER: (&str, &str) = ("tn.officer", "district-demo-pass");
pub const COMMUNITY_OFFICER: (&str, &str) = ("tn.hongmei.officer", "community-demo-pass");
pub const VIEWER: (&str, &str) = ("cz.viewer", "viewer-demo-pass");

pub fn test_settings(database_url: &str) -> Settings {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
    let mut settings = Settings::load_from(&dir).expect("configuration loads");
    settings.server.bind = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.server.shutdown_timeout_secs = 1;
    settings.database.url = database_url.into();
    settings.database.pool_size = 8;
    settings.database.pool_timeout_ms = 1000;
    settings.database.sqlite_busy_timeout_ms = 1000;
    settings.demo.seed = true;
    // Tests start from the demo organisation without the day in motion: they count from zero.
    settings.demo.motion = false;
    settings.log.level = "error".into();
    settings
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, url) = TestDb::create();
    let mut settings = test_settings(&url);
    adjust(&mut settings);
    inbound_transfer::telemetry::init(&settings.log);
    let app = Application::build(settings.clone())
        .await
        .expect("the application starts");
    let tls = settings.server.tls_cert.as_deref().map(trusting);
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base = format!("{scheme}://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    // An idle connection is dropped before the server's keep-alive of 5 s would close it, so
    // that a request after a pause (a browser's wait, say) never goes out on a closed one.
    let mut connector = awc::Connector::new().conn_keep_alive(Duration::from_secs(2));
    if let Some(tls) = tls {
        connector = connector.rustls_0_23(tls);
    }
    let client = awc::Client::builder()
        .connector(connector)
        .timeout(Duration::from_secs(60))
        .finish();
    let mut test_app = TestApp {
        base,
        client,
        settings,
        db,
        units: HashMap::new(),
    };
    test_app.load_unit_codes().await;
    test_app
}

/// A TLS client configuration that trusts the certificates in the PEM file `cert` and no other.
pub fn trusting(cert: &str) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_file_iter(cert).expect("the certificate file") {
        roots
            .add(cert.expect("a certificate"))
            .expect("a usable certificate");
    }
    // ring rather than aws-lc-rs: no C library of its own to build. It offers no post-quantum
    // key exchange (hence the deprecation); X25519 and the NIST curves remain.
    #[allow(deprecated)]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    std::sync::Arc::new(config)
}

impl TestApp {
    async fn load_unit_codes(&mut self) {
        let token = self.login(ADMIN).await;
        let units = self.get("/api/v1/units?limit=500", &token).await.expect(200);
        for unit in units.body["items"].as_array().unwrap() {
            self.units.insert(
                unit["code"].as_str().unwrap().into(),
                unit["id"].as_str().unwrap().into(),
            );
        }
    }

    /// Another instance of the service over the same database, as when several run behind a balancer.
    pub async fn second_instance(&self) -> TestApp {
        self.second_instance_with(|_| {}).await
    }

    /// Another instance over the same database, its settings adjusted (another version, say).
    pub async fn second_instance_with(&self, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        let app = Application::build(settings.clone())
            .await
            .expect("the second instance starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        // The first instance owns the database; this handle removes nothing.
        TestApp {
            base,
            client: self.client.clone(),
            settings,
            db: TestDb::Shared,
            units: self.units.clone(),
        }
    }

    /// The id of a demo unit (or one a test created and registered) by its code.
    pub fn unit(&self, code: &str) -> String {
        self.units
            .get(code)
            .cloned()
            .unwrap_or_else(|| panic!("no unit {code}"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut res = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        }
        .expect("request sent");
        into_response(&mut res).await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, self.url(path))
            .insert_header(("content-type", content_type));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut res = req.send_body(body).await.expect("request sent");
        into_response(&mut res).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.send("GET", path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.send("POST", path, Some(token), Some(&body), &[]).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.send("PATCH", path, Some(token), Some(&body), &[]).await
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.send(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": username, "password": password})),
            &[],
        )
        .await
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, (username, password): (&str, &str)) -> String {
        let res = self.login_response(username, password).await.expect(200);
        res.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Creates a unit as admin and remembers its code.
    pub async fn create_unit(
        &mut self,
        admin: &str,
        code: &str,
        level: &str,
        parent_code: Option<&str>,
    ) -> String {
        let parent = parent_code.map(|c| self.unit(c));
        let res = self
            .post(
                "/api/v1/units",
                admin,
                json!({"name": format!("Unit {code}"), "code": code, "level": level, "parent_id": parent}),
            )
            .await
            .expect(201);
        let id = res.id();
        self.units.insert(code.into(), id.clone());
        id
    }

    /// Creates a user as admin and returns an access token for it.
    pub async fn user_with(
        &self,
        admin: &str,
        username: &str,
        role: &str,
        unit_code: Option<&str>,
    ) -> String {
        let password = "a-long-enough-password";
        self.post(
            "/api/v1/users",
            admin,
            json!({"username": username, "password": password, "display_name": username, "role": role, "unit_id": unit_code.map(|c| self.unit(c))}),
        )
        .await
        .expect(201);
        self.login((username, password)).await
    }

    /// A second city with a district, a community and one user of each role, for the tests that
    /// check nobody sees across jurisdictions.
    pub async fn other_city(&mut self, admin: &str) -> OtherCity {
        self.create_unit(admin, "WX", "city", None).await;
        self.create_unit(admin, "WX-LX", "district", Some("WX")).await;
        self.create_unit(admin, "WX-LX-01", "community", Some("WX-LX"))
            .await;
        OtherCity {
            dispatcher: self
                .user_with(admin, "wx.dispatcher", "dispatcher", Some("WX"))
                .await,
            district_officer: self
                .user_with(admin, "wx.lx.officer", "district_officer", Some("WX-LX"))
                .await,
            community_officer: self
                .user_with(admin, "wx.lx01.officer", "community_officer", Some("WX-LX-01"))
                .await,
            viewer: self.user_with(admin, "wx.viewer", "viewer", Some("WX")).await,
        }
    }

    /// Tokens of every demo user, by role.
    pub async fn demo_tokens(&self) -> Tokens {
        Tokens {
            admin: self.login(ADMIN).await,
            dispatcher: self.login(DISPATCHER).await,
            district_officer: self.login(DISTRICT_OFFICER).await,
            community_officer: self.login(COMMUNITY_OFFICER).await,
            viewer: self.login(VIEWER).await,
        }
    }

    /// Every id of a paginated list, following the cursors.
    pub async fn collect_ids(&self, path: &str, token: &str, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
                None => format!("{path}{sep}limit={limit}"),
            };
            let page = self.get(&url, token).await.expect(200);
            let items = page.body["items"].as_array().unwrap();
            assert!(items.len() <= limit);
            ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        ids
    }

    /// Events the log holds for one entity, as admin.
    pub async fn events_of(&self, admin: &str, entity_type: &str, entity_id: &str) -> Vec<Value> {
        let res = self
            .get(
                &format!("/api/v1/events?entity_type={entity_type}&entity_id={entity_id}&limit=500"),
                admin,
            )
            .await
            .expect(200);
        res.body["items"].as_array().unwrap().clone()
    }

    /// A connection of its own to the service's database, for reading or tampering with it
    /// straight.
    pub fn connection(&self) -> inbound_transfer::db::DbConnection {
        let url = inbound_transfer::db::DatabaseUrl::parse(&self.settings.database.url).expect("url");
        inbound_transfer::db::ConnectionManager::new(url, 1000)
            .connect()
            .expect("connection")
    }

    /// Number of rows in a table, read straight from the database.
    pub fn count_rows(&self, table: &str) -> i64 {
        self.count_where(table, "1 = 1")
    }

    /// Number of rows of a table that meet an SQL condition, read straight from the database.
    pub fn count_where(&self, table: &str, condition: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.connection();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}"))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
    }
}

pub struct Tokens {
    pub admin: String,
    pub dispatcher: String,
    pub district_officer: String,
    pub community_officer: String,
    pub viewer: String,
}

impl Tokens {
    pub fn all(&self) -> [(&'static str, &str); 5] {
        [
            ("admin", &self.admin),
            ("dispatcher", &self.dispatcher),
            ("district_officer", &self.district_officer),
            ("community_officer", &self.community_officer),
            ("viewer", &self.viewer),
        ]
    }
}

pub struct OtherCity {
    pub dispatcher: String,
    pub district_officer: String,
    pub community_officer: String,
    pub viewer: String,
}

async fn into_response<S>(res: &mut awc::ClientResponse<S>) -> Response
where
    S: futures::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let bytes = res.body().limit(64 * 1024 * 1024).await.expect("body read");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Response {
        status: res.status(),
        body,
        bytes,
        headers: res.headers().clone(),
    }
}
