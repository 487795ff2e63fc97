// Announces each new call aloud where the browser can speak (an enhancement: the screen also
// works without JavaScript, refreshed by its meta refresh).
(function () {
  "use strict";
  var last = null;
  function announce() {
    var region = document.querySelector("[data-announce]");
    if (!region) return;
    var value = region.getAttribute("data-announce");
    if (!value || value === last) return;
    var first = last === null;
    last = value;
    if (first || !("speechSynthesis" in window)) return;
    var parts = value.split("|");
    var text = "请 " + parts[0].split("").join(" ") + " 号到 " + parts[1] + " 办理";
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
    window.speechSynthesis.speak(utterance);
  }
  document.addEventListener("DOMContentLoaded", announce);
  document.addEventListener("htmx:afterSwap", announce);
})();
