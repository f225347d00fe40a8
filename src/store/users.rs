//! User accounts, refresh tokens and the login failure counter.

use chrono::Duration;

use crate::db::types::Timestamp;
use crate::db::types::{Id, UnitId, UserId};
use diesel::prelude::*;

use super::events::EventPlace;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::schema::{login_failures, refresh_tokens, users};
use crate::store::Tx;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub active: bool,
    pub token_version: i32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The users of these ids that exist, in one query.
pub fn by_ids(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::id.eq_any(ids.to_vec()))
        .select(User::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub struct UserFilter {
    pub role: Option<Role>,
    pub unit_id: Option<UnitId>,
    pub after: Option<Id>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConnection, filter: &UserFilter) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id.asc())
        .limit(filter.limit + 1)
        .into_boxed();
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(*role));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(users::unit_id.eq(unit));
    }
    if let Some(after) = filter.after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn)
}

pub fn username_taken(conn: &mut DbConnection, username: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::username.eq(username)),
    ))
    .get_result(conn)
}

pub fn insert(conn: &mut DbConnection, user: &User) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .map(|_| ())
}

pub fn update(tx: &mut Tx<'_>, user: &User) -> QueryResult<()> {
    tx.touch([user.id]);
    diesel::update(users::table.find(user.id))
        .set((
            users::display_name.eq(&user.display_name),
            users::role.eq(&user.role),
            users::unit_id.eq(user.unit_id),
            users::active.eq(user.active),
            users::token_version.eq(user.token_version),
            users::updated_at.eq(user.updated_at),
        ))
        .execute(tx.conn()?)
        .map(|_| ())
}

/// Ends every session of a user: access tokens by moving the token version on, refresh tokens by
/// revoking them.
pub fn end_sessions(tx: &mut Tx<'_>, user_id: UserId) -> QueryResult<()> {
    let now = Timestamp::now();
    tx.touch([user_id]);
    diesel::update(users::table.find(user_id))
        .set((
            users::token_version.eq(users::token_version + 1),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn()?)?;
    revoke_refresh_tokens(tx.conn()?, user_id)
}

pub fn revoke_refresh_tokens(conn: &mut DbConnection, user_id: UserId) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(Timestamp::now())))
    .execute(conn)
    .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub id: Id,
    pub user_id: UserId,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

pub fn insert_refresh_token(
    conn: &mut DbConnection,
    user_id: UserId,
    digest: &str,
    ttl_secs: u64,
) -> QueryResult<()> {
    let now = Timestamp::now();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(super::new_id()),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(digest),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(now + Duration::seconds(ttl_secs as i64)),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_refresh_token(conn: &mut DbConnection, digest: &str) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Marks a refresh token used, if nobody else did first: true when this call won.
pub fn use_refresh_token(conn: &mut DbConnection, id: Id) -> QueryResult<bool> {
    let changed = diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::id.eq(id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(Some(Timestamp::now())))
    .execute(conn)?;
    Ok(changed == 1)
}

/// How many failed logins one window may hold: per username and client address, per address
/// (whatever the usernames), and per username (whatever the addresses).
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_username_and_address: u32,
    pub per_address: u32,
    pub per_username: u32,
    pub window: Duration,
}

/// Whether a login may be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    /// The attempt is counted as a failure until `clear_failures` forgets it.
    Open,
    /// A limit is reached; the oldest failure that counts leaves the window in this many seconds.
    Closed { retry_after_secs: u64 },
}

/// Counts a login attempt as a failure before its password is checked, unless a limit is already
/// reached. Run in a write transaction: attempts are counted one at a time, so however many arrive
/// at once, no more than the limits allow are ever evaluated. Failures that left the window are
/// removed as a side effect.
pub fn begin_login_attempt(
    conn: &mut DbConnection,
    username: &str,
    address: &str,
    limits: &LoginLimits,
) -> QueryResult<LoginGate> {
    let now = Timestamp::now();
    prune_failures(conn, now - limits.window)?;
    let checks = [
        (
            login_failures::table
                .filter(login_failures::username.eq(username))
                .filter(login_failures::address.eq(address))
                .into_boxed(),
            limits.per_username_and_address,
        ),
        (
            login_failures::table
                .filter(login_failures::address.eq(address))
                .into_boxed(),
            limits.per_address,
        ),
        (
            login_failures::table
                .filter(login_failures::username.eq(username))
                .into_boxed(),
            limits.per_username,
        ),
    ];
    for (failures, limit) in checks {
        // Only the count up to the limit matters, so at most `limit` rows are read.
        let recent: Vec<Timestamp> = failures
            .select(login_failures::at)
            .order(login_failures::at.desc())
            .limit(i64::from(limit))
            .load(conn)?;
        if recent.len() >= limit as usize {
            let oldest = recent.last().copied().unwrap_or(now);
            let retry = (oldest + limits.window - now).num_seconds().max(1);
            return Ok(LoginGate::Closed {
                retry_after_secs: retry as u64,
            });
        }
    }
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::id.eq(super::new_id()),
            login_failures::username.eq(username),
            login_failures::address.eq(address),
            login_failures::at.eq(now),
        ))
        .execute(conn)?;
    Ok(LoginGate::Open)
}

/// Removes the failures recorded at or before `since`; returns how many.
pub fn prune_failures(conn: &mut DbConnection, since: Timestamp) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::at.le(since))).execute(conn)
}

/// Forgets the failures of a username from one address, after the right password came from it.
/// Failures from other addresses still count against those addresses.
pub fn clear_failures(conn: &mut DbConnection, username: &str, address: &str) -> QueryResult<()> {
    diesel::delete(
        login_failures::table
            .filter(login_failures::username.eq(username))
            .filter(login_failures::address.eq(address)),
    )
    .execute(conn)
    .map(|_| ())
}

/// Where a user's events belong: its home unit's place (none for an admin).
pub fn place_of(conn: &mut DbConnection, user: &User) -> QueryResult<EventPlace> {
    super::units::event_place(conn, user.unit_id)
}

/// Replaces a user's password hash, ends every session of the user and records who did it.
pub fn set_password(conn: &mut Tx<'_>, user: &User, hash: &str, actor_id: Option<UserId>) -> QueryResult<()> {
    diesel::update(users::table.find(user.id))
        .set(users::password_hash.eq(hash))
        .execute(conn.conn()?)?;
    end_sessions(conn, user.id)?;
    let place = place_of(conn.conn()?, user)?;
    conn.event(
        actor_id,
        "user.password_changed",
        "user",
        user.id,
        place,
        serde_json::json!({"sessions": "ended"}),
    );
    Ok(())
}
