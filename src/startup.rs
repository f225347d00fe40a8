//! Building and running the application: pool, migrations, optional demo data, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpMessage, HttpServer};
use futures_util::FutureExt;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;

use crate::config::Settings;
use crate::db::{build_pool, Checkpoints, DatabaseUrl, Pool};
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    pub pool: Pool,
}

/// Opens the pool and brings the schema up to date (and the demo data, when configured).
pub fn prepare_database(settings: &Settings) -> Result<Pool, String> {
    let pool = build_pool(&settings.database, Checkpoints::AtCommit)?;
    let wait = Duration::from_secs(10).max(Duration::from_millis(settings.database.pool_timeout_ms));
    prepare(&pool, settings, wait)?;
    Ok(pool)
}

/// Migrations, the statistics' totals and the demo data, on a connection of the pool.
fn prepare(pool: &Pool, settings: &Settings, wait: Duration) -> Result<(), String> {
    let url = DatabaseUrl::parse(&settings.database.url)?;
    let mut conn = pool
        .get_timeout(wait)
        .map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    let result = (|| {
        let applied = conn.run_migrations()?;
        crate::store::events::chain_legacy(&mut conn)?;
        crate::stats::set_utc_offset_minutes(settings.stats.utc_offset_minutes);
        crate::store::counts::rebuild_if_missing(&mut conn)
            .map_err(|e| format!("cannot count statistics: {e}"))?;
        tracing::info!(database = %url.redacted(), migrations_applied = applied.len(), "database ready");
        if settings.demo.seed {
            crate::demo::seed(&mut conn)?;
            if settings.demo.motion {
                crate::demo::motion::set_in_motion(&mut conn, settings.handoff.sla_minutes)?;
            }
        }
        Ok(())
    })();
    // Migrations lift the statement timeout on their connection; the pool gets it back bounded.
    conn.restore_limits();
    result
}

/// Prepares the database until it succeeds, once a second, and then marks the state ready:
/// an instance started while its database is down serves `/healthz` and answers 503 elsewhere
/// until then.
fn prepare_in_background(state: web::Data<AppState>) {
    actix_web::rt::spawn(async move {
        loop {
            let (pool, settings) = (state.pool.clone(), state.settings.clone());
            let wait = Duration::from_millis(settings.database.connect_timeout_ms.max(1000));
            match web::block(move || prepare(&pool, &settings, wait)).await {
                Ok(Ok(())) => {
                    state.mark_database_ready();
                    break;
                }
                Ok(Err(error)) => tracing::warn!(%error, "database not ready; retrying in a second"),
                Err(error) => tracing::warn!(%error, "database preparation stopped; retrying"),
            }
            actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// The TLS settings when `server.tls_cert` and `server.tls_key` are both set; an error when only
/// one is, or when either file cannot be read.
fn tls_config(server: &crate::config::ServerSettings) -> Result<Option<rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let (cert, key) = match (&server.tls_cert, &server.tls_key) {
        (None, None) => return Ok(None),
        (Some(cert), Some(key)) => (cert, key),
        _ => return Err("server.tls_cert and server.tls_key go together: set both or neither".into()),
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificate chain {cert}: {e}"))?;
    if chain.is_empty() {
        return Err(format!("{cert} holds no certificate"));
    }
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("cannot read the private key {key}: {e}"))?;
    // ring rather than aws-lc-rs: no C library of its own to build. It offers no post-quantum
    // key exchange (hence the deprecation); X25519 and the NIST curves remain.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not make a TLS identity: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(config))
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, String> {
        let settings = Arc::new(settings);
        let for_db = settings.clone();
        let url = DatabaseUrl::parse(&settings.database.url)?;
        // The housekeeping copies SQLite's log back (see `housekeeping::start`).
        let pool = build_pool(&settings.database, Checkpoints::Apart)?;
        let first = pool.clone();
        let wait = Duration::from_millis(settings.database.connect_timeout_ms.max(1000));
        let prepared = web::block(move || prepare(&first, &for_db, wait))
            .await
            .map_err(|e| e.to_string())?;
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| format!("cannot bind {}: {e}", settings.server.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let metrics = crate::metrics::Metrics::new();
        let prometheus = metrics.middleware();
        let freshness = crate::freshness::Freshness::start(
            &url,
            settings.stats.answer_from_memory,
            Duration::from_millis(settings.stats.hear_every_ms.max(1)),
        );
        let notices =
            crate::notices::Notices::load(settings.notices.dir.as_deref().map(std::path::Path::new))?;
        let state = web::Data::new(AppState::new(
            pool.clone(),
            settings.clone(),
            metrics,
            freshness,
            notices,
        ));
        match prepared {
            Ok(()) => state.mark_database_ready(),
            Err(error) => {
                tracing::warn!(%error, "starting without the database; it is prepared once it answers");
                prepare_in_background(state.clone());
            }
        }
        crate::housekeeping::start(&state);
        actix_web::rt::spawn(crate::feed::Feed::run(Arc::downgrade(&state.feed), pool.clone()));
        let max_body = settings.server.max_body_bytes;
        // Every route and its methods, for the checks made before any handler runs.
        let routes = web::Data::from(crate::http::edge::route_table());
        let console = web::Data::new(crate::http::console::Console::new(&settings.console));
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap_fn(|req, srv| {
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    srv.call(req).map(move |res| {
                        res.map(|mut res| {
                            if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                                res.headers_mut()
                                    .insert(HeaderName::from_static("x-request-id"), value);
                            }
                            res
                        })
                    })
                })
                .wrap(actix_web::middleware::from_fn(crate::http::edge::guard))
                .wrap(prometheus.clone())
                .wrap(TracingLogger::default())
                // Outermost, so that every layer inside reads the answer as written: compressed
                // for a client that accepts gzip, the console's files and the API's JSON (answers
                // that must not be, the event stream and workbooks, say `identity`).
                .wrap(actix_web::middleware::Compress::default())
                .app_data(state.clone())
                .app_data(routes.clone())
                .app_data(console.clone())
                .into_utoipa_app()
                .configure(|cfg| crate::http::configure(cfg, max_body))
                .into_app()
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        // SIGTERM and Ctrl-C are handled in `run_until_stopped`, which ends the streams first.
        .disable_signals();
        server = match tls_config(&settings.server)? {
            Some(tls) => server.listen_rustls_0_23(listener, tls),
            None => server.listen(listener),
        }
        .map_err(|e| e.to_string())?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let scheme = if settings.server.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        tracing::info!(bind = %settings.server.bind, port, scheme, environment = %settings.environment, "listening");
        Ok(Self {
            port,
            server: server.run(),
            state: app_state,
            pool,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C. Then `/readyz` answers 503 and every event stream ends once
    /// what it holds is sent (its client resumes elsewhere with `Last-Event-ID`); after
    /// `server.drain_secs` it stops accepting and lets the requests in flight finish within
    /// `server.shutdown_timeout_secs`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            stop_signal().await;
            let drain = Duration::from_secs(state.settings.server.drain_secs);
            tracing::info!(
                ?drain,
                "stopping: /readyz answers 503 and streams end; then requests in flight finish"
            );
            state.begin_stopping();
            actix_web::rt::time::sleep(drain).await;
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// SIGTERM, or Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
