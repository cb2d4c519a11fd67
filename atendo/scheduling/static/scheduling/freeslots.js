// "Find a free slot": asks the availability API and lists slots as links to a pre-filled new session.
(function () {
  "use strict";
  const TZ = window.AtendoTZ;
  const Api = window.AtendoApi;

  function start() {
    const form = document.getElementById("free-slots-form");
    const result = document.getElementById("free-slots-result");
    const configEl = document.getElementById("calendar-config");
    if (!form || !result || !configEl) return;
    const cfg = JSON.parse(configEl.textContent);
    const t = cfg.i18n;
    const tz = cfg.timezone;
    const fromInput = form.elements.namedItem("from");
    if (fromInput && !fromInput.value) {
      // The day the calendar shows (from the URL), else today in the workspace.
      const shown = new URL(window.location.href).searchParams.get("date");
      const today = TZ.nowWall(tz).slice(0, 10);
      fromInput.value = shown && /^\d{4}-\d{2}-\d{2}$/.test(shown) && shown > today ? shown : today;
    }

    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const from = String(data.get("from"));
      const days = Number(data.get("days") || 7);
      const untilDate = new Date(`${from}T00:00:00Z`);
      untilDate.setUTCDate(untilDate.getUTCDate() + days);
      const params = new URLSearchParams({
        practitioner_id: String(data.get("practitioner_id")),
        duration: String(data.get("duration_minutes")),
        start: TZ.isoFromWall(new Date(`${from}T00:00:00Z`), tz),
        end: TZ.isoFromWall(untilDate, tz),
      });
      result.replaceChildren();
      result.setAttribute("aria-busy", "true");
      try {
        const slots = await Api.getAll(cfg.availability_url, params);
        render(slots, data);
      } catch (err) {
        const p = document.createElement("p");
        p.className = "error";
        p.textContent = err.message;
        result.appendChild(p);
      } finally {
        result.setAttribute("aria-busy", "false");
      }
    });

    function render(slots, data) {
      if (!slots.length) {
        const p = document.createElement("p");
        p.className = "muted";
        p.textContent = t.no_free_slots;
        result.appendChild(p);
        return;
      }
      const summary = document.createElement("p");
      summary.className = "muted";
      summary.textContent = t.free_slots_found.replace("%(n)s", String(slots.length));
      result.appendChild(summary);
      let day = "";
      let list = null;
      for (const slot of slots) {
        const wall = TZ.wallFromIso(slot.start, tz);
        const date = wall.slice(0, 10);
        if (date !== day) {
          day = date;
          const heading = document.createElement("h3");
          heading.textContent = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
            weekday: "long", day: "numeric", month: "long", timeZone: "UTC",
          }).format(new Date(`${date}T12:00:00Z`));
          result.appendChild(heading);
          list = document.createElement("ul");
          result.appendChild(list);
        }
        const params = new URLSearchParams({
          date,
          start_time: wall.slice(11, 16),
          duration_minutes: String(data.get("duration_minutes")),
          practitioner: String(data.get("practitioner_id")),
        });
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = `${cfg.new_url}?${params.toString()}`;
        const end = TZ.wallFromIso(slot.end, tz).slice(11, 16);
        a.textContent = `${wall.slice(11, 16)}–${end}`;
        li.appendChild(a);
        list.appendChild(li);
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
