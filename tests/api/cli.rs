//! The command line: migrate, seed-demo, create-user, and the refusal of unsafe production settings.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::*;

fn run(app: &TestApp, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_inbound-transfer"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("DATABASE_URL")
        .env("APP__DATABASE__URL", &app.settings.database.url)
        .env("APP__LOG__LEVEL", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

#[actix_web::test]
async fn migrate_and_seed_demo_are_idempotent_and_create_user_makes_a_working_account() {
    let app = spawn_app().await;
    let units = app.count_rows("units");
    let users = app.count_rows("users");
    assert!(run(&app, &["migrate"], &[], None).status.success());
    let seeded = run(&app, &["seed-demo"], &[], None);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    assert_eq!(app.count_rows("units"), units, "seeding twice adds nothing");
    assert_eq!(app.count_rows("users"), users);

    let created = run(
        &app,
        &[
            "create-user",
            "--username",
            "night.shift",
            "--password-stdin",
            "--role",
            "district_officer",
            "--unit-code",
            "CZ-ZL",
        ],
        &[],
        Some("a-night-shift-password\n"),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = app.login(("night.shift", "a-night-shift-password")).await;
    let me = app.get("/api/v1/me", &token).await.expect(200);
    assert_eq!(me.body["role"], "district_officer");
    assert_eq!(me.body["unit_id"], app.unit("CZ-ZL"));

    let short = run(
        &app,
        &[
            "create-user",
            "--username",
            "shorty",
            "--password-stdin",
            "--role",
            "admin",
        ],
        &[],
        Some("short\n"),
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
    let wrong_level = run(
        &app,
        &[
            "create-user",
            "--username",
            "wrong.level",
            "--password-stdin",
            "--role",
            "dispatcher",
            "--unit-code",
            "CZ-ZL",
        ],
        &[],
        Some("a-long-enough-password\n"),
    );
    assert!(!wrong_level.status.success());
    assert_eq!(app.count_rows("users"), users + 1);
}

#[actix_web::test]
async fn production_refuses_the_development_secret_and_demo_data() {
    let app = spawn_app().await;
    let refused = run(&app, &["migrate"], &[("APP_ENV", "production")], None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("JWT secret"));
    let secret = (
        "APP__AUTH__JWT_SECRET",
        "a-production-secret-of-sufficient-length-42",
    );
    let demo = run(
        &app,
        &["migrate"],
        &[("APP_ENV", "production"), secret, ("APP__DEMO__SEED", "true")],
        None,
    );
    assert!(!demo.status.success());
    assert!(String::from_utf8_lossy(&demo.stderr).contains("demo"));
    let ok = run(&app, &["migrate"], &[("APP_ENV", "production"), secret], None);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let seed = run(&app, &["seed-demo"], &[("APP_ENV", "production"), secret], None);
    assert!(!seed.status.success(), "no demo data in production");
}

#[actix_web::test]
async fn set_password_changes_a_password_and_ends_the_users_sessions() {
    let app = spawn_app().await;
    let token = app.login(VIEWER).await;
    let set = run(
        &app,
        &["set-password", "--username", VIEWER.0, "--password-stdin"],
        &[],
        Some("a-new-viewer-password\n"),
    );
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    app.get("/api/v1/me", &token)
        .await
        .expect_problem(401, "unauthorized");
    app.login_response(VIEWER.0, VIEWER.1).await.expect(401);
    app.login((VIEWER.0, "a-new-viewer-password")).await;

    let short = run(
        &app,
        &["set-password", "--username", VIEWER.0, "--password-stdin"],
        &[],
        Some("short\n"),
    );
    assert!(!short.status.success());
    let nobody = run(
        &app,
        &["set-password", "--username", "nobody", "--password-stdin"],
        &[],
        Some("a-long-enough-password\n"),
    );
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("no user"));
}

#[actix_web::test]
async fn verify_log_names_the_first_broken_event_and_exits_1() {
    let world = crate::world::World::new().await;
    crate::audit::some_history(&world).await;
    let app = &world.app;
    let ok = run(app, &["verify-log"], &[], None);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("a JSON report");
    assert_eq!(report["ok"], true);

    let events = app
        .get("/api/v1/events?limit=500", &world.dispatcher)
        .await
        .expect(200);
    let seq = events.body["items"][3]["seq"].as_i64().unwrap();
    crate::audit::tamper(
        app,
        &format!("UPDATE events SET data = '{{\"status\": \"received\"}}' WHERE seq = {seq}"),
    );
    let broken = run(app, &["verify-log"], &[], None);
    assert_eq!(broken.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&broken.stdout).expect("a JSON report");
    assert_eq!(report["ok"], false);
    assert!(report["chains"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["first_broken_seq"] == seq));
    assert!(String::from_utf8_lossy(&broken.stderr).contains(&format!("seq {seq}")));
}

#[actix_web::test]
async fn events_written_before_the_log_was_chained_are_chained_once() {
    let world = crate::world::World::new().await;
    crate::audit::some_history(&world).await;
    let app = &world.app;
    crate::audit::tamper(app, "UPDATE events SET prev_hash = '', hash = ''");
    let migrated = run(app, &["migrate"], &[], None);
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let report = crate::audit::verification(app, &world.admin).await;
    assert_eq!(report["ok"], true, "{report}");
    let events = app
        .get("/api/v1/events?limit=500", &world.admin)
        .await
        .expect(200);
    assert!(events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["hash"].as_str().unwrap().len() == 64));
    // Still append-only afterwards.
    let mut conn = app.connection();
    assert!(diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE events SET action = 'x' WHERE seq = 1"),
        &mut conn
    )
    .is_err());
}

#[actix_web::test]
async fn erase_expired_erases_at_once_and_prints_what_it_erased() {
    let world = crate::world::World::new().await;
    let (received, no_show, waiting) = crate::retention::closed_loops(&world).await;
    let app = &world.app;
    let kept = run(app, &["erase-expired"], &[], None);
    assert!(kept.status.success(), "{}", String::from_utf8_lossy(&kept.stderr));
    assert!(String::from_utf8_lossy(&kept.stdout).contains("of 0 travellers"));
    assert!(world.traveller(&received).await["erased_at"].is_null());

    let erased = run(
        app,
        &["erase-expired"],
        &[("APP__PRIVACY__RETAIN_DAYS", "0")],
        None,
    );
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    let out = String::from_utf8_lossy(&erased.stdout);
    assert!(
        out.contains(&received) && out.contains(&no_show) && !out.contains(&waiting),
        "{out}"
    );
    assert!(out.contains("of 2 travellers"), "{out}");
    assert_eq!(world.traveller(&received).await["full_name"], "[erased]");
    assert_eq!(world.traveller(&waiting).await["full_name"], "Sun Meimei");
}
