// The rating line (VAS): no value, no fill and no handle until the respondent sets it.
// A tap stores exactly the touched position (the left end is the minimum, the right end the
// maximum), a drag follows the finger, and the first key press sets a value. The state lives
// in the form's two hidden fields (value, vas_set), so the form post and queue.js read the same.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  lm.answerReaders = lm.answerReaders || {};
  lm.answerWriters = lm.answerWriters || {};

  // A finger that moves this far sideways is dragging the thumb, not tapping.
  var DRAG_SLOP_PX = 4;

  function bounds(box) {
    var min = parseInt(box.dataset.min, 10);
    var max = parseInt(box.dataset.max, 10);
    return { min: isNaN(min) ? 0 : min, max: isNaN(max) ? 100 : max };
  }

  function fields(box) {
    return { value: box.querySelector("input[name=value]"), flag: box.querySelector("input[name=vas_set]") };
  }

  // The value held by the line, or null while the respondent has not set it.
  function current(box) {
    var f = fields(box);
    if (!f.value || !f.flag || f.flag.value !== "1") { return null; }
    var n = parseInt(f.value.value, 10);
    return isNaN(n) ? null : n;
  }

  // Draw the line from its hidden fields: the thumb, fill and number only once it is set.
  // Positions go through element.style (CSSOM), which the content security policy allows.
  function render(box) {
    var line = box.querySelector(".vas-line");
    var value = current(box);
    var b = bounds(box);
    var shown = box.querySelector(".vas-value");
    box.classList.toggle("unset", value === null);
    if (value === null) {
      line.setAttribute("aria-valuenow", String(Math.round((b.min + b.max) / 2)));
      line.setAttribute("aria-valuetext", line.dataset.unsetText || "");
      if (shown) { shown.textContent = ""; }
      return;
    }
    var pct = b.max > b.min ? ((value - b.min) / (b.max - b.min)) * 100 : 0;
    line.setAttribute("aria-valuenow", String(value));
    line.setAttribute("aria-valuetext", String(value));
    box.querySelector(".vas-thumb").style.left = pct + "%";
    box.querySelector(".vas-fill").style.width = pct + "%";
    if (shown) {
      shown.textContent = String(value);
      // Centred over the thumb in the middle, flush with the line's ends at the ends, so the
      // number never sticks out of the line's box.
      shown.style.left = pct + "%";
      shown.style.transform = "translateX(" + -pct + "%)";
    }
  }

  function store(box, value) {
    var f = fields(box);
    var b = bounds(box);
    if (value === null) {
      f.value.value = "";
      f.flag.value = "0";
    } else {
      f.value.value = String(Math.min(b.max, Math.max(b.min, Math.round(value))));
      f.flag.value = "1";
    }
    render(box);
  }

  // The value at a horizontal screen position: the line's two ends are the minimum and maximum.
  function valueAt(box, clientX) {
    var rail = box.querySelector(".vas-rail").getBoundingClientRect();
    var b = bounds(box);
    var fraction = rail.width > 0 ? (clientX - rail.left) / rail.width : 0;
    fraction = Math.min(1, Math.max(0, fraction));
    return b.min + Math.round(fraction * (b.max - b.min));
  }

  function onKey(box, event) {
    var b = bounds(box);
    var value = current(box);
    var big = Math.max(1, Math.round((b.max - b.min) / 10));
    var steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: big, PageDown: -big };
    var next;
    if (event.key === "Home") { next = b.min; }
    else if (event.key === "End") { next = b.max; }
    else if (Object.prototype.hasOwnProperty.call(steps, event.key)) {
      // The first step from an unset line lands in the middle: no end is favoured.
      next = value === null ? Math.round((b.min + b.max) / 2) : value + steps[event.key];
    } else {
      return;
    }
    event.preventDefault();
    store(box, Math.min(b.max, Math.max(b.min, next)));
  }

  function bind(box) {
    var line = box.querySelector(".vas-line");
    // The touch in progress: its pointer, where it began, the value before it, and
    // whether it has become a drag.
    var touch = null;

    line.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "mouse" && event.button !== 0) { return; }
      touch = { id: event.pointerId, x: event.clientX, y: event.clientY, before: current(box), dragging: event.pointerType === "mouse", scrolling: false };
      try { line.setPointerCapture(event.pointerId); } catch (e) { /* the pointer is already gone */ }
      line.focus({ preventScroll: true });
      // A mouse press sets the value at once; a finger sets it when lifted or dragged
      // sideways, so a finger that scrolls the page past the line sets nothing.
      if (touch.dragging) { store(box, valueAt(box, event.clientX)); }
    });
    line.addEventListener("pointermove", function (event) {
      if (!touch || event.pointerId !== touch.id || touch.scrolling) { return; }
      var dx = Math.abs(event.clientX - touch.x);
      var dy = Math.abs(event.clientY - touch.y);
      if (!touch.dragging && dy >= DRAG_SLOP_PX && dy > dx) {
        // A finger moving up or down means to scroll, even where the page cannot scroll
        // (then the browser does not cancel the touch): it answers nothing.
        touch.scrolling = true;
        return;
      }
      if (!touch.dragging && dx >= DRAG_SLOP_PX) { touch.dragging = true; }
      if (touch.dragging) { store(box, valueAt(box, event.clientX)); }
    });
    line.addEventListener("pointerup", function (event) {
      if (!touch || event.pointerId !== touch.id) { return; }
      var scrolled = touch.scrolling;
      touch = null;
      if (!scrolled) { store(box, valueAt(box, event.clientX)); }
    });
    // The browser took the touch over to scroll the page (touch-action: pan-y): undo any
    // value it set on the way.
    line.addEventListener("pointercancel", function (event) {
      if (!touch || event.pointerId !== touch.id) { return; }
      var before = touch.before;
      touch = null;
      store(box, before);
    });
    line.addEventListener("keydown", function (event) { onKey(box, event); });
  }

  // Bind every not yet bound rating line under `root`; queue.js calls this for each screen it
  // swaps in, so calling it again on a bound line does nothing.
  lm.initVas = function (root) {
    root.querySelectorAll(".vas").forEach(function (box) {
      if (!box.querySelector(".vas-line") || !fields(box).flag || !fields(box).value) { return; }
      if (box.dataset.vasReady !== "1") {
        box.dataset.vasReady = "1";
        bind(box);
      }
      render(box);
    });
  };

  // The answer queue (queue.js) reads and restores a rating through these.
  lm.answerReaders.vas = function (itemForm) {
    var box = itemForm.querySelector(".vas");
    var value = box ? current(box) : null;
    return value === null ? null : { value: value };
  };
  lm.answerWriters.vas = function (itemForm, value) {
    var box = itemForm.querySelector(".vas");
    if (box) { store(box, Number(value)); }
  };

  lm.initVas(document);
})();
