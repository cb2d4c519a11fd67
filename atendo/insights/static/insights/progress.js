/* Trend charts of the Progress tab and the progress report (Chart.js from npm).
   The data comes from a <script type="application/json" id="insights-charts"> element (json_script);
   each <canvas data-chart="trend-N"> is drawn once, on load and after every htmx swap. */
(function () {
  "use strict";
  if (window.atendoProgress) { window.atendoProgress(); return; }

  function draw() {
    var source = document.getElementById("insights-charts");
    if (!source || typeof window.Chart === "undefined") { return; }
    var charts = JSON.parse(source.textContent || "[]");
    var brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() || "#2f6f73";
    charts.forEach(function (chart) {
      var canvas = document.querySelector('canvas[data-chart="' + chart.id + '"]');
      if (!canvas || canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      new window.Chart(canvas, {
        type: "line",
        data: {
          labels: chart.labels.map(function (day) {
            var parts = day.split("-");
            return document.documentElement.lang.indexOf("pt") === 0 ? parts[2] + "/" + parts[1] : parts[1] + "/" + parts[2];
          }),
          datasets: [{ label: chart.label, data: chart.values, borderColor: brand, backgroundColor: brand,
                       tension: 0.25, pointRadius: 3, fill: false }]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: false, ticks: { precision: 0 } } }
        }
      });
    });
  }

  window.atendoProgress = draw;
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
  document.addEventListener("htmx:afterSettle", draw);
})();
