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
        hotline -> Nullable<Text>,
        address -> Nullable<Text>,
        name_en -> Nullable<Text>,
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
        address -> Text,
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
        prev_hash -> Text,
        hash -> Text,
        chain_seq -> BigInt,
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
        scope -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    batches (id) {
        id -> DbUuid,
        code -> Text,
        port_id -> DbUuid,
        city_id -> DbUuid,
        vehicle_id -> Nullable<DbUuid>,
        status -> Text,
        scheduled_departure_at -> Nullable<DbTimestamp>,
        departed_at -> Nullable<DbTimestamp>,
        arrived_at -> Nullable<DbTimestamp>,
        closed_at -> Nullable<DbTimestamp>,
        cancelled_at -> Nullable<DbTimestamp>,
        cancel_reason -> Nullable<Text>,
        created_by -> DbUuid,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
        version -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    crew_members (id) {
        id -> DbUuid,
        batch_id -> DbUuid,
        name -> Text,
        phone -> Nullable<Text>,
        role -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbJson, DbTimestamp, DbUuid};

    travellers (id) {
        id -> DbUuid,
        full_name -> Text,
        document_type -> Text,
        document_no -> Text,
        nationality -> Text,
        phone -> Nullable<Text>,
        flight_no -> Nullable<Text>,
        port_id -> DbUuid,
        arrived_at -> DbTimestamp,
        destination_city_id -> DbUuid,
        destination_district_id -> DbUuid,
        destination_community_id -> Nullable<DbUuid>,
        address -> Nullable<Text>,
        language -> Nullable<Text>,
        notes -> Nullable<Text>,
        status -> Text,
        custodian_unit_id -> DbUuid,
        batch_id -> Nullable<DbUuid>,
        handoff_id -> Nullable<DbUuid>,
        missing -> Bool,
        exception_kind -> Nullable<Text>,
        exception_reason -> Nullable<Text>,
        exception_facility -> Nullable<Text>,
        exception_at -> Nullable<DbTimestamp>,
        exception_by -> Nullable<DbUuid>,
        registered_by -> DbUuid,
        created_at -> DbTimestamp,
        updated_at -> DbTimestamp,
        version -> Integer,
        origin_district_id -> Nullable<DbUuid>,
        origin_community_id -> Nullable<DbUuid>,
        received_at -> Nullable<DbTimestamp>,
        erased_at -> Nullable<DbTimestamp>,
        exception_message -> Nullable<DbJson>,
        missing_since -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    batch_travellers (batch_id, traveller_id) {
        batch_id -> DbUuid,
        traveller_id -> DbUuid,
        boarded -> Nullable<Bool>,
        removed -> Bool,
        district_id -> Nullable<DbUuid>,
        community_id -> Nullable<DbUuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    stat_totals (unit_id, metric) {
        unit_id -> DbUuid,
        metric -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    stat_daily (unit_id, day, metric) {
        unit_id -> DbUuid,
        day -> Text,
        metric -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    handoffs (id) {
        id -> DbUuid,
        batch_id -> Nullable<DbUuid>,
        from_unit_id -> DbUuid,
        to_unit_id -> DbUuid,
        city_id -> DbUuid,
        district_id -> DbUuid,
        community_id -> Nullable<DbUuid>,
        status -> Text,
        code -> Text,
        failed_attempts -> Integer,
        locked -> Bool,
        created_by -> DbUuid,
        created_at -> DbTimestamp,
        due_at -> DbTimestamp,
        confirmed_at -> Nullable<DbTimestamp>,
        confirmed_by -> Nullable<DbUuid>,
        rejected_at -> Nullable<DbTimestamp>,
        rejected_by -> Nullable<DbUuid>,
        reason -> Nullable<Text>,
        note -> Nullable<Text>,
        version -> Integer,
        locked_at -> Nullable<DbTimestamp>,
        replaces -> Nullable<DbUuid>,
        replaced_by -> Nullable<DbUuid>,
        recorded_at -> Nullable<DbTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::DbUuid;

    handoff_travellers (handoff_id, traveller_id) {
        handoff_id -> DbUuid,
        traveller_id -> DbUuid,
        outcome -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{DbTimestamp, DbUuid};

    disinfections (id) {
        id -> DbUuid,
        vehicle_id -> DbUuid,
        batch_id -> Nullable<DbUuid>,
        note -> Nullable<Text>,
        performed_by -> DbUuid,
        performed_at -> DbTimestamp,
    }
}

diesel::joinable!(users -> units (unit_id));
diesel::joinable!(vehicles -> units (unit_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(crew_members -> batches (batch_id));
diesel::joinable!(batch_travellers -> batches (batch_id));
diesel::joinable!(batch_travellers -> travellers (traveller_id));
diesel::joinable!(handoff_travellers -> handoffs (handoff_id));
diesel::joinable!(handoff_travellers -> travellers (traveller_id));

diesel::allow_tables_to_appear_in_same_query!(
    units,
    ports,
    users,
    refresh_tokens,
    login_failures,
    vehicles,
    events,
    idempotency_keys,
    batches,
    crew_members,
    travellers,
    batch_travellers,
    handoffs,
    handoff_travellers,
    disinfections,
    stat_totals,
    stat_daily,
);
