// The newsletter composer's thread picker: search public threads as the organizer types.
// Without this file the Search button posts the form and the page lists the results to tick.
(function () {
  "use strict";
  var input = document.querySelector("[data-thread-search]");
  if (!input) {
    return;
  }
  var results = document.getElementById("thread-results");
  var status = document.getElementById("thread-results-status");
  var picked = document.querySelector("[data-picked]");
  var timer = null;
  var latest = 0;

  function item(thread) {
    var li = document.createElement("li");
    li.className = "choice";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.name = "thread_ids";
    box.value = String(thread.id);
    box.id = "found-" + thread.id;
    var label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = thread.title;
    var meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = thread.meta;
    li.append(box, " ", label, " ", meta);
    return li;
  }

  function chosenIds() {
    return Array.prototype.map.call(picked.querySelectorAll("input[name=thread_ids]"),
                                    function (box) { return box.value; });
  }

  function show(answer) {
    var taken = chosenIds();
    var threads = answer.threads.filter(function (t) { return taken.indexOf(String(t.id)) < 0; });
    results.replaceChildren.apply(results, threads.map(item));
    if (answer.problem) {
      status.textContent = answer.problem;
    } else {
      status.textContent = threads.length + (threads.length === 1 ? " public thread" : " public threads") +
        " found" + (threads.length ? ": tick the ones to include." : ".");
    }
  }

  function search() {
    var text = input.value.trim();
    var ticket = ++latest;
    if (!text) {
      results.replaceChildren();
      status.textContent = "";
      return;
    }
    fetch(input.getAttribute("data-thread-search") + "?find=" + encodeURIComponent(text),
          {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && ticket === latest) {
          show(answer);
        }
      })
      .catch(function () { status.textContent = "Search is not available right now."; });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  // Enter searches at once instead of posting the form.
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(timer);
      search();
    }
  });
  // A ticked result joins the chosen threads, so a new search does not take it away.
  results.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "thread_ids" || !box.checked) {
      return;
    }
    var empty = picked.querySelector("[data-empty]");
    if (empty) {
      empty.remove();
    }
    box.id = "thread-" + box.value;
    box.nextElementSibling.htmlFor = box.id;
    picked.appendChild(box.closest("li"));
    status.textContent = "Added: " + box.nextElementSibling.textContent + ".";
  });
  // Words typed before this script ran (a slow connection) are searched at once: no keystroke
  // would otherwise come to start the search.
  if (input.value.trim()) {
    search();
  }
}());
