// Page behaviour, loaded from this site only: the Content-Security-Policy allows no inline script,
// no inline event handler and no javascript: link. Every page works without it (forms post as usual).
(function () {
  "use strict";

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
