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
//! Entries are keyed by type (`NumbersKey`, a user's id) and kept in bounded caches (`moka`): the
//! numbers weighed by the size of their bodies, the callers by count, the least useful evicted
//! first.
//!
//! This module holds the memo and how its hearing thread reconnects; `listener` hears PostgreSQL,
//! `watcher` SQLite.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::auth::tokens::Claims;
use crate::auth::Actor;
use crate::db::types::{Id, Timestamp, UnitId, UserId};
use crate::db::DatabaseUrl;
use moka::sync::Cache;

mod listener;
mod watcher;

pub use listener::LISTENER_NAME;
/// Notifications that prove a listener hears the channel, not changes.
const PING: &str = "ping:";
/// How often the listener proves it hears the channel.
const PING_EVERY: Duration = Duration::from_secs(1);
/// Callers kept, and ids marked changed before the marks start afresh.
const MAX_ENTRIES: usize = 10_000;
/// The largest body kept, and the most kept in all, in bytes of JSON (parsed, a body takes a few
/// times that); an entry without a body weighs `ENTRY_WEIGHT`.
const MAX_BODY: usize = 256 << 10;
const MAX_BODIES: u64 = 16 << 20;
const ENTRY_WEIGHT: u32 = 256;

/// Which numbers of a scope an entry holds: one per statistics route and period.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Numbers {
    Overview,
    Districts,
    /// Local days, inclusive; `all_time` reads the all-time rows instead of the daily ones.
    Ports {
        from: String,
        to: String,
        all_time: bool,
    },
    Daily {
        from: String,
        to: String,
    },
    /// One local day, by hour.
    Hourly {
        date: String,
    },
}

impl fmt::Display for Numbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Numbers::Overview => f.write_str("overview"),
            Numbers::Districts => f.write_str("districts"),
            Numbers::Ports { from, to, all_time } => write!(f, "ports|{from}|{to}|{all_time}"),
            Numbers::Daily { from, to } => write!(f, "daily|{from}|{to}"),
            Numbers::Hourly { date } => write!(f, "hourly|{date}"),
        }
    }
}

/// The numbers of a scope's unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NumbersKey {
    pub unit: UnitId,
    pub numbers: Numbers,
}

/// The cache and how it learns of changes.
pub struct Freshness {
    inner: Mutex<Inner>,
    /// Callers' records by user id, with the token version and the epoch they were read at.
    actors: Cache<UserId, Arc<KnownActor>>,
    /// The current ETag, and the body once read, of each scope's numbers.
    tags: Cache<NumbersKey, Arc<Tag>>,
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

/// What makes an entry void: a change to an id it depends on after its reads began. Every entry
/// is checked against these marks when read, so an entry kept late by a slow request is never
/// answered.
#[derive(Default)]
struct Inner {
    /// Moves on at every invalidation; entries remember the epoch at which their reads began.
    epoch: u64,
    /// Entries begun before this epoch are void.
    everything_since: u64,
    /// Entries about these ids begun before the epoch given are void.
    invalidated: HashMap<Id, u64>,
}

struct KnownActor {
    token_version: i32,
    actor: Actor,
    epoch: u64,
}

struct Tag {
    value: String,
    /// The numbers themselves, once a request has read them (small ones only).
    body: Option<Arc<serde_json::Value>>,
    /// The body's size in bytes of JSON, as estimated when kept.
    size: usize,
    until: Option<Timestamp>,
    epoch: u64,
}

impl Inner {
    fn valid(&self, id: impl Into<Id>, epoch: u64) -> bool {
        let id = id.into();
        epoch >= self.everything_since && self.invalidated.get(&id).is_none_or(|at| epoch >= *at)
    }

    fn forget_all(&mut self) {
        self.epoch += 1;
        self.everything_since = self.epoch;
        self.invalidated.clear();
    }

    fn forget(&mut self, ids: &BTreeSet<Id>) {
        self.epoch += 1;
        // The whole system's numbers are the sum of its cities': any change may move them.
        for id in ids.iter().copied().chain([crate::domain::access::GLOBAL.into()]) {
            self.invalidated.insert(id, self.epoch);
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
    pub key: &'a NumbersKey,
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
            actors: Cache::new(MAX_ENTRIES as u64),
            tags: Cache::builder()
                .max_capacity(MAX_BODIES)
                .weigher(|_, tag: &Arc<Tag>| ENTRY_WEIGHT.saturating_add(tag.size as u32))
                .build(),
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

    /// The caller's record, while it is current and the token carries its version.
    fn known_actor(&self, inner: &Inner, claims: &Claims) -> Option<Actor> {
        let known = self.actors.get(&claims.sub)?;
        (known.token_version == claims.ver && inner.valid(claims.sub, known.epoch))
            .then(|| known.actor.clone())
    }

    /// The caller, if memory knows its record is current.
    pub fn actor(&self, claims: &Claims) -> Option<Actor> {
        if !self.usable() {
            return None;
        }
        self.known_actor(&self.lock(), claims)
    }

    /// The caller, the current ETag of `numbers` for them and, when read before, the numbers, if
    /// memory knows them for sure.
    pub fn current(
        &self,
        claims: &Claims,
        numbers: &Numbers,
        now: Timestamp,
    ) -> Option<(Actor, String, Option<Arc<serde_json::Value>>)> {
        if !self.usable() {
            return None;
        }
        let inner = self.lock();
        let actor = self.known_actor(&inner, claims)?;
        let key = NumbersKey {
            unit: actor.scope.unit(),
            numbers: numbers.clone(),
        };
        let tag = self.tags.get(&key)?;
        if !inner.valid(key.unit, tag.epoch) || tag.until.is_some_and(|until| now >= until) {
            return None;
        }
        Some((actor, tag.value.clone(), tag.body.clone()))
    }

    /// Keeps the caller's record read from the database, unless it changed since `epoch`.
    pub fn remember_actor(&self, epoch: u64, claims: &Claims, actor: &Actor) {
        let inner = self.lock();
        if !inner.valid(claims.sub, epoch) {
            return;
        }
        self.keep_actor(epoch, claims, actor);
    }

    fn keep_actor(&self, epoch: u64, claims: &Claims, actor: &Actor) {
        self.actors.insert(
            claims.sub,
            Arc::new(KnownActor {
                token_version: claims.ver,
                actor: actor.clone(),
                epoch,
            }),
        );
    }

    /// Keeps an answer read from the database, unless something it depends on changed since
    /// `epoch`.
    pub fn remember(&self, epoch: u64, r: Remembered<'_>) {
        let inner = self.lock();
        if !inner.valid(r.claims.sub, epoch) || !inner.valid(r.key.unit, epoch) {
            return;
        }
        self.keep_actor(epoch, r.claims, r.actor);
        // A 304 read no body: keep the one already held for the same version.
        let (body, size) = match r.body {
            Some(body) => {
                let size = estimate_size(&body);
                (Some(body).filter(|_| size <= MAX_BODY), size)
            }
            None => self
                .tags
                .get(r.key)
                .filter(|t| t.value == r.tag && inner.valid(r.key.unit, t.epoch))
                .map_or((None, 0), |t| (t.body.clone(), t.size)),
        };
        let size = if body.is_some() { size } else { 0 };
        self.tags.insert(
            r.key.clone(),
            Arc::new(Tag {
                value: r.tag.to_owned(),
                body,
                size,
                until: r.until,
                epoch,
            }),
        );
    }

    /// Forgets what depends on these units and users.
    pub fn forget(&self, ids: &BTreeSet<Id>) {
        if !ids.is_empty() {
            self.lock().forget(ids);
        }
    }

    fn forget_all(&self) {
        self.lock().forget_all();
        self.actors.invalidate_all();
        self.tags.invalidate_all();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Scope;
    use crate::domain::Role;

    fn cache() -> Arc<Freshness> {
        let freshness = Freshness::start(
            &DatabaseUrl::Sqlite(":memory:".into()),
            false,
            Duration::from_millis(50),
        );
        freshness.set_listening(true);
        freshness
    }

    fn caller(city: UnitId) -> (Claims, Actor) {
        let id = UserId::new();
        let claims = Claims {
            sub: id,
            role: Role::Viewer,
            unit: Some(city),
            ver: 1,
            typ: "access".into(),
            iss: "test".into(),
            aud: "test".into(),
            iat: 0,
            exp: i64::MAX,
            jti: uuid::Uuid::nil(),
        };
        let actor = Actor {
            id,
            username: "viewer".into(),
            role: Role::Viewer,
            unit_id: Some(city),
            city_id: Some(city),
            scope: Scope::City(city),
        };
        (claims, actor)
    }

    fn keep(f: &Freshness, epoch: u64, claims: &Claims, actor: &Actor, numbers: Numbers, body: usize) {
        let key = NumbersKey {
            unit: actor.scope.unit(),
            numbers,
        };
        f.remember(
            epoch,
            Remembered {
                claims,
                actor,
                key: &key,
                tag: "W/\"1\"",
                body: Some(Arc::new(serde_json::Value::String("x".repeat(body)))),
                until: None,
            },
        );
    }

    #[test]
    fn an_answer_read_before_a_change_is_never_given() {
        let f = cache();
        let city = UnitId::new();
        let (claims, actor) = caller(city);
        let now = Timestamp::now();
        let epoch = f.begin().unwrap();
        keep(&f, epoch, &claims, &actor, Numbers::Overview, 10);
        assert!(f.current(&claims, &Numbers::Overview, now).is_some());
        // Another period of the same route is another entry.
        let daily = Numbers::Daily {
            from: "2020-03-01".into(),
            to: "2020-03-07".into(),
        };
        assert!(f.current(&claims, &daily, now).is_none());

        // A request begins reading, a change to the city commits, then the request keeps its
        // answer: memory must not give it.
        let slow = f.begin().unwrap();
        f.forget(&[city.into()].into_iter().collect());
        assert!(f.current(&claims, &Numbers::Overview, now).is_none());
        keep(&f, slow, &claims, &actor, Numbers::Overview, 10);
        assert!(f.current(&claims, &Numbers::Overview, now).is_none());
        // Another city's change leaves it alone; the whole system's numbers move with any city.
        let fresh = f.begin().unwrap();
        keep(&f, fresh, &claims, &actor, Numbers::Overview, 10);
        f.forget(&[Id::new()].into_iter().collect());
        assert!(f.current(&claims, &Numbers::Overview, now).is_some());
    }

    #[test]
    fn bodies_are_bounded_by_their_weight() {
        let f = cache();
        let (claims, actor) = caller(UnitId::new());
        let epoch = f.begin().unwrap();
        // 200 bodies of 200 KiB: 40 MiB offered, at most MAX_BODIES kept.
        for day in 0..200 {
            let numbers = Numbers::Daily {
                from: format!("day {day}"),
                to: format!("day {day}"),
            };
            keep(&f, epoch, &claims, &actor, numbers, 200 << 10);
        }
        f.tags.run_pending_tasks();
        assert!(f.tags.weighted_size() <= MAX_BODIES, "{}", f.tags.weighted_size());
        assert!(f.tags.entry_count() > 0, "the cache still keeps some");
        // A body larger than MAX_BODY is not kept, its ETag is.
        keep(&f, epoch, &claims, &actor, Numbers::Districts, MAX_BODY + 1);
        let (_, tag, body) = f.current(&claims, &Numbers::Districts, Timestamp::now()).unwrap();
        assert_eq!(tag, "W/\"1\"");
        assert!(body.is_none());
    }
}
