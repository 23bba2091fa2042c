// Site-wide behaviour that would otherwise need inline script or htmx's eval (the CSP allows neither).
(function () {
  // Esc in an inline editor (an album field, a track row) cancels it: the editor's
  // hx-trigger="cancel-edit" reloads the value as it is.
  document.addEventListener("keyup", function (e) {
    if (e.key !== "Escape" || !window.htmx) return;
    var editor = e.target.closest && e.target.closest(".field.editing, tr.editing");
    if (editor) htmx.trigger(editor, "cancel-edit");
  });
})();
