// The 🦙 LlamaLog table: click a row to open it; live rows can be paused and caught up.
(function () {
  if (window.llamaLogs) return;
  window.llamaLogs = true;
  var paused = false;
  var held = [];

  // A click anywhere on a row opens it, like its toggle link (links and buttons keep their job).
  document.addEventListener("click", function (e) {
    var row = e.target.closest("tr.log-row");
    if (!row || e.target.closest("a, button, input, select, label")) return;
    if (String(window.getSelection())) return;
    var toggle = row.querySelector("a.toggle");
    if (toggle) toggle.click();
  });

  function state(text) {
    var el = document.getElementById("live-state");
    if (el) el.textContent = text;
  }

  function insert(html) {
    var empty = document.querySelector("#log-rows tr.empty-row");
    if (empty) empty.remove();
    htmx.swap("#log-rows", html, { swapStyle: "afterbegin" });
    trim();
  }

  // A table that says how many rows it keeps (a job's page) drops the oldest as new ones land.
  function trim() {
    var body = document.getElementById("log-rows");
    var keep = body && parseInt(body.dataset.keep || "0", 10);
    if (!keep) return;
    var rows = body.querySelectorAll("tr.log-row");
    for (var i = keep; i < rows.length; i++) {
      var detail = document.getElementById(rows[i].id + "-detail");
      if (detail) detail.remove();
      rows[i].remove();
    }
  }

  document.addEventListener("htmx:sseMessage", trim);

  document.addEventListener("htmx:sseBeforeMessage", function (e) {
    var id = e.detail.lastEventId;
    if (id && document.getElementById("log-" + id)) { e.preventDefault(); return; }
    var empty = document.querySelector("#log-rows tr.empty-row");
    if (empty) empty.remove();
    if (paused) {
      e.preventDefault();
      if (held.length < 2000) held.push({ id: id, html: e.detail.data });
      state("Paused: " + held.length + " new row" + (held.length === 1 ? "" : "s") + " waiting.");
    }
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest("#live-toggle");
    if (!button) return;
    paused = !paused;
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    button.textContent = paused ? "Resume live" : "Pause live";
    if (paused) { state("Paused: new rows wait here."); return; }
    var waiting = held;
    held = [];
    waiting.forEach(function (m) {
      if (!m.id || !document.getElementById("log-" + m.id)) insert(m.html);
    });
    state("Live: new rows appear at the top" + (waiting.length ? " (" + waiting.length + " caught up)." : "."));
  });
})();
