// Live preview while writing a post. The Preview button does the same without JavaScript.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var area = form.querySelector("textarea[name=body]");
  var panel = document.getElementById("live-preview-panel");
  var target = document.getElementById("live-preview");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  var latest = 0;

  function refresh() {
    var ticket = ++latest;
    var data = new FormData();
    data.append("body", area.value);
    if (token) {
      data.append("csrf_token", token.value);
    }
    fetch(form.getAttribute("data-preview-url"), {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html !== null && ticket === latest) {
          target.innerHTML = html;  // sanitized on the server with the same rules as saved posts
          panel.hidden = area.value.trim() === "";
        }
      })
      .catch(function () { /* the Preview button still works */ });
  }

  if (area && panel && target) {
    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 350);
    });
  }
})();
