// The case-study answer: saved while the trainee types, kept in this browser until the server
// has it, a warning before leaving with changes unsaved, and a preview drawn by the server.
// Without this script the form still saves everything with its buttons.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) { return; }
  var box = form.querySelector("textarea[name=answer]");
  var status = form.querySelector(".autosave-status");
  var key = form.dataset.backupKey;
  var IDLE_MS = 3000;     // save this long after the last keystroke
  var LONGEST_MS = 20000; // and at least this often while typing goes on
  var timer = null;
  var firstChange = null;
  var saving = false;
  var stopped = false;    // a conflict: the buttons (which show both texts) take over
  var submitting = false;
  var savedText = box.value;

  function field(name) { return form.querySelector("input[name=" + name + "]"); }
  function say(text) { status.textContent = text; }
  function dirty() { return box.value !== savedText; }

  function keep() {
    try {
      localStorage.setItem(key, JSON.stringify({ text: box.value, at: Date.now() }));
    } catch (e) { /* private mode or full: the server copy still counts */ }
  }
  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
  }
  function kept() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function save() {
    timer = null;
    if (stopped || saving || submitting || !dirty()) { return; }
    saving = true;
    firstChange = null;
    var sent = box.value;
    var data = new FormData();
    data.append("csrf_token", field("csrf_token").value);
    data.append("answer", sent);
    data.append("submission_id", field("submission_id").value);
    data.append("version", field("version").value);
    say(form.dataset.savingText);
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-Requested-With": "fetch" }
    }).then(function (response) {
      var json = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
      if (response.redirected || !json) { throw new Error("expired"); }
      return response.json().then(function (body) {
        // Signed out, or a form token from a session that is gone.
        if (response.status === 401 || (response.status === 400 && body.error !== "invalid")) {
          throw new Error("expired");
        }
        return { ok: response.ok, body: body };
      });
    }).then(function (result) {
      if (result.ok && result.body.version !== undefined) {
        field("submission_id").value = result.body.submission_id;
        field("version").value = result.body.version;
        savedText = sent;
        say(result.body.message);
        if (!dirty()) { forget(); }
      } else {
        if (result.body.error === "conflict" || result.body.error === "refused") { stopped = true; }
        say(result.body.message || form.dataset.offlineText);
      }
    }).catch(function (error) {
      say(error.message === "expired" ? form.dataset.expiredText : form.dataset.offlineText);
    }).then(function () {
      saving = false;
      if (dirty() && !stopped) { schedule(); }
    });
  }

  function schedule() {
    var now = Date.now();
    if (firstChange === null) { firstChange = now; }
    clearTimeout(timer);
    var wait = Math.min(IDLE_MS, Math.max(0, firstChange + LONGEST_MS - now));
    timer = setTimeout(save, wait);
  }

  box.addEventListener("input", function () {
    keep();
    if (!stopped) {
      say(form.dataset.unsavedText);
      schedule();
    }
  });

  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(timer);
    keep();
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty() && !submitting) {
      event.preventDefault();
      event.returnValue = form.dataset.leaveText;
      return form.dataset.leaveText;
    }
    return undefined;
  });

  // A text this browser kept that the server never got (a session that ended, a lost
  // connection, a closed tab): offer it back rather than drop it.
  var backup = kept();
  if (backup && backup.text === box.value) {
    forget();
  } else if (backup && backup.text.trim()) {
    var offer = document.createElement("div");
    offer.className = "flash flash-warning restore";
    offer.setAttribute("role", "alert");
    var words = document.createElement("p");
    words.textContent = form.dataset.restoreText;
    var restore = document.createElement("button");
    restore.type = "button";
    restore.className = "button";
    restore.textContent = form.dataset.restoreButton;
    restore.addEventListener("click", function () {
      box.value = backup.text;
      offer.remove();
      box.focus();
      say(form.dataset.unsavedText);
      schedule();
    });
    offer.appendChild(words);
    offer.appendChild(restore);
    box.parentNode.insertBefore(offer, box.parentNode.firstChild);
  }

  var previewButton = form.querySelector("button[data-preview]");
  var preview = document.getElementById("answer-preview");
  if (previewButton && preview) {
    previewButton.hidden = false;
    previewButton.addEventListener("click", function () {
      if (!preview.hidden) {
        preview.hidden = true;
        previewButton.setAttribute("aria-expanded", "false");
        return;
      }
      var data = new FormData();
      data.append("csrf_token", field("csrf_token").value);
      data.append("answer", box.value);
      fetch(form.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) { return response.json(); }).then(function (body) {
        // Sanitised on the server by the same rules as every page that shows the answer.
        preview.innerHTML = body.html || "";
        preview.hidden = false;
        previewButton.setAttribute("aria-expanded", "true");
      }).catch(function () { say(form.dataset.offlineText); });
    });
  }
}());
