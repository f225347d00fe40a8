//! Who is calling and what they may do: tokens, passwords, the caller as the database knows it
//! (`load_actor`; the request extractors are in `http::caller`), role permissions, and the
//! jurisdiction scope every query is filtered by.

pub mod password;
pub mod tokens;

use crate::db::types::{UnitId, UserId};
use crate::domain::message::msg;
use diesel::prelude::*;

pub use crate::domain::access::{role_may, Permission, Scope, UnitPlace};
use crate::domain::{Role, UnitLevel};
use crate::error::{ApiError, ApiResult};
use crate::schema::{units, users};

/// The authenticated caller, as the database knows it now.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    /// The city of the home unit (none for an admin without one).
    pub city_id: Option<UnitId>,
    pub scope: Scope,
}

impl Actor {
    /// 403 unless the role may do this at all; what it may see is a separate, per-object check.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if role_may(self.role, permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

type UserAuthRow = (
    String,
    String,
    Option<UnitId>,
    bool,
    i32,
    Option<String>,
    Option<UnitId>,
);

/// The caller as the database knows it now: a deactivated user, or a token issued before a logout
/// or a change of role or unit, is refused here.
pub fn load_actor(conn: &mut crate::db::DbConnection, claims: &tokens::Claims) -> ApiResult<Actor> {
    let user_id = claims.sub;
    let row: Option<UserAuthRow> = users::table
        .left_join(units::table)
        .filter(users::id.eq(user_id))
        .select((
            users::username,
            users::role,
            users::unit_id,
            users::active,
            users::token_version,
            units::level.nullable(),
            units::city_id.nullable(),
        ))
        .first::<UserAuthRow>(conn)
        .optional()?;
    let revoked = || ApiError::unauthorized(msg!("token_revoked"));
    let (username, role, unit_id, active, version, level, city_id) = row.ok_or_else(revoked)?;
    if !active || version != claims.ver {
        return Err(revoked());
    }
    let role = Role::parse(&role).ok_or_else(|| ApiError::internal("unknown role stored"))?;
    let level = level.as_deref().and_then(UnitLevel::parse);
    let scope =
        Scope::of(role, level, unit_id).ok_or_else(|| ApiError::forbidden_because(msg!("no_home_unit")))?;
    Ok(Actor {
        id: user_id,
        username,
        role,
        unit_id,
        city_id,
        scope,
    })
}
