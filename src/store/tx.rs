//! The unit of work of a state change: the transaction's connection, the statistics deltas the
//! change accumulates, the events it records and the units and users it touched. A change is
//! handed a `Tx` explicitly; `write` commits all of it or drops all of it. The rows whose changes
//! move statistics (travellers, handoffs, vehicles) are written only through the `Tx`, which
//! counts each change: no writer can skip it, and the rows know nothing of the counts.
//!
//! The rows are held until the change next reads (`Tx::conn`) or commits, and then sent together
//! (`store::statements`: one statement on PostgreSQL). At commit the deltas are netted and go with
//! the last rows, and then, in a brief step that every writer takes in turn (`db::LOG_LOCK_KEY` on
//! PostgreSQL), the events are chained and appended. Their `seq` is therefore assigned in commit
//! order: a reader who has seen `seq` N has seen every event numbered below N that will ever
//! commit, even when writers of two cities run side by side.

use std::collections::BTreeSet;

use diesel::QueryResult;

use crate::db::types::{HandoffId, Id, TravellerId, UserId};
use crate::db::{write_transaction, DbConnection, Lock};
use crate::domain::handoff::{HandoffOutcome, HandoffStatus};
use crate::domain::vehicle::VehicleStatus;
use crate::store::counts::{self, Deltas};
use crate::store::events::{self, EventPlace, PendingEvent};
use crate::store::handoffs::{Handoff, HandoffTraveller};
use crate::store::idempotency::StoredAnswer;
use crate::store::pending::Pending;
use crate::store::statements::Statements;
use crate::store::travellers::{self, Traveller};
use crate::store::vehicles::Vehicle;

/// A write transaction in progress.
pub struct Tx<'c> {
    conn: &'c mut DbConnection,
    /// The statistics the change moves, written at commit.
    pub counts: Deltas,
    events: Vec<PendingEvent>,
    touched: BTreeSet<Id>,
    /// Rows written but not sent yet: they go before the next statement that reads, or at commit.
    pending: Pending,
}

impl Tx<'_> {
    /// The connection, for a statement of this transaction: the writes held so far are sent first,
    /// so that what it reads includes them.
    pub fn conn(&mut self) -> QueryResult<&mut DbConnection> {
        if !self.pending.is_empty() {
            let mut out = Statements::new(self.conn);
            std::mem::take(&mut self.pending).write(&mut out)?;
            out.send()?;
        }
        Ok(self.conn)
    }

    /// Sends the writes held once there are many, before taking more.
    fn hold(&mut self) -> QueryResult<()> {
        if self.pending.full() {
            self.conn()?;
        }
        Ok(())
    }

    /// Records one event of this change: it is chained and appended to the log at commit, with
    /// the change's rows and numbers.
    pub fn event(
        &mut self,
        actor_id: Option<UserId>,
        action: &str,
        entity_type: &str,
        entity_id: impl Into<Id>,
        place: EventPlace,
        data: serde_json::Value,
    ) {
        self.events.push(PendingEvent {
            actor_id,
            action: action.to_owned(),
            entity_type: entity_type.to_owned(),
            entity_id: entity_id.into(),
            place,
            data,
        });
    }

    /// Notes rows (units whose numbers, users whose records) other instances' memories must forget.
    pub fn touch<I: Into<Id>>(&mut self, ids: impl IntoIterator<Item = I>) {
        self.touched.extend(ids.into_iter().map(Into::into));
    }

    /// Registers a traveller, counted.
    pub fn insert_traveller(&mut self, traveller: &Traveller) -> QueryResult<()> {
        self.hold()?;
        counts::traveller_added(&mut self.counts, traveller);
        self.pending.insert_traveller(traveller.clone());
        Ok(())
    }

    /// Registers many travellers at once (a manifest), counted: written at once, in bulk.
    pub fn insert_travellers(&mut self, list: &[Traveller]) -> QueryResult<()> {
        travellers::insert_many(self.conn()?, list)?;
        for traveller in list {
            counts::traveller_added(&mut self.counts, traveller);
        }
        Ok(())
    }

    /// Writes a traveller changed from `old` (as this transaction read it) to `new`, and counts
    /// the move. If another request changed it since, the transaction fails with
    /// `statements::moved_on` when the write is sent.
    pub fn save_traveller(&mut self, old: &Traveller, new: &Traveller) -> QueryResult<()> {
        self.hold()?;
        counts::traveller_changed(&mut self.counts, old, new);
        let mut row = new.clone();
        row.version = old.version + 1;
        self.pending.save_traveller(old.version, row);
        Ok(())
    }

    /// Opens a handoff, counted.
    pub fn insert_handoff(&mut self, handoff: &Handoff) -> QueryResult<()> {
        self.hold()?;
        counts::handoff_changed(&mut self.counts, None, handoff);
        self.pending.insert_handoff(handoff.clone());
        Ok(())
    }

    /// Writes a handoff changed from `old_status` (at the version it carries, as read), and
    /// counts the move. Of two concurrent confirmations, the second fails with
    /// `statements::moved_on`.
    pub fn save_handoff(&mut self, old_status: HandoffStatus, handoff: &Handoff) -> QueryResult<()> {
        self.hold()?;
        counts::handoff_changed(&mut self.counts, Some(old_status), handoff);
        let mut row = handoff.clone();
        row.version = handoff.version + 1;
        self.pending.save_handoff(handoff.version, row);
        Ok(())
    }

    /// Offers a traveller in a handoff.
    pub fn offer(&mut self, handoff_id: HandoffId, traveller_id: TravellerId) -> QueryResult<()> {
        self.hold()?;
        self.pending.offer(HandoffTraveller {
            handoff_id,
            traveller_id,
            outcome: HandoffOutcome::Pending,
        });
        Ok(())
    }

    /// Records what became of a traveller offered in a handoff.
    pub fn set_outcome(
        &mut self,
        handoff_id: HandoffId,
        traveller_id: TravellerId,
        outcome: HandoffOutcome,
    ) -> QueryResult<()> {
        self.hold()?;
        self.pending.set_outcome(handoff_id, traveller_id, outcome);
        Ok(())
    }

    /// Registers a vehicle, counted.
    pub fn insert_vehicle(&mut self, vehicle: &Vehicle) -> QueryResult<()> {
        self.hold()?;
        counts::vehicle_changed(&mut self.counts, None, vehicle);
        self.pending.insert_vehicle(vehicle.clone());
        Ok(())
    }

    /// Writes a vehicle changed from `old_status` (at the version it carries, as read), and counts
    /// the move; `statements::moved_on` if another request changed it since.
    pub fn save_vehicle(&mut self, old_status: VehicleStatus, vehicle: &Vehicle) -> QueryResult<()> {
        self.hold()?;
        counts::vehicle_changed(&mut self.counts, Some(old_status), vehicle);
        let mut row = vehicle.clone();
        row.version = vehicle.version + 1;
        self.pending.save_vehicle(vehicle.version, row);
        Ok(())
    }

    /// Keeps the answer to a request made with an `Idempotency-Key`, written with the change.
    pub fn remember_answer(&mut self, answer: StoredAnswer) {
        self.pending.remember_answer(answer);
    }

    /// Writes what the change accumulated; the caller commits right after. On PostgreSQL that is
    /// two statements: every row held, then the statistics and the events after the log's lock
    /// (`append_events`), so that the rows of the numbers, which every change of a city moves, are
    /// held from that statement to the commit only.
    fn finish(mut self) -> QueryResult<BTreeSet<Id>> {
        let on_sqlite = matches!(self.conn, DbConnection::Sqlite(_));
        let mut out = Statements::new(self.conn);
        std::mem::take(&mut self.pending).write(&mut out)?;
        let counts = std::mem::take(&mut self.counts);
        let events = std::mem::take(&mut self.events);
        if events.is_empty() || on_sqlite {
            if !counts.is_empty() {
                self.touched
                    .extend(counts.write(&mut out)?.into_iter().map(Id::from));
            }
            out.send()?;
            if !events.is_empty() {
                events::append(self.conn, events, Default::default())?;
            }
        } else {
            out.send()?;
            let netted = counts.netted();
            self.touched.extend(netted.touched.into_iter().map(Id::from));
            events::append(self.conn, events, (netted.totals, netted.daily))?;
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
            pending: Pending::default(),
        };
        let value = change(&mut tx)?;
        let touched = tx.finish()?;
        Ok(Committed { value, touched })
    })
}
