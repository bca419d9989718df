// Never lose an answer: each answer is queued on the device and PUT to the idempotent
// answer API; if the network drops, the queue waits and the questionnaire goes on from
// pages fetched ahead of time. The queue holds only the random questionnaire id, item
// codes and answers, and is cleared on submit and on kiosk reset.
// Without this script the server-rendered forms do the same work, online only.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  var KEY = "lm.queue";
  var MISSING = ["dont_know", "prefer_not_to_answer"];
  var body = document.body;
  var status = document.getElementById("queue-status");

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    if (queue.length) { localStorage.setItem(KEY, JSON.stringify(queue)); } else { localStorage.removeItem(KEY); }
  }
  function same(a, b) { return a.r === b.r && a.i === b.i; }

  var hadPending = false;
  var sentTimer = null;
  function render(message) {
    if (!status) { return; }
    var pending = load().length;
    clearTimeout(sentTimer);
    status.classList.remove("sent");
    if (message) {
      status.textContent = message;
    } else if (pending) {
      status.textContent = body.dataset.pendingText.replace("{n}", String(pending));
      hadPending = true;
    } else if (hadPending) {
      hadPending = false;
      status.textContent = body.dataset.sentText;
      status.classList.add("sent");
      sentTimer = setTimeout(function () { status.textContent = ""; status.classList.remove("sent"); }, 4000);
    } else {
      status.textContent = "";
    }
  }

  lm.pendingAnswers = function () { return load().length; };
  lm.clearQueue = function () { localStorage.removeItem(KEY); };

  // A newer answer to the same item replaces the queued one: the last word counts.
  lm.enqueue = function (responseId, item, answer) {
    var entry = { r: responseId, i: item, b: answer };
    var queue = load().filter(function (e) { return !same(e, entry); });
    queue.push(entry);
    save(queue);
  };

  var flushing = null;
  // Send the queue in order; resolves true when it is empty.
  lm.flush = function () {
    if (flushing) { return flushing; }
    flushing = (async function () {
      var queue = load();
      while (queue.length) {
        var entry = queue[0];
        var response;
        try {
          response = await fetch("/api/v1/responses/" + entry.r + "/answers/" + encodeURIComponent(entry.i), {
            method: "PUT",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(entry.b),
            credentials: "same-origin",
            cache: "no-store",
          });
        } catch (e) {
          break;
        }
        if (response.status >= 500 || response.status === 429) { break; }
        // Stored (2xx), or refused for good (4xx: e.g. submitted meanwhile): done either way.
        var sent = JSON.stringify(entry.b);
        queue = load().filter(function (e) { return !(same(e, entry) && JSON.stringify(e.b) === sent); });
        save(queue);
      }
      render();
      return load().length === 0;
    })();
    flushing.finally(function () { flushing = null; });
    return flushing;
  };

  window.addEventListener("online", function () { lm.flush(); });
  setInterval(function () { if (load().length) { lm.flush(); } }, 5000);
  render();
  if (load().length) { lm.flush(); }

  // --- item screens: save through the queue, move on from fetched pages ---------------
  var pages = new Map();

  function form() { return document.querySelector("form.item-form"); }

  function answerFrom(itemForm, action) {
    if (MISSING.indexOf(action) >= 0) { return { missing: action }; }
    if (action === "skip") { return null; }
    // Item types with a control script of their own read their answer there (vas.js,
    // ranking.js): {value: ...}, null for no answer, undefined to let the form post go.
    var reader = lm.answerReaders && lm.answerReaders[itemForm.dataset.itemType];
    if (reader) { return reader(itemForm); }
    var type = itemForm.dataset.itemType;
    if (["numeric", "likert", "single", "paired"].indexOf(type) >= 0) {
      var checked = itemForm.querySelector("input[name=value]:checked");
      if (!checked) { return null; }
      return { value: type === "numeric" ? parseInt(checked.value, 10) : checked.value };
    }
    if (type === "multiple") {
      var codes = [];
      itemForm.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) { codes.push(box.name.replace(/^value\./, "")); });
      return codes.length ? { value: codes } : null;
    }
    if (type === "text") {
      var text = itemForm.querySelector("textarea[name=value]");
      return text && text.value.trim() ? { value: text.value } : null;
    }
    return undefined; // a type this script does not read: the plain form post handles it
  }

  function pageKey(url) { return new URL(url, location.href).pathname; }

  function swap(url, html, push) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main || !doc.querySelector("form.item-form, form.submit-form")) { location.assign(url); return; }
    var before = form();
    var totalBefore = before ? before.dataset.total : null;
    document.querySelector("main").innerHTML = main.innerHTML;
    var after = form();
    if (after && totalBefore !== null && after.dataset.total !== totalBefore) {
      // Skip logic changed which items are asked (screens are numbered by position among
      // the asked ones): the screens fetched ahead are out of date, fetch them again.
      pages.clear();
      pages.set(pageKey(url), html);
      setTimeout(prefetch, 300);
    }
    var toolbar = doc.querySelector(".toolbar");
    var start = document.querySelector(".toolbar .progress-text");
    var newStart = toolbar && toolbar.querySelector(".progress-text");
    if (start && newStart) { start.textContent = newStart.textContent; }
    document.title = doc.title;
    if (push) { history.pushState({ lm: true }, "", url); }
    applyQueued();
    if (lm.initVas) { lm.initVas(document.querySelector("main")); }
    var heading = document.querySelector("main h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  }

  // A page fetched before its answer was given is shown with the queued answer.
  function applyQueued() {
    var itemForm = form();
    if (!itemForm) { return; }
    var entry = load().filter(function (e) { return e.r === itemForm.dataset.responseId && e.i === itemForm.dataset.itemCode; })[0];
    if (!entry) { return; }
    itemForm.querySelectorAll("button.missing").forEach(function (b) {
      var chosen = entry.b.missing === b.value;
      b.classList.toggle("chosen", chosen);
      b.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
    var writer = lm.answerWriters && lm.answerWriters[itemForm.dataset.itemType];
    if (writer && entry.b.value !== undefined && entry.b.value !== null) { writer(itemForm, entry.b.value); }
  }

  async function go(url, fallbackKey, push) {
    try {
      var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) { throw new Error(String(response.status)); }
      var html = await response.text();
      pages.set(pageKey(response.url), html);
      swap(response.url, html, push);
    } catch (e) {
      var cached = pages.get(fallbackKey);
      if (cached) {
        swap(fallbackKey, cached, push);
      } else {
        render(body.dataset.offlineText);
        window.addEventListener("online", function () { go(url, fallbackKey, push); }, { once: true });
      }
    }
  }

  // Fetch the questionnaire's other screens once, so it can go on through an outage.
  async function prefetch() {
    var itemForm = form();
    if (!itemForm) { return; }
    var id = itemForm.dataset.responseId;
    var total = parseInt(itemForm.dataset.total, 10);
    var urls = [];
    for (var i = 0; i < total; i++) { urls.push("/tablet/" + id + "/" + i); }
    urls.push("/tablet/" + id + "/end");
    for (var j = 0; j < urls.length; j++) {
      if (pages.has(urls[j]) || urls[j] === location.pathname) { continue; }
      try {
        var response = await fetch(urls[j], { credentials: "same-origin", cache: "no-store" });
        if (response.ok && !response.redirected) { pages.set(urls[j], await response.text()); }
      } catch (e) {
        return;
      }
    }
  }
  if (form()) {
    pages.set(location.pathname, document.documentElement.outerHTML);
    setTimeout(prefetch, 300);
  }

  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (target.matches("form.item-form")) { onItemSubmit(event, target); }
    else if (target.matches("form.submit-form")) { onFinalSubmit(event, target); }
  });

  function onItemSubmit(event, itemForm) {
    var action = event.submitter ? event.submitter.value : "next";
    var answer = answerFrom(itemForm, action);
    if (answer === undefined) { return; }
    event.preventDefault();
    var id = itemForm.dataset.responseId;
    var index = parseInt(itemForm.dataset.index, 10);
    var total = parseInt(itemForm.dataset.total, 10);
    if (answer) { lm.enqueue(id, itemForm.dataset.itemCode, answer); }
    render();
    lm.flush().then(function (sent) {
      if (action === "stop" || action === "pause") {
        if (sent) { location.assign("/tablet/" + id + "/" + action); } else { render(body.dataset.offlineText); }
        return;
      }
      var previous = Math.max(index - 1, 0);
      var nextKey = index + 1 >= total ? "/tablet/" + id + "/end" : "/tablet/" + id + "/" + (index + 1);
      if (action === "back") {
        go("/tablet/" + id + "/" + previous, "/tablet/" + id + "/" + previous, true);
      } else if (sent) {
        // Online: the server picks the next screen (skip logic may depend on this answer).
        go("/tablet/" + id + "/" + index + "/next", nextKey, true);
      } else {
        var cached = pages.get(nextKey);
        if (cached) { swap(nextKey, cached, true); } else { go(nextKey, nextKey, true); }
      }
    });
  }

  function onFinalSubmit(event, submitForm) {
    event.preventDefault();
    var send = async function () {
      var sent = await lm.flush();
      if (!sent) {
        render(body.dataset.offlineText);
        window.addEventListener("online", send, { once: true });
        return;
      }
      try {
        var response = await fetch(submitForm.action, { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(submitForm)) });
        if (!response.ok) { throw new Error(String(response.status)); }
        lm.clearQueue();
        location.replace(response.url);
      } catch (e) {
        render(body.dataset.offlineText);
        window.addEventListener("online", send, { once: true });
      }
    };
    send();
  }

  window.addEventListener("popstate", function () {
    if (!form() && !document.querySelector("form.submit-form")) { return; }
    var key = location.pathname;
    go(location.href, key, false);
  });
})();
