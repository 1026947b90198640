// Screening of a note before it is sent: the same steps as core/screening.py (read it for the
// why of each), so a member of staff learns at once what to take out. The server's validator
// stays the authority; this only saves a round trip and keeps an e-mail address from ever
// leaving the browser. The messages come from the server (core.screening.browser_messages,
// in the script element's data-messages, written by {% screening_script %}), in the reader's
// language.
// Python's \w is [\p{L}\p{N}_] here and its \d is \p{Nd}: both match every script's letters
// and digits, as they do on the server.
(function () {
  "use strict";

  // --- Normalisation -------------------------------------------------------------------
  var INVISIBLE = /(?![\t\n\r])[\p{Cf}\p{Cc}]/gu;
  var FOLD = {
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u2043": "-", "\ufe58": "-",
    "\u3001": ",", "\u3002": ".", "\u30fb": ".", "\u301c": "~"
  };
  var FOLD_RE = /[\u2010-\u2015\u2212\u2043\ufe58\u3001\u3002\u30fb\u301c]/gu;
  var LONG_VOWEL_BY_DIGIT = /(?<=\p{Nd})\u30fc|\u30fc(?=\p{Nd})/gu;
  var SPACES = /\s+/gu;

  function normalise(text) {
    text = text.normalize("NFKC").replace(INVISIBLE, "");
    text = text.replace(FOLD_RE, function (c) { return FOLD[c]; });
    return text.replace(LONG_VOWEL_BY_DIGIT, "-").replace(SPACES, " ");
  }

  // --- Dates, times and marks, set aside ------------------------------------------------
  var ONE =
    "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}" +
    "|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}" +
    "|[0-9]{4}\\.[0-9]{1,2}\\.[0-9]{1,2}" +
    "|[0-9]{1,2}/[0-9]{1,3}(?:/(?:[0-9]{4}|[0-9]{2}))?" +
    "|[0-9]{1,2}\\.[0-9]{1,2}(?:\\.(?:[0-9]{4}|[0-9]{2}))?" +
    "|[0-9]{1,2}-[0-9]{1,2}-(?:[0-9]{4}|[0-9]{2})" +
    "|[0-9]{1,2}[:h][0-9]{2}(?::[0-9]{2})?" +
    "|[0-9]{4}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{4}" +
    "|[0-9]{1,3}/[0-9]{1,3}";
  var DATE_OR_TIME = new RegExp(
    "(?<![0-9./:-])(?:" + ONE + ")(?:-(?:" + ONE + ")|~(?:" + ONE + "))?(?![0-9]|[./:-][0-9])",
    "gu"
  );
  var PART = new RegExp("(?:" + ONE + ")", "gu");

  function isDayMonth(a, b) {
    return (a >= 1 && a <= 31 && b >= 1 && b <= 12) || (a >= 1 && a <= 12 && b >= 1 && b <= 31);
  }

  function isDateTimeOrScore(part) {
    var texts = part.split(/[-/.:h]/);
    var n = texts.map(function (t) { return parseInt(t, 10); });
    for (var i = 0; i < texts.length; i++) {
      if (texts[i].length === 4 && !(n[i] >= 1900 && n[i] <= 2099)) { return false; }
    }
    if (texts[0].length === 4) {
      return n[1] >= 1 && n[1] <= 12 && (n.length === 2 || (n[2] >= 1 && n[2] <= 31));
    }
    if (n.length === 2 && texts[1].length === 4) { return n[0] >= 1 && n[0] <= 12; }
    if (part.indexOf(":") >= 0 || part.indexOf("h") >= 0) {
      return n[0] <= 24 && n.slice(1).every(function (m) { return m <= 59; });
    }
    if (n.length === 3) { return isDayMonth(n[0], n[1]); }
    if (part.indexOf("/") >= 0 && n[0] <= n[1] && n[1] > 0) { return true; }
    if (part.indexOf(".") >= 0 && n[0] <= 24 && n[1] <= 59) { return true; }
    return isDayMonth(n[0], n[1]);
  }

  function withoutDatesAndTimes(text) {
    return text.replace(DATE_OR_TIME, function (match) {
      return match.match(PART).every(isDateTimeOrScore) ? " ~ " : match;
    });
  }

  // --- What is looked for ---------------------------------------------------------------
  var EMAIL = /[\p{L}\p{N}_.+-]+@[\p{L}\p{N}_-]+(\.[\p{L}\p{N}_-]+)+/u;
  var AT =
    "(?:\\s*@\\s*" +
    "|\\s*[\\[({<]\\s*(?:at|@|chiocciola)\\s*[\\])}>]\\s*" +
    "|\\s+(?:at|chiocciola)\\s+" +
    "|\\s*(?:アットマーク|アット|あっと)\\s*)";
  var DOT =
    "(?:\\s*\\.(?!\\s)" +
    "|\\s+\\.\\s+" +
    "|\\s*[\\[({<]\\s*(?:dot|punto|\\.)\\s*[\\])}>]\\s*" +
    "|\\s+(?:dot|punto)\\s+" +
    "|\\s*(?:ドット|どっと)\\s*)";
  var TOP_LEVEL_DOMAINS =
    "com|org|net|edu|gov|info|biz|io|co|uk|jp|it|de|fr|es|eu|ch|nl|ie|ca|au|nz|us";
  var DISGUISED_EMAIL = new RegExp(
    "[a-z0-9_%+-]" + AT + "[a-z0-9-]+(?:" + DOT + "[a-z0-9-]+)*?(" + DOT + ")(" +
      TOP_LEVEL_DOMAINS + ")(?![a-z0-9])",
    "giu"
  );
  var JOIN = "/_,'\\u2019\\u00b7|\\\\:";
  var PHONE = new RegExp("\\+?\\(?\\p{Nd}(?:(?:[\\s().-]*|[" + JOIN + "])\\p{Nd}){8,}", "u");
  var DIGITS = new RegExp("\\p{Nd}(?:[-." + JOIN + "]?\\p{Nd}){5,}", "u");

  function hasEmail(text) {
    if (EMAIL.test(text)) { return true; }
    DISGUISED_EMAIL.lastIndex = 0;
    var match;
    while ((match = DISGUISED_EMAIL.exec(text)) !== null) {
      // "...at home.It was": a full stop, then a capital and small letters, starts a sentence.
      if (!(match[1].trim() === "." && /^[A-Z][a-z]+$/.test(match[2]))) { return true; }
    }
    return false;
  }

  function findIdentifiers(text) {
    if (!text) { return []; }
    text = normalise(text);
    var found = [];
    if (hasEmail(text)) { found.push("email"); }
    var numbers = withoutDatesAndTimes(text);
    if (PHONE.test(numbers)) { found.push("phone"); }
    else if (DIGITS.test(numbers)) { found.push("digits"); }
    return found;
  }

  // --- Messages, from the server ---------------------------------------------------------
  var source = document.currentScript;
  var MESSAGES = source && source.dataset.messages ? JSON.parse(source.dataset.messages) : null;

  function format(template, params) {
    return template.replace(/%\((\w+)\)s/g, function (_m, name) { return params[name]; });
  }

  function refusal(kinds) {
    var what = kinds.map(function (k) { return MESSAGES.what[k]; });
    var named = what.length === 1 ? what[0] : format(MESSAGES.both, { first: what[0], second: what[1] });
    return format(MESSAGES.refusal, { what: named, why: MESSAGES.why });
  }

  // For the test that keeps these checks and the server's in step.
  window.earlyWarningScreening = { findIdentifiers: findIdentifiers, normalise: normalise };

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
      var found = MESSAGES ? findIdentifiers(note.value) : [];
      count.textContent = MESSAGES && MESSAGES.count
        ? format(MESSAGES.count, { count: note.value.length, max: max })
        : note.value.length + " of " + max + " characters";
      if (found.length) {
        var msg = refusal(found);
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
