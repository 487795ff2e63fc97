/* Small enhancements; every page works without this file. */
(function () {
  "use strict";
  function ready() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    var box = document.getElementById("q");
    var list = document.getElementById("q-suggestions");
    if (box && list) {
      box.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { list.innerHTML = ""; }
        if (event.key === "ArrowDown") {
          var first = list.querySelector("a");
          if (first) { event.preventDefault(); first.focus(); }
        }
      });
      list.addEventListener("keydown", function (event) {
        var links = Array.prototype.slice.call(list.querySelectorAll("a"));
        var index = links.indexOf(document.activeElement);
        if (index < 0) { return; }
        if (event.key === "ArrowDown" && index < links.length - 1) { event.preventDefault(); links[index + 1].focus(); }
        if (event.key === "ArrowUp") { event.preventDefault(); (index === 0 ? box : links[index - 1]).focus(); }
        if (event.key === "Escape") { list.innerHTML = ""; box.focus(); }
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
