/* The branch's TV display: shows each call as it happens, chimes, and announces it in
 * Indonesian, one announcement at a time.
 *
 * Live over ws/display/<branch>/ (layani.branches.consumers.DisplayConsumer); reconnects
 * with backoff and re-reads the list from the server after every (re)connect.
 *
 * For tests and monitoring:
 *   document.body.dataset.lastTicket / lastCounter / callsApplied  the last applied call
 *   window.layaniAnnouncements     every announcement text, in the order spoken
 *   window.layaniAnnouncementLog   [{ticket, text, start, end}] (ms since the epoch)
 *   window.layaniApplied           [{ticket, counter, recall, at}] when each call was shown
 *   window.layaniDisplay.pause() / resume()  drop the connection and make it again (for
 *                                  tests of the re-read after a reconnect)
 */
(function () {
  "use strict";

  var body = document.body;
  var config = JSON.parse(document.getElementById("display-config").textContent);
  var calls = (config.calls || []).slice(); // newest first
  var MAX_CALLS = config.max || 8;
  var CHIME_SECONDS = 1.3;
  var GAP_MS = 400; // silence between two announcements
  // A call still unspoken after this long is skipped (it stays on screen): in a rush,
  // announcing tickets called minutes ago only sends people to the wrong counter.
  var ANNOUNCE_MAX_AGE_MS = 90000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;

  window.layaniAnnouncements = [];
  window.layaniAnnouncementLog = [];
  window.layaniApplied = [];

  function nowMs() {
    return performance.timeOrigin + performance.now();
  }

  // --- Words ---------------------------------------------------------------------------------

  var DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"];
  var LETTERS = {
    A: "a", B: "be", C: "ce", D: "de", E: "e", F: "ef", G: "ge", H: "ha", I: "i", J: "je",
    K: "ka", L: "el", M: "em", N: "en", O: "o", P: "pe", Q: "ki", R: "er", S: "es", T: "te",
    U: "u", V: "fe", W: "we", X: "eks", Y: "ye", Z: "zet"
  };

  /* B017 -> "be nol satu tujuh": letters by their Indonesian names, digits one by one. */
  function spellTicket(ticket) {
    var words = [];
    String(ticket).toUpperCase().split("").forEach(function (ch) {
      if (ch >= "0" && ch <= "9") words.push(DIGITS[ch.charCodeAt(0) - 48]);
      else if (LETTERS[ch]) words.push(LETTERS[ch]);
    });
    return words.join(" ");
  }

  /* 3 -> "tiga", 12 -> "dua belas", 21 -> "dua puluh satu", 100 -> "seratus". */
  function numberWords(n) {
    n = Math.floor(n);
    if (n < 0 || n > 9999) return String(n);
    if (n < 10) return DIGITS[n];
    if (n === 10) return "sepuluh";
    if (n === 11) return "sebelas";
    if (n < 20) return DIGITS[n - 10] + " belas";
    if (n < 100) return DIGITS[Math.floor(n / 10)] + " puluh" + (n % 10 ? " " + DIGITS[n % 10] : "");
    if (n < 1000) {
      var hundreds = Math.floor(n / 100) === 1 ? "seratus" : DIGITS[Math.floor(n / 100)] + " ratus";
      return hundreds + (n % 100 ? " " + numberWords(n % 100) : "");
    }
    var thousands = Math.floor(n / 1000) === 1 ? "seribu" : DIGITS[Math.floor(n / 1000)] + " ribu";
    return thousands + (n % 1000 ? " " + numberWords(n % 1000) : "");
  }

  /* "Loket 3" -> "Loket tiga"; an empty name falls back to "loket <number>". */
  function counterWords(call) {
    var name = (call.counter || "").trim();
    if (!name) return call.counter_number != null ? "loket " + numberWords(call.counter_number) : "";
    return name.replace(/\d+/g, function (digits) { return numberWords(parseInt(digits, 10)); });
  }

  function announcementText(call) {
    var text = "Nomor antrean " + spellTicket(call.ticket) + ", silakan ke " + counterWords(call);
    return call.recall ? "Panggilan ulang. " + text : text;
  }

  // --- The screen ----------------------------------------------------------------------------

  var nowPanel = document.getElementById("now");
  var nowCall = nowPanel.querySelector(".now-call");
  var nowTicket = document.getElementById("now-ticket");
  var nowCounter = document.getElementById("now-counter");
  var previousList = document.getElementById("previous-list");
  var flashTimer = null;

  function render(newTicket) {
    var newest = calls[0];
    nowCall.classList.toggle("is-empty", !newest);
    nowTicket.textContent = newest ? newest.ticket : "";
    nowCounter.textContent = newest ? newest.counter : "";
    var items = calls.slice(1).map(function (call) {
      var li = document.createElement("li");
      li.dataset.ticket = call.ticket;
      var ticket = document.createElement("span");
      ticket.className = "p-ticket";
      ticket.textContent = call.ticket;
      var counter = document.createElement("span");
      counter.className = "p-counter";
      counter.textContent = call.counter;
      li.appendChild(ticket);
      li.appendChild(counter);
      return li;
    });
    previousList.replaceChildren.apply(previousList, items);
    if (newest) {
      body.dataset.lastTicket = newest.ticket;
      body.dataset.lastCounter = newest.counter;
    }
    if (newTicket) {
      nowPanel.classList.remove("flash");
      void nowPanel.offsetWidth; // restart the animation
      nowPanel.classList.add("flash");
      clearTimeout(flashTimer);
      flashTimer = setTimeout(function () { nowPanel.classList.remove("flash"); }, 3200);
    }
  }

  /* Newest first, one line per ticket (a recall or a transfer moves it to the top). */
  function withCall(list, call) {
    return [call].concat(list.filter(function (c) { return c.ticket !== call.ticket; })).slice(0, MAX_CALLS);
  }

  var appliedDuringResync = null;

  function applyCall(call) {
    calls = withCall(calls, call);
    if (appliedDuringResync) appliedDuringResync.push(call);
    render(call.ticket);
    body.dataset.callsApplied = String(parseInt(body.dataset.callsApplied || "0", 10) + 1);
    window.layaniApplied.push({ ticket: call.ticket, counter: call.counter, recall: !!call.recall, at: nowMs() });
    announce(call);
  }

  /* After a (re)connect: the server's list, plus whatever arrived while reading it. */
  function resync() {
    appliedDuringResync = [];
    fetch(config.callsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) throw new Error("not signed in");
        return response.json();
      })
      .then(function (data) {
        var merged = data.calls || [];
        (appliedDuringResync || []).forEach(function (call) { merged = withCall(merged, call); });
        calls = merged.slice(0, MAX_CALLS);
        render(null);
      })
      .catch(function () { /* keep what is on screen; the next reconnect tries again */ })
      .finally(function () { appliedDuringResync = null; });
  }

  // --- Clock in the branch's zone --------------------------------------------------------------

  var clock = document.getElementById("display-clock");
  var dateLine = document.getElementById("display-date");
  var zone = document.getElementById("display-zone");
  var locale = document.documentElement.lang === "en" ? "en-GB" : "id-ID";
  var timeFormat = new Intl.DateTimeFormat(locale, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: config.timezone
  });
  var dateFormat = new Intl.DateTimeFormat(locale, {
    weekday: "long", day: "numeric", month: "long", timeZone: config.timezone
  });

  function tick() {
    var now = new Date();
    clock.textContent = timeFormat.format(now).replace(":", ".");
    dateLine.textContent = dateFormat.format(now);
    zone.hidden = false;
    setTimeout(tick, 1000 - (now.getTime() % 1000) + 20);
  }

  // --- Sound: a chime, then the spoken call; strictly one after the other ---------------------

  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  var audio = null;
  try {
    audio = AudioContextClass ? new AudioContextClass() : null;
  } catch (e) {
    audio = null;
  }
  var overlay = document.getElementById("sound-overlay");

  function soundReady() {
    body.dataset.sound = "on";
    overlay.hidden = true;
  }

  document.getElementById("enable-sound").addEventListener("click", function () {
    if (audio && audio.state !== "running") audio.resume().catch(function () {});
    soundReady();
  });
  if (audio && audio.state === "running") soundReady(); // the screen's browser allows sound

  function tone(frequency, start, seconds) {
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.5, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + seconds);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + seconds + 0.05);
  }

  /* "Ding-dong" (E5 then C5); resolves when it has sounded, at once when sound is off. */
  function chime() {
    return new Promise(function (resolve) {
      if (!audio || audio.state !== "running") {
        resolve();
        return;
      }
      var start = audio.currentTime + 0.05;
      tone(659.25, start, 0.9);
      tone(523.25, start + 0.45, 0.85);
      setTimeout(resolve, CHIME_SECONDS * 1000);
    });
  }

  var voice = null;

  function pickVoice() {
    if (!window.speechSynthesis) return;
    var voices = window.speechSynthesis.getVoices() || [];
    voice = voices.filter(function (v) { return /^id(-|_|$)/i.test(v.lang); })[0] || null;
  }

  if (window.speechSynthesis) {
    pickVoice();
    window.speechSynthesis.addEventListener("voiceschanged", pickVoice);
  }

  /* Speak `text`; resolves on the utterance's end, on an error, or after a safety timeout
   * (some browsers never fire `onend`, e.g. with no voice installed). */
  function speak(text) {
    return new Promise(function (resolve) {
      var synth = window.speechSynthesis;
      if (!synth || !window.SpeechSynthesisUtterance) {
        resolve();
        return;
      }
      var finished = false;
      var guard = null;
      function done() {
        if (finished) return;
        finished = true;
        clearTimeout(guard);
        resolve();
      }
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "id-ID";
      utterance.rate = 0.9;
      if (voice) utterance.voice = voice;
      utterance.onend = done;
      utterance.onerror = done;
      guard = setTimeout(function () {
        synth.cancel();
        done();
      }, 2500 + text.length * 110);
      try {
        synth.speak(utterance);
      } catch (e) {
        done();
      }
    });
  }

  var waiting = [];
  var speaking = false;

  function announce(call) {
    // A recall replaces the same ticket's announcement still waiting: say it once.
    waiting = waiting.filter(function (item) { return item.call.ticket !== call.ticket; });
    waiting.push({ call: call, queuedAt: nowMs() });
    nextAnnouncement();
  }

  function nextAnnouncement() {
    var cutoff = nowMs() - ANNOUNCE_MAX_AGE_MS;
    waiting = waiting.filter(function (item) { return item.queuedAt >= cutoff; });
    if (speaking || !waiting.length) return;
    speaking = true;
    var call = waiting.shift().call;
    var text = announcementText(call);
    var entry = { ticket: call.ticket, text: text, start: nowMs(), end: null };
    window.layaniAnnouncements.push(text);
    window.layaniAnnouncementLog.push(entry);
    body.dataset.announcing = "true";
    chime()
      .then(function () { return speak(text); })
      .catch(function () {})
      .then(function () {
        entry.end = nowMs();
        body.dataset.announcing = "false";
        setTimeout(function () {
          speaking = false;
          nextAnnouncement();
        }, GAP_MS);
      });
  }

  // --- Live channel --------------------------------------------------------------------------

  var linkState = document.getElementById("link-state");
  var failures = 0;
  var currentSocket = null;
  var paused = false;

  window.layaniDisplay = {
    pause: function () {
      paused = true;
      if (currentSocket) currentSocket.close();
    },
    resume: function () {
      paused = false;
      if (!currentSocket) connect();
    }
  };

  function setLink(connected, text) {
    body.dataset.connected = connected ? "true" : "false";
    linkState.textContent = text || "";
  }

  function connect() {
    if (paused || currentSocket) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + config.wsPath);
    } catch (e) {
      retry(false);
      return;
    }
    currentSocket = socket;
    socket.onopen = function () {
      failures = 0;
      setLink(true, "");
      resync();
    };
    socket.onmessage = function (message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (data.event === "visit.called" && data.payload && data.payload.ticket) applyCall(data.payload);
    };
    socket.onclose = function (event) {
      if (currentSocket === socket) currentSocket = null;
      retry(event.code === 4401 || event.code === 4403);
    };
  }

  function retry(refused) {
    setLink(false, refused ? linkState.dataset.signedOutText : linkState.dataset.offlineText);
    if (paused) return;
    var wait = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, failures));
    failures += 1;
    setTimeout(connect, wait * (0.8 + Math.random() * 0.4));
  }

  tick();
  render(null);
  connect();
})();
