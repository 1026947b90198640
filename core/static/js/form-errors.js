// A page that comes back with form errors moves the focus (and so the view) to the summary
// of what went wrong, instead of leaving the reader at the top of a long page.
(function () {
  "use strict";
  var box = document.querySelector("[data-form-errors]");
  if (box) { box.focus(); }
})();
