// exam-sw.js: the exam page's service worker, served at /exam/sw.js (scope
// /exam/). It lets the page survive a reload while the network is down:
// - the exam page (GET /exam/{session}) and the last session document
//   (GET /web-api/v1/sessions/{session}): network first, the cached copy
//   when the network fails, marked `X-Invigil-Cached: 1` (the page then
//   knows its clock and answers may be old);
// - /assets/* (content-hashed, immutable): cache first.
// It never handles anything but GET: answers, submit and proctoring go
// straight to the network, and the page's own journal keeps what did not
// arrive. The page asks it to cache its shell (`{type: 'cache', urls}`) and
// to forget a finished session (`{type: 'forget', urls}`).

const CACHE = 'invigil-exam-v1';

const PAGE = /^\/exam\/[0-9a-fA-F-]{36}$/;
const SESSION = /^\/web-api\/v1\/sessions\/[0-9a-fA-F-]{36}$/;
const ASSET = /^\/assets\/[^/]+$/;

self.addEventListener('install', () => {
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith('invigil-exam-')) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
    if (!cached) throw err;
    const headers = new Headers(cached.headers);
    headers.set('X-Invigil-Cached', '1');
    return new Response(await cached.blob(), { status: cached.status, headers });
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PAGE.test(url.pathname) && request.mode === 'navigate') {
    event.respondWith(networkFirst(request));
  } else if (SESSION.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  } else if (ASSET.test(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  const urls = (Array.isArray(data.urls) ? data.urls : [])
    .map((u) => new URL(u, self.location.origin))
    .filter((u) => u.origin === self.location.origin
      && (PAGE.test(u.pathname) || SESSION.test(u.pathname) || ASSET.test(u.pathname)));
  if (data.type === 'cache') {
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      for (const u of urls) {
        if (SESSION.test(u.pathname)) continue; // needs the page's CSRF header
        if (ASSET.test(u.pathname) && await cache.match(u.href)) continue;
        try {
          const response = await fetch(u.href, { credentials: 'same-origin' });
          if (response.ok && !response.redirected) await cache.put(u.href, response);
        } catch {
          // offline: the next load tries again
        }
      }
      if (event.ports[0]) event.ports[0].postMessage({ type: 'cached' });
    })());
  } else if (data.type === 'forget') {
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      for (const u of urls) await cache.delete(u.href, { ignoreSearch: true, ignoreVary: true });
    })());
  }
});
