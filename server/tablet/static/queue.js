// Never lose an answer, never skip a question, never cry wolf.
//
// Each answer is queued on the device and PUT to the idempotent answer API. The first
// item page carries the whole questionnaire (route plan, answers so far, every candidate
// screen: server/tablet/offline_screens.py), so the device shows the next screen itself,
// with the same skip rules as the server (routing.js), whether or not the network is up;
// the server stays the judge of every save, and a refused save is said out loud.
// The connection status is a fixed overlay (it never moves the screen) and appears only
// when a failure has lasted a while. An idle kiosk wipe moves unsent answers to a device
// outbox that only the sender below reads. Without this script the server-rendered forms
// do the same work, online only.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  var QUEUE = "lm.queue";
  var OUTBOX = "lm.outbox";
  var SCREENS_CACHE = "lm-questionnaire";
  // The screens of the questionnaire this browser holds (server/tablet/pages.py).
  var QUESTIONS = "/tablet/questions/";
  var MISSING = ["dont_know", "prefer_not_to_answer"];
  // A failure must last this long before the respondent hears of it: a slow save is not an outage.
  var ALARM_AFTER_MS = 2000;
  // Taps this soon after the tap that moved on belong to it (a double tap), not to the new screen.
  var SETTLE_MS = 220;
  var body = document.body;
  var status = document.getElementById("queue-status");

  function load(key) {
    try { return JSON.parse(localStorage.getItem(key || QUEUE) || "[]"); } catch (e) { return []; }
  }
  function save(queue, key) {
    try {
      if (queue.length) { localStorage.setItem(key || QUEUE, JSON.stringify(queue)); } else { localStorage.removeItem(key || QUEUE); }
    } catch (e) { /* storage disabled: the answer still goes straight to the server */ }
  }
  function same(a, b) { return a.r === b.r && a.i === b.i; }

  // --- connection status ------------------------------------------------------------
  var failingSince = 0;
  var waiting = false; // an action (stop, pause, send) waits for the network
  var alarmed = false;
  var alarmTimer = null;
  var noticeTimer = null;
  var notice = "";

  function show(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.classList.toggle("sent", kind === "sent");
    status.classList.toggle("refused", kind === "refused");
  }
  function render() {
    if (notice) { show(notice, "refused"); return; }
    var pending = load().length;
    var lasting = failingSince && Date.now() - failingSince >= ALARM_AFTER_MS;
    if (lasting && pending) {
      alarmed = true;
      show(body.dataset.pendingText.replace("{n}", String(pending)));
    } else if (lasting && waiting) {
      alarmed = true;
      show(body.dataset.offlineText);
    } else if (alarmed && !pending && !failingSince) {
      // Only a respondent who was told of an outage is told it is over.
      alarmed = false;
      show(body.dataset.sentText, "sent");
      clearTimeout(noticeTimer);
      noticeTimer = setTimeout(function () { if (!alarmed && !notice) { show(""); } }, 4000);
    } else if (!alarmed && !(status && status.classList.contains("sent"))) {
      show("");
    }
  }
  function failed() {
    if (!failingSince) {
      failingSince = Date.now();
      clearTimeout(alarmTimer);
      alarmTimer = setTimeout(render, ALARM_AFTER_MS + 50);
    }
  }
  function reached() {
    failingSince = 0;
    clearTimeout(alarmTimer);
  }
  function refuse(text) {
    notice = text;
    render();
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { notice = ""; show(""); render(); }, 8000);
  }

  lm.pendingAnswers = function () { return load().length; };
  lm.clearQueue = function () { save([]); };

  // A newer answer to the same item replaces the queued one: the last word counts. Each
  // entry carries its session's key, so it can still be sent after a kiosk wipe has
  // made the browser forget the questionnaire (the server then stores it only if the
  // item has no answer yet, and reads nothing back).
  lm.enqueue = function (responseId, sessionKey, item, answer) {
    var entry = { r: responseId, k: sessionKey, i: item, b: answer };
    var queue = load().filter(function (e) { return !same(e, entry); });
    queue.push(entry);
    save(queue);
  };

  // The kiosk wipe: unsent answers leave the respondent's queue for the device outbox,
  // which no screen shows, reads or changes; only the sender below reads it.
  lm.moveQueueToOutbox = function () {
    var queue = load();
    if (!queue.length) { return; }
    var outbox = load(OUTBOX).filter(function (e) { return !queue.some(function (q) { return same(q, e); }); });
    save(outbox.concat(queue), OUTBOX);
    save([]);
  };
  lm.outboxKey = OUTBOX;
  lm.forgetScreens = function () {
    if (window.caches) { return caches.delete(SCREENS_CACHE).catch(function () {}); }
    return Promise.resolve();
  };

  async function put(entry) {
    return fetch("/api/v1/responses/" + entry.r + "/answers/" + encodeURIComponent(entry.i), {
      method: "PUT",
      headers: { "Content-Type": "application/json", "X-Session-Key": entry.k || "" },
      body: JSON.stringify(entry.b),
      credentials: "same-origin",
      cache: "no-store",
    });
  }

  // Send one list in order; false when the network or the server gave out.
  async function drain(key) {
    var queue = load(key);
    while (queue.length) {
      var entry = queue[0];
      var response;
      try { response = await put(entry); } catch (e) { failed(); return false; }
      if (response.status >= 500 || response.status === 429) { failed(); return false; }
      reached();
      if (response.status >= 400 && response.status !== 409 && key === QUEUE) { onRefused(entry); }
      // Stored (2xx), or refused for good (4xx; 409: handed in meanwhile): done either way.
      var sent = JSON.stringify(entry.b);
      queue = load(key).filter(function (e) { return !(same(e, entry) && JSON.stringify(e.b) === sent); });
      save(queue, key);
    }
    return true;
  }

  var flushing = null;
  // Send the outbox, then the queue; resolves true when the queue is empty.
  lm.flush = function () {
    if (flushing) { return flushing; }
    flushing = (async function () {
      var ok = (await drain(OUTBOX)) && (await drain(QUEUE));
      render();
      return ok && load().length === 0;
    })();
    flushing.finally(function () { flushing = null; });
    return flushing;
  };

  window.addEventListener("online", function () { lm.flush(); });
  setInterval(function () { if (load().length || load(OUTBOX).length) { lm.flush(); } }, 3000);
  if (load().length || load(OUTBOX).length) { lm.flush(); }

  // --- the offline page and the worker that serves it -------------------------------
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* online pages still work */ });
  }

  // --- answers on a screen ------------------------------------------------------------
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

  // Restoring an answer on a screen rendered without one (types without a writer of their own).
  var builtinWriters = {
    radio: function (itemForm, value) {
      itemForm.querySelectorAll("input[name=value]").forEach(function (input) { input.checked = input.value === String(value); });
    },
    multiple: function (itemForm, value) {
      itemForm.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = value.indexOf(box.name.replace(/^value\./, "")) >= 0; });
    },
    text: function (itemForm, value) {
      var text = itemForm.querySelector("textarea[name=value]");
      if (text) { text.value = value; }
    },
    ranking: function (itemForm, value) {
      itemForm.querySelectorAll("select[name^='rank.']").forEach(function (select) {
        var at = value.indexOf(select.name.replace(/^rank\./, ""));
        select.value = at >= 0 ? String(at + 1) : "";
      });
    },
  };
  function writeAnswer(itemForm, answer) {
    if (!answer) { return; }
    itemForm.querySelectorAll("button.missing").forEach(function (b) {
      var chosen = answer.missing === b.value;
      b.classList.toggle("chosen", chosen);
      b.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
    if (answer.value === undefined || answer.value === null) { return; }
    var type = itemForm.dataset.itemType;
    var writer = (lm.answerWriters && lm.answerWriters[type]) || builtinWriters[type] ||
      (["numeric", "likert", "single", "paired"].indexOf(type) >= 0 ? builtinWriters.radio : null);
    if (writer) { writer(itemForm, answer.value); }
  }

  // --- not skipping: one advance per screen -----------------------------------------
  var settling = false;
  var settleTimer = null;
  var held = [];
  // For a moment after moving on, the new screen's controls take no taps: the second tap
  // of a double tap would otherwise answer or skip a question nobody has read.
  function settle(since) {
    var wait = since + SETTLE_MS - performance.now();
    if (wait <= 0) { return; }
    settling = true;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(function () {
      settling = false;
      held.forEach(function (control) { control.disabled = false; });
      held = [];
    }, wait);
  }
  // Called once the new screen is in place. The language form's fields are not held: the
  // toolbar's switch is no answer, and a disabled `screen` field is not posted, so the
  // switch would lose the respondent's place.
  function holdControls() {
    if (!settling) { return; }
    document.querySelectorAll("main button, main input, main select, main textarea").forEach(function (control) {
      if (control.closest(".language-form")) { return; }
      if (!control.disabled) { control.disabled = true; held.push(control); }
    });
  }
  document.addEventListener("click", function (event) {
    if (settling && event.target.closest && event.target.closest("main")) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  function afterSwap(url, push) {
    if (push) { history.pushState({ lm: true }, "", url); }
    holdControls();
    var main = document.querySelector("main");
    if (lm.initVas) { lm.initVas(main); }
    if (lm.initRanking) { lm.initRanking(main); }
    var heading = document.querySelector("main h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
    window.scrollTo(0, 0);
  }
  function progressText(text) {
    var counter = document.querySelector(".toolbar .progress-text");
    if (counter) { counter.textContent = text; counter.hidden = !text; }
  }

  // --- the questionnaire on the device --------------------------------------------------
  var bundle = null;
  (function readBundle() {
    var data = document.getElementById("lm-questionnaire");
    if (!data || !lm.visibleCodes) { return; }
    try { bundle = JSON.parse(data.textContent); } catch (e) { return; }
    bundle.screens = {};
    document.querySelectorAll("template.lm-screen").forEach(function (template) {
      if (template.dataset.end) { bundle.end = template; } else { bundle.screens[template.dataset.itemCode] = template; }
    });
    // Answers queued on this device are newer than what the server had.
    load().forEach(function (e) { if (e.r === bundle.id) { bundle.answers[e.i] = [e.b.value === undefined ? null : e.b.value, e.b.missing || null]; } });
  })();

  function visible() { return lm.visibleCodes(bundle.plan, bundle.answers); }
  function screenUrl(n) { return QUESTIONS + n; }

  // Show screen `n` of the items asked now (n == their number: the end screen).
  function showScreen(n, push) {
    var codes = visible();
    n = Math.max(0, Math.min(n, codes.length));
    var main = document.querySelector("main");
    var total = Math.max(codes.length, 1);
    if (n >= codes.length) {
      main.replaceChildren(bundle.end.content.cloneNode(true));
      var back = main.querySelector(".nav a");
      if (back) { back.setAttribute("href", screenUrl(Math.max(codes.length - 1, 0))); }
      progressText("");
      afterSwap(QUESTIONS + "end", push);
      return;
    }
    var code = codes[n];
    main.replaceChildren(bundle.screens[code].content.cloneNode(true));
    var itemForm = form();
    itemForm.setAttribute("action", screenUrl(n));
    itemForm.dataset.index = String(n);
    itemForm.dataset.total = String(total);
    var bar = main.querySelector("progress");
    if (bar) { bar.max = total; bar.value = n; }
    var backButton = itemForm.querySelector(".nav button[value=back]");
    if (backButton && n === 0) { backButton.remove(); }
    var languageScreen = main.querySelector("#language-form input[name=screen]");
    if (languageScreen) { languageScreen.value = String(n); }
    var saved = bundle.answers[code];
    if (saved) { writeAnswer(itemForm, { value: saved[0], missing: saved[1] }); }
    progressText(bundle.questionOf.replace("{n}", String(n + 1)).replace("{total}", String(total)));
    afterSwap(screenUrl(n), push);
  }

  function onRefused(entry) {
    if (bundle && entry.r === bundle.id) { delete bundle.answers[entry.i]; }
    refuse(body.dataset.refusedText || body.dataset.offlineText);
  }

  // --- without the questionnaire on the device: screens from the server -------------
  var pages = new Map();
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
      // Skip logic changed which items are asked: the screens fetched ahead are out of date.
      pages.clear();
      pages.set(pageKey(url), html);
      setTimeout(prefetch, 300);
    }
    var fresh = doc.querySelector(".toolbar .progress-text");
    progressText(fresh ? fresh.textContent : "");
    document.title = doc.title;
    var itemForm = form();
    if (itemForm) {
      var entry = load().filter(function (e) { return e.r === itemForm.dataset.responseId && e.i === itemForm.dataset.itemCode; })[0];
      if (entry) { writeAnswer(itemForm, entry.b); }
    }
    afterSwap(url, push);
  }

  var navigating = false;
  async function go(url, fallbackKey, push) {
    navigating = true;
    try {
      var response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) { throw new Error(String(response.status)); }
      var html = await response.text();
      pages.set(pageKey(response.url), html);
      swap(response.url, html, push);
      reached();
    } catch (e) {
      var cached = pages.get(fallbackKey);
      if (cached) {
        swap(fallbackKey, cached, push);
      } else {
        failed();
        waiting = true;
        window.addEventListener("online", function () { waiting = false; go(url, fallbackKey, push); }, { once: true });
      }
    } finally {
      navigating = false;
      render();
    }
  }

  // Fetch the other screens ahead, again after each outage, so the questionnaire can go on.
  async function prefetch() {
    var itemForm = form();
    if (!itemForm || bundle) { return; }
    var total = parseInt(itemForm.dataset.total, 10);
    var urls = [];
    for (var i = 0; i < total; i++) { urls.push(QUESTIONS + i); }
    urls.push(QUESTIONS + "end");
    for (var j = 0; j < urls.length; j++) {
      if (pages.has(urls[j]) || urls[j] === location.pathname) { continue; }
      try {
        var response = await fetch(urls[j], { credentials: "same-origin", cache: "no-store" });
        if (response.ok && !response.redirected) { pages.set(urls[j], await response.text()); }
      } catch (e) {
        window.addEventListener("online", prefetch, { once: true });
        return;
      }
    }
  }
  if (form() && !bundle) {
    pages.set(location.pathname, document.documentElement.outerHTML);
    setTimeout(prefetch, 300);
  }

  // --- moving on ----------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (target.matches("form.item-form")) { onItemSubmit(event, target); }
    else if (target.matches("form.submit-form")) { onFinalSubmit(event, target); }
  });

  function leave(action) {
    waiting = true;
    lm.flush().then(function (sent) {
      if (sent) { location.assign(QUESTIONS + action); return; }
      render();
      window.addEventListener("online", function () { leave(action); }, { once: true });
    });
  }

  function onItemSubmit(event, itemForm) {
    var now = performance.now();
    if (navigating || settling) { event.preventDefault(); return; }
    var action = event.submitter ? event.submitter.value : "next";
    var answer = answerFrom(itemForm, action);
    if (answer === undefined) { return; }
    event.preventDefault();
    var id = itemForm.dataset.responseId;
    var sessionKey = itemForm.dataset.sessionKey;
    var code = itemForm.dataset.itemCode;
    var index = parseInt(itemForm.dataset.index, 10);
    var total = parseInt(itemForm.dataset.total, 10);
    if (answer) { lm.enqueue(id, sessionKey, code, answer); }
    if (action === "stop" || action === "pause") { leave(action); return; }

    if (bundle && bundle.id === id) {
      if (answer) { bundle.answers[code] = [answer.value === undefined ? null : answer.value, answer.missing || null]; }
      var codes = visible();
      // The server drops answers to items an answer hides: so does the device.
      Object.keys(bundle.answers).forEach(function (c) { if (codes.indexOf(c) < 0) { delete bundle.answers[c]; } });
      var at = codes.indexOf(code);
      if (at < 0) { at = index; }
      settle(now);
      showScreen(action === "back" ? Math.max(at - 1, 0) : at + 1, true);
      lm.flush();
      return;
    }

    // Without the questionnaire on the device: the server picks the next screen.
    settle(now);
    navigating = true;
    lm.flush().then(function (sent) {
      navigating = false;
      var previous = Math.max(index - 1, 0);
      var nextKey = index + 1 >= total ? QUESTIONS + "end" : QUESTIONS + (index + 1);
      if (action === "back") {
        go(QUESTIONS + previous, QUESTIONS + previous, true);
      } else if (sent) {
        go(QUESTIONS + index + "/next", nextKey, true);
      } else {
        var cached = pages.get(nextKey);
        if (cached) { swap(nextKey, cached, true); } else { go(nextKey, nextKey, true); }
      }
    });
  }

  function onFinalSubmit(event, submitForm) {
    event.preventDefault();
    if (settling || submitForm.dataset.sending) { return; }
    submitForm.dataset.sending = "1";
    var send = async function () {
      waiting = true;
      var sent = await lm.flush();
      if (sent) {
        try {
          var response = await fetch(submitForm.action, { method: "POST", credentials: "same-origin", body: new URLSearchParams(new FormData(submitForm)) });
          if (!response.ok) { throw new Error(String(response.status)); }
          lm.clearQueue();
          await lm.forgetScreens();
          location.replace(response.url);
          return;
        } catch (e) {
          failed();
        }
      }
      // Offline: the answers wait on the device and the questionnaire is sent when the network is back.
      render();
      window.addEventListener("online", send, { once: true });
    };
    send();
  }

  // The end screen's Back link: the previous screen is on the device too.
  document.addEventListener("click", function (event) {
    var link = bundle && event.target.closest && event.target.closest("main a[href]");
    var match = link && link.getAttribute("href").match(/^\/tablet\/questions\/(\d+)$/);
    if (!match || event.defaultPrevented) { return; }
    event.preventDefault();
    settle(performance.now());
    showScreen(parseInt(match[1], 10), true);
  });

  window.addEventListener("popstate", function () {
    var match = location.pathname.match(/^\/tablet\/questions\/(\d+|end)$/);
    if (bundle && match) {
      showScreen(match[1] === "end" ? Infinity : parseInt(match[1], 10), false);
      return;
    }
    if (!form() && !document.querySelector("form.submit-form")) { return; }
    go(location.href, location.pathname, false);
  });
})();
