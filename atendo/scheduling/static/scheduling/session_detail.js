// Session page: the pre / during / post tabs (links work without JS; this makes them instant).
(function () {
  "use strict";
  function start() {
    const tabs = Array.from(document.querySelectorAll("[role=tab][data-tab]"));
    if (!tabs.length) return;
    function select(tab, focus) {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute("aria-selected", selected ? "true" : "false");
        other.tabIndex = selected ? 0 : -1;
        const panel = document.getElementById(other.getAttribute("aria-controls"));
        if (panel) panel.hidden = !selected;
      }
      const url = new URL(window.location.href);
      url.searchParams.set("phase", tab.dataset.tab);
      window.history.replaceState(null, "", url.toString());
      if (focus) tab.focus();
    }
    for (const tab of tabs) {
      tab.addEventListener("click", (ev) => {
        ev.preventDefault();
        select(tab, false);
      });
      tab.addEventListener("keydown", (ev) => {
        const i = tabs.indexOf(tab);
        let next = null;
        if (ev.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
        if (ev.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
        if (ev.key === "Home") next = tabs[0];
        if (ev.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          ev.preventDefault();
          select(next, true);
        }
      });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
