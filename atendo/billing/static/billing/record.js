// Record page: choosing another therapy type reloads the form with that type's fields and price.
document.addEventListener("change", (event) => {
  const el = event.target;
  if (!(el instanceof HTMLSelectElement) || !el.dataset.reloadParam) return;
  const url = new URL(window.location.href);
  url.searchParams.set(el.dataset.reloadParam, el.value);
  window.location.assign(url.toString());
});
