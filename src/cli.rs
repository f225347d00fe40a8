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
