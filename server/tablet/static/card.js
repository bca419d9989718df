// The "My order" card: a print button (the page prints as one A5 card, see card.css).
// Nothing of the card is kept by this script.
"use strict";
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
