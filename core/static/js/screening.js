// Screening of a note before it is sent: the same checks as core/screening.py, so a member of
// staff learns at once what to take out. The server's validator stays the authority; this
// only saves a round trip and keeps an e-mail address from ever leaving the browser.
(function () {
  "use strict";
  var EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/;
  var PHONE = /(?<![\w])\+?\(?\d(?:[\s().-]*\d){8,}/;
  var DIGITS = /\d{6,}/;
  // Dates and times ("on 03.11 at 10:30", "2025-11-03") are set aside before looking for a
  // phone number, as core/screening.py does; a run of six digits is refused wherever it is.
  var DATE_OR_TIME = /(?<![\d./:-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}(?:[./-]\d{2,4})?|\d{1,2}[:h]\d{2})(?!\d|[./:-]\d)/g;
  var WHY = "Notes must not identify a student or a family: write what you saw, and use the " +
    "student's code, never contact details or reference numbers.";

  function findIdentifiers(text) {
    var found = [];
    if (EMAIL.test(text)) { found.push("an e-mail address"); }
    if (PHONE.test(text.replace(DATE_OR_TIME, " ~ "))) { found.push("a phone number"); }
    else if (DIGITS.test(text)) { found.push("a run of six or more digits"); }
    return found;
  }

  // For the test that keeps these checks and the server's in step.
  window.earlyWarningScreening = { findIdentifiers: findIdentifiers };

  document.querySelectorAll("textarea[data-screen]").forEach(function (note) {
    var form = note.form;
    // The message and the character count sit right after the field, and the field says
    // it is described by them, so a screen reader reads the message with the field.
    var error = document.createElement("p");
    error.className = "error screen-error";
    error.id = note.id + "-screen-error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    var count = document.createElement("p");
    count.className = "help";
    count.id = note.id + "-count";
    note.insertAdjacentElement("afterend", count);
    note.insertAdjacentElement("afterend", error);
    var described = (note.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    note.setAttribute("aria-describedby", described.concat([error.id, count.id]).join(" "));
    var max = parseInt(note.getAttribute("maxlength") || "500", 10);

    function check() {
      var found = findIdentifiers(note.value);
      count.textContent = note.value.length + " of " + max + " characters";
      if (found.length) {
        var msg = "This note contains " + found.join(" and ") + ". " + WHY;
        error.textContent = msg;
        error.hidden = false;
        note.setAttribute("aria-invalid", "true");
        note.setCustomValidity(msg);
        return false;
      }
      error.hidden = true;
      error.textContent = "";
      note.removeAttribute("aria-invalid");
      note.setCustomValidity("");
      return true;
    }

    note.addEventListener("input", check);
    if (form) {
      form.addEventListener("submit", function (e) {
        if (!check()) {
          e.preventDefault();
          note.focus();
        }
      });
    }
    if (note.value) { check(); }
  });
})();
