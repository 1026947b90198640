// The register: a row marked anything but present is highlighted, and the save button says
// how many marks will change, so a teacher sees what they tapped before saving.
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-register-mark]");
  if (!selects.length) { return; }
  var summary = document.getElementById("register-summary");
  // Messages come from the page, in its language: data-msg-* attributes with {name} slots.
  function msg(el, name, values) {
    var text = el.getAttribute("data-msg-" + name) || "";
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }

  function update() {
    var marked = 0;
    selects.forEach(function (select) {
      var row = select.closest(".register-row");
      var away = select.value !== "/";
      if (away) { marked += 1; }
      if (row) { row.classList.toggle("marked", away); }
    });
    if (summary) {
      summary.textContent = msg(summary, marked === 0 ? "none" : marked === 1 ? "one" : "many", { count: marked });
    }
  }

  selects.forEach(function (select) { select.addEventListener("change", update); });
  update();
})();
