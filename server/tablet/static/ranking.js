// The ranking screen: reads the order the respondent gave for the answer queue.
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});
  lm.answerReaders = lm.answerReaders || {};

  // As the server reads a posted ranking (server/tablet/item_forms.py): measures in order
  // of the position chosen, in screen order on a tie. Only a complete ranking is queued;
  // a partial one goes to the server as a plain form post, which names what is missing.
  lm.answerReaders.ranking = function (itemForm) {
    var ranked = [];
    var blank = 0;
    itemForm.querySelectorAll("select[name^='rank.']").forEach(function (select, order) {
      if (select.value === "") { blank += 1; return; }
      ranked.push({ code: select.name.replace(/^rank\./, ""), position: parseInt(select.value, 10), order: order });
    });
    if (!ranked.length) { return null; }
    if (blank) { return undefined; }
    ranked.sort(function (a, b) { return a.position - b.position || a.order - b.order; });
    return { value: ranked.map(function (r) { return r.code; }) };
  };
})();
