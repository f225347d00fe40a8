// The console's service worker: the console opens again with no network. It keeps the console's
// own files of one version ({{version}}) in a cache of that version, and nothing else: API answers
// (personal data) pass by untouched and stay out of every cache. A new version installs beside
// the old one and waits; the page tells the officer to reload when nothing is being sent, then
// asks it to take over, and the old version's cache goes.

const VERSION = '{{version}}';
const CACHE = `console-${VERSION}`;
const PAGE = '/console/';
const FILES = [PAGE, {{files}}];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES.map((url) => new Request(url, { cache: 'reload' })))));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'take-over') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.startsWith('/console')) {
    // The page from the network while there is one that answers well and soon (a new version
    // arrives with it), else the page of this version: no network, an error page on the way, or
    // a signal too weak to bring it within four seconds.
    event.respondWith(
      (async () => {
        const kept = () => caches.open(CACHE).then((cache) => cache.match(PAGE));
        try {
          const slow = new Promise((_, fail) => setTimeout(() => fail(new Error('slow')), 4000));
          const answer = await Promise.race([fetch(request), slow]);
          return answer.ok ? answer : (await kept()) || answer;
        } catch {
          return (await kept()) || Response.error();
        }
      })(),
    );
    return;
  }
  if (url.pathname.startsWith('/console/assets/')) {
    // A file's address names its version: the cached copy is the file.
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
  }
});
