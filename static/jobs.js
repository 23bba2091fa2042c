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

  // A job page's stream of log rows (data-live-sse) is closed while hidden and opened again with
  // `after=` the newest row on the page, so the server sends what was missed.
  var parked = null;

  function park() {
    var box = document.querySelector("[data-live-sse]");
    if (!box) return;
    parked = { parent: box.parentNode, next: box.nextSibling, html: box.outerHTML };
    htmx.trigger(box, "htmx:beforeCleanupElement"); // the SSE extension closes its EventSource
    box.remove();
  }

  function newestRow() {
    var newest = 0;
    document.querySelectorAll("#log-rows tr.log-row").forEach(function (row) {
      var n = parseInt(row.id.replace("log-", ""), 10);
      if (n > newest) newest = n;
    });
    return newest;
  }

  function unpark() {
    if (!parked) return;
    var holder = document.createElement("div");
    holder.innerHTML = parked.html;
    var box = holder.firstElementChild;
    var url = box.getAttribute("sse-connect") || "";
    var after = Math.max(newestRow(), parseInt((url.match(/after=(\d+)/) || [0, "0"])[1], 10));
    box.setAttribute("sse-connect", url.replace(/after=\d*/, "after=" + after));
    parked.parent.insertBefore(box, parked.next);
    parked = null;
    htmx.process(box);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      document.documentElement.dataset.livePaused = "1";
      park();
      return;
    }
    delete document.documentElement.dataset.livePaused;
    unpark();
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
