// Steps that are hard to take back ask first: a form with data-confirm="question" submits only
// after the person says yes. No inline script: the question is an attribute, read here.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (!question || event.defaultPrevented) { return; }
    if (!window.confirm(question)) { event.preventDefault(); }
  });
})();
