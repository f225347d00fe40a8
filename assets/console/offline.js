// The desk without a network: what an officer's device keeps, and the actions it sends later.
//
// - The pending handoffs to the officer's unit, with their people, as last read: kept for the
//   signed-in user only, for at most `console.offline_hours`, and wiped at sign-out.
// - Confirmations and rejections made while the service cannot be reached: queued with their
//   Idempotency-Key and the time at the door (`at`), sent in order when the network returns (on
//   the browser's online event, when the service answers again, every 30 seconds, when the console
//   opens, or by hand). A queued action the service refuses stays listed with what to do until the
//   officer dismisses it; nothing is dropped unseen. The queue belongs to the user who made it:
//   another user of the device never sees or sends it, and a session that ends without a sign-out
//   keeps it until the same user signs in again.

import { api, currentUser, newKey, onReachability, onSession } from './api.js';

const HOURS = Number(document.getElementById('app')?.dataset.offlineHours) || 12;
const DESK = (user) => `inbound-transfer.desk.${user}`;
const QUEUE = (user) => `inbound-transfer.queue.${user}`;
const SEND_LOCK = 'inbound-transfer.queue-send';
/** An action unsent this long raises an alert. */
export const LATE_MS = 30 * 60 * 1000;

const listeners = new Set();
let sending = false;

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

function tooOld(iso) {
  return !iso || Date.now() - Date.parse(iso) > HOURS * 3600 * 1000;
}

/** Keeps the desk's incoming handoffs (with their people) as just read. */
export function keepDesk(userId, incoming) {
  localStorage.setItem(DESK(userId), JSON.stringify({ saved_at: new Date().toISOString(), incoming }));
}

/** The desk as last kept, or null (nothing kept, or kept longer ago than allowed: then wiped). */
export function keptDesk(userId) {
  const kept = read(DESK(userId));
  if (kept && tooOld(kept.saved_at)) {
    localStorage.removeItem(DESK(userId));
    return null;
  }
  return kept;
}

/** The user's queued actions, oldest first. */
export function queued(userId = currentUser()?.id) {
  return userId ? read(QUEUE(userId)) || [] : [];
}

function store(userId, items) {
  if (items.length) localStorage.setItem(QUEUE(userId), JSON.stringify(items));
  else localStorage.removeItem(QUEUE(userId));
  listeners.forEach((fn) => fn(items));
}

/** Calls `fn(items)` whenever the queue changes (here or in another tab). */
export function onQueue(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

window.addEventListener('storage', (e) => {
  const user = currentUser()?.id;
  if (user && e.key === QUEUE(user)) listeners.forEach((fn) => fn(queued(user)));
});

/**
 * Queues an action made at the door: `kind` 'confirm' or 'reject', the handoff as the desk shows
 * it, the body to send, and the Idempotency-Key of an attempt already made (so that an answer
 * lost on the way is replayed, not acted on twice). The time at the door goes with it as `at`.
 */
export function enqueue(kind, handoff, body, { key = newKey(), at = new Date().toISOString() } = {}) {
  const user = currentUser();
  const item = {
    id: newKey(),
    key,
    kind,
    handoff_id: handoff.id,
    from_unit: handoff.from_unit,
    people: handoff.traveller_ids.length,
    body: { ...body, at },
    queued_at: at,
    state: 'waiting',
  };
  store(user.id, [...queued(user.id), item]);
  return item;
}

/** Removes an action the officer dismissed (a refused one) or discarded. */
export function dismiss(id) {
  const user = currentUser()?.id;
  if (user) store(user, queued(user).filter((x) => x.id !== id));
}

/** Forgets everything the device keeps for this user: at sign-out. */
export function wipe(userId) {
  localStorage.removeItem(DESK(userId));
  localStorage.removeItem(QUEUE(userId));
  listeners.forEach((fn) => fn([]));
}

/** Whether any action is being sent now (a new version waits until none is). */
export function busy() {
  return sending;
}

/**
 * Sends the waiting actions, in order, each once with its own key. Stops at the first that cannot
 * reach the service (it waits for the next try); a refusal is kept with the problem and the
 * handoff as it is now, and the next action goes on. Answers what was sent and refused.
 */
export async function sendQueued() {
  const user = currentUser()?.id;
  if (!user || sending || !queued(user).some((x) => x.state === 'waiting')) return { sent: 0, refused: 0 };
  const run = async () => {
    sending = true;
    let sent = 0;
    let refused = 0;
    try {
      for (const item of queued(user)) {
        if (item.state !== 'waiting') continue;
        try {
          await api('POST', `/handoffs/${item.handoff_id}/${item.kind}`, { body: item.body, key: item.key, retries: 0 });
          store(user, queued(user).filter((x) => x.id !== item.id));
          sent++;
        } catch (problem) {
          if (problem.status === 0 || problem.status >= 500 || problem.status === 429 || problem.status === 401) break;
          let now = null;
          try {
            now = await api('GET', `/handoffs/${item.handoff_id}`, { retries: 0 });
          } catch {
            /* out of scope, or gone: the problem says so */
          }
          const refusal = {
            status: problem.status,
            code: problem.code,
            params: problem.params,
            detail: problem.detail,
            handoff: now && { status: now.status, locked: now.locked, from_unit: now.from_unit },
          };
          store(user, queued(user).map((x) => (x.id === item.id ? { ...x, state: 'refused', refusal } : x)));
          refused++;
        }
      }
    } finally {
      sending = false;
    }
    return { sent, refused };
  };
  return navigator.locks?.request ? navigator.locks.request(SEND_LOCK, { ifAvailable: true }, (lock) => (lock ? run() : { sent: 0, refused: 0 })) : run();
}

// When to send: the network returns, the service answers again, every 30 seconds, the console
// opens, and the same user signs in again.
window.addEventListener('online', () => sendQueued());
onReachability((up) => {
  if (up) sendQueued();
});
onSession((session) => {
  if (session) sendQueued();
});
setInterval(() => sendQueued(), 30000);
setTimeout(() => sendQueued(), 0);
