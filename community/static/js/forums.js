// Write / Preview tabs while composing a post. Without JavaScript the Preview button submits the
// form and the page comes back with the preview above it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  var write = document.getElementById("compose-write");
  var preview = document.getElementById("compose-preview");
  if (!form || !write || !preview || !window.fetch || !window.FormData) {
    return;
  }
  var area = write.querySelector("textarea");
  var token = form.querySelector("input[name=csrf_token]");
  var tablist = document.createElement("div");
  tablist.className = "compose-tabs";
  tablist.setAttribute("role", "tablist");
  tablist.setAttribute("aria-label", "Write or preview");

  function tab(id, label, panel) {
    var button = document.createElement("button");
    button.type = "button";
    button.id = id;
    button.className = "compose-tab";
    button.textContent = label;
    button.setAttribute("role", "tab");
    button.setAttribute("aria-controls", panel.id);
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", id);
    tablist.appendChild(button);
    return button;
  }

  var writeTab = tab("compose-write-tab", "Write", write);
  var previewTab = tab("compose-preview-tab", "Preview", preview);
  preview.tabIndex = 0;
  write.parentNode.insertBefore(tablist, write);
  var button = form.querySelector("[data-preview-button]");
  if (button) {
    button.hidden = true;  // the Preview tab does its job
  }

  function select(showPreview) {
    writeTab.setAttribute("aria-selected", String(!showPreview));
    previewTab.setAttribute("aria-selected", String(showPreview));
    writeTab.tabIndex = showPreview ? -1 : 0;
    previewTab.tabIndex = showPreview ? 0 : -1;
    write.hidden = showPreview;
    preview.hidden = !showPreview;
  }

  function showPreview() {
    var data = new FormData();
    data.append("body", area.value);
    if (token) {
      data.append("csrf_token", token.value);
    }
    preview.innerHTML = '<p class="muted">Rendering the preview…</p>';
    select(true);
    fetch(form.getAttribute("data-preview-url"), {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) {
          preview.innerHTML = '<p class="muted">The preview is not available; the Preview button still works.</p>';
          if (button) { button.hidden = false; }
        } else {
          // sanitized on the server with the same rules as saved posts
          preview.innerHTML = html.trim() ? html : '<p class="muted">Nothing to preview yet.</p>';
        }
      })
      .catch(function () {
        preview.innerHTML = '<p class="muted">The preview is not available; the Preview button still works.</p>';
        if (button) { button.hidden = false; }
      });
  }

  writeTab.addEventListener("click", function () { select(false); area.focus(); });
  previewTab.addEventListener("click", showPreview);
  tablist.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      var toPreview = document.activeElement === writeTab;
      if (toPreview) { showPreview(); previewTab.focus(); } else { select(false); writeTab.focus(); }
      event.preventDefault();
    }
  });
  select(false);
})();
