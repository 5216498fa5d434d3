/* The agent workspace in the browser: live updates, keyboard shortcuts, the reply box.
 *
 * Live: one websocket to /ws/events/ (layani.core.realtime). On the inbox, a change to a
 * conversation that is listed, or that could belong to the current view and filters,
 * re-reads the rows the agent has loaded (filters and scroll stay). On a conversation, a
 * change to it re-reads the parts that show it; a part the agent is typing in waits until
 * they leave it. After every (re)connect everything is re-read once: events may have been
 * missed meanwhile.
 *
 * Shortcuts never fire while typing in a box. `?` lists them.
 *
 * Nothing typed is lost silently: the reply / note box is kept as a draft per conversation
 * (and per signed-in person) in sessionStorage, put back when the conversation is opened
 * again in this tab, and cleared when it is sent. Resolving or closing with unsent text asks
 * first. `a` takes a conversation at once only when no person has it; from a colleague it asks.
 */
(function () {
  "use strict";

  var PAGE_SIZE = 50;
  var ACTIVE = ["new", "open", "pending"];
  var IDS_KEY = "layani.inbox.ids";
  var DRAFT_KEY = "layani.draft.";
  var MENTION_GAP_PX = 4;
  var DEBOUNCE_MS = 250;
  var MIN_INTERVAL_MS = 1000;
  var BACKOFF_MIN_MS = 1000;
  var BACKOFF_MAX_MS = 30000;

  var inbox = document.getElementById("inbox-rows");
  var page = document.getElementById("conversation");
  var strings = (document.getElementById("ws-strings") || { dataset: {} }).dataset;

  function inboxUrl() {
    return strings.inboxUrl || "/inbox/";
  }

  function isTyping(el) {
    if (!el || el === document.body) return false;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
    if (tag !== "INPUT") return false;
    return ["button", "submit", "checkbox", "radio", "reset"].indexOf(el.type) === -1;
  }

  function toast(text, href, top) {
    var old = document.getElementById("ws-toast");
    if (old) old.remove();
    var box = document.createElement("div");
    box.id = "ws-toast";
    box.className = top ? "toast toast-top notice" : "toast notice";
    box.setAttribute("role", "status");
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = text;
      box.appendChild(link);
    } else {
      box.textContent = text;
    }
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 6000);
  }

  // --- One throttled refresher per target ---------------------------------------------------

  function refresher(run) {
    var timer = null;
    var last = 0;
    return function () {
      if (timer) return; // a burst of events makes one request
      var wait = Math.max(DEBOUNCE_MS, last + MIN_INTERVAL_MS - Date.now());
      timer = setTimeout(function () {
        timer = null;
        last = Date.now();
        run();
      }, wait);
    };
  }

  // --- The websocket --------------------------------------------------------------------------

  var listeners = [];
  var failures = 0;

  function connect() {
    if (!window.WebSocket) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/events/");
    socket.onopen = function () {
      var again = failures > 0 || document.body.dataset.live === "off";
      failures = 0;
      document.body.dataset.live = "on";
      if (again) listeners.forEach(function (fn) { fn("reconnected", {}); });
    };
    socket.onmessage = function (message) {
      var data;
      try {
        data = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      listeners.forEach(function (fn) { fn(data.event, data.payload || {}); });
    };
    socket.onclose = function () {
      document.body.dataset.live = "off";
      var wait = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, failures));
      failures += 1;
      setTimeout(connect, wait * (0.8 + Math.random() * 0.4));
    };
  }

  listeners.push(function (event, payload) {
    if (event === "mention.created" && payload.conversation_id) {
      var text = (strings.mention || "@ %(by)s: %(ref)s")
        .replace("%(by)s", payload.by || "")
        .replace("%(ref)s", payload.reference || "");
      toast(text, inboxUrl() + payload.conversation_id + "/");
    }
  });

  // A fragment never is a whole page: one means the session ended (sign-in page), so reload.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (event.detail.shouldSwap && xhr && /<html[\s>]/i.test(xhr.responseText || "")) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
  });
  // Going offline hands the agent's open work back to their teams: asked first, since one
  // wrong pick at the start of a shift would empty their list.
  document.body.addEventListener("htmx:confirm", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "presence") return;
    var select = form.querySelector("select[name=status]");
    if (!select || select.value !== "offline" || form.dataset.status === "offline") return;
    event.preventDefault();
    if (window.confirm(form.dataset.offlineQuestion)) {
      event.detail.issueRequest(true);
    } else {
      select.value = form.dataset.status;
    }
  });
  document.body.addEventListener("htmx:responseError", function () {
    toast(strings.error || "Error");
  });
  document.body.addEventListener("htmx:sendError", function () {
    toast(strings.offline || "Offline");
  });

  // --- Inbox ----------------------------------------------------------------------------------

  function inboxRows() {
    return Array.prototype.slice.call(inbox.querySelectorAll("li.inbox-row"));
  }

  function rememberInbox() {
    try {
      var ids = inboxRows().map(function (li) { return li.dataset.conversation; });
      sessionStorage.setItem(IDS_KEY, JSON.stringify({ ids: ids, url: window.location.href }));
    } catch (e) { /* private mode: no next/previous on the conversation page */ }
  }

  var selectedId = null;

  function select(li, focus) {
    inboxRows().forEach(function (row) { row.classList.remove("is-selected"); });
    if (!li) return;
    li.classList.add("is-selected");
    selectedId = li.dataset.conversation;
    if (focus) {
      var link = li.querySelector(".row-link");
      if (link) link.focus({ preventScroll: true });
      li.scrollIntoView({ block: "nearest" });
    }
  }

  function moveSelection(step) {
    var rows = inboxRows();
    if (!rows.length) return;
    var index = rows.findIndex(function (li) { return li.dataset.conversation === selectedId; });
    var next = index === -1 ? (step > 0 ? 0 : rows.length - 1) : index + step;
    if (next >= rows.length) {
      var more = document.getElementById("inbox-next");
      if (more) more.click();
      return;
    }
    select(rows[Math.max(0, next)], true);
  }

  function setUpInbox() {
    var d = inbox.dataset;
    var teamIds = (d.teamIds || "").split(",").filter(Boolean).map(Number);
    var staffId = d.staffId ? Number(d.staffId) : null;

    function listed(id) {
      return !!inbox.querySelector('li.inbox-row[data-conversation="' + id + '"]');
    }

    function fitsView(p) {
      var status = d.filterStatus ? p.status === d.filterStatus : ACTIVE.indexOf(p.status) !== -1;
      if (!status) return false;
      if (d.filterChannel && p.channel !== d.filterChannel) return false;
      if (d.filterPurpose && p.purpose !== d.filterPurpose) return false;
      if (d.filterPriority && String(p.priority) !== d.filterPriority) return false;
      if (d.filterBranch && String(p.branch_id) !== d.filterBranch) return false;
      if (d.view === "mine") return staffId !== null && p.assignee_id === staffId;
      if (d.view === "unassigned") return p.assignee_id === null;
      if (d.view === "teams") return teamIds.indexOf(p.team_id) !== -1;
      return true;
    }

    var refresh = refresher(function () {
      var pages = Math.max(1, Math.ceil(inboxRows().length / PAGE_SIZE));
      window.htmx.ajax("GET", d.rowsUrl + "&pages=" + pages, { target: inbox, swap: "innerHTML" });
    });

    listeners.push(function (event, p) {
      if (event === "reconnected") return refresh();
      if (event === "conversation.read") {
        if (listed(p.id)) refresh();
        return;
      }
      if (["conversation.created", "conversation.updated", "message.created"].indexOf(event) === -1) return;
      if (listed(p.id) || fitsView(p)) refresh();
    });
    setInterval(refresh, 60000); // the time left on each row

    document.body.addEventListener("htmx:afterSettle", function () {
      rememberInbox();
      if (selectedId) {
        var li = inbox.querySelector('li.inbox-row[data-conversation="' + selectedId + '"]');
        if (li) li.classList.add("is-selected");
      }
    });
    inbox.addEventListener("focusin", function (event) {
      var li = event.target.closest("li.inbox-row");
      if (li) select(li, false);
    });
    rememberInbox();

    // On a phone the filters start folded (they are open without JavaScript).
    var box = document.getElementById("inbox-filter-box");
    if (box && window.matchMedia("(max-width: 760px)").matches) box.open = false;

    var filters = document.getElementById("inbox-filters");
    if (filters) {
      filters.addEventListener("change", function (event) {
        if (event.target.tagName === "SELECT") filters.requestSubmit();
      });
    }
  }

  // --- Conversation ---------------------------------------------------------------------------

  var PART_IDS = {
    controls: "conversation-controls",
    thread: "thread",
    composer: "composer",
    pinned: "what-matters",
    side: "customer-side"
  };

  function scrollThread(to) {
    var list = document.getElementById("thread-lines");
    if (!list || list.dataset.placed) return;
    list.dataset.placed = "true";
    list.scrollTop = to === undefined || to === null ? list.scrollHeight : to;
  }

  function setUpConversation() {
    var id = Number(page.dataset.conversation);
    var customerId = page.dataset.customer ? Number(page.dataset.customer) : null;
    var refreshers = {};
    var threadTop = null;

    function busy(el) {
      var active = document.activeElement;
      return (el.contains(active) && isTyping(active)) || !!el.querySelector("form[data-dirty]");
    }

    function load(name) {
      var el = document.getElementById(PART_IDS[name]);
      if (!el) return;
      if (busy(el)) {
        el.dataset.stale = "true"; // re-read when the agent leaves it
        return;
      }
      // What is open and what is being typed are read when the answer arrives, not when the
      // request leaves: the agent may have opened a menu or started typing meanwhile. The
      // swap events are used, not htmx.ajax's promise: htmx queues requests from one source
      // and resolves a queued request's promise before it is even sent.
      var open = [];
      function beforeSwap(event) {
        if (event.detail.target !== el) return;
        document.body.removeEventListener("htmx:beforeSwap", beforeSwap);
        if (busy(el)) {
          event.detail.shouldSwap = false;
          el.dataset.stale = "true";
        }
        if (!event.detail.shouldSwap) {
          document.body.removeEventListener("htmx:afterSwap", afterSwap);
          return;
        }
        open = Array.prototype.slice
          .call(el.querySelectorAll("details[open][id]"))
          .map(function (details) { return details.id; });
      }
      function afterSwap(event) {
        if (event.detail.target !== el) return;
        document.body.removeEventListener("htmx:afterSwap", afterSwap);
        open.forEach(function (detailsId) {
          var details = document.getElementById(detailsId);
          if (details) details.open = true;
        });
        if (name === "thread") scrollThread(threadTop);
        threadTop = null;
      }
      document.body.addEventListener("htmx:beforeSwap", beforeSwap);
      document.body.addEventListener("htmx:afterSwap", afterSwap);
      var url = page.dataset.partUrl.replace("PART", name);
      if (name === "thread") {
        var list = document.getElementById("thread-lines");
        var atEnd = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
        threadTop = atEnd ? null : list.scrollTop;
        if (document.visibilityState === "visible") url += "?seen=1";
      }
      window.htmx.ajax("GET", url, { target: el, swap: "outerHTML" });
    }

    function refresh(name) {
      if (!refreshers[name]) refreshers[name] = refresher(function () { load(name); });
      refreshers[name]();
    }

    // Typing, both ways (web chat): the customer's shows above the reply box for a few
    // seconds; the agent's is sent at most every 3 s while they write a reply.
    var typingHide = null;
    listeners.push(function (event, p) {
      if (event !== "conversation.typing" || p.conversation !== id) return;
      var note = document.getElementById("customer-typing");
      var composer = document.getElementById("composer");
      if (!note && composer) {
        note = document.createElement("p");
        note.id = "customer-typing";
        note.className = "typing-note muted small";
        note.setAttribute("aria-live", "polite");
        composer.parentNode.insertBefore(note, composer);
      }
      if (!note) return;
      note.textContent = page.dataset.typingText || "…";
      note.hidden = false;
      clearTimeout(typingHide);
      typingHide = setTimeout(function () { note.hidden = true; }, 4000);
    });
    var typingSentAt = 0;
    document.addEventListener("input", function (event) {
      var url = page.dataset.typingUrl;
      var composer = document.getElementById("composer");
      if (!url || event.target.id !== "compose-body") return;
      if (composer && composer.dataset.mode === "note") return; // a note is not for the customer
      if (Date.now() - typingSentAt < 3000) return;
      typingSentAt = Date.now();
      var token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
      fetch(url, { method: "POST", headers: { "X-CSRFToken": token || "" }, credentials: "same-origin" });
    });

    listeners.push(function (event, p) {
      if (event === "reconnected") {
        ["controls", "thread", "pinned", "side"].forEach(refresh);
        return;
      }
      if (event === "customer.updated" && customerId !== null && p.id === customerId) {
        refresh("pinned");
        refresh("side");
        return;
      }
      if ((event === "sla.warning" || event === "sla.breached") && p.id === id) {
        refresh("controls"); // the SLA block: amber, then red
        return;
      }
      if (event.indexOf("conversation.") !== 0 && event.indexOf("message.") !== 0) return;
      if (event === "conversation.read") return;
      if (p.id === id) {
        refresh("thread");
        if (event !== "message.updated") refresh("controls");
        var changes = p.changes || [];
        if (changes.indexOf("merged") !== -1 || changes.indexOf("merged_into") !== -1) {
          refresh("side");
          refresh("composer");
        }
      } else if (customerId !== null && p.customer_id === customerId && event.indexOf("conversation.") === 0) {
        refresh("side");
      }
    });

    // A form being filled in is "dirty": live updates leave its part alone until it is sent
    // or the agent leaves the part.
    document.addEventListener("input", function (event) {
      var form = event.target.closest && event.target.closest("form");
      if (form && form.closest("#conversation") && form.id !== "compose-form") form.dataset.dirty = "true";
    });
    document.addEventListener("focusout", function (event) {
      Object.keys(PART_IDS).forEach(function (name) {
        var el = document.getElementById(PART_IDS[name]);
        if (!el || el.dataset.stale !== "true" || !el.contains(event.target)) return;
        setTimeout(function () {
          if (!busy(el)) {
            delete el.dataset.stale;
            refresh(name);
          }
        }, 50);
      });
    });
    document.body.addEventListener("htmx:afterSettle", function () { scrollThread(null); });

    var target = window.location.hash && document.querySelector(window.location.hash);
    if (target && target.closest("#thread-lines")) {
      var list = document.getElementById("thread-lines");
      list.dataset.placed = "true";
      list.scrollTop = target.offsetTop - list.offsetTop - 20;
      target.classList.add("is-found");
    } else {
      scrollThread(null);
    }

    // Previous / next conversation, in the order of the inbox the agent came from.
    try {
      var saved = JSON.parse(sessionStorage.getItem(IDS_KEY) || "null");
      if (saved && saved.ids) {
        var index = saved.ids.indexOf(String(id));
        var back = document.getElementById("back-to-inbox");
        if (back && saved.url) back.href = saved.url;
        [["previous-conversation", index - 1], ["next-conversation", index + 1]].forEach(function (pair) {
          var link = document.getElementById(pair[0]);
          if (index !== -1 && pair[1] >= 0 && pair[1] < saved.ids.length) {
            link.href = inboxUrl() + saved.ids[pair[1]] + "/";
            link.hidden = false;
          }
        });
      }
    } catch (e) { /* no stored inbox: the links stay hidden */ }

    if (restoreDraft()) toast(strings.draftRestored || "…");
    window.addEventListener("pagehide", saveDraft);
    // What was in the box when it was sent: text typed while the answer is on its way is
    // not part of it, and must not vanish when the emptied box replaces this one.
    var sending = null;
    var typedMeanwhile = null;
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.elt && event.detail.elt.id === "compose-form") {
        var area = document.getElementById("compose-body");
        sending = area ? { body: area.value } : null;
      }
    });
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      // Sent (a 2xx answer to the box's own form): the draft is done with. An error answer
      // brings the box back with the text in it, and the draft stays.
      var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      if (!elt || elt.id !== "compose-form") return;
      if (status >= 200 && status < 300) {
        clearDraft();
        typedMeanwhile = sending ? textAddedSince(sending) : null;
      } else if (event.detail.shouldSwap) {
        // Refused (a field error): the box comes back with what was sent; what the agent
        // has in it now, typed meanwhile included, is what goes back in.
        var area = document.getElementById("compose-body");
        var now = area ? area.value : "";
        typedMeanwhile = sending && now !== sending.body && now.trim()
          ? { body: now, mode: composer().dataset.mode, replace: true }
          : null;
      }
      sending = null;
    });
    // A box re-rendered empty by anything else (a live re-read) gets the draft back; after a
    // send, what was typed meanwhile goes back in, in the mode it was typed in.
    document.body.addEventListener("htmx:afterSettle", function () {
      if (typedMeanwhile) {
        var area = document.getElementById("compose-body");
        if (area && (typedMeanwhile.replace || !area.value)) {
          setMode(typedMeanwhile.mode === "note" ? "note" : "reply", false);
          area.value = typedMeanwhile.body;
          saveDraft();
          if (!typedMeanwhile.replace) toast(strings.typedWhileSending || "…", null, true);
        }
        typedMeanwhile = null;
        return;
      }
      restoreDraft();
    });
  }

  // The box's text beyond what was sent (all of it when the sent part was edited), or null,
  // in the mode the box is in now (a note typed after sending a reply stays a note).
  function textAddedSince(sent) {
    var area = document.getElementById("compose-body");
    var now = area ? area.value : "";
    if (now === sent.body || !now.trim()) return null;
    var added = now.indexOf(sent.body) === 0 ? now.slice(sent.body.length) : now;
    added = added.replace(/^\s+/, "");
    return added ? { body: added, mode: composer().dataset.mode } : null;
  }

  // --- Drafts ---------------------------------------------------------------------------------

  function draftKey() {
    if (!page) return null;
    return DRAFT_KEY + (page.dataset.user || "") + "." + page.dataset.conversation;
  }

  function unsentText() {
    var area = document.getElementById("compose-body");
    return area && area.value.trim() ? area.value : "";
  }

  function saveDraft() {
    var key = draftKey();
    var area = document.getElementById("compose-body");
    if (!key || !area) return;
    var channel = document.getElementById("compose-channel");
    try {
      if (!area.value.trim()) {
        sessionStorage.removeItem(key);
        return;
      }
      sessionStorage.setItem(key, JSON.stringify({
        body: area.value,
        mode: composer().dataset.mode === "note" ? "note" : "reply",
        channel: channel ? channel.value : ""
      }));
    } catch (e) { /* private mode or full: the text stays in the box while the page is open */ }
  }

  function clearDraft() {
    var key = draftKey();
    try {
      if (key) sessionStorage.removeItem(key);
    } catch (e) { /* nothing stored */ }
  }

  // Puts the draft back into an empty box, in the mode it was written in (a note never comes
  // back as a reply to the customer). Text the server put in the box (after an error) wins.
  function restoreDraft() {
    var key = draftKey();
    var area = document.getElementById("compose-body");
    if (!key || !area || area.value) return false;
    var draft = null;
    try {
      draft = JSON.parse(sessionStorage.getItem(key) || "null");
    } catch (e) {
      return false;
    }
    if (!draft || !draft.body) return false;
    setMode(draft.mode === "note" ? "note" : "reply", false);
    var channel = document.getElementById("compose-channel");
    if (channel && draft.channel && channel.querySelector('option[value="' + draft.channel + '"]')) {
      channel.value = draft.channel;
      showWindowNotice(channel.value);
    }
    area.value = draft.body;
    return true;
  }

  // --- The reply box --------------------------------------------------------------------------

  function composer() {
    return document.getElementById("composer");
  }

  function setMode(mode, focus) {
    var box = composer();
    if (!box) return;
    var radio = document.getElementById(mode === "note" ? "mode-note" : "mode-reply");
    if (!radio || radio.disabled) mode = "note";
    radio = document.getElementById(mode === "note" ? "mode-note" : "mode-reply");
    if (radio) radio.checked = true;
    box.dataset.mode = mode;
    var area = document.getElementById("compose-body");
    if (area) {
      area.placeholder = mode === "note" ? area.dataset.placeholderNote : area.dataset.placeholderReply;
      if (focus) area.focus();
    }
  }

  function insertAtCursor(area, text) {
    var start = area.selectionStart || 0;
    var end = area.selectionEnd || 0;
    var before = area.value.slice(0, start);
    var after = area.value.slice(end);
    area.value = before + text + after;
    var caret = before.length + text.length;
    area.setSelectionRange(caret, caret);
    area.focus();
  }

  var mentionState = { start: -1, items: [], index: 0 };

  function mentionable() {
    var data = document.getElementById("mentionable-data");
    try {
      return data ? JSON.parse(data.textContent) : [];
    } catch (e) {
      return [];
    }
  }

  function hideMentions() {
    var list = document.getElementById("mention-suggestions");
    if (list) list.hidden = true;
    mentionState.start = -1;
  }

  function showMentions(area) {
    var list = document.getElementById("mention-suggestions");
    if (!list || composer().dataset.mode !== "note") return hideMentions();
    var before = area.value.slice(0, area.selectionStart);
    var match = /(^|[^\w@])@([\w.+-]*)$/.exec(before);
    if (!match) return hideMentions();
    var items = rankMentions(mentionable(), match[2].toLowerCase()).slice(0, 8);
    if (!items.length) return hideMentions();
    mentionState = { start: before.length - match[2].length - 1, items: items, index: 0 };
    list.innerHTML = "";
    items.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", i === 0 ? "true" : "false");
      li.dataset.username = p.username;
      li.textContent = p.name + " (@" + p.username + ")";
      if (p.can_see === false) {
        // Mentioning someone outside the conversation's scope tells them nothing: say so
        // before the note is saved, not only under it afterwards.
        li.classList.add("cannot-see");
        var why = document.createElement("small");
        why.textContent = strings.cannotSee || "";
        li.appendChild(why);
      }
      list.appendChild(li);
    });
    list.hidden = false;
    placeMentions(area, list);
  }

  // How well `typed` names a person: 0 the exact username, 1 the start of the username or of
  // a word of the name, 2 inside either; -1 not at all.
  function mentionRank(person, typed) {
    var username = person.username.toLowerCase();
    var name = person.name.toLowerCase();
    if (username === typed) return 0;
    if (username.indexOf(typed) === 0) return 1;
    var words = name.split(/[^\p{L}\p{N}]+/u);
    if (words.some(function (word) { return word.indexOf(typed) === 0; })) return 1;
    if (name.indexOf(typed) !== -1 || username.indexOf(typed) !== -1) return 2;
    return -1;
  }

  // The best matches first; within as good a match, those who can see the conversation first
  // (and then the server's order).
  function rankMentions(people, typed) {
    return people
      .map(function (person, index) {
        return { person: person, rank: mentionRank(person, typed), hidden: person.can_see === false ? 1 : 0, index: index };
      })
      .filter(function (entry) { return entry.rank !== -1; })
      .sort(function (a, b) { return a.rank - b.rank || a.hidden - b.hidden || a.index - b.index; })
      .map(function (entry) { return entry.person; });
  }

  // Under the box when the list fits in the window there, else above it (the box is often
  // at the bottom of the screen); when neither fits, on the roomier side, scrolling inside.
  function placeMentions(area, list) {
    list.style.top = "";
    list.style.bottom = "";
    list.style.maxHeight = "";
    var box = composer().getBoundingClientRect();
    var rect = area.getBoundingClientRect();
    list.style.left = rect.left - box.left + "px";
    list.style.maxWidth = rect.width + "px";
    var below = window.innerHeight - rect.bottom - MENTION_GAP_PX * 2;
    var above = rect.top - MENTION_GAP_PX * 2;
    var height = list.offsetHeight;
    var downward = below >= height || below >= above;
    if (downward) {
      list.style.top = rect.bottom - box.top + MENTION_GAP_PX + "px";
    } else {
      list.style.bottom = box.bottom - rect.top + MENTION_GAP_PX + "px";
    }
    var room = downward ? below : above;
    if (height > room) list.style.maxHeight = Math.max(room, 48) + "px";
  }

  function pickMention(area, username) {
    var caret = area.selectionStart;
    area.value = area.value.slice(0, mentionState.start) + "@" + username + " " + area.value.slice(caret);
    var at = mentionState.start + username.length + 2;
    area.setSelectionRange(at, at);
    area.focus();
    hideMentions();
    saveDraft();
  }

  // The window notice (Meta's 24 hours) of the channel chosen to send through.
  function showWindowNotice(channel) {
    var notice = document.getElementById("messaging-window");
    var data = document.getElementById("window-notices");
    if (!notice || !data) return;
    var shown = JSON.parse(data.textContent)[channel];
    notice.hidden = !shown;
    if (!shown) return;
    notice.textContent = shown.text;
    notice.dataset.open = shown.open ? "true" : "false";
    notice.classList.toggle("muted", shown.open);
    notice.classList.toggle("notice", !shown.open);
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.name === "mode" && el.closest("#composer")) setMode(el.value, false);
    if (el.id === "compose-channel") showWindowNotice(el.value);
    if (el.closest && el.closest("#compose-form") && el.id !== "canned-picker") saveDraft();
    if (el.id === "canned-picker" && el.value) {
      var url = el.dataset.url.replace(/\/0\/$/, "/" + el.value + "/");
      el.disabled = true;
      fetch(url, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (text) {
          var area = document.getElementById("compose-body");
          if (area) {
            // A second canned reply starts a paragraph of its own, not mid-sentence.
            var before = area.value.slice(0, area.selectionStart || 0);
            insertAtCursor(area, (/\S$/.test(before) ? "\n\n" : "") + text);
          }
          saveDraft();
        })
        .catch(function () { toast(strings.error || "Error"); })
        .then(function () {
          el.disabled = false;
          el.value = "";
        });
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "compose-body") return;
    showMentions(event.target);
    saveDraft();
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("#mention-suggestions li");
    if (option) pickMention(document.getElementById("compose-body"), option.dataset.username);
    if (event.target.closest && event.target.closest("[data-show-shortcuts]")) toggleHelp(true);
    if (event.target.id === "shortcut-help-close" || event.target.id === "shortcut-help") toggleHelp(false);
  });

  function mentionKeys(event) {
    var list = document.getElementById("mention-suggestions");
    if (!list || list.hidden || mentionState.start === -1) return false;
    var options = list.querySelectorAll("li");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      mentionState.index = (mentionState.index + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach(function (li, i) { li.setAttribute("aria-selected", i === mentionState.index ? "true" : "false"); });
      return true;
    }
    if (event.key === "Enter" || event.key === "Tab") {
      pickMention(event.target, mentionState.items[mentionState.index].username);
      return true;
    }
    if (event.key === "Escape") {
      hideMentions();
      return true;
    }
    return false;
  }

  // --- Keyboard shortcuts ---------------------------------------------------------------------

  function toggleHelp(show) {
    var help = document.getElementById("shortcut-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) document.getElementById("shortcut-help-close").focus();
  }

  function click(id) {
    var el = document.getElementById(id);
    if (el && !el.disabled) el.click();
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link && !link.hidden) window.location.href = link.href;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "compose-body") {
      if (mentionKeys(event)) {
        event.preventDefault();
        return;
      }
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        target.form.requestSubmit();
        return;
      }
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var help = document.getElementById("shortcut-help");
    if (help && !help.hidden) {
      if (event.key === "Escape" || event.key === "?") {
        event.preventDefault();
        toggleHelp(false);
      }
      return;
    }
    if (isTyping(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key;
    if (key === "?") {
      event.preventDefault();
      toggleHelp(true);
    } else if (key === "/") {
      var search = document.getElementById("ws-search");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (inbox && (key === "j" || key === "n")) {
      event.preventDefault();
      moveSelection(1);
    } else if (inbox && key === "k") {
      event.preventDefault();
      moveSelection(-1);
    } else if (inbox && key === "o") {
      var selected = inbox.querySelector("li.is-selected .row-link");
      if (selected) selected.click();
    } else if (page && (key === "j" || key === "n")) {
      go("next-conversation");
    } else if (page && key === "k") {
      go("previous-conversation");
    } else if (page && key === "r") {
      event.preventDefault();
      setMode("reply", true);
    } else if (page && (key === "i" || key === "c")) {
      event.preventDefault();
      setMode("note", true);
    } else if (page && key === "a") {
      assignToMe();
    } else if (page && (key === "e" || key === "R")) {
      click("status-resolved");
    }
  });

  // Resolving or closing (button or `e`) with unsent text in the box asks first; either way
  // the text stays in the box and in the draft.
  document.body.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    // Only a status form's own request: live re-reads come from the page's body.
    if (!elt || elt.tagName !== "FORM" || !elt.closest("#conversation-controls") || !unsentText()) return;
    var question = elt.querySelector("#status-resolved")
      ? strings.resolveUnsent
      : elt.querySelector("#status-closed") ? strings.closeUnsent : null;
    if (!question) return;
    event.preventDefault();
    if (window.confirm(question)) event.detail.issueRequest(true);
  });

  // `a`: at once when nobody has the conversation (or only a team); a colleague's, after asking.
  // (The "Assign to me" button is only there when it is not the agent's own already.)
  function assignToMe() {
    var button = document.getElementById("assign-me");
    var controls = document.getElementById("conversation-controls");
    if (!button || button.disabled) return;
    if (controls && controls.dataset.assignee) {
      var holder = document.getElementById("conversation-assignee");
      var name = holder ? holder.textContent.trim() : "";
      var question = (strings.takeOver || "%(name)s?").replace("%(name)s", name);
      if (!window.confirm(question)) return;
    }
    button.click();
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (form) delete form.dataset.dirty;
  });

  if (inbox) setUpInbox();
  if (page) setUpConversation();
  if (inbox || page) connect();
})();
