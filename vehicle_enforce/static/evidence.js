// Evidence in view (black-smoke review, case detail, match reviews): loaded from this site only, it works
// under the Content-Security-Policy (no inline script or style). Without it every page still works: a
// photo link opens the image, and a decision goes through the server's confirmation step.
(function () {
  "use strict";

  // --- Decisions that change a record: ask in a <dialog>, then send the form with confirmed=1. -------
  var dialog = document.getElementById("decision-dialog");
  var pending = null; // {form, submitter}

  function send(form, submitter) {
    var flag = form.querySelector("input[name=confirmed]");
    if (!flag) {
      flag = document.createElement("input");
      flag.type = "hidden";
      flag.name = "confirmed";
      form.appendChild(flag);
    }
    flag.value = "1";
    if (form.requestSubmit) { form.requestSubmit(submitter || undefined); return; }
    if (submitter && submitter.name) { // older browsers: carry the pressed button's value
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    form.submit();
  }

  if (dialog && dialog.showModal) {
    var question = dialog.querySelector(".decision-question");
    var ok = dialog.querySelector("[data-decision-ok]");
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var submitter = event.submitter || null;
      var asking = submitter && submitter.hasAttribute("data-decision") ? submitter : form.querySelector("[data-decision]");
      if (!asking) { return; }
      var flag = form.querySelector("input[name=confirmed]");
      if (flag && flag.value === "1") { return; } // confirmed: let it go
      event.preventDefault();
      pending = { form: form, submitter: submitter };
      question.textContent = asking.getAttribute("data-decision");
      ok.textContent = asking.textContent.trim() || "确认";
      ok.className = "decision " + (asking.classList.contains("primary") ? "primary" : "danger");
      dialog.returnValue = "";
      dialog.showModal();
      ok.focus();
    }, true);
    dialog.addEventListener("close", function () {
      var chosen = pending;
      pending = null;
      if (chosen && dialog.returnValue === "ok") { send(chosen.form, chosen.submitter); }
    });
  }

  // --- Photos: open in a zoomable viewer; Esc (the dialog's own cancel) closes it. ----------------
  var box = document.getElementById("evidence-lightbox");
  if (box && box.showModal) {
    var img = box.querySelector(".lightbox-view img");
    var caption = box.querySelector(".lightbox-caption");
    var original = box.querySelector(".lightbox-original");
    var levels = ["zoom-fit", "zoom-1", "zoom-2", "zoom-3", "zoom-4"];
    var level = 0;

    function zoom(to) {
      level = Math.max(0, Math.min(levels.length - 1, to));
      levels.forEach(function (name) { img.classList.remove(name); });
      img.classList.add(levels[level]);
      box.setAttribute("data-zoom-level", String(level));
    }

    document.querySelectorAll("a[data-lightbox]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (event.ctrlKey || event.metaKey || event.shiftKey) { return; } // open in a new tab as asked
        event.preventDefault();
        img.src = link.href;
        caption.textContent = link.getAttribute("data-caption") || "";
        original.href = link.href;
        zoom(0);
        box.showModal();
      });
    });
    box.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        zoom(how === "in" ? level + 1 : how === "out" ? level - 1 : 0);
      });
    });
    img.addEventListener("click", function () { zoom(level === levels.length - 1 ? 0 : level + 1); });
    box.addEventListener("keydown", function (event) {
      if (event.key === "+" || event.key === "=") { zoom(level + 1); event.preventDefault(); }
      if (event.key === "-") { zoom(level - 1); event.preventDefault(); }
    });
    box.querySelector("[data-lightbox-close]").addEventListener("click", function () { box.close(); });
    box.addEventListener("click", function (event) { if (event.target === box) { box.close(); } }); // the backdrop
    box.addEventListener("close", function () { img.removeAttribute("src"); });
  }
})();
