// Site-wide behaviour that would otherwise need inline script or htmx's eval (the CSP allows neither).
(function () {
  // Esc in an inline editor (an album field, a track row) cancels it: the editor's
  // hx-trigger="cancel-edit" reloads the value as it is. Found by that attribute, and processed
  // first: for ~20 ms after the editor is swapped in, htmx has neither given it its new class
  // (it settles) nor bound its trigger, and an Esc pressed then did nothing.
  document.addEventListener("keyup", function (e) {
    if (e.key !== "Escape" || !window.htmx) return;
    var editor = e.target.closest && e.target.closest('[hx-trigger="cancel-edit"]');
    if (!editor) return;
    htmx.process(editor);
    htmx.trigger(editor, "cancel-edit");
  });
})();
