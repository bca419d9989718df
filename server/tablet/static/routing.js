// Skip logic on the device: which items a session asks, given its route plan and the
// answers so far, so the questionnaire can go on through a network outage even when an
// answer given offline changes which items come next. The same rule as
// surveys/routing.py (visible_codes); tests/vectors/routing_cases.json holds the cases
// on which both must agree, and a test runs them through each.
//
// plan: [{code, swapped, show_if: [{item, any_of: [..], none_of: [..]}]}], in order.
// answers: {itemCode: [value, missingCode or null]}; value is a string, a number or a
// list of option codes (a multiple-choice item).
"use strict";
(function () {
  var lm = (window.leastmeans = window.leastmeans || {});

  function has(list, value) {
    // Strict equality, as in Python: the number 1 is not the option code "1".
    for (var i = 0; i < list.length; i += 1) {
      if (list[i] === value) { return true; }
    }
    return false;
  }

  function chosen(value, codes) {
    if (Array.isArray(value)) {
      for (var i = 0; i < value.length; i += 1) {
        if (has(codes, value[i])) { return true; }
      }
      return false;
    }
    return has(codes, value);
  }

  function holds(condition, visible, answers) {
    // An answer to an item that is not asked does not count (the server drops it), so
    // chains of rules stay consistent.
    var own = Object.prototype.hasOwnProperty;
    var saved = own.call(visible, condition.item) && own.call(answers, condition.item) ? answers[condition.item] : null;
    var answered = saved !== null && saved !== undefined && (saved[1] === null || saved[1] === undefined);
    var noneOf = condition.none_of || [];
    if (noneOf.length) {
      return !(answered && chosen(saved[0], noneOf));
    }
    return answered && chosen(saved[0], condition.any_of || []);
  }

  // The codes of the items asked with these answers, in plan order.
  lm.visibleCodes = function (plan, answers) {
    var visible = Object.create(null);
    var codes = [];
    answers = answers || {};
    for (var i = 0; i < plan.length; i += 1) {
      var step = plan[i];
      var conditions = step.show_if || [];
      var shown = true;
      for (var j = 0; j < conditions.length && shown; j += 1) {
        shown = holds(conditions[j], visible, answers);
      }
      if (shown) {
        codes.push(step.code);
        visible[step.code] = true;
      }
    }
    return codes;
  };
}());
