//! Table definitions, written by hand: the custom SQL types in `db::types` map to native PostgreSQL
//! types and to text on SQLite, so `diesel print-schema` cannot produce this file.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    units (id) {
        id -> DbUuid,
        name -> Text,
        code -> Text,
        level -> Text,
        parent_id -> Nullable<DbUuid>,
        city_id -> DbUuid,
        district_id -> Nullable<DbUuid>,
        created_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    ports (id) {
        id -> DbUuid,
        code -> Text,
        name -> Text,
        kind -> Text,
        city_name -> Text,
        created_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    users (id) {
        id -> DbUuid,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        unit_id -> Nullable<DbUuid>,
        active -> Bool,
        token_version -> Integer,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    refresh_tokens (id) {
        id -> DbUuid,
        user_id -> DbUuid,
        token_hash -> Text,
        created_at -> DbTimestamp,
        expires_at -> DbTimestamp,
        used_at -> Nullable<DbTimestamp>,
        revoked_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    login_failures (id) {
        id -> DbUuid,
        username -> Text,
        at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    vehicles (id) {
        id -> DbUuid,
        plate -> Text,
        kind -> Text,
        seats -> Integer,
        unit_id -> DbUuid,
        status -> Text,
        out_of_service -> Bool,
        version -> Integer,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbJson, DbTimestamp, DbUuid};

    events (seq) {
        seq -> BigInt,
        id -> DbUuid,
        at -> DbTimestamp,
        actor_id -> Nullable<DbUuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> DbUuid,
        city_id -> Nullable<DbUuid>,
        district_id -> Nullable<DbUuid>,
        community_id -> Nullable<DbUuid>,
        data -> DbJson,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbJson, DbTimestamp, DbUuid};

    idempotency_keys (user_id, key) {
        user_id -> DbUuid,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> DbJson,
        created_at -> DbTimestamp,
    }
}

diesel::joinable!(users -> units (unit_id));
diesel::joinable!(vehicles -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    ports,
    users,
    refresh_tokens,
    login_failures,
    vehicles,
    events,
    idempotency_keys,
);
