//! Stored answers to POSTs made with an `Idempotency-Key`, written in the transaction of the change
//! they answer, so that a retry on any instance replays the answer instead of acting twice.

use crate::db::types::Id;
use crate::db::types::{Json, Timestamp};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::idempotency_keys;

pub struct StoredResponse {
    pub request_hash: String,
    pub status: u16,
    pub body: serde_json::Value,
}

pub fn find(conn: &mut DbConnection, user_id: Id, key: &str) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .first::<(String, i32, Json)>(conn)
        .optional()
        .map(|row| {
            row.map(|(request_hash, status, body)| StoredResponse {
                request_hash,
                status: status as u16,
                body: body.0,
            })
        })
}

pub fn store(
    conn: &mut DbConnection,
    user_id: Id,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::status_code.eq(status as i32),
            idempotency_keys::response_body.eq(Json(body.clone())),
            idempotency_keys::created_at.eq(Timestamp::now()),
        ))
        .execute(conn)
        .map(|_| ())
}
