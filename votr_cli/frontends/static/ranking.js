// A ranked ballot with JavaScript: giving an option a rank moves it there in the ranking
// and the others make room, as in a list, so two options never share a rank and no rank
// is skipped. A polite live region reads the new ranking out. Without JavaScript the
// selects are sent as they are, and the server refuses two options at one rank.
(function () {
  "use strict";
  var form = document.querySelector("form.ballot[data-ranking]");
  if (!form) { return; }
  var selects = Array.prototype.slice.call(form.querySelectorAll("select[name^='rank-']"));
  var status = document.getElementById("ranking-status");

  function label(select) { return select.labels.length ? select.labels[0].textContent : select.name; }
  function rankName(select) { return select.options[select.selectedIndex].textContent; }

  function ranking(except) {
    // The other ranked selects, lowest rank first (a tie, as a restored form may hold,
    // keeps the page's order: the sort is stable).
    return selects
      .filter(function (select) { return select !== except && select.value !== ""; })
      .sort(function (a, b) { return Number(a.value) - Number(b.value); });
  }

  function moved(changed) {
    var order = ranking(changed);
    if (changed.value !== "") {
      order.splice(Math.min(Number(changed.value), order.length + 1) - 1, 0, changed);
    }
    order.forEach(function (select, index) { select.value = String(index + 1); });
    if (status) {
      status.textContent = order.length
        ? "Your ranking: " + order.map(function (s) { return rankName(s) + " " + label(s); }).join(", ") + "."
        : "Nothing ranked yet.";
    }
  }

  selects.forEach(function (select) {
    select.addEventListener("change", function () { moved(select); });
  });
})();
