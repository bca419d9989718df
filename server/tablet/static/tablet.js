// Progressive enhancement for every tablet page: text size, read-aloud, and the kiosk's
// idle reset. Pages work without it; nothing here talks to anything but this server.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  var body = document.body;
  var root = document.documentElement;

  // --- text size -----------------------------------------------------------------------
  var SIZE_KEY = "lm.textsize";
  var MAX_SIZE = 3;
  function applySize(level) {
    for (var i = 1; i <= MAX_SIZE; i++) { root.classList.toggle("text-" + i, i === level); }
  }
  function currentSize() { return parseInt(sessionStorage.getItem(SIZE_KEY) || "0", 10) || 0; }
  applySize(currentSize());
  document.querySelectorAll("[data-text-size]").forEach(function (button) { button.hidden = false; });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-text-size]");
    if (!button) { return; }
    var level = Math.max(0, Math.min(MAX_SIZE, currentSize() + parseInt(button.dataset.textSize, 10)));
    sessionStorage.setItem(SIZE_KEY, String(level));
    applySize(level);
  });

  // --- read-aloud ----------------------------------------------------------------------
  // Only voices the device synthesises itself: a remote voice would send the question
  // text to an outside service.
  var synth = window.speechSynthesis;
  var LOCALES = { da: "da", en: "en" };
  function localVoice() {
    if (!synth) { return null; }
    var lang = LOCALES[root.lang] || root.lang;
    var voices = synth.getVoices().filter(function (v) {
      return v.localService && v.lang.toLowerCase().indexOf(lang) === 0;
    });
    return voices[0] || null;
  }
  lm.readAloudText = function () {
    var parts = [];
    document.querySelectorAll("main [data-read], main .controls label, main .controls legend").forEach(function (el) {
      if (el.closest("[hidden]") || parts.some(function (p) { return p.el.contains(el); })) { return; }
      var text = (el.getAttribute("aria-label") || el.textContent || "").replace(/\s+/g, " ").trim();
      if (text) { parts.push({ el: el, text: text }); }
    });
    return parts.map(function (p) { return p.text; }).join(". ");
  };
  function readButtons() { return document.querySelectorAll("[data-read-aloud]"); }
  function showReadAloud() {
    var available = !!localVoice();
    readButtons().forEach(function (button) { button.hidden = !available; });
  }
  if (synth) {
    showReadAloud();
    synth.addEventListener && synth.addEventListener("voiceschanged", showReadAloud);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-read-aloud]");
    if (!button || !synth) { return; }
    if (synth.speaking) { synth.cancel(); button.setAttribute("aria-pressed", "false"); return; }
    var utterance = new SpeechSynthesisUtterance(lm.readAloudText());
    utterance.lang = root.lang === "da" ? "da-DK" : "en-GB";
    utterance.voice = localVoice();
    utterance.onend = function () { button.setAttribute("aria-pressed", "false"); };
    button.setAttribute("aria-pressed", "true");
    synth.speak(utterance);
  });
  lm.stopReading = function () { if (synth) { synth.cancel(); } };

  // --- forgetting the device's state ---------------------------------------------------
  // Every trace of the respondent goes; answers not yet sent move to the device outbox
  // first (queue.js), which no screen shows and only the sender reads, so a wipe during an
  // outage loses nothing that the screen promised to send.
  lm.forgetEverything = function () {
    lm.stopReading();
    try {
      if (lm.moveQueueToOutbox) { lm.moveQueueToOutbox(); }
      var keep = lm.outboxKey || "lm.outbox";
      Object.keys(localStorage).forEach(function (key) { if (key !== keep) { localStorage.removeItem(key); } });
      sessionStorage.clear();
    } catch (e) { /* storage disabled */ }
    document.querySelectorAll("#lm-questionnaire, template.lm-screen").forEach(function (node) { node.remove(); });
    var main = document.querySelector("main");
    if (main) { main.replaceChildren(); }
    // The session cookie is HttpOnly: the page cannot delete it, but without this marker
    // it opens nothing, and the next page request lets the questionnaire go for good.
    document.cookie = "lm_live=; Max-Age=0; Path=/; SameSite=Strict";
    return lm.forgetScreens ? lm.forgetScreens() : Promise.resolve();
  };
  // Thanks, deletion and pause pages: the questionnaire is over on this device.
  if (body.dataset.clearDevice) {
    if (lm.clearQueue) { lm.clearQueue(); } else { try { localStorage.removeItem("lm.queue"); } catch (e) { /* none */ } }
  }

  // --- kiosk idle reset ----------------------------------------------------------------
  var idleSeconds = parseFloat(body.dataset.kioskIdle || "0");
  var graceSeconds = parseFloat(body.dataset.kioskGrace || "30");
  var dialog = document.getElementById("idle-dialog");
  if (idleSeconds > 0 && !body.dataset.atRest) {
    var idleTimer = null;
    var graceTimer = null;
    var reset = function () {
      var go = function () {
        // replace(): the reset leaves no new history entry; the server side refuses the old
        // pages because the questionnaire cookie is gone, and nothing was cacheable.
        // Offline, the service worker answers with the cached welcome screen.
        location.replace("/tablet/kiosk/reset?lang=da");
      };
      lm.forgetEverything().then(go, go);
    };
    var ask = function () {
      if (dialog && dialog.showModal) { if (!dialog.open) { dialog.showModal(); } } else if (dialog) { dialog.setAttribute("open", ""); }
      graceTimer = setTimeout(reset, graceSeconds * 1000);
    };
    var awake = function () {
      if (dialog && dialog.open) { return; }
      clearTimeout(idleTimer);
      idleTimer = setTimeout(ask, idleSeconds * 1000);
    };
    ["pointerdown", "keydown", "touchstart", "input", "scroll"].forEach(function (name) {
      document.addEventListener(name, awake, { passive: true, capture: true });
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest || !event.target.closest("[data-idle-continue]")) { return; }
      clearTimeout(graceTimer);
      if (dialog && dialog.close) { dialog.close(); } else if (dialog) { dialog.removeAttribute("open"); }
      awake();
    });
    if (dialog) { dialog.addEventListener("cancel", function (event) { event.preventDefault(); }); }
    lm.kioskAwake = awake;
    awake();
  }
})();
