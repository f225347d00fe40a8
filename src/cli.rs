//! Administrative commands run from the shell.

use crate::db::types::{Timestamp, UserId};
use diesel::prelude::*;

use crate::auth::password;
use crate::config::{DemoSettings, Settings};
use crate::db::Lock;
use crate::domain::{password_problem, valid_username, Role};
use crate::schema::units;
use crate::startup::prepare_database;
use crate::store;
use crate::store::events::EventPlace;
use crate::store::units::Unit;
use crate::store::users::{self, User};

/// A connection to the configured database, its schema brought up to date (without demo data).
fn open(settings: &Settings) -> Result<crate::db::PooledConnection, String> {
    let pool = prepare_database(&Settings {
        demo: DemoSettings {
            seed: false,
            motion: false,
        },
        ..settings.clone()
    })?;
    pool.get().map_err(|e| e.to_string())
}

/// Errors of a command: a message for the operator.
struct CliError(String);

impl From<diesel::result::Error> for CliError {
    fn from(e: diesel::result::Error) -> Self {
        CliError(e.to_string())
    }
}

impl From<String> for CliError {
    fn from(e: String) -> Self {
        CliError(e)
    }
}

/// Creates a user, after the same checks as `POST /users`.
pub fn create_user(
    settings: &Settings,
    username: &str,
    password: &str,
    role: Role,
    unit_code: Option<&str>,
    display_name: Option<&str>,
) -> Result<(), String> {
    if !valid_username(username) {
        return Err("username must be 3 to 64 lower-case letters, digits, '.', '-' or '_'".into());
    }
    if let Some(problem) = password_problem(password) {
        return Err(format!(
            "password {}",
            crate::catalogue::render(crate::catalogue::Lang::En, &problem)
        ));
    }
    let mut conn = open(settings)?;
    let hash = password::hash_blocking(password)?;
    store::write(&mut conn, Lock::Everything, |tx| -> Result<(), CliError> {
        let unit = match unit_code {
            Some(code) => Some(
                units::table
                    .filter(units::code.eq(code))
                    .select(Unit::as_select())
                    .first(tx.conn()?)
                    .optional()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no unit with code {code}"))?,
            ),
            None => None,
        };
        if !role.fits_unit_level(unit.as_ref().map(|u| u.level)) {
            let needs = crate::domain::message::msg!(
                "role_needs_unit",
                role = role.as_str(),
                level = role.expected_unit()
            );
            return Err(crate::catalogue::render(crate::catalogue::Lang::En, &needs).into());
        }
        if users::username_taken(tx.conn()?, username).map_err(|e| e.to_string())? {
            return Err(format!("username {username} is already taken").into());
        }
        let now = Timestamp::now();
        let user = User {
            id: UserId::new(),
            username: username.to_owned(),
            password_hash: hash,
            display_name: display_name.unwrap_or(username).to_owned(),
            role,
            unit_id: unit.as_ref().map(|u| u.id),
            active: true,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        users::insert(tx.conn()?, &user).map_err(|e| e.to_string())?;
        let place = unit.map(|u| EventPlace::from(&u.place())).unwrap_or_default();
        tx.event(
            None,
            "user.created",
            "user",
            user.id,
            place,
            serde_json::json!({"username": username, "role": role, "via": "cli"}),
        );
        println!("created user {username} ({role}) with id {}", user.id);
        Ok(())
    })
    .map(drop)
    .map_err(|e| e.0)
}

/// Sets a user's password, after the same checks as `POST /users/{id}/password`, and ends every
/// session of the user.
pub fn set_password(settings: &Settings, username: &str, password: &str) -> Result<(), String> {
    if let Some(problem) = password_problem(password) {
        return Err(format!(
            "password {}",
            crate::catalogue::render(crate::catalogue::Lang::En, &problem)
        ));
    }
    let mut conn = open(settings)?;
    let hash = password::hash_blocking(password)?;
    store::write(&mut conn, Lock::Everything, |tx| -> Result<(), CliError> {
        let user = users::find_by_username(tx.conn()?, username)?
            .ok_or_else(|| format!("no user with username {username}"))?;
        users::set_password(tx, &user, &hash, None)?;
        println!("set the password of {username}; every session of the user has ended");
        Ok(())
    })
    .map(drop)
    .map_err(|e| e.0)
}

/// Checks every chain of the audit log and prints the report as JSON; false when one is broken.
pub fn verify_log(settings: &Settings) -> Result<bool, String> {
    let mut conn = open(settings)?;
    conn.lift_statement_timeout()?;
    let chains =
        crate::db::read_transaction(&mut conn, crate::store::events::verify).map_err(|e| e.to_string())?;
    let report = crate::store::events::Verification::of(chains);
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    for chain in report.chains.iter().filter(|c| c.first_broken_seq.is_some()) {
        eprintln!(
            "broken: the chain of {} breaks at event seq {}",
            chain
                .city_id
                .map(|c| format!("city {c}"))
                .unwrap_or_else(|| "no city".into()),
            chain.first_broken_seq.unwrap_or_default()
        );
    }
    Ok(report.ok)
}

/// Erases the personal data that `privacy.retain_days` no longer allows to keep, at once, and
/// prints what it erased.
pub fn erase_expired(settings: &Settings) -> Result<(), String> {
    let mut conn = open(settings)?;
    let closed_before = Timestamp::now() - settings.privacy.retention();
    let mut total = 0;
    loop {
        let erased = store::write(&mut conn, Lock::Everything, |tx| {
            crate::transfer::privacy::erase_expired(tx, closed_before, 500, settings.privacy.retain_days)
        })
        .map_err(|e| e.detail())?
        .value;
        for (city, travellers) in &erased.by_city {
            for id in travellers {
                println!("erased traveller {id} (city {city})");
            }
        }
        total += erased.count();
        if erased.count() < 500 {
            break;
        }
    }
    println!(
        "erased the personal data of {total} travellers whose loop closed more than {} days ago",
        settings.privacy.retain_days
    );
    Ok(())
}

/// What `backup` made and checked.
#[derive(serde::Serialize)]
struct BackupReport {
    path: String,
    bytes: u64,
    seconds: f64,
    travellers: i64,
    events: i64,
    integrity: String,
    chains_ok: bool,
    statistics_equal_recount: bool,
}

/// `backup --to PATH`: a consistent copy of the SQLite database, taken while the service runs and
/// writes (`VACUUM INTO` reads one snapshot while writers go on in the log), checked before it is
/// given its name: SQLite's integrity and foreign keys, every chain of the audit log, and the
/// statistics against a recount. A copy that fails a check is removed and the command fails. On
/// PostgreSQL, backups are continuous archiving (README, "Operations").
pub fn backup(settings: &Settings, to: &std::path::Path) -> Result<(), String> {
    use crate::db::{ConnectionManager, DatabaseUrl};
    let started = std::time::Instant::now();
    let source = match DatabaseUrl::parse(&settings.database.url)? {
        DatabaseUrl::Sqlite(path) => path,
        DatabaseUrl::Postgres(_) => {
            return Err(
                "on PostgreSQL, back up with continuous archiving (pgBackRest): see the README's \
                        \"Operations\"; backup --to copies an embedded SQLite database"
                    .into(),
            )
        }
    };
    if to.exists() {
        return Err(format!(
            "{} exists already; a backup never overwrites a file",
            to.display()
        ));
    }
    let partial = std::path::PathBuf::from(format!("{}.partial", to.display()));
    let _ = std::fs::remove_file(&partial);
    let fail = |e: String| {
        let _ = std::fs::remove_file(&partial);
        e
    };
    let mut live = ConnectionManager::new(
        DatabaseUrl::Sqlite(source.clone()),
        settings.database.sqlite_busy_timeout_ms,
    )
    .connect()
    .map_err(|e| format!("cannot open {source}: {e}"))?;
    let target = partial.display().to_string().replace('\'', "''");
    diesel::sql_query(format!("VACUUM INTO '{target}'"))
        .execute(&mut live)
        .map_err(|e| fail(format!("cannot copy {source}: {e}")))?;
    drop(live);
    let report = check_copy(&partial, to, started).map_err(fail)?;
    let file = std::fs::File::open(&partial).map_err(|e| fail(e.to_string()))?;
    file.sync_all().map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&partial, to).map_err(|e| fail(format!("cannot name the copy {}: {e}", to.display())))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Opens the copy alone (no migration, no writes) and runs every check on it.
fn check_copy(
    copy: &std::path::Path,
    named: &std::path::Path,
    started: std::time::Instant,
) -> Result<BackupReport, String> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Integrity {
        #[diesel(sql_type = Text)]
        result: String,
    }
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let path = copy.display().to_string();
    let mut conn =
        diesel::SqliteConnection::establish(&path).map_err(|e| format!("cannot open the copy: {e}"))?;
    let integrity: Vec<Integrity> =
        diesel::sql_query("SELECT integrity_check AS result FROM pragma_integrity_check")
            .load(&mut conn)
            .map_err(|e| e.to_string())?;
    let integrity: Vec<String> = integrity.into_iter().map(|r| r.result).collect();
    if integrity != ["ok"] {
        return Err(format!("the copy is damaged: {}", integrity.join("; ")));
    }
    let count = |conn: &mut diesel::SqliteConnection, sql: &str| {
        diesel::sql_query(sql)
            .get_result::<Count>(conn)
            .map(|c| c.n)
            .map_err(|e| e.to_string())
    };
    let orphans = count(&mut conn, "SELECT count(*) AS n FROM pragma_foreign_key_check")?;
    if orphans > 0 {
        return Err(format!(
            "the copy has {orphans} rows whose references are missing"
        ));
    }
    let travellers = count(&mut conn, "SELECT count(*) AS n FROM travellers")?;
    let events = count(&mut conn, "SELECT count(*) AS n FROM events")?;
    let mut conn = crate::db::DbConnection::Sqlite(conn);
    let chains =
        crate::db::read_transaction(&mut conn, crate::store::events::verify).map_err(|e| e.to_string())?;
    let verification = crate::store::events::Verification::of(chains);
    if !verification.ok {
        return Err("the copy's audit log does not verify: a chain is broken".into());
    }
    let (stored, recounted) = crate::db::read_transaction(&mut conn, |c| {
        Ok::<_, diesel::result::Error>((
            crate::store::counts::stored(c)?,
            crate::store::counts::recount(c)?,
        ))
    })
    .map_err(|e| e.to_string())?;
    if stored != recounted {
        return Err("the copy's statistics differ from a recount of its tables".into());
    }
    Ok(BackupReport {
        path: named.display().to_string(),
        bytes: std::fs::metadata(copy).map(|m| m.len()).unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
        travellers,
        events,
        integrity: "ok".into(),
        chains_ok: true,
        statistics_equal_recount: true,
    })
}
