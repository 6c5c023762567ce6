// The header's menu on narrow screens: a button shows and hides the navigation.
// Loaded in <head> without `defer`, so the page is marked before it is first drawn and a phone
// never shows the whole menu for a moment; without JavaScript the menu is simply always shown.
(function () {
  "use strict";
  document.documentElement.classList.add("js-menu");

  function setUp() {
    var button = document.querySelector(".menu-toggle");
    if (!button) { return; }
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var setOpen = function (open) { button.setAttribute("aria-expanded", open ? "true" : "false"); };
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape closes the open menu and puts the focus back on its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        if (menu.contains(document.activeElement)) { button.focus(); }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
