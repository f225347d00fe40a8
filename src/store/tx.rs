//! The unit of work of a state change: the transaction's connection, the statistics deltas the
//! change accumulates, the events it records and the units and users it touched. A change is
//! handed a `Tx` explicitly; `write` commits all of it or drops all of it. The rows whose changes
//! move statistics (travellers, handoffs, vehicles) are written only through the `Tx`, which
//! counts each change: no writer can skip it, and the rows know nothing of the counts.
//!
//! At commit the deltas are netted and written in one statement per table, and then, in a brief
//! step that every writer takes in turn (`db::LOG_LOCK_KEY` on PostgreSQL), the events are
//! chained and appended. Their `seq` is therefore assigned in commit order: a reader who has seen
//! `seq` N has seen every event numbered below N that will ever commit, even when writers of two
//! cities run side by side.

use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};

use diesel::connection::SimpleConnection;

use crate::db::types::Id;
use crate::db::{write_transaction, DbConnection, Lock};
use diesel::QueryResult;

use crate::domain::handoff::HandoffStatus;
use crate::domain::vehicle::VehicleStatus;
use crate::store::counts::{self, Deltas};
use crate::store::events::{self, PendingEvent};
use crate::store::handoffs::{self, Handoff};
use crate::store::travellers::{self, Traveller};
use crate::store::vehicles::{self, Vehicle};

/// A write transaction in progress.
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    /// The statistics the change moves, written at commit.
    pub counts: Deltas,
    events: Vec<PendingEvent>,
    touched: BTreeSet<Id>,
}

impl Deref for Tx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        self.conn
    }
}

impl Tx<'_> {
    /// The connection, for a statement of this transaction.
    pub fn conn(&mut self) -> &mut DbConnection {
        self.conn
    }

    /// Appends an event to the log at commit.
    pub fn record(&mut self, event: PendingEvent) {
        self.events.push(event);
    }

    /// Marks users and units whose cached answers the change makes stale (the units whose
    /// numbers move are marked at commit).
    pub fn touch(&mut self, ids: impl IntoIterator<Item = Id>) {
        self.touched.extend(ids);
    }

    /// Registers a traveller, counted.
    pub fn insert_traveller(&mut self, traveller: &Traveller) -> QueryResult<()> {
        travellers::insert(self.conn, traveller)?;
        counts::traveller_added(&mut self.counts, traveller);
        Ok(())
    }

    /// Registers many travellers at once (a manifest), counted.
    pub fn insert_travellers(&mut self, list: &[Traveller]) -> QueryResult<()> {
        travellers::insert_many(self.conn, list)?;
        for traveller in list {
            counts::traveller_added(&mut self.counts, traveller);
        }
        Ok(())
    }

    /// Writes a traveller changed from `old` (as this transaction read it) to `new`, if nobody
    /// changed it since, and counts the move: false when the row moved on.
    pub fn save_traveller(&mut self, old: &Traveller, new: &Traveller) -> QueryResult<bool> {
        let saved = travellers::save(self.conn, new)?;
        if saved {
            counts::traveller_changed(&mut self.counts, old, new);
        }
        Ok(saved)
    }

    /// Opens a handoff, counted.
    pub fn insert_handoff(&mut self, handoff: &Handoff) -> QueryResult<()> {
        handoffs::insert(self.conn, handoff)?;
        counts::handoff_changed(&mut self.counts, None, handoff);
        Ok(())
    }

    /// Writes a handoff changed from `old_status`, if nobody changed it since (of two concurrent
    /// confirmations, exactly one gets true), and counts the move.
    pub fn save_handoff(&mut self, old_status: HandoffStatus, handoff: &Handoff) -> QueryResult<bool> {
        let saved = handoffs::save(self.conn, handoff)?;
        if saved {
            counts::handoff_changed(&mut self.counts, Some(old_status), handoff);
        }
        Ok(saved)
    }

    /// Registers a vehicle, counted.
    pub fn insert_vehicle(&mut self, vehicle: &Vehicle) -> QueryResult<()> {
        vehicles::insert(self.conn, vehicle)?;
        counts::vehicle_changed(&mut self.counts, None, vehicle);
        Ok(())
    }

    /// Writes a vehicle changed from `old_status`, if nobody changed it since (optimistic lock on
    /// `version`), and counts the move: false when the row moved on.
    pub fn save_vehicle(&mut self, old_status: VehicleStatus, vehicle: &Vehicle) -> QueryResult<bool> {
        let saved = vehicles::update(self.conn, vehicle)?;
        if saved {
            counts::vehicle_changed(&mut self.counts, Some(old_status), vehicle);
        }
        Ok(saved)
    }

    /// Writes what the change accumulated; the caller commits right after.
    fn finish(mut self) -> diesel::QueryResult<BTreeSet<Id>> {
        let counts = std::mem::take(&mut self.counts);
        if !counts.is_empty() {
            let units = counts.flush(self.conn)?;
            self.touched.extend(units);
        }
        if !self.events.is_empty() {
            if let DbConnection::Postgres(pg) = &mut *self.conn {
                // Held until the commit ends: events get their `seq` in commit order. Every
                // instance's reader of the log is told at commit.
                pg.batch_execute(&format!(
                    "SELECT pg_advisory_xact_lock({}), pg_notify('{}', '{}')",
                    crate::db::LOG_LOCK_KEY,
                    crate::db::CHANNEL,
                    crate::db::EVENTS_APPENDED,
                ))?;
            }
            events::append(self.conn, std::mem::take(&mut self.events))?;
        }
        Ok(self.touched)
    }
}

/// What a committed write leaves: its value and the ids whose cached answers it made stale.
pub struct Committed<T> {
    pub value: T,
    pub touched: BTreeSet<Id>,
}

impl<T> Committed<T> {
    /// A value from a transaction that changed nothing.
    pub fn nothing(value: T) -> Self {
        Committed {
            value,
            touched: BTreeSet::new(),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Committed<U> {
        Committed {
            value: f(self.value),
            touched: self.touched,
        }
    }
}

/// Runs a state change in one write transaction under `lock` (see `db::Lock`), with its
/// statistics and events written at commit. An error drops all of it.
pub fn write<T, E>(
    conn: &mut DbConnection,
    lock: Lock,
    change: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<Committed<T>, E>
where
    E: From<diesel::result::Error>,
{
    write_transaction(conn, lock, |conn| {
        let mut tx = Tx {
            conn,
            counts: Deltas::default(),
            events: Vec::new(),
            touched: BTreeSet::new(),
        };
        let value = change(&mut tx)?;
        let touched = tx.finish()?;
        Ok(Committed { value, touched })
    })
}
