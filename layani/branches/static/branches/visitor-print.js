// The printable ticket opened with ?print=1: print it as soon as it is shown.
window.addEventListener("load", function () {
  window.print();
});
