//! Accounts: an admin creates and changes users and sets their passwords. A change of role or
//! unit, a deactivation or a new password ends every session of the user, in the same transaction
//! as the change and its event.

use crate::auth::{Actor, Scope};
use crate::db::types::{Timestamp, UnitId, UserId};
use crate::db::DbConnection;
use crate::domain::message::msg;
use crate::domain::Role;
use crate::error::{ApiError, ApiResult};
use crate::store::events::EventPlace;
use crate::store::users::{self, User};
use crate::store::{units, Tx};

/// Checks that the unit exists and its level fits the role; returns where the user's events belong.
fn place_for(conn: &mut DbConnection, role: Role, unit_id: Option<UnitId>) -> ApiResult<EventPlace> {
    let unit = match unit_id {
        Some(id) => Some(
            units::find(conn, Scope::All, id)?
                .ok_or_else(|| ApiError::invalid_field("unit_id", msg!("no_such_unit")))?,
        ),
        None => None,
    };
    if !role.fits_unit_level(unit.as_ref().map(|u| u.level)) {
        return Err(ApiError::invalid_field(
            "unit_id",
            msg!(
                "role_needs_unit",
                role = role.as_str(),
                level = role.expected_unit()
            ),
        ));
    }
    Ok(unit.map(|u| EventPlace::from(&u.place())).unwrap_or_default())
}

/// An account to create, its fields checked and its password hashed.
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

pub fn create(tx: &mut Tx<'_>, actor: &Actor, new: NewUser) -> ApiResult<User> {
    let place = place_for(tx.conn()?, new.role, new.unit_id)?;
    if users::username_taken(tx.conn()?, &new.username)? {
        return Err(ApiError::conflict(msg!(
            "username_taken",
            username = new.username
        )));
    }
    let now = Timestamp::now();
    let user = User {
        id: UserId::new(),
        username: new.username,
        password_hash: new.password_hash,
        display_name: new.display_name,
        role: new.role,
        unit_id: new.unit_id,
        active: true,
        token_version: 1,
        created_at: now,
        updated_at: now,
    };
    users::insert(tx.conn()?, &user)?;
    let data = serde_json::json!({"username": user.username, "role": user.role, "unit_id": user.unit_id});
    tx.event(Some(actor.id), "user.created", "user", user.id, place, data);
    Ok(user)
}

/// Changes to an account: `None` keeps a field; `unit_id: Some(None)` takes the unit away.
#[derive(serde::Serialize)]
pub struct UserChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Option<UnitId>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// Changes an account; tokens carry role and unit, so a change of either, or a deactivation, ends
/// every session of the user. Nobody demotes or deactivates themselves.
pub fn update(tx: &mut Tx<'_>, actor: &Actor, id: UserId, changes: UserChanges) -> ApiResult<User> {
    let mut user = users::find(tx.conn()?, id)?.ok_or_else(|| ApiError::not_found("user"))?;
    let old_role = user.role;
    let role = changes.role.unwrap_or(old_role);
    let unit_id = changes.unit_id.unwrap_or(user.unit_id);
    let active = changes.active.unwrap_or(user.active);
    if user.id == actor.id && (role != old_role || !active) {
        return Err(ApiError::invalid_field("role", msg!("cannot_demote_self")));
    }
    let place = place_for(tx.conn()?, role, unit_id)?;
    let ends_sessions = role != old_role || unit_id != user.unit_id || (user.active && !active);
    user.display_name = changes.display_name.clone().unwrap_or(user.display_name);
    user.role = role;
    user.unit_id = unit_id;
    user.active = active;
    user.updated_at = Timestamp::now();
    if ends_sessions {
        user.token_version += 1;
        users::revoke_refresh_tokens(tx.conn()?, user.id)?;
    }
    users::update(tx, &user)?;
    let data = serde_json::to_value(&changes).unwrap_or_default();
    tx.event(Some(actor.id), "user.updated", "user", user.id, place, data);
    Ok(user)
}

/// Sets a user's password (hashed by the caller, off the database's thread); every session of
/// the user ends.
pub fn set_password(tx: &mut Tx<'_>, actor: &Actor, id: UserId, hash: &str) -> ApiResult<()> {
    let user = users::find(tx.conn()?, id)?.ok_or_else(|| ApiError::not_found("user"))?;
    Ok(users::set_password(tx, &user, hash, Some(actor.id))?)
}
