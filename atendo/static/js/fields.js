// Custom-field forms: add/remove array rows, draw signatures (signature_pad), and drag-to-reorder
// lists of field definitions. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  // --- signatures ---------------------------------------------------------------------------
  const pads = new WeakMap();

  function initSignature(box) {
    const canvas = box.querySelector("canvas.signature-pad");
    if (!canvas || pads.has(canvas) || typeof window.SignaturePad === "undefined") return;
    if (canvas.closest("template")) return;
    const pad = new window.SignaturePad(canvas, { backgroundColor: "rgb(255,255,255)" });
    pads.set(canvas, pad);
    const hidden = box.querySelector("[data-signature-data]");
    pad.addEventListener("endStroke", () => {
      if (hidden) hidden.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
    const clear = box.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", () => {
        pad.clear();
        if (hidden) hidden.value = "";
      });
    }
  }

  function initAll(root) {
    root.querySelectorAll("[data-signature]").forEach(initSignature);
  }

  // --- array rows ---------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    const add = target.closest("[data-add-row]");
    if (add) {
      const array = add.closest("[data-array]");
      const template = array && array.querySelector(":scope > template[data-row-template]");
      const rows = array && array.querySelector(":scope > [data-rows]");
      if (!template || !rows) return;
      const index = parseInt(array.dataset.nextIndex || "0", 10);
      array.dataset.nextIndex = String(index + 1);
      const html = template.innerHTML.split(array.dataset.placeholder).join(String(index));
      const holder = document.createElement("ol");
      holder.innerHTML = html;
      const row = holder.firstElementChild;
      rows.appendChild(row);
      initAll(row);
      const first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      return;
    }
    const remove = target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("[data-row]");
      if (row) row.remove();
    }
  });

  // Make sure the last strokes are saved even without an endStroke (older browsers).
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    form.querySelectorAll("[data-signature]").forEach((box) => {
      const canvas = box.querySelector("canvas.signature-pad");
      const pad = canvas && pads.get(canvas);
      const hidden = box.querySelector("[data-signature-data]");
      if (pad && hidden && !pad.isEmpty()) hidden.value = pad.toDataURL("image/png");
    });
  }, true);

  // --- drag-to-reorder definitions (settings pages) -----------------------------------------
  function initReorder(list) {
    let dragged = null;
    list.querySelectorAll("[data-id]").forEach((item) => {
      item.setAttribute("draggable", "true");
    });
    list.addEventListener("dragstart", (event) => {
      const item = event.target instanceof HTMLElement ? event.target.closest("[data-id]") : null;
      if (!item) return;
      dragged = item;
      item.classList.add("dragging");
      if (event.dataTransfer) {
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.dataset.id || "");
      }
    });
    list.addEventListener("dragover", (event) => {
      if (!dragged) return;
      event.preventDefault();
      const over = event.target instanceof HTMLElement ? event.target.closest("[data-id]") : null;
      if (!over || over === dragged) return;
      const box = over.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", (event) => {
      event.preventDefault();
    });
    list.addEventListener("dragend", () => {
      if (!dragged) return;
      dragged.classList.remove("dragging");
      dragged = null;
      saveOrder(list);
    });
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function refreshButtons(list) {
    const items = Array.from(list.querySelectorAll("[data-id]"));
    items.forEach((item, index) => {
      const up = item.querySelector('button[value="up"]');
      const down = item.querySelector('button[value="down"]');
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === items.length - 1;
    });
  }

  function saveOrder(list) {
    refreshButtons(list);
    const ids = Array.from(list.querySelectorAll("[data-id]")).map((el) => el.dataset.id);
    const status = document.querySelector(list.dataset.statusTarget || "#reorder-status");
    const body = new URLSearchParams();
    ids.forEach((id) => body.append("ids", id));
    fetch(list.dataset.reorderUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin",
    })
      .then((response) => {
        if (status) status.textContent = response.ok ? list.dataset.savedText || "Order saved." : list.dataset.failedText || "The order could not be saved.";
        if (response.ok) list.dataset.saved = String(parseInt(list.dataset.saved || "0", 10) + 1);
      })
      .catch(() => {
        if (status) status.textContent = list.dataset.failedText || "The order could not be saved.";
      });
  }

  // --- definition form: show only the settings that apply to the chosen type -----------------
  const ROWS_FOR_TYPE = {
    options: ["select", "multi_select"],
    min: ["number"], max: ["number"], step: ["number"],
    min_length: ["text", "textarea"], max_length: ["text", "textarea"], pattern: ["text"],
    min_date: ["date", "datetime"], max_date: ["date", "datetime"],
    allowed_types: ["image", "file"], max_bytes: ["image", "file", "signature"],
    min_items: ["multi_select", "array"], max_items: ["multi_select", "array"],
    children: ["array", "object"],
    filterable: ["text", "number", "boolean", "date", "select", "team_member"],
  };

  function initDefinitionForm(form) {
    const type = form.querySelector("select[name=type]");
    if (!type) return;
    const apply = () => {
      Object.keys(ROWS_FOR_TYPE).forEach((name) => {
        const row = form.querySelector(".form-row-" + name);
        if (row) row.hidden = !ROWS_FOR_TYPE[name].includes(type.value) && !row.classList.contains("has-error");
      });
    };
    type.addEventListener("change", apply);
    apply();
  }

  function start() {
    document.querySelectorAll("form.definition-form").forEach(initDefinitionForm);
    initAll(document);
    document.querySelectorAll("[data-reorder-url]").forEach(initReorder);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
