// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before irreversible actions marked with data-confirm. Without JavaScript the server
  // answers the first POST with a confirmation page; a yes here sends `confirmed` and skips it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute("data-confirm");
    if (!message) {
      return;
    }
    if (!window.confirm(message)) {
      event.preventDefault();
      return;
    }
    if (!form.querySelector("input[name=confirmed]")) {
      var confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirmed";
      confirmed.value = "1";
      form.appendChild(confirmed);
    }
  });

  // Pages showing work in progress reload themselves; their Refresh link does it without JavaScript.
  var live = document.querySelector("[data-refresh-seconds]");
  if (live) {
    window.setTimeout(function () { window.location.reload(); },
                      1000 * parseInt(live.getAttribute("data-refresh-seconds"), 10));
  }
})();
