// Pixel Pals' service worker (docs/web.md "Installable app"), served at
// /sw.js so that its scope is the whole site. It keeps the app shell (the
// page, its modules, styles and pictures: nothing about anyone) so that
// the app opens without a network and says it is offline, and it shows
// Web Push notifications (docs/notifications.md "Push").
//
// It never caches or answers anything else: no /api/ response, no photo or
// voice clip, nothing with personal data. Those go to the network as if
// there were no service worker, so a parent's or child's data is never left
// on a device in a cache that outlives their session.
//
// The server fills in VERSION (the assets' hash) and SHELL (their URLs):
// a new deploy is a new script, which the browser installs, and its
// activation deletes the old shell.
const VERSION = "{{VERSION}}";
const CACHE = "pixelpals-shell-" + VERSION;
const SHELL = {{SHELL}};
const ICON = "/assets/" + VERSION + "/icon-192.png";

self.addEventListener("install", (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (e) => {
  e.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && (url.pathname === "/" || url.pathname === "/index.html")) {
    // The network first, so that a new deploy shows at once; the kept
    // page only when there is no network.
    e.respondWith(fetch(req).catch(() => caches.open(CACHE).then((c) => c.match("/")))
      .then((r) => r || Response.error()));
    return;
  }
  if (url.pathname.startsWith("/assets/" + VERSION + "/")) {
    // Versioned and immutable: the kept copy is the right one.
    e.respondWith(caches.open(CACHE).then((c) => c.match(req)).then((hit) => hit || fetch(req)));
  }
  // Anything else, /api/ above all, is left to the network, untouched.
});

// A push says what kind of thing waits and opens its page on a click. Its
// tag is the notification's: a second copy replaces the first.
self.addEventListener("push", (e) => {
  let m = {};
  try { m = e.data ? e.data.json() : {}; } catch { m = {}; }
  e.waitUntil((m.body ? Promise.resolve(m.body) : fallbackBody()).then((body) => self.registration.showNotification(m.title || "Pixel Pals", {
    body,
    tag: m.tag || undefined,
    icon: ICON,
    badge: ICON,
    data: { url: samePath(m.url) },
  })));
});

// k marks a catalog key (as i18n.js's k does: the catalog test finds it).
const k = (key) => key;

// fallbackBody is the words of a push that came without any (the server
// writes them in the account's language): the catalog of the browser's
// language, kept in the shell (a worker has no page to ask), else English.
function fallbackBody() {
  const key = k("push.fallback");
  const english = "Something in Pixel Pals waits for you.";
  const langs = (self.navigator.languages || [self.navigator.language || ""]).map((l) => String(l).toLowerCase().split("-")[0]);
  const lang = langs.find((l) => ["en", "de", "es"].includes(l)) || "en";
  const url = "/assets/" + VERSION + "/locales/" + lang + ".json";
  return caches.open(CACHE).then((c) => c.match(url)).then((hit) => hit || fetch(url))
    .then((r) => r.json()).then((words) => words[key] || english).catch(() => english);
}

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const target = new URL(samePath(e.notification.data && e.notification.data.url), self.location.origin).href;
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((open) => {
    const tab = open.find((c) => new URL(c.url).origin === self.location.origin);
    if (!tab) return self.clients.openWindow(target);
    return tab.focus().then((t) => t.navigate(target)).catch(() => self.clients.openWindow(target));
  }));
});

// samePath keeps a push's link on this site: a path, never another origin.
function samePath(p) {
  return typeof p === "string" && p.startsWith("/") && !p.startsWith("//") ? p : "/";
}
