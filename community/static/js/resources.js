// Library forms: say at once when a chosen file is larger than the site accepts.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) {
      return;
    }
    var limit = parseInt(input.getAttribute("data-max-bytes"), 10);
    var message = document.getElementById(input.id + "-size");
    var tooLarge = input.files.length > 0 && input.files[0].size > limit;
    message.hidden = !tooLarge;
    input.setCustomValidity(tooLarge ? message.textContent : "");
    if (tooLarge) {
      input.value = "";
    }
  });
})();
