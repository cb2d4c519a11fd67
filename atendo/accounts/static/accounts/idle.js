// The idle timeout's warning. The server ends an idle session (accounts/middleware.py); this page
// only tells the person before it happens, and tells the server they are here:
// - typing, clicking or touching counts as activity: at most once a minute it POSTs the keep-alive;
// - `warn-before` seconds before the end it asks the server how long is really left (another tab
//   may have been active; asking is not activity) and, if little, opens the dialog with a countdown;
// - "Stay signed in" is activity; at the end, if the server says the session is over, it goes to
//   the log-in page and comes back here afterwards.
(() => {
  "use strict";
  const dialog = document.getElementById("idle-guard");
  if (!dialog) return;
  const ds = dialog.dataset;
  const warnBefore = Number(ds.warnBefore) * 1000;
  const countdown = dialog.querySelector("[data-idle-countdown]");
  const PING_EVERY = 60 * 1000;
  let deadline = Date.now() + Number(ds.idleLeft || ds.idleTimeout) * 1000;
  let lastPing = Date.now();
  let active = false;
  let timer = 0;
  let ticker = 0;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function toLogin() {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`${ds.loginUrl}?next=${encodeURIComponent(next)}`);
  }

  function format(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const minutes = Math.floor(total / 60);
    return `${minutes}:${String(total % 60).padStart(2, "0")}`;
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, Math.max(1000, deadline - Date.now() - warnBefore));
  }

  function closeDialog() {
    window.clearInterval(ticker);
    if (dialog.open) dialog.close();
  }

  function openDialog() {
    if (!dialog.open) dialog.showModal();
    const tick = () => {
      const left = deadline - Date.now();
      countdown.textContent = format(left);
      if (left <= 0) {
        window.clearInterval(ticker);
        check();
      }
    };
    window.clearInterval(ticker);
    tick();
    ticker = window.setInterval(tick, 1000);
  }

  async function check() {
    let state;
    try {
      const response = await fetch(ds.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      state = await response.json();
    } catch (error) {
      timer = window.setTimeout(check, 15000); // offline for a moment: ask again soon
      return;
    }
    if (!state.authenticated) {
      toLogin();
      return;
    }
    if (state.idle_left === null) return;
    deadline = Date.now() + state.idle_left * 1000;
    if (deadline - Date.now() > warnBefore) {
      closeDialog();
      schedule();
    } else {
      openDialog();
      schedule();
    }
  }

  async function keepAlive() {
    lastPing = Date.now();
    active = false;
    try {
      const response = await fetch(ds.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      });
      if (response.status === 401) {
        toLogin();
        return;
      }
    } catch (error) {
      return;
    }
    deadline = Date.now() + Number(ds.idleTimeout) * 1000;
    closeDialog();
    schedule();
  }

  function activity(event) {
    if (dialog.open && !dialog.contains(event.target)) return; // behind the dialog: not activity
    active = true;
    if (Date.now() - lastPing >= PING_EVERY) keepAlive();
  }

  ["keydown", "pointerdown", "input"].forEach((name) => document.addEventListener(name, activity, { passive: true }));
  dialog.querySelector("[data-idle-stay]").addEventListener("click", keepAlive);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    keepAlive(); // Escape means "I am here"
  });
  // A request this page made (htmx) is activity the server already saw.
  document.addEventListener("htmx:afterRequest", () => {
    deadline = Date.now() + Number(ds.idleTimeout) * 1000;
    schedule();
  });
  window.setInterval(() => {
    if (active && Date.now() - lastPing >= PING_EVERY) keepAlive();
  }, PING_EVERY);
  schedule();
})();
