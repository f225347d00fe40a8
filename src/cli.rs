//! Administrative commands run from the shell.

use crate::db::types::Timestamp;
use diesel::prelude::*;

use crate::auth::password;
use crate::config::{DemoSettings, Settings};
use crate::db::write_transaction;
use crate::domain::{password_problem, valid_username, Role};
use crate::schema::units;
use crate::startup::prepare_database;
use crate::store::events::{self, EventPlace};
use crate::store::units::Unit;
use crate::store::users::{self, User};

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
        return Err(format!("password {problem}"));
    }
    let pool = prepare_database(&Settings {
        demo: DemoSettings { seed: false },
        ..settings.clone()
    })?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let hash = password::hash_blocking(password)?;
    write_transaction(&mut conn, |tx| -> Result<(), CliError> {
        let unit = match unit_code {
            Some(code) => Some(
                units::table
                    .filter(units::code.eq(code))
                    .select(Unit::as_select())
                    .first(tx)
                    .optional()
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no unit with code {code}"))?,
            ),
            None => None,
        };
        if !role.fits_unit_level(unit.as_ref().map(|u| u.level())) {
            return Err(format!("a user with role {role} needs {}", role.expected_unit()).into());
        }
        if users::username_taken(tx, username).map_err(|e| e.to_string())? {
            return Err(format!("username {username} is already taken").into());
        }
        let now = Timestamp::now();
        let user = User {
            id: crate::store::new_id(),
            username: username.to_owned(),
            password_hash: hash,
            display_name: display_name.unwrap_or(username).to_owned(),
            role: role.as_str().to_owned(),
            unit_id: unit.as_ref().map(|u| u.id),
            active: true,
            token_version: 1,
            created_at: now,
            updated_at: now,
        };
        users::insert(tx, &user).map_err(|e| e.to_string())?;
        let place = unit.map(|u| EventPlace::from(&u.place())).unwrap_or_default();
        events::record(
            tx,
            None,
            "user.created",
            "user",
            user.id,
            place,
            serde_json::json!({"username": username, "role": role, "via": "cli"}),
        )
        .map_err(|e| e.to_string())?;
        println!("created user {username} ({role}) with id {}", user.id);
        Ok(())
    })
    .map_err(|e| e.0)
}

/// Sets a user's password, after the same checks as `POST /users/{id}/password`, and ends every
/// session of the user.
pub fn set_password(settings: &Settings, username: &str, password: &str) -> Result<(), String> {
    if let Some(problem) = password_problem(password) {
        return Err(format!("password {problem}"));
    }
    let pool = prepare_database(&Settings {
        demo: DemoSettings { seed: false },
        ..settings.clone()
    })?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let hash = password::hash_blocking(password)?;
    write_transaction(&mut conn, |tx| -> Result<(), CliError> {
        let user = users::find_by_username(tx, username)?
            .ok_or_else(|| format!("no user with username {username}"))?;
        crate::http::auth::set_password(tx, &user, &hash, None).map_err(|e| e.detail)?;
        println!("set the password of {username}; every session of the user has ended");
        Ok(())
    })
    .map_err(|e| e.0)
}
