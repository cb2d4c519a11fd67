// Calls the Atendo API from the browser with the session cookie and the CSRF header.
(function () {
  "use strict";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || `HTTP ${status}`);
      this.status = status;
      this.code = err.code || "error";
      this.body = body;
      this.fields = err.fields || [];
    }
  }

  async function request(method, url, body, signal) {
    const init = {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal,
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") init.headers["X-CSRFToken"] = csrfToken();
    const response = await fetch(url, init);
    let data = null;
    const text = await response.text();
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  // Follows `next_cursor` until the list is complete (calendar ranges are bounded by the API).
  async function getAll(url, params, signal) {
    const items = [];
    let cursor = null;
    for (let guard = 0; guard < 200; guard++) {
      const query = new URLSearchParams(params);
      if (cursor) query.set("cursor", cursor);
      const page = await request("GET", `${url}?${query.toString()}`, undefined, signal);
      items.push(...(page.items || []));
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  window.AtendoApi = { request, getAll, ApiError, csrfToken };
})();
