// The live preview of a rule being edited: as fields change, the form (unsaved) is posted to
// the project's preview endpoint, which answers how many students the rule would flag today,
// who, and when each would first have fired. Nothing is saved until the Save button.
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  if (!form) { return; }
  var url = form.getAttribute("data-preview-url");
  var count = document.getElementById("preview-count");
  var countLine = document.getElementById("preview-count-line");
  var list = document.getElementById("preview-students");
  var status = document.getElementById("preview-status");
  var timer = null;
  // Messages come from the page, in its language: data-msg-* attributes with {name} slots.
  function msg(el, name, values) {
    var text = el.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  var seq = 0;

  function formatDate(iso) {
    var d = new Date(iso + "T00:00:00");
    return isNaN(d) ? iso : d.toLocaleDateString(document.documentElement.lang || "en-GB", { day: "numeric", month: "short", year: "numeric" });
  }

  var description = document.getElementById("rule-description");

  // The short count beside the Save button (kept in view on a phone, next to the fields).
  var minis = document.querySelectorAll("[data-preview-mini]");
  function mini(text) { minis.forEach(function (el) { el.textContent = text; }); }

  // The count's sentence comes from the server in the reader's plural ("1 student", "2
  // students"); the number goes in at {count}, in the element the page already has.
  function showCount(text, n) {
    count.textContent = String(n);
    var parts = String(text || "").split("{count}");
    if (!countLine || parts.length !== 2) { return; }
    countLine.textContent = "";
    countLine.appendChild(document.createTextNode(parts[0]));
    countLine.appendChild(count);
    countLine.appendChild(document.createTextNode(parts[1]));
  }

  function render(data) {
    if (description && data.description) { description.textContent = data.description; }
    showCount(data.count_text, data.count);
    mini(String(data.count));
    list.innerHTML = "";
    data.students.forEach(function (s) {
      var li = document.createElement("li");
      li.textContent = msg(status, s.year_group ? "student-year" : "student",
        { code: s.code, year: s.year_group, date: formatDate(s.first_fired_on) });
      list.appendChild(li);
    });
    status.textContent = msg(status, "for", { date: formatDate(data.on) });
    status.className = "help";
  }

  function refresh() {
    var mine = ++seq;
    status.textContent = msg(status, "updating");
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (mine !== seq) { return; }  // an older answer arriving late
        if (res.ok && res.data.ok) { render(res.data); return; }
        var errors = res.data.errors || {};
        var text = Object.keys(errors).map(function (k) { return errors[k].join(" "); }).join(" ");
        count.textContent = "–";
        mini("–");
        list.innerHTML = "";
        status.textContent = msg(status, "invalid", { errors: text || msg(status, "not-valid") });
        status.className = "error";
      })
      .catch(function () {
        if (mine === seq) { status.textContent = msg(status, "unavailable"); }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
