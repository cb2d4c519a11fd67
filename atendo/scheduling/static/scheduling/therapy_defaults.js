// Choosing a therapy type fills its default duration and suggests a name such as
// "Psicoterapia – Mariana" (therapy type – the client's first name), in the session form and the
// calendar's booking dialog. A name the user typed is kept; only an untouched or suggested one is
// replaced. The durations come from the page (json_script "therapy-defaults"), never guessed here.
(function () {
  "use strict";

  function optionText(select) {
    const option = select && select.selectedOptions && select.selectedOptions[0];
    return option && option.value ? option.textContent.trim() : "";
  }

  function wire(form, names) {
    const type = form.querySelector(names.type);
    const duration = form.querySelector(names.duration);
    const name = form.querySelector(names.name);
    const client = form.querySelector(names.client);
    const data = document.getElementById("therapy-defaults");
    if (!type || !data) return;
    const defaults = JSON.parse(data.textContent);
    const generic = name ? name.dataset.defaultName || name.defaultValue : "";
    let suggested = null;

    function untouched() {
      if (!name) return false;
      const value = name.value.trim();
      return !value || value === generic || value === suggested;
    }

    function suggest() {
      if (!untouched()) return;
      const therapy = optionText(type);
      const person = optionText(client).split(/\s+/)[0] || "";
      const next = therapy ? (person ? `${therapy} – ${person}` : therapy) : generic;
      if (next && next !== name.value) {
        name.value = next;
        name.dispatchEvent(new Event("input", { bubbles: true }));
      }
      suggested = next;
    }

    type.addEventListener("change", () => {
      const chosen = defaults[type.value];
      if (chosen && chosen.duration && duration) {
        duration.value = String(chosen.duration);
        duration.dispatchEvent(new Event("change", { bubbles: true }));
      }
      suggest();
    });
    if (client) client.addEventListener("change", () => { if (type.value) suggest(); });
  }

  function start() {
    const sessionForm = document.getElementById("session-form");
    if (sessionForm && sessionForm.dataset.creating === "true") {
      wire(sessionForm, { type: "[name=therapy_type]", duration: "[name=duration_minutes]", name: "[name=name]", client: "[name=client]" });
    } else if (sessionForm) {
      // Editing: the duration follows a new therapy type; the name is the user's.
      wire(sessionForm, { type: "[name=therapy_type]", duration: "[name=duration_minutes]", name: null, client: null });
    }
    const quick = document.getElementById("quick-create");
    if (quick) {
      wire(quick, { type: "[name=therapy_type_id]", duration: "[name=duration_minutes]", name: "[name=name]", client: "[name=client_id]" });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
