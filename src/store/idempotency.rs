//! Stored answers to POSTs made with an `Idempotency-Key`, written in the transaction of the change
//! they answer, so that a retry on any instance replays the answer instead of acting twice.

use crate::db::types::{Json, Timestamp, UserId};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::idempotency_keys;
use crate::store::statements::Statements;

pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: serde_json::Value,
}

/// The answer stored for a user's key, if it may still be replayed: given while the user had the
/// same role and unit (`scope`), and not before `not_before`. A record that may not is removed,
/// so the request runs afresh under the caller's authority of now.
pub fn find(
    conn: &mut DbConnection,
    user_id: UserId,
    key: &str,
    scope: &str,
    not_before: Timestamp,
) -> QueryResult<Option<StoredResponse>> {
    let row = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
            idempotency_keys::scope,
            idempotency_keys::created_at,
        ))
        .first::<(String, i32, Json, String, Timestamp)>(conn)
        .optional()?;
    match row {
        Some((request_hash, status, body, stored_scope, created_at))
            if stored_scope == scope && created_at >= not_before =>
        {
            Ok(Some(StoredResponse {
                request_hash,
                status: status as u16,
                body: body.0,
            }))
        }
        Some(_) => {
            diesel::delete(
                idempotency_keys::table
                    .filter(idempotency_keys::user_id.eq(user_id))
                    .filter(idempotency_keys::key.eq(key)),
            )
            .execute(conn)?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Removes the answers stored before `older_than`; returns how many.
pub fn sweep(conn: &mut DbConnection, older_than: Timestamp) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(older_than))).execute(conn)
}

/// An answer to keep with its key, written with the change it answers (`Tx::remember_answer`).
pub struct StoredAnswer {
    pub user_id: UserId,
    pub key: String,
    pub scope: String,
    pub request_hash: String,
    pub status: u16,
    pub body: serde_json::Value,
}

pub(super) fn store(out: &mut Statements<'_>, answer: StoredAnswer) -> QueryResult<()> {
    out.write(diesel::insert_into(idempotency_keys::table).values((
        idempotency_keys::user_id.eq(answer.user_id),
        idempotency_keys::key.eq(answer.key),
        idempotency_keys::request_hash.eq(answer.request_hash),
        idempotency_keys::status_code.eq(answer.status as i32),
        idempotency_keys::response_body.eq(Json(answer.body)),
        idempotency_keys::created_at.eq(Timestamp::now()),
        idempotency_keys::scope.eq(answer.scope),
    )))
}
