// The rule form shows only the fields of the kind of rule chosen: a sign pattern's signs and
// counts, or an attendance rule's threshold. Without this script every field shows, and the
// server ignores those that do not apply to the kind.
(function () {
  "use strict";
  var kind = document.getElementById("id_kind");
  if (!kind) { return; }
  var groups = document.querySelectorAll("[data-kind-fields]");

  function show() {
    groups.forEach(function (group) {
      group.hidden = group.getAttribute("data-kind-fields") !== kind.value;
    });
  }

  kind.addEventListener("change", show);
  show();
})();
