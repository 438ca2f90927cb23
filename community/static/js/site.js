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

  // On a phone the header's menu folds behind its Menu button (site.css, under 56rem). Without
  // JavaScript the button stays hidden and the menu stays open.
  var header = document.querySelector(".site-header");
  var toggle = header && header.querySelector(".menu-toggle");
  var menu = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (menu) {
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    };
    toggle.hidden = false;
    header.classList.add("has-menu-toggle");
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // Pages showing work in progress reload themselves; their Refresh link does it without JavaScript.
  var live = document.querySelector("[data-refresh-seconds]");
  if (live) {
    window.setTimeout(function () { window.location.reload(); },
                      1000 * parseInt(live.getAttribute("data-refresh-seconds"), 10));
  }
})();
