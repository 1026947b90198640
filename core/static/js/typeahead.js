// Type-ahead for a student code: asks the project's own JSON endpoint for the codes of the
// user's school that contain what was typed, and offers them as a listbox (keyboard: arrows,
// Enter, Escape). Without JavaScript the field still works: type the whole code.
(function () {
  "use strict";
  document.querySelectorAll("[data-typeahead-url]").forEach(function (box) {
    var url = box.getAttribute("data-typeahead-url");
    var input = box.querySelector("input[role=combobox]");
    var list = box.querySelector("[role=listbox]");
    var timer = null;
    var active = -1;
    var seq = 0;
    // Messages come from the page, in its language: data-msg-* attributes with {name} slots.
    function msg(el, name, values) {
      var text = el.getAttribute("data-msg-" + name) || "";
      Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
      return text;
    }

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      list.innerHTML = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var opts = options();
      if (!opts.length) { return; }
      active = (index + opts.length) % opts.length;
      opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.getAttribute("data-code");
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
      var next = document.querySelector(".signs input");
      if (next) { next.focus(); }
    }

    function show(results) {
      list.innerHTML = "";
      active = -1;
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "typeahead-empty";
        none.textContent = msg(box, "none");
        list.appendChild(none);
      }
      results.forEach(function (row, i) {
        var li = document.createElement("li");
        li.id = "student-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-code", row.code);
        li.textContent = row.code + (row.year_group ? " · " + msg(box, "year", { year: row.year_group }) : "");
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(li); });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      if (results.length === 1) { highlight(0); }
    }

    function search() {
      var q = input.value.trim();
      if (!q) { close(); return; }
      var mine = ++seq;
      var sep = url.indexOf("?") === -1 ? "?" : "&";
      fetch(url + sep + "q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          // An older answer arriving late must not replace a newer one.
          if (mine === seq && document.activeElement === input) { show(data.results || []); }
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(options()[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    // The "recently" buttons fill the code in one tap.
    box.querySelectorAll("[data-pick-code]").forEach(function (button) {
      button.addEventListener("click", function () {
        input.value = button.getAttribute("data-pick-code");
        close();
        var next = document.querySelector(".signs input");
        if (next) { next.focus(); }
      });
    });
  });
})();
