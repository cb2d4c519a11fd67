// The public form: give each signature canvas the size it is shown at (times the screen's pixel
// ratio), before signature_pad starts on it (fields.js, loaded after this file), so a stroke lands
// under the finger on a phone as on a desktop. No inline scripts (CSP: script-src 'self').
(function () {
  "use strict";
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  document.querySelectorAll("canvas.signature-pad").forEach((canvas) => {
    const width = canvas.offsetWidth;
    const height = canvas.offsetHeight;
    if (!width || !height) return;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.getContext("2d").scale(ratio, ratio);
  });
})();
