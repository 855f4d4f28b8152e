// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // <select data-autosubmit> submits its form when changed (the button remains for no-JS users).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  // Toasts fade after a while.
  document.addEventListener("htmx:afterSettle", dismissLater);
  document.addEventListener("DOMContentLoaded", dismissLater);
  function dismissLater() {
    document.querySelectorAll("#toasts .toast:not([data-timer])").forEach(function (toast) {
      toast.setAttribute("data-timer", "1");
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }
})();
