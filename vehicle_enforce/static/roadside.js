// Roadside-test form (templates/station/roadside_test.html), loaded from this site only.
// - The plate box upper-cases as the operator types; a province picker (省份简称) sets its first character.
// - Checks as the operator types: the form so far goes to the server's own check (the parse that saving
//   runs, GET .../roadside-test/check), whose Chinese messages are shown beside the boxes touched. No rule
//   is copied here, so the page and the server cannot disagree.
// - After saving, the verdict is scrolled into view; after a refusal, the first wrong box gets the focus.
// Without this script the form posts as usual and the server shows the same messages.
(function () {
  "use strict";

  var verdict = document.getElementById("verdict");
  if (verdict) {
    verdict.scrollIntoView({ block: "start" });
    verdict.focus({ preventScroll: true });
  }

  var form = document.getElementById("roadside-form");
  if (!form) { return; }
  if (!verdict) {
    var firstError = form.querySelector(".field-error[data-field]");
    var wrong = firstError && form.elements.namedItem(firstError.dataset.field);
    if (wrong && wrong.focus) { wrong.focus(); }
  }

  var plate = form.elements.namedItem("plate");
  var FIELDS = ["station", "kind", "plate", "plate_color", "method", "k1", "k2", "k3", "k4", "ringelmann", "report_number"];
  var SHOWN = FIELDS.concat(["k_readings", "readings"]);
  var touched = {};
  var timer = null;
  var sequence = 0;

  // Upper case as typed (half-width letters; the province character is unchanged), caret kept.
  plate.addEventListener("input", function () {
    var upper = plate.value.toUpperCase();
    if (upper !== plate.value) {
      var start = plate.selectionStart, end = plate.selectionEnd;
      plate.value = upper;
      plate.setSelectionRange(start, end);
    }
  });

  // Province picker: replaces the plate's first character when it is a Chinese one, else goes in front.
  var toggle = document.getElementById("province-toggle");
  var picker = document.getElementById("province-picker");
  function showProvince() {
    var first = plate.value.charAt(0);
    toggle.textContent = picker.querySelector('[data-province="' + first + '"]') ? first : "省份";
  }
  if (toggle && picker) {
    toggle.hidden = false;
    showProvince();
    toggle.addEventListener("click", function () {
      var open = picker.hidden;
      picker.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
    });
    picker.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-province]");
      if (!button) { return; }
      var rest = /^[\u4e00-\u9fff]/.test(plate.value) ? plate.value.slice(1) : plate.value;
      plate.value = button.dataset.province + rest;
      picker.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      showProvince();
      plate.focus();
      plate.setSelectionRange(plate.value.length, plate.value.length);
      later(plate);
    });
    plate.addEventListener("input", showProvince);
  }

  function later(element) {
    if (!element.name || FIELDS.indexOf(element.name) < 0) { return; }
    touched[element.name] = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  }
  form.addEventListener("input", function (event) { later(event.target); });
  form.addEventListener("change", function (event) { later(event.target); });

  function check() {
    var params = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var element = form.elements.namedItem(name);
      if (element) { params.set(name, element.value); }
    });
    var mine = ++sequence;
    window.fetch(form.dataset.check + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (answer && mine === sequence) { show(answer.fields || {}); }
    }).catch(function () { /* the server checks again when the form is sent */ });
  }

  // A message is shown for a box once the operator has typed in it; the count of k readings once the
  // third box is reached; the method's own problem whenever the method was touched.
  function relevant(name) {
    if (name === "k_readings") { return touched.k3 || touched.k4; }
    if (name === "readings") { return touched.method; }
    return touched[name];
  }

  function slot(name) {
    var span = form.querySelector('.field-error[data-field="' + name + '"]');
    if (span) { return span; }
    span = document.createElement("span");
    span.className = "field-error";
    span.dataset.field = name;
    span.setAttribute("aria-live", "polite");
    var holder = form.querySelector('[data-slot="' + name + '"]');
    var element = form.elements.namedItem(name === "readings" ? "method" : name);
    if (holder) {
      holder.appendChild(span);
    } else if (element && element.parentNode) {
      element.parentNode.insertBefore(span, element.nextSibling);
    } else {
      return null;
    }
    return span;
  }

  function show(fields) {
    SHOWN.forEach(function (name) {
      var message = relevant(name) ? fields[name] : null;
      var span = form.querySelector('.field-error[data-field="' + name + '"]');
      if (!message) {
        if (span && relevant(name)) { span.remove(); }
        return;
      }
      span = slot(name);
      if (span) { span.textContent = message; }
    });
  }
})();
