//! The web console at `/console/`: a page and its scripts and styles, built into the binary.
//!
//! The console is a client of the public API only; this module serves its files and nothing else.
//! The page names its files under a version derived from their content
//! (`/console/assets/{version}/{name}`), so a file can be cached for a year: a new build has a new
//! version, and the page itself is revalidated every time.

use actix_web::get;
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use sha2::{Digest, Sha256};

use super::docs::NotFound;
use crate::error::ApiError;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(console_root)
        .service(console_page)
        .service(console_worker)
        .service(console_manifest)
        .service(console_asset);
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! console_files {
    ($(($name:literal, $type:expr)),* $(,)?) => {
        /// The console's files: (name, content type, bytes).
        const FILES: &[(&str, &str, &[u8])] = &[
            $(($name, $type, include_bytes!(concat!("../../assets/console/", $name)))),*
        ];
    };
}

console_files![
    ("console.css", "text/css; charset=utf-8"),
    ("app.js", JS),
    ("api.js", JS),
    ("i18n.js", JS),
    ("ui.js", JS),
    ("live.js", JS),
    ("chart.js", JS),
    ("signin.js", JS),
    ("figures.js", JS),
    ("dashboard.js", JS),
    ("wall.js", JS),
    ("desk.js", JS),
    ("loose-ends.js", JS),
    ("board.js", JS),
    ("board-waiting.js", JS),
    ("board-batches.js", JS),
    ("board-vehicles.js", JS),
    ("board-import.js", JS),
    ("board-walkin.js", JS),
    ("trace.js", JS),
    ("admin.js", JS),
    ("account.js", JS),
    ("offline.js", JS),
    ("icon.svg", "image/svg+xml"),
    ("icon-192.png", "image/png"),
    ("icon-512.png", "image/png"),
];

/// The modules of the shell (every screen's) and of the handoff desk, the screen that must open at
/// once at a door with a poor signal: the page preloads them. The other screens' modules load when
/// their screen first opens, and the service worker keeps them all.
const FIRST_SCREEN: &[&str] = &[
    "app.js",
    "api.js",
    "offline.js",
    "i18n.js",
    "ui.js",
    "signin.js",
    "live.js",
    "desk.js",
];

/// The service worker, with `{{version}}` and `{{files}}` standing where the files' version and
/// addresses go. Served at `/console/sw.js`, so that it may control the whole console.
const WORKER: &str = include_str!("../../assets/console/sw.js");

/// The page, with `{{version}}` standing where the files' version goes.
const PAGE: &str = include_str!("../../assets/console/index.html");

/// The console as this instance serves it: its version and the page and worker that name it.
/// Built once at start; the same files give the same version on every instance.
pub struct Console {
    version: String,
    page: String,
    worker: String,
}

impl Console {
    pub fn new(settings: &crate::config::ConsoleSettings) -> Console {
        let version = version(settings.version_salt.as_deref());
        let asset = |name: &str| format!("/console/assets/{version}/{name}");
        // The first screen's modules announced at once, so that a slow network fetches them side
        // by side rather than one import after another.
        let preload: Vec<String> = FIRST_SCREEN
            .iter()
            .map(|name| format!("<link rel=\"modulepreload\" href=\"{}\">", asset(name)))
            .collect();
        let page = PAGE
            .replace("{{preload}}", &preload.join("\n  "))
            .replace("{{version}}", &version)
            .replace("{{offline_hours}}", &settings.offline_hours.to_string());
        let files: Vec<String> = FILES
            .iter()
            .map(|(name, _, _)| format!("'{}'", asset(name)))
            .collect();
        let worker = WORKER
            .replace("{{version}}", &version)
            .replace("{{files}}", &files.join(", "));
        Console {
            version,
            page,
            worker,
        }
    }

    pub fn version(&self) -> &str {
        &self.version
    }
}

/// The first 16 hex digits of a SHA-256 over every file's name and content (and the salt).
fn version(salt: Option<&str>) -> String {
    let mut hash = Sha256::new();
    hash.update(PAGE.as_bytes());
    hash.update(WORKER.as_bytes());
    for (name, _, bytes) in FILES {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    if let Some(salt) = salt {
        hash.update(salt.as_bytes());
    }
    hex::encode(hash.finalize())[..16].to_owned()
}

/// The console's service worker
///
/// Keeps this version's console files on the device so that the console opens with no network.
/// Never keeps an API answer.
#[utoipa::path(
    tag = "console",
    responses((status = 200, description = "The service worker", body = String, content_type = "text/javascript"))
)]
#[get("/console/sw.js")]
async fn console_worker(console: web::Data<Console>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, JS))
        // Checked on every visit: a new version of the service installs a new worker.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(console.worker.clone())
}

/// What a browser needs to install the console: the web app manifest.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebManifest {
    name: &'static str,
    short_name: &'static str,
    description: &'static str,
    id: &'static str,
    start_url: &'static str,
    scope: &'static str,
    display: &'static str,
    background_color: &'static str,
    theme_color: &'static str,
    icons: Vec<ManifestIcon>,
}

/// An icon of the installed console.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ManifestIcon {
    src: String,
    sizes: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The console's web app manifest
///
/// What a browser needs to install the console on a home screen.
#[utoipa::path(
    tag = "console",
    responses((status = 200, description = "The manifest", body = WebManifest, content_type = "application/manifest+json"))
)]
#[get("/console/manifest.webmanifest")]
async fn console_manifest(console: web::Data<Console>) -> HttpResponse {
    let icon = |name: &str, sizes, kind| ManifestIcon {
        src: format!("/console/assets/{}/{name}", console.version),
        sizes,
        kind,
    };
    let manifest = WebManifest {
        name: "闭环转运 · Inbound transfer",
        short_name: "闭环转运",
        description: "入境人员闭环转运 · Closed-loop transfer of inbound travellers",
        id: "/console/",
        start_url: "/console/",
        scope: "/console/",
        display: "standalone",
        background_color: "#f3f5f7",
        theme_color: "#0b5cad",
        icons: vec![
            icon("icon-192.png", "192x192", "image/png"),
            icon("icon-512.png", "512x512", "image/png"),
            icon("icon.svg", "any", "image/svg+xml"),
        ],
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/manifest+json"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(manifest)
}

/// The web console
///
/// Moves to `/console/`, where the console's files resolve.
#[utoipa::path(
    tag = "console",
    responses((status = 308, description = "To `/console/`"))
)]
#[get("/console")]
async fn console_root() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

/// The web console's page
///
/// Signing in, the dashboard, the handoff desk, the dispatch board, the trace and
/// administration, in Chinese and English. Everything it loads comes from this service.
#[utoipa::path(
    tag = "console",
    responses((status = 200, description = "The console's HTML page", body = String, content_type = "text/html"))
)]
#[get("/console/")]
async fn console_page(console: web::Data<Console>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(console.page.clone())
}

/// A file of the web console
///
/// Cached for a year: its address changes with its content.
#[utoipa::path(
    tag = "console",
    params(
        ("version" = String, Path, description = "The version of the console's files the page names"),
        ("name" = String, Path, description = "The file's name"),
    ),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "image/svg+xml"),
            (String = "image/png"),
        )),
        (status = 404, response = NotFound),
    )
)]
#[get("/console/assets/{version}/{name}")]
async fn console_asset(
    console: web::Data<Console>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (asked, name) = path.into_inner();
    let (_, content_type, bytes) = FILES
        .iter()
        .find(|(n, _, _)| *n == name.as_str())
        .filter(|_| asked == console.version)
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, *content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_every_script_it_loads_under_the_current_version() {
        let console = Console::new(&Default::default());
        assert!(!console.page.contains("{{"), "a placeholder left in the page");
        assert!(!console.worker.contains("{{"), "a placeholder left in the worker");
        assert!(console
            .page
            .contains(&format!("/console/assets/{}/app.js", console.version)));
        assert!(console
            .page
            .contains(&format!("/console/assets/{}/console.css", console.version)));
    }

    #[test]
    fn the_first_screen_preloads_only_files_that_exist_and_every_import_of_its_modules() {
        for name in FIRST_SCREEN {
            let (_, _, bytes) = FILES.iter().find(|(n, _, _)| n == name).expect("a console file");
            // What a preloaded module imports statically is preloaded too: no chain of requests.
            let text = std::str::from_utf8(bytes).unwrap();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let imported = line.rsplit("'./").next().unwrap().trim_end_matches("';");
                assert!(
                    FIRST_SCREEN.contains(&imported),
                    "{name} imports {imported}, not preloaded"
                );
            }
        }
    }

    #[test]
    fn a_salt_makes_another_version_of_the_same_files() {
        let plain = Console::new(&Default::default());
        let salted = Console::new(&crate::config::ConsoleSettings {
            version_salt: Some("second".into()),
            ..Default::default()
        });
        assert_ne!(plain.version, salted.version);
        assert_eq!(plain.version, Console::new(&Default::default()).version);
    }
}
