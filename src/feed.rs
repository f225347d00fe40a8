//! The log as this instance's open streams follow it: one reader per instance reads the new
//! events of every scope once, woken when a change is heard (PostgreSQL notifications, SQLite's
//! data version, this instance's own commits), and keeps the most recent ones in memory; each
//! stream picks its scope's events from there. The database's work does not grow with the number
//! of subscribers.
//!
//! While no stream is open on the instance, the reader reads nothing.
//!
//! Events get their `seq` in commit order (see `store::Tx`), so reading `seq > head` never skips
//! a commit. The memory holds every event in `(from, head]`; a stream further behind reads the
//! database until it has caught up.

use std::collections::VecDeque;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::auth::Scope;
use crate::db::Pool;
use crate::store::events::{self, Event, EventFilter};

/// Events kept in memory for the streams.
const KEEP: usize = 10_000;
/// Events read from the database at a time.
const PAGE: i64 = 500;
/// How often the reader looks without being woken, in case a wake-up was missed.
const SAFETY_TICK: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Kept {
    /// Every event with `from < seq <= head` is in `events`, oldest first.
    from: i64,
    head: i64,
    events: VecDeque<Arc<Event>>,
}

/// The recent events of this instance, and a signal that moves when new ones arrive.
pub struct Feed {
    kept: RwLock<Kept>,
    head: watch::Sender<i64>,
    wake: Arc<Notify>,
    /// The reader has read the log's head once, so `from` is meaningful.
    started: std::sync::atomic::AtomicBool,
}

/// What a stream may take from memory after `after`.
pub enum Taken {
    /// The events in scope after `after`, up to `head` (none yet: wait for the next head).
    Events { events: Vec<Arc<Event>>, head: i64 },
    /// Memory no longer (or not yet) holds everything after `after`: read the database. Memory
    /// holds every event after `from` (none while the reader has not started), and the database
    /// holds at least as much, so a stream that has read all of the database's events in its
    /// scope may go on from `from`.
    Behind { from: Option<i64> },
}

impl Feed {
    /// The feed, woken by `wake`; its reader starts with `run`.
    pub fn new(wake: Arc<Notify>) -> Arc<Feed> {
        Arc::new(Feed {
            kept: RwLock::default(),
            head: watch::channel(0).0,
            wake,
            started: Default::default(),
        })
    }

    /// Tells the reader that the log may have grown.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A receiver that changes whenever new events are kept; the reader starts if it was idle.
    pub fn subscribe(&self) -> watch::Receiver<i64> {
        let receiver = self.head.subscribe();
        self.wake();
        receiver
    }

    /// The newest `seq` this instance knows, once its reader has started.
    pub fn head(&self) -> Option<i64> {
        self.started
            .load(std::sync::atomic::Ordering::Acquire)
            .then(|| self.read().head)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Kept> {
        self.kept.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The events in `scope` after `after`, at most `limit`, if memory holds all of them.
    pub fn take(&self, scope: Scope, after: i64, limit: usize) -> Taken {
        if !self.started.load(std::sync::atomic::Ordering::Acquire) {
            return Taken::Behind { from: None };
        }
        let kept = self.read();
        if after < kept.from {
            return Taken::Behind {
                from: Some(kept.from),
            };
        }
        let start = kept.events.partition_point(|e| e.seq <= after);
        let mut events = Vec::new();
        let mut head = kept.head;
        for event in kept.events.iter().skip(start) {
            if events.len() == limit {
                head = events.last().map_or(after, |e: &Arc<Event>| e.seq);
                break;
            }
            if in_scope(scope, event) {
                events.push(event.clone());
            }
        }
        Taken::Events { events, head }
    }

    fn keep(&self, new: Vec<Event>) {
        let mut kept = self.kept.write().unwrap_or_else(|e| e.into_inner());
        for event in new {
            kept.head = event.seq;
            kept.events.push_back(Arc::new(event));
        }
        while kept.events.len() > KEEP {
            if let Some(old) = kept.events.pop_front() {
                kept.from = old.seq;
            }
        }
        let head = kept.head;
        drop(kept);
        self.head.send_replace(head);
    }

    /// The instance's one reader: reads what is new whenever woken, until the feed is dropped.
    pub async fn run(feed: Weak<Feed>, pool: Pool) {
        let Some(wake) = feed.upgrade().map(|f| f.wake.clone()) else {
            return;
        };
        loop {
            let Some(this) = feed.upgrade() else {
                return;
            };
            if this.head.receiver_count() == 0 {
                // No stream follows the log here: read nothing, and forget what was kept, so that
                // the next stream starts from the database's head (writes cost no reads meanwhile).
                if this.started.swap(false, std::sync::atomic::Ordering::AcqRel) {
                    *this.kept.write().unwrap_or_else(|e| e.into_inner()) = Kept::default();
                }
                drop(this);
                let _ = tokio::time::timeout(SAFETY_TICK, wake.notified()).await;
                continue;
            }
            let started = this.started.load(std::sync::atomic::Ordering::Acquire);
            let after = this.read().head;
            let pool = pool.clone();
            let read = actix_web::web::block(move || -> Result<Read, String> {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                if !started {
                    // Start from now: older events are the database's to serve.
                    return events::latest_seq(&mut conn)
                        .map(Read::Head)
                        .map_err(|e| e.to_string());
                }
                let filter = EventFilter {
                    entity_type: None,
                    entity_id: None,
                    after,
                    limit: PAGE,
                    newest: false,
                };
                events::list(&mut conn, Scope::All, &filter)
                    .map(Read::Events)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|read| read);
            let mut full = false;
            match read {
                Ok(Read::Head(head)) => {
                    let mut kept = this.kept.write().unwrap_or_else(|e| e.into_inner());
                    (kept.from, kept.head) = (head, head);
                    drop(kept);
                    this.head.send_replace(head);
                    this.started.store(true, std::sync::atomic::Ordering::Release);
                    full = true;
                }
                Ok(Read::Events(new)) => {
                    full = new.len() as i64 == PAGE;
                    if !new.is_empty() {
                        this.keep(new);
                    }
                }
                Err(error) => tracing::debug!(%error, "the feed cannot read the log"),
            }
            drop(this);
            if !full {
                let _ = tokio::time::timeout(SAFETY_TICK, wake.notified()).await;
            }
        }
    }
}

/// What one read of the reader found.
enum Read {
    /// The log's head when the reader starts: older events are the database's to serve.
    Head(i64),
    Events(Vec<Event>),
}

/// Whether an event belongs to a scope, as `events::list` filters it.
fn in_scope(scope: Scope, event: &Event) -> bool {
    match scope {
        Scope::All => true,
        Scope::City(id) => event.city_id == Some(id),
        Scope::District(id) => event.district_id == Some(id),
        Scope::Community(id) => event.community_id == Some(id),
    }
}

/// The open streams of this instance, per user and in all; bounded by `stream.max_per_user` and
/// `stream.max_total`. They are this process's own resources (connections, memory), so each
/// instance counts its own.
#[derive(Default)]
pub struct StreamSlots {
    open: std::sync::Mutex<(usize, std::collections::HashMap<crate::db::types::UserId, usize>)>,
}

/// One open stream's place, given back when the stream ends or its client goes away.
pub struct Slot {
    slots: Arc<StreamSlots>,
    user: crate::db::types::UserId,
}

impl StreamSlots {
    /// A place for one more stream of `user`, unless the limits are reached.
    pub fn take(
        self: &Arc<Self>,
        user: crate::db::types::UserId,
        max_per_user: usize,
        max_total: usize,
    ) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_user) = &mut *open;
        let mine = per_user.entry(user).or_default();
        if *mine >= max_per_user || *total >= max_total {
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Slot {
            slots: self.clone(),
            user,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, per_user) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(mine) = per_user.get_mut(&self.user) {
            *mine -= 1;
            if *mine == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}
