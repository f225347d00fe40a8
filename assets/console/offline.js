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
 * it, the body to send (with `at`, the time at the door, unless it repeats an attempt already
 * sent without it), the Idempotency-Key (that of an attempt already made, so that an answer lost
 * on the way is replayed, not acted on twice), when, and whose.
 */
export function enqueue(kind, handoff, body, { key = newKey(), at = new Date().toISOString(), user = currentUser()?.id } = {}) {
  const item = {
    id: newKey(),
    key,
    kind,
    handoff_id: handoff.id,
    from_unit: handoff.from_unit,
    people: handoff.traveller_ids.length,
    body,
    queued_at: at,
    state: 'waiting',
  };
  store(user, [...queued(user), item]);
  return item;
}

/** Removes an action the officer dismissed (a refused one) or discarded. */
export function dismiss(id) {
  const user = currentUser()?.id;
  if (user) store(user, queued(user).filter((x) => x.id !== id));
}

/**
 * Forgets what the device keeps for this user at sign-out: the desk, and the queued actions named
 * in `ids` (those the officer chose to discard). An action queued after the officer was asked is
 * kept for the same user's next sign-in rather than dropped unseen.
 */
export function wipe(userId, ids = []) {
  localStorage.removeItem(DESK(userId));
  store(userId, queued(userId).filter((x) => !ids.includes(x.id)));
}

/** Takes a handoff off the kept desk once an action on it reached the service. */
export function settledOnDesk(userId, handoffId) {
  const kept = read(DESK(userId));
  if (!kept) return;
  kept.incoming = kept.incoming.filter((x) => x.id !== handoffId);
  localStorage.setItem(DESK(userId), JSON.stringify(kept));
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
      for (const listed of queued(user)) {
        // Read again before each: an action discarded meanwhile is not sent, and nothing is
        // sent once another user holds the session.
        if (currentUser()?.id !== user) break;
        const item = queued(user).find((x) => x.id === listed.id);
        if (!item || item.state !== 'waiting') continue;
        try {
          await api('POST', `/handoffs/${item.handoff_id}/${item.kind}`, { body: item.body, key: item.key, retries: 0 });
          store(user, queued(user).filter((x) => x.id !== item.id));
          settledOnDesk(user, item.handoff_id);
          sent++;
        } catch (problem) {
          // Only the service's refusal (a 4xx problem) is final; anything else is tried again.
          const refusedHere = problem.status >= 400 && problem.status < 500 && ![401, 408, 429].includes(problem.status);
          if (!refusedHere) break;
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

/**
 * Wipes what the device keeps for users who are not signed in once it is older than
 * `console.offline_hours`: their desk, and their queue when its newest action is that old. An
 * action left so is not lost to the loop: its handoff stays pending at the service, where it is an
 * overdue loose end with an owner. The signed-in user's queue stays, shown in red, until sent or
 * dismissed.
 */
export function expireKept() {
  const me = currentUser()?.id;
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith('inbound-transfer.queue.') && key !== QUEUE(me)) {
      const items = read(key) || [];
      const newest = items.map((x) => x.queued_at).sort().pop();
      if (tooOld(newest)) localStorage.removeItem(key);
    } else if (key.startsWith('inbound-transfer.desk.') && key !== DESK(me)) {
      if (tooOld(read(key)?.saved_at)) localStorage.removeItem(key);
    }
  }
}

// When to send: the network returns, the service answers again, every 30 seconds, the console
// opens, and the same user signs in again.
window.addEventListener('online', () => sendQueued());
onReachability((up) => {
  if (up) sendQueued();
});
onSession((session) => {
  expireKept();
  if (session) sendQueued();
});
setInterval(() => {
  expireKept();
  sendQueued();
}, 30000);
setTimeout(() => {
  expireKept();
  sendQueued();
}, 0);
