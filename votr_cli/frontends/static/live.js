// The results page reads its results again every few seconds while it is shown, so
// votes cast elsewhere (the command line, the API, other browsers) appear without a
// reload. Polling rather than server-sent events: an open event stream would hold one
// of the server's few worker threads for as long as the page stays open.
(function () {
  "use strict";
  var box = document.getElementById("results");
  if (!box || !box.dataset.live) { return; }
  var url = box.dataset.live;
  var interval = Math.max(1, Number(box.dataset.interval) || 3) * 1000;
  var last = null;
  function refresh() {
    if (document.hidden) { return schedule(); }
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // The server escaped every user text in this HTML, as in the page itself.
        if (html !== null && html !== last) { box.innerHTML = html; last = html; }
      })
      .catch(function () { /* the server is away: try again later */ })
      .then(schedule);
  }
  function schedule() { window.setTimeout(refresh, interval); }
  schedule();
})();
