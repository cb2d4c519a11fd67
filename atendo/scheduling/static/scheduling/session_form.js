// Session form: live warnings while the time is edited (POST sessions/check), repeat controls.
(function () {
  "use strict";
  const Api = window.AtendoApi;

  function start() {
    const form = document.getElementById("session-form");
    if (!form) return;
    const box = document.getElementById("live-warnings");
    const checkUrl = form.dataset.checkUrl;
    const sessionId = form.dataset.sessionId ? Number(form.dataset.sessionId) : null;
    let timer = null;
    let controller = null;

    function value(name) {
      const field = form.elements.namedItem(name);
      return field && "value" in field ? field.value : "";
    }

    async function check() {
      if (!box || !checkUrl) return;
      const date = value("date");
      const time = value("start_time");
      const duration = Number(value("duration_minutes"));
      if (!date || !/^\d{2}:\d{2}/.test(time) || !(duration >= 1)) {
        box.replaceChildren();
        return;
      }
      const body = { date, start_time: time.slice(0, 5), duration_minutes: duration };
      if (sessionId) body.session_id = sessionId;
      if (value("client")) body.client_id = Number(value("client"));
      if (value("practitioner")) body.practitioner_id = Number(value("practitioner"));
      if (value("status")) body.status = value("status");
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const result = await Api.request("POST", checkUrl, body, controller.signal);
        box.replaceChildren();
        for (const warning of result.warnings || []) box.appendChild(window.AtendoWarnings.node("p", warning));
      } catch (err) {
        if (err.name === "AbortError") return;
        box.replaceChildren();
      }
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(check, 250);
    }

    for (const name of ["date", "start_time", "duration_minutes", "client", "practitioner", "status"]) {
      const field = form.elements.namedItem(name);
      if (field) {
        field.addEventListener("change", schedule);
        field.addEventListener("input", schedule);
      }
    }
    // htmx replaces the client options; re-check when the choice changes that way too.
    document.body.addEventListener("htmx:afterSwap", schedule);
    check();

    // Repeat controls: show only what applies.
    const repeat = form.elements.namedItem("repeat-repeat");
    function syncRepeat() {
      const kind = repeat ? repeat.value : "";
      for (const node of form.querySelectorAll("[data-repeat-show]")) {
        node.hidden = !node.dataset.repeatShow.split(" ").includes(kind);
      }
      const ends = form.querySelector("input[name='repeat-ends']:checked");
      const endsKind = ends ? ends.value : "count";
      for (const node of form.querySelectorAll("[data-ends-show]")) {
        node.hidden = node.dataset.endsShow !== endsKind;
      }
    }
    if (repeat) {
      form.addEventListener("change", syncRepeat);
      syncRepeat();
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
