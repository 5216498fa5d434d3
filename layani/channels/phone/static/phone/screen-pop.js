/* Screen pop: when a call rings for me, show who is calling and their file.
 *
 * Listens on its own websocket to /ws/events/ for "call.ringing" (sent only to the ringing
 * agent's personal group), then fetches the scoped fragment /channels/calls/<id>/pop/ and
 * shows it in a fixed panel until closed or replaced by the next call.
 */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="layani-screen-pop"]');
  if (!meta || !window.WebSocket || !window.fetch) return;
  var template = meta.getAttribute("content"); // .../0/pop/
  var retry = 1000;

  function panel() {
    var box = document.getElementById("screen-pop");
    if (!box) {
      box = document.createElement("aside");
      box.id = "screen-pop";
      box.setAttribute("aria-live", "assertive");
      document.body.appendChild(box);
      box.addEventListener("click", function (event) {
        if (event.target.closest("[data-screen-pop-close]")) {
          box.hidden = true;
          box.innerHTML = "";
        }
      });
    }
    return box;
  }

  function show(callId) {
    var url = template.replace("/0/", "/" + encodeURIComponent(callId) + "/");
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var box = panel();
        box.innerHTML = html;
        box.hidden = false;
        var close = box.querySelector("[data-screen-pop-close]");
        if (close) close.focus();
      })
      .catch(function () {});
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onopen = function () {
      retry = 1000;
      document.body.dataset.screenPop = "on";
    };
    socket.onmessage = function (message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (data.event === "call.ringing" && data.payload && data.payload.call) {
        show(data.payload.call);
      }
    };
    socket.onclose = function (event) {
      document.body.dataset.screenPop = "off";
      if (event.code === 4401) return; // signed out
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
