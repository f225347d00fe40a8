//! How a unit of work sends its writes. On SQLite, in process, each write runs as it is given. On
//! PostgreSQL, where every statement is a round trip, the writes gather and go as the parts of one
//! statement: each a data-modifying `WITH` query, all under one snapshot (PostgreSQL's "WITH
//! Queries", 7.8.4). Committing a change then costs that statement, the append of its events
//! (`store::events::Appending`) and the COMMIT.
//!
//! The parts of one statement see the database as it was before the statement and run in no
//! defined order, so the unit of work gives each row at most one write (`store::pending`
//! merges an insert and its later saves, or two saves, into one). Foreign keys are checked at the
//! end of the statement, after every part.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error};
use diesel::sql_types::{Array, BigInt};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl, SqliteConnection};

use crate::db::DbConnection;

/// The answer when a versioned write finds the row changed since this transaction read it: a
/// serialization failure naming the table (`ApiError` answers 409 `changed_concurrently`).
pub fn moved_on(table: &'static str) -> Error {
    Error::DatabaseError(DatabaseErrorKind::SerializationFailure, Box::new(MovedOn(table)))
}

/// The row of `table` another request changed (see `moved_on`).
#[derive(Debug)]
struct MovedOn(&'static str);

impl DatabaseErrorInformation for MovedOn {
    fn message(&self) -> &str {
        "the row was changed by another transaction since it was read"
    }
    fn details(&self) -> Option<&str> {
        None
    }
    fn hint(&self) -> Option<&str> {
        None
    }
    fn table_name(&self) -> Option<&str> {
        Some(self.0)
    }
    fn column_name(&self) -> Option<&str> {
        Some("version")
    }
    fn constraint_name(&self) -> Option<&str> {
        None
    }
    fn statement_position(&self) -> Option<i32> {
        None
    }
}

/// One write, as PostgreSQL receives it inside the statement.
type Part = Box<dyn QueryFragment<Pg> + Send>;

/// The writes of one step of a unit of work, sent on `send`.
pub struct Statements<'c> {
    conn: &'c mut DbConnection,
    /// Writes gathered for PostgreSQL, each with the table whose row it must find (a versioned
    /// write), if any.
    parts: Vec<(Part, Option<&'static str>)>,
}

impl<'c> Statements<'c> {
    pub fn new(conn: &'c mut DbConnection) -> Self {
        Statements {
            conn,
            parts: Vec::new(),
        }
    }

    /// A write that changes any number of rows.
    pub fn write<Q>(&mut self, query: Q) -> QueryResult<()>
    where
        Q: QueryFragment<Pg> + ExecuteDsl<SqliteConnection, Sqlite> + Send + 'static,
    {
        self.push(query, None)
    }

    /// A write of one row whose version it names: `moved_on(table)` when the row is not as read.
    pub fn versioned<Q>(&mut self, table: &'static str, query: Q) -> QueryResult<()>
    where
        Q: QueryFragment<Pg> + ExecuteDsl<SqliteConnection, Sqlite> + Send + 'static,
    {
        self.push(query, Some(table))
    }

    fn push<Q>(&mut self, query: Q, versioned: Option<&'static str>) -> QueryResult<()>
    where
        Q: QueryFragment<Pg> + ExecuteDsl<SqliteConnection, Sqlite> + Send + 'static,
    {
        match &mut *self.conn {
            DbConnection::Sqlite(lite) => {
                let changed = ExecuteDsl::<SqliteConnection, Sqlite>::execute(query, lite)?;
                match versioned {
                    Some(table) if changed != 1 => Err(moved_on(table)),
                    _ => Ok(()),
                }
            }
            DbConnection::Postgres(_) => {
                self.parts.push((Box::new(query), versioned));
                Ok(())
            }
        }
    }

    /// Sends what was gathered (on PostgreSQL; SQLite ran each write as it came).
    pub fn send(self) -> QueryResult<()> {
        let DbConnection::Postgres(pg) = self.conn else {
            return Ok(());
        };
        if self.parts.is_empty() {
            return Ok(());
        }
        let tables: Vec<Option<&'static str>> = self.parts.iter().map(|(_, t)| *t).collect();
        let statement = OneStatement {
            parts: self
                .parts
                .into_iter()
                .map(|(part, t)| (part, t.is_some()))
                .collect(),
        };
        let found: Vec<i64> = statement.get_result(pg)?;
        let versioned = tables.into_iter().flatten();
        for (table, rows) in versioned.zip(found) {
            if rows != 1 {
                return Err(moved_on(table));
            }
        }
        Ok(())
    }
}

/// Every gathered write as a part of one statement, answering how many rows each versioned write
/// found: `WITH w0 AS (INSERT …), w1 AS (UPDATE … RETURNING 1) SELECT ARRAY[(SELECT count(*) FROM w1)]`.
struct OneStatement {
    parts: Vec<(Part, bool)>,
}

impl QueryId for OneStatement {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for OneStatement {
    type SqlType = Array<BigInt>;
}

impl RunQueryDsl<diesel::PgConnection> for OneStatement {}

impl QueryFragment<Pg> for OneStatement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The text changes with the writes: not a statement worth preparing and keeping.
        out.unsafe_to_cache_prepared();
        for (n, (part, versioned)) in self.parts.iter().enumerate() {
            out.push_sql(if n == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{n} AS ("));
            part.walk_ast(out.reborrow())?;
            if *versioned {
                out.push_sql(" RETURNING 1");
            }
            out.push_sql(")");
        }
        out.push_sql(" SELECT ARRAY[");
        let mut first = true;
        for (n, (_, versioned)) in self.parts.iter().enumerate() {
            if *versioned {
                if !first {
                    out.push_sql(", ");
                }
                first = false;
                out.push_sql(&format!("(SELECT count(*) FROM w{n})"));
            }
        }
        out.push_sql("]::bigint[]");
        Ok(())
    }
}
