// The console's service worker: the console opens at once, and with no network. It keeps the
// console's own files of one version ({{version}}) in a cache of that version, and nothing else:
// API answers (personal data) pass by untouched and stay out of every cache. A new version
// installs beside the old one and waits; the page tells the officer to reload when nothing is
// being sent, then asks it to take over, and the old version's cache goes.

const VERSION = '{{version}}';
const CACHE = `console-${VERSION}`;
const PAGE = '/console/';
const FILES = [PAGE, {{files}}];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // The page must be this version's: during an upgrade another instance may still answer
      // with the old one. Install fails then, and the browser tries again at a later visit.
      const page = await fetch(PAGE, { cache: 'no-cache' });
      if (!page.ok || !(await page.clone().text()).includes(`/console/assets/${VERSION}/`)) {
        throw new Error('the page is not of this version yet');
      }
      // A file's address names its version: the copy the page just loaded is the file.
      await cache.addAll(FILES.filter((url) => url !== PAGE));
      await cache.put(PAGE, page);
    })(),
  );
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
    // The page of this version, at once, with or without a network: it names only this version's
    // files, which this cache holds. A new version comes with a new worker (the browser checks
    // for one at every visit), which the page offers to take over once nothing is being sent.
    event.respondWith(
      caches
        .open(CACHE)
        .then((cache) => cache.match(PAGE))
        .then((kept) => kept || fetch(request)),
    );
    return;
  }
  if (url.pathname.startsWith('/console/assets/')) {
    // A file's address names its version: the cached copy is the file.
    event.respondWith(caches.open(CACHE).then((cache) => cache.match(request)).then((hit) => hit || fetch(request)));
  }
});
