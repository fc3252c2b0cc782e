// The portal's only script: "Copy" buttons for tokens and secrets shown once. The pages work
// without it (the value is on the page, selectable); the buttons stay hidden until this runs.
"use strict";
(function () {
  function announce(text) {
    var status = document.getElementById("copy-status");
    if (status) { status.textContent = text; }
  }
  function copyFallback(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent.trim();
      var label = target.getAttribute("aria-label") || "Value";
      var done = function () { button.textContent = "Copied"; announce(label + " copied to the clipboard."); };
      var failed = function () {
        if (copyFallback(target)) { done(); } else { announce("Select the text and copy it by hand."); }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, failed);
      } else {
        failed();
      }
    });
  });
})();
