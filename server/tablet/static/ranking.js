// The ranking screen: the respondent taps the measures in order, least intrusive first,
// and each card shows its number; tapping a numbered card takes it, and every later one,
// out again. The hidden selects of the no-JavaScript form carry the order, so the form
// post, the answer queue and a page swapped in by queue.js all read the same thing.
// Everything listens on document, so a screen swapped in without a page load works too.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  lm.answerReaders = lm.answerReaders || {};
  lm.answerWriters = lm.answerWriters || {};
  document.documentElement.classList.add("lm-ranking");

  function selects(box) { return Array.prototype.slice.call(box.querySelectorAll("select[name^='rank.']")); }
  function codeOf(select) { return select.name.replace(/^rank\./, ""); }

  // Codes by position, screen order on a tie (the cards can make none; a refused no-JS
  // post might hold one), so the order is always a plain 1, 2, 3 ... sequence.
  function orderOf(box) {
    var ranked = [];
    selects(box).forEach(function (select, screen) {
      if (select.value !== "") { ranked.push({ code: codeOf(select), position: parseInt(select.value, 10), screen: screen }); }
    });
    ranked.sort(function (a, b) { return a.position - b.position || a.screen - b.screen; });
    return ranked.map(function (r) { return r.code; });
  }

  function show(box, order) {
    selects(box).forEach(function (select) {
      var at = order.indexOf(codeOf(select));
      select.value = at < 0 ? "" : String(at + 1);
    });
    box.querySelectorAll(".rank-card").forEach(function (card) {
      var at = order.indexOf(card.dataset.code);
      card.setAttribute("aria-pressed", at < 0 ? "false" : "true");
      card.querySelector(".rank-number").textContent = at < 0 ? "" : String(at + 1);
      card.querySelector(".rank-position").textContent = at < 0 ? "" : ", " + box.dataset.positionText.replace("{n}", String(at + 1));
    });
  }

  function announce(box, text) {
    var status = box.querySelector("[data-rank-status]");
    // A fresh text node each time, so the same words are announced again.
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  }

  function setError(box, text) { box.querySelector(".ranking-error").textContent = text; }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest(".rank-card, .rank-clear");
    if (!target) { return; }
    var box = target.closest(".ranking");
    if (!box) { return; }
    var order = orderOf(box);
    var total = selects(box).length;
    setError(box, "");
    if (target.classList.contains("rank-clear")) {
      show(box, []);
      announce(box, box.dataset.clearedText);
      return;
    }
    var code = target.dataset.code;
    var at = order.indexOf(code);
    if (at >= 0) {
      show(box, order.slice(0, at));
      announce(box, box.dataset.takenOutText.replace("{n}", String(at + 1)));
      return;
    }
    order.push(code);
    show(box, order);
    var label = target.querySelector(".rank-label").textContent.trim();
    var said = box.dataset.positionText.replace("{n}", String(order.length)) + ": " + label;
    announce(box, order.length === total ? said + ". " + box.dataset.allDoneText : said);
  });

  // What the respondent pressed last on a ranking screen: the reader below needs it.
  var action = "next";

  // Going on with some measures still without a number: say so on the screen and stay.
  // Capture phase, so it runs before the answer queue's own submit listener.
  document.addEventListener("submit", function (event) {
    var itemForm = event.target;
    if (!itemForm.matches || !itemForm.matches("form.item-form[data-item-type=ranking]")) { return; }
    action = event.submitter ? event.submitter.value : "next";
    var box = itemForm.querySelector(".ranking");
    if (!box || action !== "next") { return; }
    var given = orderOf(box).length;
    if (given === 0 || given === selects(box).length) { return; }
    event.preventDefault();
    event.stopPropagation();
    setError(box, box.dataset.incompleteText);
  }, true);

  // For the answer queue (queue.js): {value: codes least intrusive first}, null for none.
  // An unfinished ranking is refused above when going on; leaving the screen another way
  // (back, pause, stop) does not keep it, as the server does not.
  lm.answerReaders.ranking = function (itemForm) {
    var box = itemForm.querySelector(".ranking");
    var order = orderOf(box);
    if (!order.length) { return null; }
    if (order.length < selects(box).length) { return action === "next" ? undefined : null; }
    // A tie (only from a refused no-JS post shown again) is the server's to refuse.
    var positions = selects(box).map(function (select) { return select.value; });
    if (positions.some(function (p, i) { return positions.indexOf(p) !== i; })) { return undefined; }
    return { value: order };
  };

  lm.answerWriters.ranking = function (itemForm, value) {
    var box = itemForm.querySelector(".ranking");
    var codes = selects(box).map(codeOf);
    show(box, (value || []).filter(function (code) { return codes.indexOf(code) >= 0; }));
  };
})();
