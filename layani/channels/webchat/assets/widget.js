// The Layani web chat widget (wrapped by views.widget_js with CONFIG and CSS).
// Indonesian by default; English when the script tag says data-lang="en" or the page's
// <html lang> is English. Everything lives in a shadow root, so the page's CSS and ours
// never mix.
var script = document.currentScript;
var wanted = (script && script.getAttribute("data-lang")) || document.documentElement.lang || "id";
var lang = wanted.toLowerCase().indexOf("en") === 0 ? "en" : "id";
var T = CONFIG.strings[lang];
var storeKey = "layani-chat-" + CONFIG.key;
var socket = null;
var opened = false;
var retry = 1000;
var pending = {}; // client_id -> text, until the server says it is stored
var shown = {}; // message ids already in the log
var typingTimer = null;
var lastTyping = 0;
var noticeFor = null; // the form whose problem the notice tells, if any

function token() {
  try { return localStorage.getItem(storeKey) || ""; } catch (e) { return ""; }
}
function keepToken(value) {
  try { localStorage.setItem(storeKey, value); } catch (e) { /* private mode */ }
}
function el(tag, attrs, text) {
  var node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
  if (text) node.textContent = text;
  return node;
}
function field(form, name, label, type) {
  var wrap = el("label", {}, label);
  var input = type === "textarea" ? el("textarea", { name: name, rows: "3" })
    : el("input", { name: name, type: type || "text" });
  wrap.appendChild(input);
  wrap.appendChild(el("span", { class: "error", "data-error": name }));
  form.appendChild(wrap);
  return input;
}

var host = el("div", { id: "layani-chat", "data-layani-chat": CONFIG.key });
var root = host.attachShadow({ mode: "open" });
var style = el("style");
style.textContent = CSS;
root.appendChild(style);
var launcher = el("button", { class: "launcher", type: "button", "aria-expanded": "false" }, T.open);
var panel = el("section", { class: "panel", role: "dialog", "aria-label": CONFIG.title, lang: lang });
panel.hidden = true;
var header = el("header");
header.appendChild(el("strong", { class: "title" }, CONFIG.title));
var status = el("span", { class: "status", "data-online": "" });
header.appendChild(status);
var closer = el("button", { class: "close", type: "button", "aria-label": T.close }, "×");
header.appendChild(closer);
var log = el("ol", { class: "log", "aria-live": "polite" });
var typing = el("p", { class: "typing" }, T.typing);
typing.hidden = true;
var notice = el("p", { class: "notice" });
notice.hidden = true;

var compose = el("form", { class: "compose" });
var input = el("textarea", { name: "text", rows: "2", placeholder: T.placeholder, "aria-label": T.message });
compose.appendChild(input);
compose.appendChild(el("button", { type: "submit" }, T.send));

var offline = el("form", { class: "offline", novalidate: "" });
offline.hidden = true;
offline.appendChild(el("p", {}, T.offline));
field(offline, "name", T.name);
field(offline, "email", T.email, "email");
field(offline, "phone", T.phone, "tel");
field(offline, "message", T.message, "textarea");
offline.appendChild(el("button", { type: "submit" }, T.leave));
var thanks = el("p", { class: "thanks" }, T.thanks);
thanks.hidden = true;

var identify = el("details", { class: "identify" });
identify.appendChild(el("summary", {}, T.identify));
var who = el("form", { class: "who", novalidate: "" });
field(who, "name", T.name);
field(who, "email", T.email, "email");
field(who, "phone", T.phone, "tel");
who.appendChild(el("button", { type: "submit" }, T.save));
identify.appendChild(who);

[header, log, typing, notice, compose, offline, thanks, identify].forEach(function (n) { panel.appendChild(n); });
root.appendChild(panel);
root.appendChild(launcher);

function setOpen(open) {
  panel.hidden = !open;
  launcher.setAttribute("aria-expanded", open ? "true" : "false");
  if (open) { connect(); input.focus(); }
}
launcher.addEventListener("click", function () { setOpen(panel.hidden); });
closer.addEventListener("click", function () { setOpen(false); });

function showMessage(m) {
  if (m.id && shown[m.id]) return;
  if (m.id) shown[m.id] = true;
  var existing = m.client_id ? log.querySelector('[data-client-id="' + m.client_id + '"]') : null;
  if (existing) { existing.setAttribute("data-id", m.id || ""); return; }
  var item = el("li", { class: "msg " + m.from, "data-from": m.from, "data-id": m.id || "" });
  if (m.client_id) item.setAttribute("data-client-id", m.client_id);
  if (m.from === "agent" && m.author) item.appendChild(el("span", { class: "author" }, m.author));
  item.appendChild(el("span", { class: "text" }, m.text));
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
}
function setOnline(online) {
  status.textContent = online ? T.online : "";
  status.setAttribute("data-online", online ? "yes" : "no");
  compose.hidden = !online;
  offline.hidden = online || !thanks.hidden;
}
function showErrors(form, fields) {
  form.querySelectorAll("[data-error]").forEach(function (n) { n.textContent = ""; });
  Object.keys(fields || {}).forEach(function (name) {
    var slot = form.querySelector('[data-error="' + name + '"]');
    if (slot) slot.textContent = [].concat(fields[name])[0];
  });
}
function say(text, form) {
  notice.textContent = text;
  notice.hidden = false;
  noticeFor = form || null;
}
function unsay() {
  notice.textContent = "";
  notice.hidden = true;
  noticeFor = null;
}
// A form went through: its field errors, and the notice about it, are stale now.
function succeeded(form) {
  showErrors(form, {});
  if (noticeFor === form) unsay();
}
function send(payload) {
  if (socket && socket.readyState === 1) socket.send(JSON.stringify(payload));
}

function connect() {
  if (socket) return;
  // The token travels inside the socket, never in its address (addresses are logged).
  socket = new WebSocket(CONFIG.base.replace(/^http/, "ws") + "/ws/chat/" + CONFIG.key + "/");
  socket.addEventListener("open", function () {
    opened = true;
    retry = 1000;
    socket.send(JSON.stringify({ type: "hello", token: token(), lang: lang }));
  });
  socket.addEventListener("message", function (e) {
    var data = JSON.parse(e.data);
    if (data.type === "welcome") {
      keepToken(data.token);
      unsay();
      data.history.forEach(showMessage);
      setOnline(data.online);
      Object.keys(pending).forEach(function (id) {
        send({ type: "message", text: pending[id], client_id: id });
      });
    } else if (data.type === "ack") {
      delete pending[data.client_id];
      succeeded(compose);
      var item = log.querySelector('[data-client-id="' + data.client_id + '"]');
      if (item) item.setAttribute("data-stored", "yes");
    } else if (data.type === "message") {
      typing.hidden = true;
      showMessage(data);
    } else if (data.type === "typing") {
      typing.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(function () { typing.hidden = true; }, 4000);
    } else if (data.type === "availability") {
      setOnline(data.online);
    } else if (data.type === "identified") {
      succeeded(who);
      identify.open = false;
      identify.querySelector("summary").textContent = T.saved;
    } else if (data.type === "error") {
      var fields = {};
      fields[data.field] = data.message;
      var form = data.field === "message" ? compose : who;
      showErrors(form, fields);
      say(data.message, form);
    }
  });
  socket.addEventListener("close", function () {
    socket = null;
    if (!opened) {
      say(T.unavailable);
      compose.hidden = true;
      return; // refused (origin not allowed, unknown chat): do not hammer the server
    }
    opened = false;
    setTimeout(connect, retry);
    retry = Math.min(retry * 2, 30000);
  });
}

compose.addEventListener("submit", function (e) {
  e.preventDefault();
  var text = input.value.trim();
  if (!text) return;
  var id = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  pending[id] = text;
  showMessage({ from: "visitor", text: text, client_id: id });
  send({ type: "message", text: text, client_id: id });
  input.value = "";
});
input.addEventListener("keydown", function (e) {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); }
});
input.addEventListener("input", function () {
  var now = Date.now();
  if (now - lastTyping > 2000) { lastTyping = now; send({ type: "typing" }); }
});
who.addEventListener("submit", function (e) {
  e.preventDefault();
  send({ type: "identify", name: who.elements.name.value, email: who.elements.email.value,
    phone: who.elements.phone.value });
});
offline.addEventListener("submit", function (e) {
  e.preventDefault();
  var body = new URLSearchParams(new FormData(offline));
  body.set("token", token());
  body.set("lang", lang);
  fetch(CONFIG.base + "/channels/chat/" + CONFIG.key + "/offline/", { method: "POST", body: body })
    .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
    .then(function (answer) {
      if (!answer.ok) { showErrors(offline, answer.body.error.fields); return; }
      succeeded(offline);
      keepToken(answer.body.token);
      offline.hidden = true;
      thanks.hidden = false;
    })
    .catch(function () { say(T.failed, offline); });
});

function mount() {
  document.body.appendChild(host);
  if (token()) connect(); // a returning visitor: continue where they were
}
if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
