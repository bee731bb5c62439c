// The broadcast editor's live preview: as staff type, the form (with its CSRF token) is posted to the
// preview endpoint and the panel is replaced with what the server rendered (autoescaped there).
// Without this file the "ดูตัวอย่าง" button does the same with a full page.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-preview-url]");
  var panel = document.getElementById("preview-panel");
  if (!form || !panel || !window.fetch) { return; }
  var timer = null;
  var latest = 0;

  function refresh() {
    var mine = ++latest;
    panel.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error("preview " + response.status); }
      return response.text();
    }).then(function (html) {
      if (mine !== latest) { return; }  // an older answer arriving late must not replace a newer one
      panel.innerHTML = html;
      panel.setAttribute("aria-busy", "false");
      panel.setAttribute("data-updated", String(mine));
    }).catch(function () {
      panel.setAttribute("aria-busy", "false");
    });
  }

  function soon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 350);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
});
