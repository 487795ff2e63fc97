/* The process modeller: bpmn-js edits the document the page carries; saving posts it as a new
   version through the same form the server validates. Without JavaScript (or when bpmn-js is
   missing) the page keeps its SVG picture and the upload form. */
(function () {
  "use strict";
  var canvas = document.getElementById("modeller-canvas");
  var form = document.getElementById("modeller-form");
  var source = document.getElementById("modeller-document");
  if (!canvas || !form || !source || typeof window.BpmnJS !== "function") {
    return;
  }
  canvas.hidden = false;
  form.hidden = false;
  var modeler = new window.BpmnJS({ container: canvas });
  window.tongbanModeler = modeler;
  modeler.importXML(source.value).then(function () {
    modeler.get("canvas").zoom("fit-viewport");
    var picture = document.getElementById("process-svg");
    if (picture) {
      picture.hidden = true;
    }
    canvas.setAttribute("data-ready", "true");
  }).catch(function (err) {
    canvas.hidden = true;
    form.hidden = true;
    canvas.setAttribute("data-error", String(err && err.message));
  });
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-saved") === "true") {
      return;
    }
    event.preventDefault();
    modeler.saveXML({ format: true }).then(function (result) {
      source.value = result.xml;
      form.setAttribute("data-saved", "true");
      form.submit();
    });
  });
})();
