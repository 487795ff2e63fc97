/* Form editor: drag fields to reorder them within and across steps.
   An enhancement only: the up/down buttons do the same without JavaScript. The new order is
   posted as the editor's own reorder form (CSRF token included), then the page reloads. */
(function () {
  "use strict";
  var form = document.getElementById("reorder-form");
  var lists = document.querySelectorAll(".editor-fields");
  if (!form || !lists.length || !("draggable" in document.createElement("li"))) { return; }
  document.documentElement.classList.add("js-drag");
  var dragged = null;

  function order() {
    return Array.prototype.map.call(lists, function (list) {
      return Array.prototype.map.call(list.querySelectorAll(".editor-field"), function (li) {
        return li.getAttribute("data-name");
      });
    });
  }

  function save() {
    var data = new FormData(form);
    data.set("order", JSON.stringify(order()));
    fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function () { window.location.reload(); });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".editor-field"), function (li) {
    li.setAttribute("draggable", "true");
    li.addEventListener("dragstart", function (event) {
      dragged = li;
      li.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", li.getAttribute("data-name"));
    });
    li.addEventListener("dragend", function () {
      li.classList.remove("dragging");
      dragged = null;
    });
    li.addEventListener("dragover", function (event) {
      if (!dragged || dragged === li) { return; }
      event.preventDefault();
      li.classList.add("drop-target");
    });
    li.addEventListener("dragleave", function () { li.classList.remove("drop-target"); });
    li.addEventListener("drop", function (event) {
      event.preventDefault();
      li.classList.remove("drop-target");
      if (!dragged || dragged === li) { return; }
      var box = li.getBoundingClientRect();
      var after = event.clientY > box.top + box.height / 2;
      li.parentNode.insertBefore(dragged, after ? li.nextSibling : li);
      save();
    });
  });
})();
