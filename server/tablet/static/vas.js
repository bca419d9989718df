// The VAS starts with no handle; the first touch or key press sets it.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
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
  lm.initVas(document);
})();
