// The register: a row marked anything but present is highlighted, and the save button says
// how many marks will change, so a teacher sees what they tapped before saving.
(function () {
  "use strict";
  var selects = document.querySelectorAll("select[data-register-mark]");
  if (!selects.length) { return; }
  var summary = document.getElementById("register-summary");

  function update() {
    var marked = 0;
    selects.forEach(function (select) {
      var row = select.closest(".register-row");
      var away = select.value !== "/";
      if (away) { marked += 1; }
      if (row) { row.classList.toggle("marked", away); }
    });
    if (summary) {
      summary.textContent = marked === 0
        ? "Everyone present."
        : marked + " marked late or absent; everyone else present.";
    }
  }

  selects.forEach(function (select) { select.addEventListener("change", update); });
  update();
})();
