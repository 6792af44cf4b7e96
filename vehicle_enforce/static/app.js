// Page behaviour, loaded from this site only: the Content-Security-Policy allows no inline script,
// no inline event handler and no javascript: link. Every page works without it (forms post as usual).
(function () {
  "use strict";

  // Shell: the 菜单 button opens and closes the menu drawer on a phone; Escape or a click beside it closes it.
  var toggle = document.querySelector(".menu-toggle");
  if (toggle) {
    var setOpen = function (open) {
      document.body.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    };
    toggle.addEventListener("click", function (event) {
      event.stopPropagation();
      setOpen(!document.body.classList.contains("menu-open"));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { setOpen(false); }
    });
    document.addEventListener("click", function (event) {
      var menu = document.getElementById("menu");
      if (menu && !menu.contains(event.target)) { setOpen(false); }
    });
  }

  // Shell: a list drawn as cards on a phone (table.rows) names each value by its column's heading.
  document.querySelectorAll("table.rows").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (!cell.hasAttribute("data-label") && heads[i]) { cell.setAttribute("data-label", heads[i]); }
      });
    });
  });

  // <button data-print>: print the page (the roadside-test notice).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // <form data-confirm="...">: ask before submitting (lifting an alert early).
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // Roadside test: fill the plate and colour fields from the reading the operator picks.
  document.querySelectorAll(".use-reading").forEach(function (button) {
    button.addEventListener("click", function () {
      var plate = document.querySelector("input[name=plate]");
      if (plate) { plate.value = button.dataset.plate; }
      var colour = document.querySelector("select[name=plate_color]");
      if (colour && button.dataset.color !== "unknown") { colour.value = button.dataset.color; }
    });
  });

  // Match reviews: keys 1-9 confirm the first record's candidate of that number (not while typing).
  if (document.querySelector("[data-review-keys]")) {
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA")) { return; }
      if (event.ctrlKey || event.altKey || event.metaKey || !/^[1-9]$/.test(event.key)) { return; }
      var first = document.querySelector("section.review");
      var button = first && first.querySelector('button.confirm[data-key="' + event.key + '"]');
      if (button) { event.preventDefault(); button.click(); }
    });
  }
})();
