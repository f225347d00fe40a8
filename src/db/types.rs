//! SQL types that are native on PostgreSQL (`uuid`, `timestamptz`, `jsonb`) and stored as text on
//! SQLite, and the Rust types that carry them: `Id`, `Timestamp` and `Json`. The multi-backend of
//! `DbConnection` only knows diesel's portable types, so each type here carries one impl per backend
//! plus the three that route through the multi-backend. The Rust types are local newtypes because
//! diesel's `AsExpression` cannot be implemented for `uuid::Uuid` or `chrono::DateTime` here.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{HasSqlType, SqlType};
use diesel::sqlite::Sqlite;
use diesel::QueryId;
use diesel::{AsExpression, FromSqlRow};
use serde::{Deserialize, Serialize};

use super::MultiBackend;

/// A UUID: `uuid` on PostgreSQL, canonical lowercase text on SQLite (which sorts like the bytes).
#[derive(SqlType, QueryId, Debug, Clone, Copy, Default)]
#[diesel(postgres_type(oid = 2950, array_oid = 2951))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbUuid;

/// An instant in UTC: `timestamptz` on PostgreSQL, fixed-width RFC 3339 text with microseconds on
/// SQLite, so that text order is time order.
#[derive(SqlType, QueryId, Debug, Clone, Copy, Default)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbTimestamp;

/// A JSON document: `jsonb` on PostgreSQL, text on SQLite.
#[derive(SqlType, QueryId, Debug, Clone, Copy, Default)]
#[diesel(postgres_type(oid = 3802, array_oid = 3807))]
#[diesel(sqlite_type(name = "Text"))]
pub struct DbJson;

/// Identifier types: each a UUID (v7 for every row this service creates, so that ordering by id is
/// ordering by creation), `uuid` on PostgreSQL and text on SQLite, and each its own type, so that
/// the id of one kind of row cannot be passed where another's is meant. `Id` is an id of any kind
/// (what the event log names), and every other converts into it.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            AsExpression,
            FromSqlRow,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
        )]
        #[diesel(sql_type = DbUuid)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map($name)
            }
        }

        impl ToSql<DbUuid, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                out.write_all(self.0.as_bytes())?;
                Ok(IsNull::No)
            }
        }

        impl FromSql<DbUuid, Pg> for $name {
            fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                Ok($name(uuid::Uuid::from_slice(value.as_bytes())?))
            }
        }

        impl ToSql<DbUuid, Sqlite> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.0.hyphenated().to_string());
                Ok(IsNull::No)
            }
        }

        impl FromSql<DbUuid, Sqlite> for $name {
            fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
                Ok($name(uuid::Uuid::parse_str(&text)?))
            }
        }

        impl FromSql<DbUuid, MultiBackend> for $name {
            fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                bytes.from_sql::<Self, DbUuid>()
            }
        }

        impl ToSql<DbUuid, MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((DbUuid, self));
                Ok(IsNull::No)
            }
        }
    )*};
}

ids! {
    /// An id of any kind of row.
    Id;
    /// A unit: a city, district or community.
    UnitId;
    /// A port of entry.
    PortId;
    /// A user of the service.
    UserId;
    /// A traveller.
    TravellerId;
    /// A transfer batch.
    BatchId;
    /// A handoff between two units.
    HandoffId;
    /// A vehicle.
    VehicleId;
}

/// Every kind of id is also an id of any kind.
macro_rules! any_id {
    ($($name:ident),*) => {$(
        impl From<$name> for Id {
            fn from(id: $name) -> Id {
                Id(id.0)
            }
        }
    )*};
}

any_id!(UnitId, PortId, UserId, TravellerId, BatchId, HandoffId, VehicleId);

/// An instant, always in UTC, serialized as RFC 3339.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    AsExpression,
    FromSqlRow,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[diesel(sql_type = DbTimestamp)]
#[serde(transparent)]
#[schema(value_type = String, format = DateTime)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(Utc::now())
    }
}

impl std::ops::Add<chrono::Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: chrono::Duration) -> Timestamp {
        Timestamp(self.0 + d)
    }
}

impl std::ops::Sub<chrono::Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: chrono::Duration) -> Timestamp {
        Timestamp(self.0 - d)
    }
}

impl std::ops::Sub<Timestamp> for Timestamp {
    type Output = chrono::Duration;
    fn sub(self, other: Timestamp) -> chrono::Duration {
        self.0 - other.0
    }
}

/// A JSON document.
#[derive(Debug, Clone, PartialEq, AsExpression, FromSqlRow, Serialize, Deserialize, utoipa::ToSchema)]
#[diesel(sql_type = DbJson)]
#[serde(transparent)]
#[schema(value_type = serde_json::Value)]
pub struct Json(pub serde_json::Value);

/// Routes a custom SQL type through the multi-backend to each backend's own.
macro_rules! sql_type_through_multi_backend {
    ($sql:ident) => {
        impl HasSqlType<$sql> for MultiBackend {
            fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
                MultiBackend::lookup_sql_type::<$sql>(lookup)
            }
        }
    };
}

sql_type_through_multi_backend!(DbUuid);

/// Routes a custom SQL type through the multi-backend to the per-backend impls below.
macro_rules! multi_backend_type {
    ($sql:ident, $rust:ty) => {
        sql_type_through_multi_backend!($sql);
        impl FromSql<$sql, MultiBackend> for $rust {
            fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                bytes.from_sql::<Self, $sql>()
            }
        }
        impl ToSql<$sql, MultiBackend> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value(($sql, self));
                Ok(IsNull::No)
            }
        }
    };
}

multi_backend_type!(DbTimestamp, Timestamp);
multi_backend_type!(DbJson, Json);

/// The SQLite text form of an instant. Always the same width, so it compares like the instant.
pub fn sqlite_timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

// --- timestamptz ---

impl ToSql<DbTimestamp, Pg> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<diesel::sql_types::Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<DbTimestamp, Pg> for Timestamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<diesel::sql_types::Timestamptz, Pg>>::from_sql(value).map(Timestamp)
    }
}

impl ToSql<DbTimestamp, Sqlite> for Timestamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_timestamp(&self.0));
        Ok(IsNull::No)
    }
}

impl FromSql<DbTimestamp, Sqlite> for Timestamp {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        Ok(Timestamp(
            DateTime::parse_from_rfc3339(&text)?.with_timezone(&Utc),
        ))
    }
}

// --- jsonb ---

impl ToSql<DbJson, Pg> for Json {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <serde_json::Value as ToSql<diesel::sql_types::Jsonb, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<DbJson, Pg> for Json {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <serde_json::Value as FromSql<diesel::sql_types::Jsonb, Pg>>::from_sql(value).map(Json)
    }
}

impl ToSql<DbJson, Sqlite> for Json {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(&self.0)?);
        Ok(IsNull::No)
    }
}

impl FromSql<DbJson, Sqlite> for Json {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<diesel::sql_types::Text, Sqlite>>::from_sql(value)?;
        Ok(Json(serde_json::from_str(&text)?))
    }
}

/// Stores a closed set of words (a `word_enum`) as text on both backends. Reading a word that is
/// not in the set is an error, never a silently different value.
macro_rules! stored_as_text {
    ($name:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.as_str());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::MultiBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(
                value: <diesel::pg::Pg as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                $crate::db::types::known_word::<Self>(&text, <$name>::parse(&text))
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn from_sql(
                value: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::sqlite::Sqlite,
                >>::from_sql(value)?;
                $crate::db::types::known_word::<Self>(&text, <$name>::parse(&text))
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::MultiBackend> for $name {
            fn from_sql(
                bytes: <$crate::db::MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                bytes.from_sql::<Self, diesel::sql_types::Text>()
            }
        }
    };
}
pub(crate) use stored_as_text;

/// The value of a stored word, or an error naming the type and the word.
pub fn known_word<T>(text: &str, parsed: Option<T>) -> deserialize::Result<T> {
    parsed.ok_or_else(|| {
        format!(
            "unknown {} {text:?} stored",
            std::any::type_name::<T>().rsplit("::").next().unwrap_or("word")
        )
        .into()
    })
}
