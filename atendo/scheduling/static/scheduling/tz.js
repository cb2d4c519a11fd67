// Workspace time-zone helpers. FullCalendar runs with timeZone "UTC" and we feed it the WORKSPACE
// wall-clock time as if it were UTC, so what it shows never depends on the browser's zone. These
// helpers convert between real instants and that wall clock. No inline scripts (CSP).
(function () {
  "use strict";
  const formatters = {};

  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function partsIn(instant, tz) {
    if (!formatters[tz]) {
      formatters[tz] = new Intl.DateTimeFormat("en-CA", {
        timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit",
      });
    }
    const p = {};
    for (const part of formatters[tz].formatToParts(instant)) p[part.type] = part.value;
    return p;
  }

  // Minutes east of UTC of `tz` at the instant `ms`.
  function offsetAt(ms, tz) {
    const p = partsIn(new Date(ms), tz);
    const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
  }

  // "2026-11-23T12:00:00Z" (any offset) -> "2026-11-23T09:00:00" in the workspace zone.
  function wallFromIso(iso, tz) {
    const p = partsIn(new Date(iso), tz);
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
  }

  // A FullCalendar date (wall clock coerced to UTC) -> ISO 8601 with the workspace offset.
  function isoFromWall(wallDate, tz) {
    const wall = wallDate.getTime();
    let off = offsetAt(wall, tz);
    const second = offsetAt(wall - off * 60000, tz);
    if (second !== off) off = second;
    const sign = off >= 0 ? "+" : "-";
    const abs = Math.abs(off);
    return `${wallDate.toISOString().slice(0, 19)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }

  // The workspace's current wall-clock time, coerced to UTC (for FullCalendar's `now`).
  function nowWall(tz) {
    return wallFromIso(new Date().toISOString(), tz);
  }

  function wallDate(wallDateObj) {
    return wallDateObj.toISOString().slice(0, 10);
  }

  function wallTime(wallDateObj) {
    return wallDateObj.toISOString().slice(11, 16);
  }

  window.AtendoTZ = { pad, wallFromIso, isoFromWall, nowWall, wallDate, wallTime, offsetAt };
})();
