// The live feed: GET /events/stream read with fetch(), since EventSource cannot send the bearer
// token. One connection per page, shared by every view that follows it; after a break it
// resumes with Last-Event-ID, so no event in between is missed.

import { accessToken, renewAfterRefusal, setReachable } from './api.js';

const subscribers = new Set();
let lastId = null;
/** The loop now reading, with its own way to stop; a stopped loop never reads again. */
let current = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn(event)` for each new event in the caller's scope; answers a function that stops. */
export function follow(fn) {
  subscribers.add(fn);
  if (!current) {
    current = { stopped: false, controller: null };
    loop(current);
  }
  return () => {
    subscribers.delete(fn);
    if (!subscribers.size && current) {
      current.stopped = true;
      current.controller?.abort();
      current = null;
      // A screen opened later starts from then, not from where this one stopped.
      lastId = null;
    }
  };
}

/**
 * Calls `fn` once, `delay` ms after an event that `match` accepts, however many come together:
 * a screen reloads its figures once for a burst of changes. Answers a function that stops.
 */
export function followSoon(match, fn, delay = 250) {
  let queued = null;
  const stop = follow((event) => {
    if (!match(event) || queued) return;
    queued = setTimeout(() => {
      queued = null;
      fn();
    }, delay);
  });
  return () => {
    clearTimeout(queued);
    stop();
  };
}

function dispatch(frame) {
  let id = null;
  let data = '';
  for (const line of frame.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (id) lastId = id;
  if (!data) return;
  let event;
  try {
    event = JSON.parse(data);
  } catch {
    return;
  }
  subscribers.forEach((fn) => fn(event));
}

async function loop(me) {
  let refusals = 0;
  while (!me.stopped) {
    me.controller = new AbortController();
    let token;
    try {
      token = await accessToken();
      const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const r = await fetch('/api/v1/events/stream', { headers, signal: me.controller.signal });
      if (r.status === 401) {
        await renewAfterRefusal(token);
        await sleep(Math.min(30000, 1000 * 2 ** refusals++));
        continue;
      }
      refusals = 0;
      if (!r.ok) {
        setReachable(r.status !== 503);
        await sleep(r.status === 429 ? 5000 : 2000);
        continue;
      }
      setReachable(true);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      // The service sends a comment at least every 15 s; a stream silent for longer is dead.
      let watchdog = setTimeout(() => me.controller.abort(), 40000);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done || me.stopped) break;
          clearTimeout(watchdog);
          watchdog = setTimeout(() => me.controller.abort(), 40000);
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            if (!me.stopped) dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } finally {
        clearTimeout(watchdog);
      }
    } catch (e) {
      if (me.stopped) return;
      if (e?.status === 401) return;
      if (e?.name !== 'AbortError') setReachable(false);
    }
    if (!me.stopped) await sleep(1000);
  }
}
