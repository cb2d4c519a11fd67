// The money-owed worklist: "select all", and the bar saying how many payments are chosen and their
// total, before they are marked paid. Without JavaScript the checkboxes and the button still work.
(function () {
  const form = document.getElementById("worklist-form");
  if (!form) return;
  const count = document.getElementById("bulk-count");
  const all = document.getElementById("select-all");
  const submit = document.getElementById("bulk-submit");
  const locale = document.documentElement.lang || "en";
  const currency = form.dataset.currency || "BRL";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency: currency });

  function boxes() {
    return Array.from(form.querySelectorAll('input[type=checkbox][name="payment"]'));
  }

  function refresh() {
    const chosen = boxes().filter((box) => box.checked);
    if (count) {
      if (chosen.length === 0) {
        count.textContent = count.dataset.none;
      } else {
        const cents = chosen.reduce((sum, box) => sum + Math.round(Number(box.dataset.amount) * 100), 0);
        count.textContent = count.dataset.some
          .replace("%(count)s", String(chosen.length))
          .replace("%(total)s", money.format(cents / 100));
      }
    }
    if (submit) submit.disabled = chosen.length === 0;
    if (all) {
      const every = boxes();
      all.checked = every.length > 0 && chosen.length === every.length;
      all.indeterminate = chosen.length > 0 && chosen.length < every.length;
    }
  }

  // On a phone the filters fold away (one tap opens them) unless a filter is set.
  const filterBox = document.getElementById("worklist-filter-box");
  if (filterBox && window.matchMedia("(max-width: 700px)").matches) {
    const params = new URLSearchParams(window.location.search);
    const active = ["practitioner", "client", "therapy_type", "method", "due_from", "due_to"].some((k) => params.get(k));
    if (!active) filterBox.open = false;
  }

  form.addEventListener("change", (event) => {
    if (event.target === all) boxes().forEach((box) => { box.checked = all.checked; });
    refresh();
  });
  document.body.addEventListener("htmx:afterSwap", refresh);
  refresh();
})();
