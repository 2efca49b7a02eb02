// Fleet page: render figures of the last hour as Chart.js line charts (the library comes from its webjar).
(function () {
  "use strict";
  var colours = ["#6ea8fe", "#3fb950", "#d29922", "#f85149", "#a371f7", "#39c5cf", "#e3b341"];
  var state = document.querySelector("[data-charts-state]");

  function chart(id, labels, series, suffix) {
    var sets = Object.keys(series).map(function (preset, i) {
      return { label: preset, data: series[preset], borderColor: colours[i % colours.length],
               backgroundColor: colours[i % colours.length], spanGaps: true, tension: 0.2 };
    });
    return new Chart(document.getElementById(id), {
      type: "line",
      data: { labels: labels, datasets: sets },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: suffix } } },
        plugins: { legend: { labels: { color: "#e6e8ee" } } } }
    });
  }

  function load() {
    fetch("/console/fleet/stats", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (s) {
        var labels = s.buckets.map(function (t) { return new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }); });
        chart("throughput", labels, s.perMinute, "jobs / min");
        chart("p50", labels, s.p50, "ms");
        chart("p95", labels, s.p95, "ms");
        state.className = s.renders ? "muted" : "empty";
        state.textContent = s.renders ? s.renders + " renders in the window" : "No render completed in the last hour.";
        state.setAttribute("data-renders", s.renders);
      })
      .catch(function (e) {
        state.className = "error";
        state.textContent = "The figures cannot be loaded: " + e.message;
      });
  }
  document.addEventListener("DOMContentLoaded", load);
  if (document.readyState !== "loading") { load(); }
})();
