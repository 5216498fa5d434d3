// Public visitor forms marked data-send-once: a double tap sends the form only once.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-send-once]")) return;
  if (form.dataset.sending === "1") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "1";
  var buttons = form.querySelectorAll("button[type=submit]");
  // After this tick, so the browser has already taken the button's value into the form data.
  window.setTimeout(function () {
    buttons.forEach(function (button) { button.disabled = true; });
  }, 0);
});
// Coming back to the page from the browser's history: the form can be sent again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("form[data-send-once]").forEach(function (form) {
    form.dataset.sending = "";
    form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = false; });
  });
});
