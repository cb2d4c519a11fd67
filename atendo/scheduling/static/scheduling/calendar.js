// Dashboard › Sessions: the calendar. Config comes from the page (json_script); events from the
// lean calendar endpoint (`GET calendar`, docs/calendar.md): what an event draws, the practitioners'
// and therapy types' names and colours once per answer, and in the month grid at most
// MONTH_DAY_EVENTS a day with the server's count of the rest ("+N more"). A session's full JSON is
// read when it is acted on (moved, resized) and its page when it is opened.
(function () {
  "use strict";
  const TZ = window.AtendoTZ;
  const Api = window.AtendoApi;

  const STATUS_COLORS = {
    scheduled: "#2f6fb3",
    in_progress: "#b54708",
    completed: "#067647",
    cancelled: "#98a2b3",
    no_show: "#b42318",
  };
  // Every status colour carries white text at WCAG AA (4.5:1 or more).
  const VIEW_NAMES = { day: "timeGridDay", week: "timeGridWeek", month: "dayGridMonth", agenda: "listWeek" };
  const VIEW_KEYS = { timeGridDay: "day", timeGridWeek: "week", dayGridMonth: "month", listWeek: "agenda" };
  // The member's last view and filters (per workspace and member), restored on a bare visit.
  const STORE_PREFIX = "atendo.calendar.";
  // What a day of the month grid shows; the server counts the rest of a busier day.
  const MONTH_DAY_EVENTS = 5;

  // "2026-03-10T10:00:00-03:00" (the API's times carry the workspace offset) -> the workspace's
  // wall clock, which is what FullCalendar is fed (see tz.js).
  function wall(iso) {
    return iso.slice(0, 19);
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, key) => (key in values ? String(values[key]) : ""));
  }

  function start() {
    const root = document.getElementById("calendar");
    const configEl = document.getElementById("calendar-config");
    if (!root || !configEl || !window.FullCalendar) return;
    const cfg = JSON.parse(configEl.textContent);
    // A bare visit (no view, date or filter in the URL) opens the member's last view and filters.
    if (cfg.bare && cfg.store_key) {
      let stored = null;
      try {
        stored = window.localStorage.getItem(STORE_PREFIX + cfg.store_key);
      } catch (e) {
        stored = null;
      }
      if (stored) {
        window.location.replace(`${window.location.pathname}?${stored}`);
        return;
      }
    }
    const t = cfg.i18n;
    const tz = cfg.timezone;
    const form = document.getElementById("calendar-filters");
    const status = document.getElementById("calendar-status");
    const dialog = document.getElementById("change-dialog");

    let loadFailed = false;

    function announce(message, kind, action) {
      status.replaceChildren(document.createTextNode(message));
      if (action) {
        const button = el("button", { type: "button", class: "link" }, action.label);
        button.addEventListener("click", action.run, { once: true });
        status.append(" ", button);
      }
      status.className = `cal-status ${kind || ""}`.trim();
      status.hidden = !message;
    }

    // ---- filters, kept in the URL -------------------------------------------------------------
    function filterEntries() {
      const out = [];
      if (!form) return out;
      for (const [name, value] of new FormData(form).entries()) {
        if (value !== "" && name !== "color") out.push([name, String(value)]);
      }
      return out;
    }

    function apiParams(range) {
      const params = new URLSearchParams(range);
      for (const [name, value] of filterEntries()) {
        const apiName = { client: "client_id", practitioner: "practitioner_id" }[name] || name;
        params.append(apiName, value);
      }
      return params;
    }

    function colorBy() {
      const select = form && form.elements.namedItem("color");
      return select && select.value === "status" ? "status" : "type";
    }

    function syncUrl() {
      const url = new URL(window.location.href);
      const params = new URLSearchParams();
      for (const [name, value] of filterEntries()) params.append(name, value);
      if (colorBy() === "status") params.set("color", "status");
      if (calendar) {
        params.set("view", VIEW_KEYS[calendar.view.type] || "week");
        params.set("date", TZ.wallDate(calendar.getDate()));
      }
      url.search = params.toString();
      window.history.replaceState(null, "", url.toString());
      try {
        const kept = new URLSearchParams(params);
        kept.delete("date"); // the view and filters come back, the day is today's
        if (cfg.store_key) window.localStorage.setItem(STORE_PREFIX + cfg.store_key, kept.toString());
      } catch (e) {
        /* storage unavailable (private mode): the URL still carries the view */
      }
      const teamLink = document.getElementById("team-link");
      if (teamLink && calendar) teamLink.search = `date=${TZ.wallDate(calendar.getDate())}`;
      const listLink = document.getElementById("list-link");
      if (listLink) {
        const listParams = new URLSearchParams(params);
        listParams.delete("view");
        listParams.delete("date");
        listParams.delete("color");
        listLink.search = listParams.toString();
      }
    }

    // ---- events ---------------------------------------------------------------------------------
    // Names and colours of the practitioners and therapy types the answers mention, by id.
    const people = new Map();
    const types = new Map();

    function remember(body) {
      for (const p of body.practitioners) people.set(p.id, p.name);
      for (const type of body.therapy_types) types.set(type.id, type);
    }

    // A whole session (a save's answer, or the current state after a conflict) as a calendar event.
    function leanFromSession(s) {
      people.set(s.practitioner_id, s.practitioner_name);
      if (s.therapy_type_id) {
        types.set(s.therapy_type_id, {
          id: s.therapy_type_id,
          name: s.therapy_type_name,
          color: s.therapy_type_color,
          text_color: s.therapy_type_text_color,
        });
      }
      const flags = [];
      if (s.recorded_at) flags.push("recorded");
      if (s.cancellation && s.cancellation.late) flags.push("late_cancellation");
      return {
        id: s.id,
        title: s.client_name,
        name: s.name,
        start: s.starts_at,
        end: s.ends_at,
        status: s.status,
        practitioner_id: s.practitioner_id,
        therapy_type_id: s.therapy_type_id,
        version: s.version,
        flags,
      };
    }

    function serviceOf(e) {
      const type = e.therapy_type_id ? types.get(e.therapy_type_id) : null;
      return (type && type.name) || e.name;
    }

    function eventClasses(e) {
      const classes = [`ev-status-${e.status}`];
      if (e.flags.includes("recorded")) classes.push("ev-recorded");
      return classes;
    }

    function toEvent(e) {
      const byStatus = colorBy() === "status";
      const type = e.therapy_type_id ? types.get(e.therapy_type_id) : null;
      const color = byStatus ? STATUS_COLORS[e.status] || STATUS_COLORS.scheduled : (type && type.color) || cfg.default_color;
      // Black or white, whichever reaches WCAG AA on the therapy colour (the server's core.colors).
      const text = byStatus || !type ? "#ffffff" : type.text_color || "#ffffff";
      const movable = cfg.can_update && (e.status === "scheduled" || e.status === "in_progress");
      return {
        id: String(e.id),
        // The client's name leads (what a schedule is read by); the service is the second line.
        title: e.title || e.name,
        start: wall(e.start),
        end: wall(e.end),
        url: cfg.detail_url.replace("/0/", `/${e.id}/`),
        backgroundColor: e.status === "cancelled" ? "#f2f4f7" : color,
        borderColor: color,
        textColor: e.status === "cancelled" ? "#475467" : text,
        classNames: eventClasses(e),
        startEditable: movable,
        durationEditable: movable,
        extendedProps: { item: e, order: 0 },
      };
    }

    // The day view of `date` with the same filters: where "+N more" leads.
    function dayUrl(date) {
      const url = new URL(window.location.href);
      url.searchParams.set("view", "day");
      url.searchParams.set("date", date);
      return url.pathname + url.search;
    }

    // "+N more" of a busy month day: drawn after the day's events (eventOrder), opens its day view.
    function moreEvent(m) {
      return {
        id: `more:${m.date}`,
        start: m.date,
        allDay: true,
        title: fmt(t.more, { n: m.more }),
        url: dayUrl(m.date),
        classNames: ["ev-more"],
        editable: false,
        startEditable: false,
        durationEditable: false,
        backgroundColor: "transparent",
        borderColor: "transparent",
        textColor: "inherit",
        extendedProps: { more: m, order: 1 },
      };
    }

    async function loadEvents(info, success, failure) {
      const params = apiParams({
        start: TZ.isoFromWall(info.start, tz),
        end: TZ.isoFromWall(info.end, tz),
      });
      // The month grid (the only range longer than a week; the view itself is not switched yet
      // when a new view's events are asked for) gets a few a day; day, week and agenda get all.
      if (info.end.getTime() - info.start.getTime() > 7 * 86400000) params.set("per_day", String(MONTH_DAY_EVENTS));
      try {
        const body = await Api.request("GET", `${cfg.calendar_url}?${params.toString()}`);
        remember(body);
        success([...body.events.map(toEvent), ...body.more.map(moreEvent)]);
        if (loadFailed) announce("", "");
        loadFailed = false;
      } catch (err) {
        failure(err);
        loadFailed = true;
        announce(fmt(t.load_failed, { reason: err.message }), "error");
      }
    }

    function eventContent(arg) {
      const more = arg.event.extendedProps.more;
      if (more) return { domNodes: [el("span", { class: "ev-more-text" }, arg.event.title)] };
      const e = arg.event.extendedProps.item;
      if (!e) return true; // the selection mirror: default rendering
      const nodes = [];
      if (arg.timeText) nodes.push(el("div", { class: "ev-time" }, arg.timeText));
      const title = el("div", { class: "ev-title" });
      if (e.flags.includes("recorded")) title.appendChild(el("span", { class: "ev-mark", "aria-hidden": "true" }, "✓ "));
      title.appendChild(document.createTextNode(e.title || e.name));
      nodes.push(title);
      const service = serviceOf(e);
      if (service && service !== title.textContent) nodes.push(el("div", { class: "ev-service" }, service));
      if (arg.view.type === "listWeek") {
        // The agenda: who sees the client and the status, on one readable line.
        const extra = [people.get(e.practitioner_id), cfg.status_labels[e.status] || e.status];
        if (e.flags.includes("late_cancellation")) extra.push(t.late);
        nodes.push(el("div", { class: "ev-meta muted" }, extra.filter(Boolean).join(" · ")));
      }
      return { domNodes: nodes };
    }

    const longDate = new Intl.DateTimeFormat(cfg.locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

    function eventDidMount(arg) {
      const more = arg.event.extendedProps.more;
      if (more) {
        const label = fmt(t.more_label, { n: more.more, date: longDate.format(new Date(`${more.date}T00:00:00Z`)) });
        arg.el.setAttribute("aria-label", label);
        arg.el.setAttribute("title", label);
        arg.el.dataset.moreDate = more.date;
        return;
      }
      const e = arg.event.extendedProps.item;
      if (!e) return;
      const start = wall(e.start);
      const end = wall(e.end);
      const parts = [
        `${start.slice(0, 10)} ${start.slice(11, 16)}–${end.slice(11, 16)}`,
        e.title || "",
        serviceOf(e),
        people.get(e.practitioner_id) || "",
        cfg.status_labels[e.status] || e.status,
      ];
      if (e.flags.includes("recorded")) parts.push(t.recorded);
      const label = parts.filter(Boolean).join(", ");
      arg.el.setAttribute("aria-label", label);
      arg.el.setAttribute("title", label);
      arg.el.dataset.sessionId = String(e.id);
      arg.el.dataset.status = e.status;
    }

    function eventClick(info) {
      const more = info.event.extendedProps.more;
      if (!more) return; // a session: its link opens its page
      info.jsEvent.preventDefault();
      calendar.changeView("timeGridDay", more.date);
      calendar.scrollToTime(cfg.scroll_time); // the month grid's page scroll is not the day's
      root.scrollIntoView({ block: "start" });
    }

    // ---- moving and resizing -------------------------------------------------------------------
    function confirmChange(summary, warnings) {
      return new Promise((resolve) => {
        const body = dialog.querySelector("[data-body]");
        body.replaceChildren();
        body.appendChild(el("p", {}, summary));
        const list = el("ul", { class: "warning-list" });
        for (const w of warnings) list.appendChild(window.AtendoWarnings.node("li", w));
        body.appendChild(list);
        const ok = dialog.querySelector("[data-confirm]");
        const cancel = dialog.querySelector("[data-cancel]");
        function done(value) {
          ok.removeEventListener("click", onOk);
          cancel.removeEventListener("click", onCancel);
          dialog.removeEventListener("cancel", onCancel);
          if (dialog.open) dialog.close();
          resolve(value);
        }
        function onOk() {
          done(true);
        }
        function onCancel(ev) {
          if (ev) ev.preventDefault();
          done(false);
        }
        ok.addEventListener("click", onOk);
        cancel.addEventListener("click", onCancel);
        dialog.addEventListener("cancel", onCancel);
        dialog.showModal();
        ok.focus();
      });
    }

    async function onMoveOrResize(info) {
      const event = info.event;
      const item = event.extendedProps.item;
      const startsAt = TZ.isoFromWall(event.start, tz);
      const before = event.classNames.filter((c) => c !== "ev-saving");
      event.setProp("classNames", [...before, "ev-saving"]);
      try {
        // The whole session (client, practitioner, name, where it was): the event carries only what
        // it draws. The change is saved against the version the calendar showed, so a session
        // changed meanwhile is refused (409), not overwritten.
        const s = await Api.request("GET", `${cfg.sessions_url}/${item.id}`);
        const end = event.end || new Date(event.start.getTime() + s.duration_minutes * 60000);
        const duration = Math.max(1, Math.round((end.getTime() - event.start.getTime()) / 60000));
        const when = `${TZ.wallDate(event.start)} ${TZ.wallTime(event.start)}–${TZ.wallTime(end)}`;
        const check = await Api.request("POST", cfg.check_url, {
          session_id: s.id,
          client_id: s.client_id,
          practitioner_id: s.practitioner_id,
          starts_at: startsAt,
          duration_minutes: duration,
        });
        const warnings = (check && check.warnings) || [];
        if (warnings.length) {
          const confirmed = await confirmChange(fmt(t.confirm_move, { name: s.name, when }), warnings);
          if (!confirmed) {
            event.setProp("classNames", before);
            info.revert();
            announce(t.move_cancelled, "");
            return;
          }
        }
        const saved = await Api.request("PATCH", `${cfg.sessions_url}/${s.id}`, {
          starts_at: startsAt,
          duration_minutes: duration,
          version: item.version,
        });
        const updated = leanFromSession(saved.session);
        event.setExtendedProp("item", updated);
        event.setProp("classNames", eventClasses(updated));
        const after = (saved.warnings || []).map((w) => w.message);
        const undo = {
          label: t.undo,
          run: async () => {
            try {
              await Api.request("PATCH", `${cfg.sessions_url}/${s.id}`, {
                starts_at: s.starts_at,
                duration_minutes: s.duration_minutes,
                version: updated.version,
              });
              announce(t.undone, "ok");
            } catch (err) {
              announce(fmt(t.refused, { reason: err.message }), "error");
            }
            calendar.refetchEvents();
          },
        };
        announce([fmt(t.moved, { name: s.name, when }), ...after].join(" "), after.length ? "warn" : "ok", undo);
      } catch (err) {
        event.setProp("classNames", before);
        info.revert();
        const current = err.body && err.body.error && err.body.error.current;
        if (current) event.setExtendedProp("item", leanFromSession(current));
        const reason = err.status === 409 ? fmt(t.refused, { reason: err.message }) : err.message;
        announce(reason, "error");
        // Someone else changed it meanwhile: show the calendar as it is now.
        if (err.code === "version_conflict") calendar.refetchEvents();
      }
    }

    // ---- creating from an empty slot -------------------------------------------------------------
    // Booking: a dialog over the calendar (quick), or the full form ("More options", no dialog).
    const createDialog = document.getElementById("create-dialog");
    const quick = document.getElementById("quick-create");

    function formUrl(values) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
      params.set("next", window.location.pathname + window.location.search);
      return `${cfg.new_url}?${params.toString()}`;
    }

    function filterValue(name) {
      const field = form && form.elements.namedItem(name);
      return field && field.value ? field.value : "";
    }

    function quickValues() {
      const data = new FormData(quick);
      return {
        date: String(data.get("date") || ""),
        start_time: String(data.get("start_time") || ""),
        duration_minutes: String(data.get("duration_minutes") || ""),
        client: String(data.get("client_id") || ""),
        practitioner: String(data.get("practitioner_id") || ""),
        therapy_type: String(data.get("therapy_type_id") || ""),
        name: String(data.get("name") || ""),
      };
    }

    let checkTimer = null;
    async function quickCheck() {
      const box = quick.querySelector("[data-warnings]");
      const v = quickValues();
      if (!v.date || !/^\d{2}:\d{2}$/.test(v.start_time) || !(Number(v.duration_minutes) >= 1)) {
        box.replaceChildren();
        return;
      }
      const body = { date: v.date, start_time: v.start_time, duration_minutes: Number(v.duration_minutes) };
      if (v.client) body.client_id = Number(v.client);
      if (v.practitioner) body.practitioner_id = Number(v.practitioner);
      try {
        const result = await Api.request("POST", cfg.check_url, body);
        box.replaceChildren(
          ...(result.warnings || []).map((w) => window.AtendoWarnings.node("p", w))
        );
      } catch (err) {
        box.replaceChildren();
      }
    }

    function openCreate(startWall, endWall, allDay) {
      if (!cfg.can_create) return;
      const date = TZ.wallDate(startWall);
      const time = allDay ? cfg.default_start_time : TZ.wallTime(startWall);
      let minutes = cfg.default_duration;
      if (!allDay && endWall) {
        const selected = Math.round((endWall - startWall) / 60000);
        if (selected > cfg.slot_minutes) minutes = selected;
      }
      if (!createDialog || !quick) {
        window.location.assign(
          formUrl({ date, start_time: time, duration_minutes: String(minutes), client: filterValue("client"), practitioner: filterValue("practitioner") })
        );
        return;
      }
      quick.elements.namedItem("date").value = date;
      quick.elements.namedItem("start_time").value = time;
      quick.elements.namedItem("duration_minutes").value = String(minutes);
      const client = filterValue("client");
      if (client) quick.elements.namedItem("client_id").value = client;
      const practitioner = filterValue("practitioner");
      if (practitioner) quick.elements.namedItem("practitioner_id").value = practitioner;
      quick.querySelector("[data-errors]").replaceChildren();
      for (const field of quick.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
      createDialog.showModal();
      quick.elements.namedItem("client_id").focus();
      quickCheck();
    }

    if (quick) {
      quick.addEventListener("change", () => {
        clearTimeout(checkTimer);
        checkTimer = setTimeout(quickCheck, 200);
      });
      quick.querySelector("[data-cancel]").addEventListener("click", () => createDialog.close());
      quick.querySelector("[data-more]").addEventListener("click", (ev) => {
        ev.preventDefault();
        const v = quickValues();
        window.location.assign(formUrl(v));
      });
      quick.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const v = quickValues();
        const errors = quick.querySelector("[data-errors]");
        errors.replaceChildren();
        const body = {
          name: v.name,
          client_id: Number(v.client) || null,
          date: v.date,
          start_time: v.start_time,
          duration_minutes: Number(v.duration_minutes) || null,
        };
        if (v.practitioner) body.practitioner_id = Number(v.practitioner);
        if (v.therapy_type) body.therapy_type_id = Number(v.therapy_type);
        const submit = quick.querySelector("button[type=submit]");
        submit.disabled = true;
        try {
          const saved = await Api.request("POST", cfg.sessions_url, body);
          createDialog.close();
          const when = `${v.date} ${v.start_time}`;
          const after = (saved.warnings || []).map((w) => w.message);
          announce([fmt(t.created, { name: saved.session.name, when }), ...after].join(" "), after.length ? "warn" : "ok");
          calendar.refetchEvents();
        } catch (err) {
          const names = { client_id: "client_id", practitioner_id: "practitioner_id", therapy_type_id: "therapy_type_id" };
          const list = err.fields && err.fields.length ? err.fields : [{ path: "", message: err.message }];
          for (const f of list) {
            errors.appendChild(el("p", { class: "error" }, f.message));
            const field = quick.elements.namedItem(names[f.path] || f.path);
            if (field) field.setAttribute("aria-invalid", "true");
          }
        } finally {
          submit.disabled = false;
        }
      });
    }

    const initialView = VIEW_NAMES[cfg.initial_view] || "timeGridWeek";
    const slotDuration = { minutes: cfg.slot_minutes };
    const hourFormat = { hour: "2-digit", minute: "2-digit", hour12: false };

    let calendar = null;
    calendar = new window.FullCalendar.Calendar(root, {
      timeZone: "UTC",
      now: () => TZ.nowWall(tz),
      locale: cfg.locale,
      initialView,
      initialDate: cfg.initial_date || undefined,
      headerToolbar: { left: "prev,next today", center: "title", right: "timeGridDay,timeGridWeek,dayGridMonth,listWeek" },
      buttonText: cfg.button_text,
      height: "100%",
      firstDay: 1,
      // English days spell their month ("Wed 2 Dec"): 02/12 is 2 December to some readers and
      // February 12 to others, as the pages' dates spell it too.
      views: cfg.locale.startsWith("en")
        ? { timeGridWeek: { dayHeaderFormat: { weekday: "short", day: "numeric", month: "short" } } }
        : {},
      expandRows: true,
      stickyHeaderDates: true,
      slotDuration,
      snapDuration: slotDuration,
      slotLabelFormat: hourFormat,
      eventTimeFormat: hourFormat,
      slotLabelInterval: "01:00",
      scrollTime: cfg.scroll_time,
      allDaySlot: false,
      nowIndicator: true,
      navLinks: true,
      businessHours: cfg.business_hours,
      // The server sends a month day at most MONTH_DAY_EVENTS events and "+N more" after them.
      dayMaxEvents: false,
      eventOrder: "order,start,-duration,allDay,title",
      // A day or week inside the month's range is fetched again: the month's answer is cut per day.
      lazyFetching: false,
      eventDisplay: "block",
      selectable: cfg.can_create,
      selectMirror: true,
      editable: cfg.can_update,
      eventDurationEditable: cfg.can_update,
      eventStartEditable: cfg.can_update,
      defaultTimedEventDuration: { minutes: cfg.default_duration },
      events: loadEvents,
      eventContent,
      eventDidMount,
      eventClick,
      eventDrop: onMoveOrResize,
      eventResize: onMoveOrResize,
      // A booking is one stretch of one day (a session is never longer than a day).
      selectAllow: (info) => info.allDay || TZ.wallDate(info.start) === TZ.wallDate(new Date(info.end.getTime() - 1)),
      select: (info) => {
        calendar.unselect();
        openCreate(info.start, info.end, info.allDay);
      },
      datesSet: (info) => {
        // Month rows grow with their sessions (up to dayMaxEvents); day and week scroll inside.
        const height = info.view.type === "dayGridMonth" ? "auto" : "100%";
        if (calendar && calendar.getOption("height") !== height) calendar.setOption("height", height);
        root.classList.toggle("is-month", info.view.type === "dayGridMonth");
        syncUrl();
      },
      loading: (isLoading) => root.setAttribute("aria-busy", isLoading ? "true" : "false"),
    });
    // A practitioner with their own working hours: shade theirs when the calendar shows only them.
    function applyHours() {
      const chosen = form && form.elements.namedItem("practitioner");
      const own = chosen && chosen.value ? cfg.practitioner_hours[chosen.value] : null;
      const hours = own || cfg.business_hours;
      if (calendar.getOption("businessHours") !== hours) calendar.setOption("businessHours", hours);
    }

    calendar.render();
    applyHours();
    if (calendar.view.type === "dayGridMonth") {
      calendar.setOption("height", "auto");
      root.classList.add("is-month");
    }
    window.atendoCalendar = calendar;

    if (form) {
      form.addEventListener("change", () => {
        applyHours();
        for (const item of document.querySelectorAll("[data-legend=status]")) item.hidden = colorBy() !== "status";
        syncUrl();
        calendar.refetchEvents();
      });
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        syncUrl();
        calendar.refetchEvents();
      });
      const reset = document.getElementById("filters-reset");
      if (reset) {
        reset.addEventListener("click", (ev) => {
          ev.preventDefault();
          for (const field of form.elements) {
            if (field.name && field.name !== "color" && "value" in field) field.value = "";
          }
          syncUrl();
          calendar.refetchEvents();
        });
      }
    }

    // Coming back to the tab shows what colleagues changed meanwhile.
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) calendar.refetchEvents();
    });

    // ---- keyboard --------------------------------------------------------------------------------
    document.addEventListener("keydown", (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
      const target = ev.target;
      if (target instanceof HTMLElement && target.closest("input, select, textarea, dialog, [contenteditable]")) return;
      const actions = {
        t: () => calendar.today(),
        d: () => calendar.changeView("timeGridDay"),
        w: () => calendar.changeView("timeGridWeek"),
        m: () => calendar.changeView("dayGridMonth"),
        a: () => calendar.changeView("listWeek"),
        j: () => calendar.next(),
        k: () => calendar.prev(),
        ArrowRight: () => calendar.next(),
        ArrowLeft: () => calendar.prev(),
        n: () => cfg.can_create && window.location.assign(cfg.new_url),
        "/": () => {
          const first = form && form.querySelector("select, input");
          if (first) first.focus();
        },
      };
      const action = actions[ev.key];
      if (action) {
        ev.preventDefault();
        action();
      }
    });

    window.AtendoCalendar = { calendar, cfg, refetch: () => calendar.refetchEvents() };
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
