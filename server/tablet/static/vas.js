// The VAS starts with no handle; the first touch or key press sets it.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  lm.answerReaders = lm.answerReaders || {};
  lm.answerWriters = lm.answerWriters || {};
  lm.initVas = function (root) {
    root.querySelectorAll(".vas").forEach(function (box) {
      var range = box.querySelector("input[type=range]");
      var flag = box.querySelector("input[name=vas_set]");
      if (!range || !flag) { return; }
      function mark() {
        box.classList.remove("unset");
        flag.value = "1";
        range.setAttribute("aria-valuetext", range.value);
      }
      range.addEventListener("input", mark);
      range.addEventListener("change", mark);
    });
  };
  // The answer queue (queue.js) reads and restores a rating through these.
  lm.answerReaders.vas = function (itemForm) {
    var flag = itemForm.querySelector("input[name=vas_set]");
    var range = itemForm.querySelector("input[type=range]");
    return flag && range && flag.value === "1" ? { value: parseInt(range.value, 10) } : null;
  };
  lm.answerWriters.vas = function (itemForm, value) {
    var range = itemForm.querySelector("input[type=range]");
    range.value = value;
    range.setAttribute("aria-valuetext", String(value));
    itemForm.querySelector("input[name=vas_set]").value = "1";
    itemForm.querySelector(".vas").classList.remove("unset");
  };
  lm.initVas(document);
})();
