// Jobs pages: live parts (data-live) stop polling while the tab is hidden or rows are ticked, and
// catch up at once when it is shown again (the server answers the current state, so nothing is lost).
(function () {
  if (window.llamaJobs) return;
  window.llamaJobs = true;

  function ticked() {
    return document.querySelector("input.pick:checked") !== null;
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = e.detail && e.detail.elt;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-live")) return;
    if (document.hidden || (el.id === "runs" && ticked())) {
      e.preventDefault();
      document.documentElement.dataset.livePaused = "1";
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      document.documentElement.dataset.livePaused = "1";
      return;
    }
    delete document.documentElement.dataset.livePaused;
    document.querySelectorAll("[data-live]").forEach(function (el) {
      htmx.trigger(el, "refresh");
    });
  });

  document.addEventListener("change", function (e) {
    var all = e.target.closest && e.target.closest("input.pick-all");
    if (!all) return;
    document.querySelectorAll("input.pick").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
