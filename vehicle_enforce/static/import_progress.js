// Vehicle import status page (templates/vehicles/import_status.html), loaded from this site only: while
// the background job runs, poll its JSON status every second and move the progress bar (rows done,
// total, time to go, in the server's words); once it has ended, load the page again for the result.
// Without this script the page refreshes itself every 2 seconds (<noscript> meta refresh).
(function () {
  "use strict";
  var live = document.getElementById("import-live");
  if (!live || !live.dataset.status) { return; }
  var bar = document.getElementById("import-bar");
  var text = document.getElementById("import-progress");

  function poll() {
    window.fetch(live.dataset.status, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { window.setTimeout(poll, 3000); return; }
        if (!state.running) { window.location.reload(); return; }
        if (bar && state.total) {
          bar.max = state.total;
          bar.value = state.done;
          bar.textContent = state.percent + "%";
        }
        if (text) { text.textContent = state.text; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
