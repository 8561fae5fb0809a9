// The field app's service worker (served at /app/sw.js, scope /app/). It keeps the app's shell so that
// the app opens with no network; it never touches the API (the app's own queue handles writes).
// The version and the list of files are written in by the server (fieldapp/views.py).
const VERSION = '__VERSION__';
const SHELL = __SHELL__;
const CACHE = `field-app-${VERSION}`;
const PAGE = SHELL[0];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `reload`: the shell from the network, not from the HTTP cache of an older version.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
  })());
  // No skipWaiting: a page of the old version still open may load one of its files later (the map);
  // the new worker takes over, and the old files go, when no page of the old version is left.
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith('field-app-') && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(PAGE)) return;
  if (request.mode === 'navigate' || url.pathname === PAGE) {
    // The page: the network first (a new version shows at once), the cached copy when there is none.
    event.respondWith((async () => {
      try {
        const fresh = await fetch(request);
        if (fresh.ok) (await caches.open(CACHE)).put(PAGE, fresh.clone());
        return fresh;
      } catch (err) {
        const cached = await caches.match(PAGE, { cacheName: CACHE });
        if (cached) return cached;
        throw err;
      }
    })());
    return;
  }
  // Versioned files never change under their URL: the cache first.
  event.respondWith((async () => {
    const cached = await caches.match(request, { cacheName: CACHE });
    if (cached) return cached;
    const fresh = await fetch(request);
    if (fresh.ok && url.pathname.includes(`/v/${VERSION}/`)) (await caches.open(CACHE)).put(request, fresh.clone());
    return fresh;
  })());
});
