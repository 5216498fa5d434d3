/* Staff branch pages, live: elements with `data-live-events="visit.called counter.changed ..."`
 * and an htmx `hx-trigger="refresh"` re-read their fragment when one of those events arrives
 * on /ws/events/ (layani.core.realtime). Reconnects with backoff; after every (re)connect
 * each fragment is re-read once, since events may have been missed meanwhile.
 */
(function () {
  "use strict";

  var targets = Array.prototype.slice.call(document.querySelectorAll("[data-live-events]"));
  if (!targets.length || !window.WebSocket) return;

  var DEBOUNCE_MS = 250;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var failures = 0;

  targets.forEach(function (el) {
    el._layaniEvents = (el.dataset.liveEvents || "").split(/\s+/).filter(Boolean);
  });

  function refresh(el) {
    if (el._layaniTimer) return; // a burst of events makes one request
    el._layaniTimer = setTimeout(function () {
      el._layaniTimer = null;
      if (window.htmx) window.htmx.trigger(el, "refresh");
    }, DEBOUNCE_MS);
  }

  // A fragment never is a whole page: one means the session ended (sign-in page), so reload.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var isPage = xhr && /<html[\s>]/i.test(xhr.responseText || "");
    if (event.detail.shouldSwap && isPage && targets.indexOf(event.detail.target) !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onopen = function () {
      failures = 0;
      document.body.dataset.live = "on";
      targets.forEach(refresh);
    };
    socket.onmessage = function (message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      targets.forEach(function (el) {
        if (el._layaniEvents.indexOf(data.event) !== -1) refresh(el);
      });
    };
    socket.onclose = function () {
      document.body.dataset.live = "off";
      var wait = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, failures));
      failures += 1;
      setTimeout(connect, wait * (0.8 + Math.random() * 0.4));
    };
  }

  connect();
})();
