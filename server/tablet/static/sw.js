// The tablet's service worker: keeps the app shell (styles, scripts, the offline page and
// the last welcome screen) so that a navigation without network shows the product's own
// page, never the browser's error page. It keeps nothing about a respondent: answers are
// never cached here, and saves (PUT, POST) pass straight through to the server.
"use strict";
var SHELL = "lm-shell-v1";
var SHELL_URLS = [
  "/static/tablet.css", "/static/vas.css", "/static/ranking.css", "/static/connection.css",
  "/static/tablet.js", "/static/routing.js", "/static/queue.js", "/static/vas.js", "/static/ranking.js",
  "/static/favicon.svg", "/tablet/offline?lang=da", "/tablet/offline?lang=en",
];

function fillShell() {
  return caches.open(SHELL).then(function (cache) {
    // One by one: a file that fails now is fetched again at the next visit.
    return Promise.all(SHELL_URLS.map(function (url) {
      return cache.add(new Request(url, { cache: "reload", credentials: "same-origin" })).catch(function () {});
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(fillShell().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) { return key.indexOf("lm-shell-") === 0 && key !== SHELL; }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function lang(url) { return url.searchParams.get("lang") === "en" ? "en" : "da"; }
function welcomeKey(language) { return "/welcome?lang=" + language; }

async function offlinePage(url) {
  var cache = await caches.open(SHELL);
  // The welcome screen itself works offline as far as it can (its next step needs the server).
  if (url.pathname === "/" || url.pathname === "/tablet/kiosk/reset") {
    var welcome = await cache.match(welcomeKey(lang(url)));
    if (welcome) { return welcome; }
  }
  var page = await cache.match("/tablet/offline?lang=" + lang(url));
  if (page) { return page; }
  return new Response(
    "<!doctype html><html lang=\"da\"><meta charset=\"utf-8\"><title>Mindste middel</title>" +
    "<p>Ingen forbindelse lige nu. Dine svar er gemt p\u00e5 tabletten og sendes, n\u00e5r forbindelsen er tilbage.</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }
  );
}

async function navigate(event) {
  var url = new URL(event.request.url);
  try {
    var response = await fetch(event.request);
    if (url.pathname === "/" && response.ok && !response.redirected) {
      var copy = response.clone();
      event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.put(welcomeKey(lang(url)), copy); }));
    }
    event.waitUntil(caches.open(SHELL).then(function (cache) {
      return cache.match("/tablet/offline?lang=da").then(function (hit) { return hit ? null : fillShell(); });
    }));
    return response;
  } catch (e) {
    return offlinePage(url);
  }
}

async function shellFile(request) {
  try {
    var response = await fetch(request);
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  } catch (e) {
    var cached = await caches.match(request, { ignoreSearch: true });
    if (cached) { return cached; }
    throw e;
  }
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(shellFile(request));
  }
});
