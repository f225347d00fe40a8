//! Sessions: a refresh token exchanged for a new pair, once. A second use of one token ends every
//! session of the account (it was stolen or leaked); a retry of the same exchange, after an answer
//! lost on the way, gets the same pair back, kept sealed under a key only the old token opens.

use chrono::Duration;

use crate::auth::tokens::{new_refresh_token, open_answer, refresh_token_digest, seal_answer};
use crate::db::types::{Timestamp, UserId};
use crate::db::DbConnection;
use crate::error::{ApiError, ApiResult};
use crate::store::events::EventPlace;
use crate::store::users::{self, LoginGate, LoginLimits, User};
use crate::store::{idempotency, Tx};

/// Counts an attempt to prove a password (a sign-in, a change of one's own password) as a failure
/// before the password is checked, in the transaction that reads the limits, so that parallel
/// attempts cannot get past them: 429 while the username or the address is locked. Returns what
/// `find` reads in the same transaction.
pub fn begin_attempt<T>(
    tx: &mut Tx<'_>,
    username: &str,
    address: &str,
    limits: &LoginLimits,
    find: impl FnOnce(&mut DbConnection) -> ApiResult<T>,
) -> ApiResult<T> {
    match users::begin_login_attempt(tx.conn()?, username, address, limits)? {
        LoginGate::Closed { retry_after_secs } => Err(ApiError::rate_limited(retry_after_secs)),
        LoginGate::Open => find(tx.conn()?),
    }
}

/// Starts a session of a user whose password was right: forgets the attempt's failure, stores a
/// new refresh token (as its digest) valid for `refresh_ttl_secs`, and records the sign-in.
/// Returns the refresh token, which is kept nowhere else.
pub fn sign_in(tx: &mut Tx<'_>, user: &User, address: &str, refresh_ttl_secs: u64) -> ApiResult<String> {
    users::clear_failures(tx.conn()?, &user.username, address)?;
    let token = open_session(tx, user, refresh_ttl_secs)?;
    let place = users::place_of(tx.conn()?, user)?;
    tx.event(
        Some(user.id),
        "auth.login",
        "user",
        user.id,
        place,
        serde_json::json!({}),
    );
    Ok(token)
}

/// Stores a new refresh token of the user, as its digest, and returns the token.
pub fn open_session(tx: &mut Tx<'_>, user: &User, refresh_ttl_secs: u64) -> ApiResult<String> {
    let token = new_refresh_token();
    users::insert_refresh_token(
        tx.conn()?,
        user.id,
        &refresh_token_digest(&token),
        refresh_ttl_secs,
    )?;
    Ok(token)
}

/// Ends every session of the user, and records it.
pub fn sign_out(tx: &mut Tx<'_>, user_id: UserId) -> ApiResult<()> {
    users::end_sessions(tx, user_id)?;
    let place = match users::find(tx.conn()?, user_id)? {
        Some(user) => users::place_of(tx.conn()?, &user)?,
        None => EventPlace::default(),
    };
    tx.event(
        Some(user_id),
        "auth.logout",
        "user",
        user_id,
        place,
        serde_json::json!({}),
    );
    Ok(())
}

/// A user's change of their own password, once the current one was proved: forgets the attempt's
/// failure, stores the new hash and ends every session.
pub fn change_own_password(tx: &mut Tx<'_>, user: &User, hash: &str, address: &str) -> ApiResult<()> {
    users::clear_failures(tx.conn()?, &user.username, address)?;
    Ok(users::set_password(tx, user, hash, Some(user.id))?)
}

/// How long the answer to a refresh stays ready for a retry of it.
const REFRESH_REPLAY_SECS: i64 = 300;

/// What the stored answer of a refresh is filed under.
const REFRESH_SCOPE: &str = "refresh";

/// How an exchange of a refresh token ended.
pub enum RefreshOutcome {
    /// The new pair, as JSON.
    Issued(Vec<u8>),
    /// The answer to this request when it was first made (its `Idempotency-Key`): the retry of a
    /// refresh whose answer was lost on the way.
    Replayed(Vec<u8>),
    /// The key came with another request first (the token is left unused).
    KeyReused,
    /// A refresh token presented a second time: it was stolen or leaked, so the whole family of
    /// the user's refresh tokens was revoked.
    Reused,
    Invalid,
}

/// Exchanges the presented refresh token: `issue` writes the new pair and answers it as JSON.
/// `print` is the request's fingerprint (of the token's digest, never of the token).
pub fn refresh(
    tx: &mut Tx<'_>,
    presented: &str,
    key: Option<&str>,
    print: &str,
    issue: impl FnOnce(&mut Tx<'_>, &User) -> ApiResult<Vec<u8>>,
) -> ApiResult<RefreshOutcome> {
    let digest = refresh_token_digest(presented);
    let Some(token) = users::find_refresh_token(tx.conn()?, &digest)? else {
        return Ok(RefreshOutcome::Invalid);
    };
    // An expired token is only refused: presenting it again is no sign of theft.
    if token.revoked_at.is_some() || token.expires_at <= Timestamp::now() {
        return Ok(RefreshOutcome::Invalid);
    }
    let not_before = Timestamp::now() - Duration::seconds(REFRESH_REPLAY_SECS);
    let stored = |tx: &mut Tx<'_>| match key {
        Some(key) => idempotency::find(tx.conn()?, token.user_id, key, REFRESH_SCOPE, not_before),
        None => Ok(None),
    };
    if token.used_at.is_none() && stored(tx)?.is_some_and(|s| s.request_hash != print) {
        return Ok(RefreshOutcome::KeyReused);
    }
    if token.used_at.is_some() || !users::use_refresh_token(tx.conn()?, token.id)? {
        // Read after the token's row: a first attempt still under way has committed.
        if let Some(first) = stored(tx)?.filter(|s| s.request_hash == print) {
            let answer = first.body["sealed"]
                .as_str()
                .and_then(|sealed| open_answer(presented, sealed))
                .ok_or_else(|| ApiError::internal("a stored refresh answer does not open"))?;
            return Ok(RefreshOutcome::Replayed(answer));
        }
        // Anything else is a second use: the token was stolen or leaked.
        users::end_sessions(tx, token.user_id)?;
        let user = users::find(tx.conn()?, token.user_id)?;
        let place = match &user {
            Some(u) => users::place_of(tx.conn()?, u)?,
            None => EventPlace::default(),
        };
        tx.event(
            Some(token.user_id),
            "auth.refresh_token_reused",
            "user",
            token.user_id,
            place,
            serde_json::json!({"ended": "every session"}),
        );
        return Ok(RefreshOutcome::Reused);
    }
    let Some(user) = users::find(tx.conn()?, token.user_id)?.filter(|u| u.active) else {
        return Ok(RefreshOutcome::Invalid);
    };
    let answer = issue(tx, &user)?;
    if let Some(key) = key {
        let sealed = serde_json::json!({ "sealed": seal_answer(presented, &answer) });
        tx.remember_answer(idempotency::StoredAnswer {
            user_id: user.id,
            key: key.to_owned(),
            scope: REFRESH_SCOPE.to_owned(),
            request_hash: print.to_owned(),
            status: 200,
            body: sealed,
        });
    }
    Ok(RefreshOutcome::Issued(answer))
}
