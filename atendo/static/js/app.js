// Small progressive enhancements shared by every page. No inline scripts (CSP: script-src 'self').
// Everything here is optional: each page works as a plain form without it.
document.documentElement.classList.add("js");

// A <select class="autosubmit"> submits its form when changed (e.g. the language switcher).
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLElement && el.classList.contains("autosubmit") && el.form) el.form.submit();
});

// <form data-confirm="Really?"> asks before submitting.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// <button data-copy="element-id" data-copied="Copied"> copies that element's text.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = button.dataset.copied || label;
    window.setTimeout(() => { button.textContent = label; }, 2000);
  });
});

// Working-hours editor: add and remove intervals without a round trip.
function refreshHoursDay(day) {
  const rows = day.querySelectorAll("[data-interval]:not(.is-new)");
  day.toggleAttribute("data-empty", rows.length === 0);
}

function initHoursEditors(root) {
  root.querySelectorAll("[data-day]").forEach(refreshHoursDay);
}

function addHoursRow(day, start, end) {
  const template = day.querySelector("template[data-interval-template]");
  const list = day.querySelector("[data-intervals]");
  const index = Number(day.dataset.nextIndex || 0);
  day.dataset.nextIndex = String(index + 1);
  const number = list.querySelectorAll("[data-interval]:not(.is-new)").length + 1;
  list.insertAdjacentHTML(
    "beforeend",
    template.innerHTML.replaceAll("__i__", String(index)).replaceAll("__n__", String(number)),
  );
  const row = list.lastElementChild;
  const inputs = row ? row.querySelectorAll("input[type=time]") : [];
  if (inputs.length === 2) {
    inputs[0].value = start || "";
    inputs[1].value = end || "";
  }
  refreshHoursDay(day);
  return row;
}

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (!target) return;
  const add = target.closest("[data-add-interval]");
  if (add) {
    const row = addHoursRow(add.closest("[data-day]"));
    const input = row && row.querySelector("input");
    if (input) input.focus();
    return;
  }
  const copy = target.closest("[data-copy-weekdays]");
  if (copy) {
    // Monday's intervals replace those of Tuesday to Friday (saved only with the form).
    const form = copy.closest("form");
    const monday = form.querySelector('[data-day="mon"]');
    const pairs = [...monday.querySelectorAll("[data-interval]:not(.is-new)")].map((row) => {
      const inputs = row.querySelectorAll("input[type=time]");
      return [inputs[0].value, inputs[1].value];
    });
    ["tue", "wed", "thu", "fri"].forEach((key) => {
      const day = form.querySelector(`[data-day="${key}"]`);
      day.querySelectorAll("[data-interval]:not(.is-new)").forEach((row) => row.remove());
      pairs.forEach(([start, end]) => addHoursRow(day, start, end));
      refreshHoursDay(day);
    });
    return;
  }
  const remove = target.closest("[data-remove-interval]");
  if (remove) {
    const day = remove.closest("[data-day]");
    remove.closest("[data-interval]").remove();
    refreshHoursDay(day);
    const addButton = day.querySelector("[data-add-interval]");
    if (addButton) addButton.focus();
  }
});

// "The workspace's hours" greys out the member's own intervals (they are kept, not sent as theirs).
document.addEventListener("change", (event) => {
  const radio = event.target;
  if (!(radio instanceof HTMLInputElement) || !radio.hasAttribute("data-hours-source")) return;
  const days = radio.form && radio.form.querySelector(".hours-days");
  if (days) days.toggleAttribute("data-inherited", radio.value === "workspace" && radio.checked);
});

document.addEventListener("DOMContentLoaded", () => initHoursEditors(document));
document.addEventListener("htmx:afterSettle", () => {
  initHoursEditors(document);
  // After an in-place save, bring its outcome (saved, or what to fix) into view.
  const alert = document.querySelector("#hours-form .alert");
  if (alert) alert.scrollIntoView({ block: "center" });
});
