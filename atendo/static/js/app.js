// Small progressive enhancements shared by every page. No inline scripts (CSP: script-src 'self').
document.addEventListener("change", (event) => {
  const el = event.target;
  if (el instanceof HTMLElement && el.classList.contains("autosubmit") && el.form) el.form.submit();
});
