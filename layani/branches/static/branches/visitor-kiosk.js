// The kiosk: go back to the start after a while without a touch, and print tickets.
(function () {
  "use strict";
  var kiosk = document.getElementById("kiosk");
  if (!kiosk) return;
  var home = kiosk.dataset.homeUrl;
  var timer = null;

  function idleSeconds() {
    var step = document.querySelector("#kiosk-screen [data-idle-seconds]");
    return step ? Number(step.dataset.idleSeconds) : 0;
  }

  // Any touch, key or typing starts the count again; the step on screen says how long.
  function arm() {
    window.clearTimeout(timer);
    var seconds = idleSeconds();
    if (seconds > 0) timer = window.setTimeout(goHome, seconds * 1000);
  }

  // A full load of the start page: the next visitor starts clean, in Indonesian.
  function goHome() {
    window.location.assign(home);
  }

  ["pointerdown", "keydown", "input"].forEach(function (name) {
    document.addEventListener(name, arm, { passive: true, capture: true });
  });
  // A new step on screen: its own idle time, seen from its top.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (event.target.id === "kiosk-screen") window.scrollTo(0, 0);
    arm();
  });
  arm();

  // Print the ticket from a hidden frame, so the kiosk never leaves its page.
  function printTicket(url) {
    var old = document.getElementById("print-frame");
    if (old) old.remove();
    var frame = document.createElement("iframe");
    frame.id = "print-frame";
    frame.title = "ticket";
    frame.setAttribute("aria-hidden", "true");
    frame.style.cssText = "position:fixed;right:0;bottom:0;width:0;height:0;border:0;";
    frame.addEventListener("load", function () {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    });
    frame.src = url;
    document.body.appendChild(frame);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print-url]");
    if (!button) return;
    event.preventDefault();
    printTicket(button.dataset.printUrl);
  });
})();
