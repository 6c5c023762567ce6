// "Copy" buttons: copy the value of the field named by data-copy-target.
// With data-copy-status (the id of a role="status" element) the confirmation is written there,
// where screen readers announce it and everyone sees it; otherwise the button's own text
// becomes the confirmation (data-copied-text).
(function () {
  "use strict";
  function selectAndCopy(field) {
    var details = field.closest("details");
    if (details) { details.open = true; }  // a closed <details> hides the text from selection
    field.focus();
    field.select();
    return document.execCommand("copy");
  }
  document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copyTarget);
    var status = button.dataset.copyStatus ? document.getElementById(button.dataset.copyStatus) : null;
    if (!field) { return; }
    button.hidden = false;
    function tell(text) {
      if (status) {
        status.textContent = "";  // a repeated message is announced again only after a change
        window.setTimeout(function () { status.textContent = text; }, 50);
      } else {
        button.textContent = text;
      }
    }
    function copied() { tell(button.dataset.copiedText); }
    function failed() {
      if (selectAndCopy(field)) { copied(); } else { tell(button.dataset.copyFailedText || ""); }
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(copied, failed);
      } else {
        failed();
      }
    });
  });
}());
