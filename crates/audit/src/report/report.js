// The report's only script: sortable tables, a filter for the calls table, and tooltips. The
// charts are complete without it. It marks the page rendered, and shows its own errors.
(function () {
  "use strict";
  var errors = document.getElementById("report-errors");
  try {
    var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
    var key = function (cell) {
      if (!cell) { return ""; }
      var raw = cell.getAttribute("data-sort");
      var text = raw !== null ? raw : cell.textContent.trim();
      var number = Number(text);
      return text !== "" && !isNaN(number) ? number : text.toLowerCase();
    };
    each(document.querySelectorAll("table.sortable"), function (table) {
      var heads = table.tHead ? table.tHead.rows[0].cells : [];
      each(heads, function (th, column) {
        th.tabIndex = 0;
        var sort = function () {
          var body = table.tBodies[0];
          var ascending = th.getAttribute("aria-sort") !== "ascending";
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = key(a.cells[column]);
            var y = key(b.cells[column]);
            if (typeof x !== typeof y) { x = String(x); y = String(y); }
            return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
          });
          each(heads, function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
          rows.forEach(function (row) { body.appendChild(row); });
        };
        th.addEventListener("click", sort);
        th.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
      });
    });

    var filter = document.getElementById("call-filter");
    if (filter) {
      filter.addEventListener("input", function () {
        var needle = filter.value.toLowerCase();
        each(document.querySelectorAll("table.calls tbody tr"), function (row) {
          row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0;
        });
      });
    }

    // One styled tooltip instead of the native ones (which stay for readers without scripts).
    var tip = document.getElementById("tooltip");
    each(document.querySelectorAll("[data-tip]"), function (el) {
      var title = el.querySelector("title");
      if (title) { title.parentNode.removeChild(title); }
      el.addEventListener("mousemove", function (event) {
        tip.textContent = el.getAttribute("data-tip");
        tip.hidden = false;
        tip.style.left = Math.min(event.clientX + 14, window.innerWidth - 380) + "px";
        tip.style.top = (event.clientY + 16) + "px";
      });
      el.addEventListener("mouseleave", function () { tip.hidden = true; });
    });

    document.body.dataset.rendered = "ok";
  } catch (error) {
    document.body.dataset.rendered = "error";
    if (errors) {
      errors.hidden = false;
      errors.textContent = "The report's script failed: " + (error && error.stack ? error.stack : error);
    }
  }
})();
