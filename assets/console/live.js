// The live feed: GET /events/stream read with fetch(), since EventSource cannot send the bearer
// token. One connection per page, shared by every view that follows it; after a break it
// resumes with Last-Event-ID, so no event in between is missed.

import { accessToken, renewAfterRefusal, setReachable } from './api.js';

const subscribers = new Set();
let running = false;
let lastId = null;
let controller = null;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls `fn(event)` for each new event in the caller's scope; answers a function that stops. */
export function follow(fn) {
  subscribers.add(fn);
  if (!running) {
    running = true;
    loop();
  }
  return () => {
    subscribers.delete(fn);
    if (!subscribers.size) {
      running = false;
      controller?.abort();
    }
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

async function loop() {
  while (running) {
    controller = new AbortController();
    let token;
    try {
      token = await accessToken();
      const headers = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      if (lastId) headers['last-event-id'] = lastId;
      const r = await fetch('/api/v1/events/stream', { headers, signal: controller.signal });
      if (r.status === 401) {
        await renewAfterRefusal(token);
        continue;
      }
      if (!r.ok) {
        setReachable(r.status !== 503);
        await sleep(r.status === 429 ? 5000 : 2000);
        continue;
      }
      setReachable(true);
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (e) {
      if (!running) return;
      if (e?.status === 401) return;
      if (e?.name !== 'AbortError') setReachable(false);
    }
    if (running) await sleep(1000);
  }
}
