//! The writes a unit of work holds until its next read or its commit, so that they go to the
//! database together (`store::statements`). Each row gets one write: a row inserted and then saved
//! is inserted as saved; a row saved twice is saved once, from the version first read to the last.

use diesel::QueryResult;

use crate::db::types::{HandoffId, Id, TravellerId};
use crate::domain::handoff::HandoffOutcome;
use crate::store::handoffs::{self, Handoff, HandoffTraveller};
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::statements::Statements;
use crate::store::travellers::{self, Traveller};
use crate::store::vehicles::{self, Vehicle};

/// A row to insert, or to save over the version this transaction read.
enum Write<T> {
    New(T),
    Saved { expected: i32, row: T },
}

/// A row that a unit of work writes, known by its id.
trait Row {
    fn key(&self) -> Id;
}

impl Row for Traveller {
    fn key(&self) -> Id {
        self.id.into()
    }
}

impl Row for Handoff {
    fn key(&self) -> Id {
        self.id.into()
    }
}

impl Row for Vehicle {
    fn key(&self) -> Id {
        self.id.into()
    }
}

/// The writes of one table, one per row.
struct Rows<T>(Vec<Write<T>>);

impl<T> Default for Rows<T> {
    fn default() -> Self {
        Rows(Vec::new())
    }
}

impl<T: Row> Rows<T> {
    fn insert(&mut self, row: T) {
        self.0.push(Write::New(row));
    }

    /// Saves `row` (its version the one to write) over version `expected`, or over what this
    /// unit of work already holds for it.
    fn save(&mut self, expected: i32, row: T) {
        let key = row.key();
        match self.0.iter_mut().find(|w| match w {
            Write::New(r) | Write::Saved { row: r, .. } => r.key() == key,
        }) {
            Some(Write::New(held) | Write::Saved { row: held, .. }) => *held = row,
            None => self.0.push(Write::Saved { expected, row }),
        }
    }

    fn write(
        self,
        out: &mut Statements<'_>,
        insert: fn(&mut Statements<'_>, T) -> QueryResult<()>,
        save: fn(&mut Statements<'_>, i32, T) -> QueryResult<()>,
    ) -> QueryResult<()> {
        // Inserts first: a save of another row may point at them (a traveller at its handoff).
        let (new, saved): (Vec<_>, Vec<_>) = self.0.into_iter().partition(|w| matches!(w, Write::New(_)));
        for w in new.into_iter().chain(saved) {
            match w {
                Write::New(row) => insert(out, row)?,
                Write::Saved { expected, row } => save(out, expected, row)?,
            }
        }
        Ok(())
    }
}

/// Everything a unit of work has not sent yet.
#[derive(Default)]
pub struct Pending {
    vehicles: Rows<Vehicle>,
    handoffs: Rows<Handoff>,
    travellers: Rows<Traveller>,
    /// Travellers offered in handoffs, with what became of them.
    offered: Vec<HandoffTraveller>,
    /// Outcomes of travellers offered in handoffs written before.
    outcomes: Vec<HandoffTraveller>,
    answer: Option<StoredAnswer>,
    count: usize,
}

/// Past this many writes held, a unit of work sends them before taking more: one statement stays
/// far within PostgreSQL's 65,535 bound values.
const MOST_HELD: usize = 500;

impl Pending {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the writes held should go now, before more come.
    pub fn full(&self) -> bool {
        self.count >= MOST_HELD
    }

    pub fn insert_vehicle(&mut self, v: Vehicle) {
        self.count += 1;
        self.vehicles.insert(v);
    }

    pub fn save_vehicle(&mut self, expected: i32, v: Vehicle) {
        self.count += 1;
        self.vehicles.save(expected, v);
    }

    pub fn insert_handoff(&mut self, h: Handoff) {
        self.count += 1;
        self.handoffs.insert(h);
    }

    pub fn save_handoff(&mut self, expected: i32, h: Handoff) {
        self.count += 1;
        self.handoffs.save(expected, h);
    }

    pub fn insert_traveller(&mut self, t: Traveller) {
        self.count += 1;
        self.travellers.insert(t);
    }

    pub fn save_traveller(&mut self, expected: i32, t: Traveller) {
        self.count += 1;
        self.travellers.save(expected, t);
    }

    pub fn offer(&mut self, row: HandoffTraveller) {
        self.count += 1;
        self.offered.push(row);
    }

    pub fn set_outcome(&mut self, handoff_id: HandoffId, traveller_id: TravellerId, outcome: HandoffOutcome) {
        self.count += 1;
        let same = |r: &&mut HandoffTraveller| r.handoff_id == handoff_id && r.traveller_id == traveller_id;
        if let Some(held) = self.offered.iter_mut().find(same) {
            held.outcome = outcome;
        } else if let Some(held) = self.outcomes.iter_mut().find(same) {
            held.outcome = outcome;
        } else {
            self.outcomes.push(HandoffTraveller {
                handoff_id,
                traveller_id,
                outcome,
            });
        }
    }

    pub fn remember_answer(&mut self, answer: StoredAnswer) {
        self.count += 1;
        self.answer = Some(answer);
    }

    /// Gives every write held to `out`, rows before the rows that point at them.
    pub fn write(self, out: &mut Statements<'_>) -> QueryResult<()> {
        self.vehicles.write(out, vehicles::insert, vehicles::update)?;
        self.handoffs.write(out, handoffs::insert, handoffs::save)?;
        self.travellers.write(out, travellers::insert, travellers::save)?;
        for row in self.offered {
            handoffs::insert_traveller(out, row)?;
        }
        for row in self.outcomes {
            handoffs::set_outcome(out, row)?;
        }
        if let Some(answer) = self.answer {
            idempotency::store(out, answer)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Thing {
        id: Id,
        version: i32,
        label: &'static str,
    }

    impl Row for Thing {
        fn key(&self) -> Id {
            self.id
        }
    }

    fn thing(id: Id, version: i32, label: &'static str) -> Thing {
        Thing { id, version, label }
    }

    /// What the rows would send: (inserted?, expected version, row).
    fn held(rows: &Rows<Thing>) -> Vec<(bool, Option<i32>, Thing)> {
        rows.0
            .iter()
            .map(|w| match w {
                Write::New(r) => (true, None, r.clone()),
                Write::Saved { expected, row } => (false, Some(*expected), row.clone()),
            })
            .collect()
    }

    #[test]
    fn a_row_inserted_then_saved_is_inserted_as_saved() {
        let (a, b) = (Id::new(), Id::new());
        let mut rows = Rows::default();
        rows.insert(thing(a, 1, "new"));
        rows.save(1, thing(a, 2, "handed"));
        rows.save(3, thing(b, 4, "other"));
        assert_eq!(
            held(&rows),
            vec![
                (true, None, thing(a, 2, "handed")),
                (false, Some(3), thing(b, 4, "other"))
            ]
        );
    }

    #[test]
    fn a_row_saved_twice_is_saved_once_from_the_version_first_read() {
        let a = Id::new();
        let mut rows = Rows::default();
        rows.save(5, thing(a, 6, "received"));
        rows.save(6, thing(a, 7, "handed on"));
        assert_eq!(held(&rows), vec![(false, Some(5), thing(a, 7, "handed on"))]);
    }

    #[test]
    fn an_outcome_of_an_offer_not_yet_sent_goes_with_the_offer() {
        let (h, t, u) = (HandoffId::new(), TravellerId::new(), TravellerId::new());
        let mut pending = Pending::default();
        pending.offer(HandoffTraveller {
            handoff_id: h,
            traveller_id: t,
            outcome: HandoffOutcome::Pending,
        });
        pending.set_outcome(h, t, HandoffOutcome::Received);
        pending.set_outcome(h, u, HandoffOutcome::Missing);
        pending.set_outcome(h, u, HandoffOutcome::Returned);
        assert_eq!(pending.offered.len(), 1);
        assert_eq!(pending.offered[0].outcome, HandoffOutcome::Received);
        assert_eq!(pending.outcomes.len(), 1);
        assert_eq!(pending.outcomes[0].outcome, HandoffOutcome::Returned);
        assert!(!pending.is_empty());
    }
}
