// Live preview of the score and outcome on the rubric form. The server recomputes both.
(function () {
  "use strict";
  var form = document.getElementById("rubric-form");
  if (!form) { return; }
  var preview = document.getElementById("preview");
  var passMark = parseFloat(form.dataset.passMark);
  var minimums = JSON.parse(form.dataset.minLevels || "{}");
  var lastBox = null;

  function update() {
    var weighted = 0, weights = 0, complete = true, below = [];
    form.querySelectorAll("fieldset.criterion").forEach(function (fieldset) {
      var weight = parseInt(fieldset.dataset.weight, 10);
      var chosen = fieldset.querySelector("input[type=radio]:checked");
      weights += weight;
      if (!chosen) { complete = false; return; }
      var level = parseInt(chosen.value, 10);
      weighted += weight * level;
      var minimum = minimums[fieldset.dataset.priority];
      if (minimum !== undefined && level < minimum) {
        below.push(fieldset.querySelector("legend").firstChild.textContent.trim());
      }
    });
    if (!complete) {
      preview.textContent = preview.dataset.incomplete || preview.textContent;
      return;
    }
    var score = Math.round(1000 * weighted / (4 * weights)) / 10;
    var passed = score >= passMark && below.length === 0;
    // The words come translated from the page (data-*-text), the numbers from here.
    var data = form.dataset;
    var text = data.scoreText.replace("{score}", score.toLocaleString(document.documentElement.lang,
      { minimumFractionDigits: 1, maximumFractionDigits: 1 }));
    text += " — " + (passed ? data.passText : data.failText);
    if (below.length) { text += " (" + data.belowText.replace("{criteria}", below.join(", ")) + ")"; }
    preview.textContent = text;
    preview.className = "preview " + (passed ? "preview-pass" : "preview-fail");
  }

  preview.dataset.incomplete = preview.textContent;
  form.addEventListener("change", update);
  form.querySelectorAll("textarea[data-snippet-target]").forEach(function (box) {
    box.addEventListener("focus", function () { lastBox = box; });
  });
  var insert = document.getElementById("insert-snippet");
  if (insert) {
    insert.addEventListener("click", function () {
      var select = document.getElementById("snippet");
      var box = lastBox || form.querySelector("textarea[name=overall_feedback]");
      box.value = (box.value ? box.value + "\n\n" : "") + select.value;
      box.focus();
    });
  }
  update();
}());
