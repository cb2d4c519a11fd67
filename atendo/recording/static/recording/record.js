// Record page: choosing another therapy type reloads the form with that type's fields and price.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (!(el instanceof HTMLSelectElement) || !el.dataset.reloadParam) return;
  const url = new URL(window.location.href);
  url.searchParams.set(el.dataset.reloadParam, el.value);
  window.location.assign(url.toString());
});

// The paid date belongs to a paid payment: leaving "paid" clears it (and disables it), coming back
// restores what was there (empty means today, the service's default).
(function () {
  "use strict";
  function sync(status, kept) {
    const paid = document.querySelector("[name='pay-paid_date']");
    if (!paid) return kept;
    if (status.value === "paid") {
      paid.disabled = false;
      if (!paid.value && kept) paid.value = kept;
      return kept;
    }
    const value = paid.value || kept;
    paid.value = "";
    paid.disabled = true;
    return value;
  }
  function start() {
    const status = document.querySelector("[name='pay-status']");
    if (!status) return;
    let kept = sync(status, "");
    status.addEventListener("change", () => {
      kept = sync(status, kept);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
