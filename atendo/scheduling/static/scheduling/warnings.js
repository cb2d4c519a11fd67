// A session warning as a node: its message and, for an overlap, a link to each conflicting session
// (`details`, as the server allows this member to know them). Used by the session form, the
// calendar's booking dialog and its move/resize confirmation.
(function () {
  "use strict";

  function node(tag, warning) {
    const item = document.createElement(tag);
    item.className = "warning";
    if (warning.code) item.dataset.code = warning.code;
    item.appendChild(document.createTextNode(warning.message || ""));
    const details = warning.details || [];
    if (details.length) {
      const links = document.createElement("span");
      links.className = "conflict-links";
      for (const d of details) {
        const a = document.createElement("a");
        a.href = d.url;
        a.dataset.sessionId = String(d.session_id);
        const who = d.client_name || d.practitioner_name;
        a.textContent = `${who} ${d.starts_at.slice(11, 16)}–${d.ends_at.slice(11, 16)}`;
        links.appendChild(document.createTextNode(" "));
        links.appendChild(a);
      }
      item.appendChild(links);
    }
    return item;
  }

  window.AtendoWarnings = { node };
})();
