//! What an instance may answer from memory: the dashboards' current ETags and the callers behind
//! them, so that a poll whose numbers have not changed gets its 304 without a database round trip.
//!
//! The database stays the only record. This is a cache that is told whenever what it holds may have
//! changed, by any instance:
//! - on PostgreSQL, triggers `NOTIFY` the id of every unit whose numbers move and of every user
//!   whose record changes, at commit; each instance `LISTEN`s and forgets what those ids govern.
//!   While the listening connection is down the cache is off (every poll asks the database), and
//!   everything is forgotten when it comes back, since notifications may have been missed;
//! - on SQLite, a thread reads `PRAGMA data_version` every few milliseconds on a connection of
//!   its own; it moves when any other connection (this process or another) commits, and then
//!   everything is forgotten;
//! - on the instance that made a change, the ids its unit of work touched (`store::Committed`) are
//!   forgotten before its response is sent, so a client that writes and then polls the same
//!   instance never sees the old numbers.
//!
//! An entry also expires at the first moment its numbers would change with time alone (a pending
//! handoff becoming overdue, a handoff leaving the 24-hour window).
//!
//! This module holds the memo and how its hearing thread reconnects; `listener` hears PostgreSQL,
//! `watcher` SQLite.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::auth::tokens::Claims;
use crate::auth::Actor;
use crate::db::types::{Id, Timestamp};
use crate::db::DatabaseUrl;

mod listener;
mod watcher;

pub use listener::LISTENER_NAME;
/// Notifications that prove a listener hears the channel, not changes.
const PING: &str = "ping:";
/// How often the listener proves it hears the channel.
const PING_EVERY: Duration = Duration::from_secs(1);
/// Entries kept per kind before the cache starts afresh; a bound on what odd queries can fill.
const MAX_ENTRIES: usize = 10_000;
/// The largest body kept, and the most kept in all, in bytes of JSON (parsed, a body takes a few
/// times that).
const MAX_BODY: usize = 256 << 10;
const MAX_BODIES: usize = 16 << 20;

/// The cache and how it learns of changes.
pub struct Freshness {
    inner: Mutex<Inner>,
    /// Whether the thread that hears of changes is at work: nothing is answered from memory
    /// otherwise (nor ever, when switched off by configuration).
    listening: AtomicBool,
    /// When the thread last proved it hears changes (milliseconds since `born`): on PostgreSQL a
    /// notification it sent itself came back, on SQLite a data version was read. A thread stuck
    /// on a dead connection stops proving it, and memory stops answering.
    heard_at: AtomicU64,
    born: Instant,
    /// How long after the last proof memory may still answer.
    trust_ms: u64,
    /// Told whenever a change is heard, whoever made it: what wakes this instance's reader of
    /// the log (see `feed`).
    heard_change: Arc<tokio::sync::Notify>,
}

/// How long memory answers after the last proof that changes are heard, beyond the listener's
/// own pace.
const HEARD_WITHIN_MS: u64 = 3_000;

#[derive(Default)]
struct Inner {
    /// Moves on at every invalidation; entries remember the epoch at which their reads began.
    epoch: u64,
    /// Entries begun before this epoch are void.
    everything_since: u64,
    /// Entries about these ids begun before the epoch given are void.
    invalidated: HashMap<Id, u64>,
    actors: HashMap<Id, (i32, Actor, u64)>,
    tags: HashMap<(Id, String), Tag>,
    /// The size of the bodies kept, in bytes of JSON (as estimated when kept).
    body_bytes: usize,
}

struct Tag {
    value: String,
    /// The numbers themselves, once a request has read them (small ones only).
    body: Option<Arc<serde_json::Value>>,
    /// The body's size as counted in `body_bytes`.
    size: usize,
    until: Option<Timestamp>,
    epoch: u64,
}

impl Inner {
    /// The caller's record, while it is current and the token carries its version.
    fn actor(&self, claims: &Claims) -> Option<&Actor> {
        let (version, actor, epoch) = self.actors.get(&claims.sub)?;
        (*version == claims.ver && self.valid(claims.sub, *epoch)).then_some(actor)
    }

    fn valid(&self, id: Id, epoch: u64) -> bool {
        epoch >= self.everything_since && self.invalidated.get(&id).is_none_or(|at| epoch >= *at)
    }

    fn forget_all(&mut self) {
        self.epoch += 1;
        self.everything_since = self.epoch;
        self.invalidated.clear();
        self.actors.clear();
        self.tags.clear();
        self.body_bytes = 0;
    }

    fn forget(&mut self, ids: &BTreeSet<Id>) {
        self.epoch += 1;
        // The whole system's numbers are the sum of its cities': any change may move them.
        for id in ids.iter().chain([&crate::domain::access::GLOBAL]) {
            self.invalidated.insert(*id, self.epoch);
        }
        if self.invalidated.len() > MAX_ENTRIES {
            self.forget_all();
        }
    }
}

/// Where a poll's answer came from, as `remember` needs it.
pub struct Remembered<'a> {
    pub claims: &'a Claims,
    pub actor: &'a Actor,
    pub unit: Id,
    pub what: &'a str,
    pub tag: &'a str,
    /// The numbers, when the request read them.
    pub body: Option<Arc<serde_json::Value>>,
    pub until: Option<Timestamp>,
}

impl Freshness {
    /// The cache for a database, and the thread that hears of changes, which ends with the cache:
    /// on PostgreSQL it listens for notifications, on SQLite it watches `PRAGMA data_version`.
    pub fn start(url: &DatabaseUrl, enabled: bool, every: Duration) -> Arc<Freshness> {
        let freshness = Arc::new(Freshness {
            inner: Mutex::new(Inner::default()),
            listening: AtomicBool::new(false),
            heard_at: AtomicU64::new(0),
            born: Instant::now(),
            trust_ms: HEARD_WITHIN_MS + 2 * (every.as_millis() as u64).max(PING_EVERY.as_millis() as u64),
            heard_change: Arc::default(),
        });
        if enabled {
            let weak = Arc::downgrade(&freshness);
            let url = url.clone();
            std::thread::Builder::new()
                .name("change-listener".into())
                .spawn(move || match url {
                    DatabaseUrl::Postgres(url) => listener::listen(&url, weak, every),
                    DatabaseUrl::Sqlite(path) => watcher::watch(&path, weak, every),
                })
                .expect("the listener thread starts");
        }
        freshness
    }

    /// What is told whenever a change is heard.
    pub fn heard_change(&self) -> Arc<tokio::sync::Notify> {
        self.heard_change.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn usable(&self) -> bool {
        self.listening.load(Ordering::Acquire)
            && self
                .millis()
                .saturating_sub(self.heard_at.load(Ordering::Acquire))
                < self.trust_ms
    }

    fn millis(&self) -> u64 {
        self.born.elapsed().as_millis() as u64
    }

    /// The listening thread has just proved that it hears changes.
    fn heard(&self) {
        self.heard_at.store(self.millis(), Ordering::Release);
    }

    /// The epoch to remember an answer under, taken before its reads begin; `None` while the
    /// cache cannot be trusted.
    pub fn begin(&self) -> Option<u64> {
        self.usable().then(|| self.lock().epoch)
    }

    /// The caller, if memory knows its record is current.
    pub fn actor(&self, claims: &Claims) -> Option<Actor> {
        if !self.usable() {
            return None;
        }
        self.lock().actor(claims).cloned()
    }

    /// The caller, the current ETag of `what` for them and, when read before, the numbers, if
    /// memory knows them for sure.
    pub fn current(
        &self,
        claims: &Claims,
        what: &str,
        now: Timestamp,
    ) -> Option<(Actor, String, Option<Arc<serde_json::Value>>)> {
        if !self.usable() {
            return None;
        }
        let inner = self.lock();
        let actor = inner.actor(claims)?;
        let unit = actor.scope.unit();
        let tag = inner.tags.get(&(unit, what.to_owned()))?;
        if !inner.valid(unit, tag.epoch) || tag.until.is_some_and(|until| now >= until) {
            return None;
        }
        Some((actor.clone(), tag.value.clone(), tag.body.clone()))
    }

    /// Keeps the caller's record read from the database, unless it changed since `epoch`.
    pub fn remember_actor(&self, epoch: u64, claims: &Claims, actor: &Actor) {
        let mut inner = self.lock();
        if !inner.valid(claims.sub, epoch) {
            return;
        }
        if inner.actors.len() >= MAX_ENTRIES {
            inner.actors.clear();
        }
        inner
            .actors
            .insert(claims.sub, (claims.ver, actor.clone(), epoch));
    }

    /// Keeps an answer read from the database, unless something it depends on changed since
    /// `epoch`.
    pub fn remember(&self, epoch: u64, r: Remembered<'_>) {
        let mut inner = self.lock();
        if !inner.valid(r.claims.sub, epoch) || !inner.valid(r.unit, epoch) {
            return;
        }
        if inner.actors.len() >= MAX_ENTRIES {
            inner.actors.clear();
        }
        if inner.tags.len() >= MAX_ENTRIES || inner.body_bytes >= MAX_BODIES {
            inner.tags.clear();
            inner.body_bytes = 0;
        }
        inner
            .actors
            .insert(r.claims.sub, (r.claims.ver, r.actor.clone(), epoch));
        let key = (r.unit, r.what.to_owned());
        // A 304 read no body: keep the one already held for the same version.
        let (body, size) = match r.body {
            Some(body) => {
                let size = estimate_size(&body);
                (Some(body).filter(|_| size <= MAX_BODY), size)
            }
            None => inner
                .tags
                .get(&key)
                .filter(|t| t.value == r.tag && inner.valid(r.unit, t.epoch))
                .map_or((None, 0), |t| (t.body.clone(), t.size)),
        };
        let size = if body.is_some() { size } else { 0 };
        let old = inner.tags.insert(
            key,
            Tag {
                value: r.tag.to_owned(),
                body,
                size,
                until: r.until,
                epoch,
            },
        );
        inner.body_bytes = (inner.body_bytes + size).saturating_sub(old.map_or(0, |t| t.size));
    }

    /// Forgets what depends on these units and users.
    pub fn forget(&self, ids: &BTreeSet<Id>) {
        if !ids.is_empty() {
            self.lock().forget(ids);
        }
    }

    fn forget_all(&self) {
        self.lock().forget_all();
    }

    fn set_listening(&self, on: bool) {
        // Off first, then forget; on only after forgetting what may have been missed.
        if !on {
            self.listening.store(false, Ordering::Release);
        }
        self.forget_all();
        if on {
            self.heard();
            self.listening.store(true, Ordering::Release);
        }
    }
}

/// Roughly the bytes a body takes as JSON; what bounds the memory bodies may use.
fn estimate_size(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(estimate_size).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 3 + estimate_size(v))
                .sum::<usize>()
        }
    }
}

/// Opens the thread's connection and hears changes on it until it fails, then starts over after
/// a growing pause; memory answers only in between. Ends when the cache is dropped (`hear`
/// answers `None`).
fn keep_hearing<C>(
    weak: Weak<Freshness>,
    open: impl Fn() -> Result<C, String>,
    mut hear: impl FnMut(&mut C, &Weak<Freshness>) -> Option<String>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if weak.strong_count() == 0 {
            return;
        }
        match open() {
            Ok(mut conn) => {
                backoff = Duration::from_millis(100);
                let Some(freshness) = weak.upgrade() else {
                    return;
                };
                freshness.set_listening(true);
                drop(freshness);
                let error = hear(&mut conn, &weak);
                if let Some(freshness) = weak.upgrade() {
                    freshness.set_listening(false);
                }
                match error {
                    None => return,
                    Some(e) => tracing::warn!(error = %e, "change listener lost its connection"),
                }
            }
            Err(e) => tracing::warn!(error = %e, "change listener cannot connect"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
