// Draws the report's chart (Chart.js from npm) from the JSON the page carries (#report-data): one
// stacked bar per row, a dataset per series. The table below holds the same numbers, so the page
// reads the same without JavaScript. Sets data-chart="drawn" on the canvas once drawn.
(function () {
  const canvas = document.getElementById("report-chart");
  const source = document.getElementById("report-data");
  if (!canvas || !source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const locale = document.documentElement.lang || "en";
  // Money as the page's table writes it (core.formats): a symbol longer than one character, a
  // space, the number (R$ 1,400.00 in English, R$ 1.400,00 in Portuguese, $1,400.00), where Intl
  // writes "R$1,400" in English.
  const spaced = (nf) => ({
    format: (value) =>
      nf
        .formatToParts(value)
        .map((part, i, parts) =>
          part.type === "currency" && part.value.length > 1 && parts[i + 1] && parts[i + 1].type !== "literal"
            ? part.value + "\u00a0"
            : part.value,
        )
        .join(""),
  });
  const currency = { style: "currency", currency: data.currency || "BRL" };
  const format = data.money
    ? spaced(new Intl.NumberFormat(locale, currency))
    : new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  // The axis in whole units (R$ 1.400), the tooltips exact (R$ 1.400,00).
  const ticks = data.money
    ? spaced(new Intl.NumberFormat(locale, { ...currency, maximumFractionDigits: 0 }))
    : format;
  const chart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map((s) => ({
        label: s.label,
        data: s.data,
        backgroundColor: s.color,
        borderRadius: 3,
        maxBarThickness: 72,
        stack: "all",
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0, callback: (value) => ticks.format(value) } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format.format(item.parsed.y)}` } },
      },
    },
  });
  canvas.dataset.chart = chart ? "drawn" : "";
})();
