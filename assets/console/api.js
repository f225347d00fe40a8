// The console's only way to the service: the public API under /api/v1, with the caller's token.
//
// - The session (tokens and user) lives in localStorage, shared by the browser's tabs.
// - An access token about to expire, or refused with 401, is refreshed once, under a lock held
//   across tabs (navigator.locks), because a refresh token presented twice ends every session.
// - Every POST carries an Idempotency-Key, kept across its own retries, so a retry after a lost
//   answer replays the first answer instead of acting twice.
// - Statistics are fetched with If-None-Match and their ETag.
// - Every request says the console's language (Accept-Language), so the service writes its
//   problems in it; a problem's `code` and `params` say the same to the console's own code.

import { language } from './i18n.js';

const BASE = '/api/v1';
const SESSION_KEY = 'inbound-transfer.session';
const REFRESH_LOCK = 'inbound-transfer.refresh';
const RETRIES = 4;

let session = readSession();
const sessionListeners = new Set();
const reachListeners = new Set();
let reachable = true;

/** A problem+json answer, or a failure to reach the service (status 0, code "network"). */
export class Problem extends Error {
  constructor(status, body = {}) {
    super(body.detail || body.title || '');
    this.status = status;
    this.code = body.code || (status === 0 ? 'network' : 'error');
    this.detail = body.detail || '';
    this.params = body.params && typeof body.params === 'object' ? body.params : {};
    this.errors = Array.isArray(body.errors) ? body.errors : [];
    this.body = body;
  }
}

function readSession() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY));
  } catch {
    return null;
  }
}

function storeSession(next) {
  const before = session?.user?.id;
  session = next;
  if (next) localStorage.setItem(SESSION_KEY, JSON.stringify(next));
  else localStorage.removeItem(SESSION_KEY);
  // Listeners hear who is signed in changing, not each renewal of the tokens.
  if (next?.user?.id !== before) sessionListeners.forEach((fn) => fn(session));
}

// Another tab signed in, refreshed or signed out.
window.addEventListener('storage', (e) => {
  if (e.key !== SESSION_KEY) return;
  const before = session?.user?.id;
  session = readSession();
  if (session?.user?.id !== before) sessionListeners.forEach((fn) => fn(session));
});

export function currentUser() {
  return session?.user ?? null;
}

export function onSession(fn) {
  sessionListeners.add(fn);
  return () => sessionListeners.delete(fn);
}

/** Whether the last request reached the service; listeners hear every change. */
export function onReachability(fn) {
  reachListeners.add(fn);
  fn(reachable);
  return () => reachListeners.delete(fn);
}

function setReachable(now) {
  if (now === reachable) return;
  reachable = now;
  reachListeners.forEach((fn) => fn(now));
}

/** A random UUID (v4); crypto.randomUUID exists only on secure origins, getRandomValues everywhere. */
export function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` while holding a lock shared by every tab of this origin. */
async function withLock(name, fn) {
  if (navigator.locks?.request) return navigator.locks.request(name, fn);
  // navigator.locks needs a secure origin; on plain http a lease in localStorage stands in. The
  // holder renews it while it works and removes it only if it is still its own; a tab that
  // cannot get it in time gives up rather than act without it.
  const me = newKey();
  const lease = () => JSON.parse(localStorage.getItem(name) || 'null');
  const take = () => localStorage.setItem(name, JSON.stringify({ owner: me, until: Date.now() + 5000 }));
  for (let i = 0; i < 300; i++) {
    const held = lease();
    if (!held || held.until < Date.now()) {
      take();
      await sleep(50);
      if (lease()?.owner === me) {
        const renew = setInterval(() => lease()?.owner === me && take(), 1000);
        try {
          return await fn();
        } finally {
          clearInterval(renew);
          if (lease()?.owner === me) localStorage.removeItem(name);
        }
      }
    }
    await sleep(100);
  }
  throw new Problem(503, { code: 'unavailable' });
}

function sessionFrom(body) {
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token,
    expires_at: Date.now() + body.expires_in * 1000,
    user: body.user,
  };
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    /* not JSON */
  }
  return new Problem(response.status, body);
}

/** A POST without a token (sign-in, refresh), retried on a lost answer with the same key. */
async function postOpen(path, body) {
  const key = newKey();
  for (let attempt = 0; ; attempt++) {
    const r = await attemptFetch(BASE + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }, attempt);
    if (!r) continue;
    if (r.ok) return r.json();
    if ((r.status === 503 || r.status === 429) && attempt < RETRIES) {
      await sleep(retryAfter(r, attempt));
      continue;
    }
    throw await problemOf(r);
  }
}

/**
 * One attempt at a request: its response, or null after a pause when the service could not be
 * reached and tries remain (the caller tries again, with the same Idempotency-Key).
 */
async function attemptFetch(url, init, attempt, retries = RETRIES) {
  try {
    const r = await fetch(url, { ...init, headers: { ...init.headers, 'accept-language': language() } });
    setReachable(r.status !== 503);
    return r;
  } catch {
    setReachable(false);
    if (attempt < retries) {
      await sleep(500 * 2 ** attempt);
      return null;
    }
    throw new Problem(0);
  }
}

function retryAfter(response, attempt) {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 500 * 2 ** attempt;
}

export async function signIn(username, password) {
  const body = await postOpen('/auth/login', { username, password });
  storeSession(sessionFrom(body));
  return body.user;
}

/** Ends this browser's session; the service revokes the user's refresh tokens. */
export async function signOut() {
  try {
    if (session) await api('POST', '/auth/logout');
  } catch {
    /* signed out here regardless */
  }
  storeSession(null);
}

/** Forgets the session without telling the service (it has already ended it). */
export function forgetSession() {
  storeSession(null);
}

/** A fresh access token. One tab refreshes at a time; the others take what it stored. */
async function refreshed(stale) {
  return withLock(REFRESH_LOCK, async () => {
    const stored = readSession();
    if (!stored) {
      storeSession(null);
      throw new Problem(401, { code: 'unauthorized' });
    }
    if (stored.access_token !== stale && stored.expires_at - Date.now() > 30000) {
      session = stored;
      return stored;
    }
    try {
      const body = await postOpen('/auth/refresh', { refresh_token: stored.refresh_token });
      storeSession(sessionFrom(body));
      return session;
    } catch (e) {
      if (e.status === 401 || e.status === 400 || e.status === 422) storeSession(null);
      throw e;
    }
  });
}

function encodeQuery(query) {
  if (!query) return '';
  const pairs = Object.entries(query).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return pairs.length ? '?' + new URLSearchParams(pairs).toString() : '';
}

/**
 * One call to the API. `body` is sent as JSON unless it is a Blob or File (sent as is, with
 * `contentType`). Answers the parsed JSON (null for 204), or the Response with `raw`. `key`: the
 * Idempotency-Key of an action kept on the device (a new one otherwise); `retries`: how many
 * times to try again while the service cannot be reached.
 */
export async function api(method, path, { body, query, headers = {}, raw = false, contentType, key: given, retries = RETRIES } = {}) {
  const key = method === 'POST' ? given || newKey() : null;
  let renewed = false;
  for (let attempt = 0; ; attempt++) {
    const token = await accessToken();
    const h = { authorization: `Bearer ${token}`, ...headers };
    if (key) h['idempotency-key'] = key;
    let payload;
    if (body instanceof Blob) {
      payload = body;
      h['content-type'] = contentType || body.type || 'application/octet-stream';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const r = await attemptFetch(BASE + path + encodeQuery(query), { method, headers: h, body: payload }, attempt, retries);
    if (!r) continue;
    if (r.status === 401 && !renewed) {
      renewed = true;
      await refreshed(token);
      continue;
    }
    if ((r.status === 503 || r.status === 429) && attempt < retries) {
      await sleep(retryAfter(r, attempt));
      continue;
    }
    if (r.status === 401) storeSession(null);
    if (raw && (r.ok || r.status === 304)) return r;
    if (!r.ok) throw await problemOf(r);
    return r.status === 204 ? null : r.json();
  }
}

const tagged = new Map();

/** A GET of numbers that carry an ETag: a 304 answers what the last 200 said. */
export async function fresh(path, query) {
  const url = path + encodeQuery(query);
  const known = tagged.get(url);
  const r = await api('GET', url, { raw: true, headers: known ? { 'if-none-match': known.etag } : {} });
  if (r.status === 304 && known) return known.body;
  const body = await r.json();
  const etag = r.headers.get('etag');
  if (etag) tagged.set(url, { etag, body });
  return body;
}

/** The first items of a list, following its cursor up to `max`, and whether more are left. */
export async function some(path, query = {}, max = 500) {
  const items = [];
  let cursor;
  do {
    const limit = Math.min(500, max - items.length);
    const page = await api('GET', path, { query: { ...query, limit, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return { items, more: Boolean(cursor) };
}

/** Every item of a list, following its cursor (at most `max`): the units of a jurisdiction,
 * its vehicles, the handoffs pending at a desk. */
export async function all(path, query = {}, max = Infinity) {
  return (await some(path, query, max)).items;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function download(path, query, fallbackName) {
  const r = await api('GET', path, { query, raw: true });
  const blob = await r.blob();
  const disposition = r.headers.get('content-disposition') || '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] || fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}

/** The access token for a stream opened by hand (see live.js). */
export async function accessToken() {
  let s = session;
  if (!s) throw new Problem(401, { code: 'unauthorized' });
  if (s.expires_at - Date.now() < 30000) s = await refreshed(s.access_token);
  return s.access_token;
}

export async function renewAfterRefusal(stale) {
  return refreshed(stale);
}

export { setReachable };
