// fluxfleet console: the live jobs table (SSE) and relative times. No framework: a few lines.
(function () {
  "use strict";

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function rowHtml(r) {
    var labels = Object.keys(r.labels || {}).map(function (k) { return esc(k + "=" + r.labels[k]); }).join(" ");
    var opt = '<td class="opt">';
    return '<td class="id"><a href="/console/jobs/' + encodeURIComponent(r.jobId) + '">' + esc(r.jobId) + "</a></td>" +
      opt + esc(r.tenant) + "</td>" +
      '<td><span class="state ' + esc(r.state) + '" data-state>' + esc(r.state) + "</span></td>" +
      opt + esc(r.preset) + "</td>" + opt + esc(r.size) + "</td>" +
      '<td><span class="bar" title="' + r.progressPct + ' %"><span style="width:' + r.progressPct + '%"></span></span></td>' +
      opt + esc(r.queueWait) + "</td>" + opt + esc(r.renderTime) + "</td>" + opt + esc(r.worker) + "</td>" +
      '<td class="opt muted">' + esc(labels) + "</td>";
  }

  function liveTable() {
    var table = document.querySelector("table[data-live]");
    if (!table) { return; }
    var body = table.querySelector("tbody");
    var status = document.querySelector("[data-live-status]");
    var empty = document.querySelector("[data-empty]");
    var source = new EventSource(table.getAttribute("data-live"));
    source.addEventListener("ready", function () {
      status.textContent = "live"; status.className = "live on";
    });
    source.addEventListener("job", function (e) {
      var r = JSON.parse(e.data);
      var tr = body.querySelector('tr[data-job="' + CSS.escape(r.jobId) + '"]');
      if (!tr) {
        tr = document.createElement("tr");
        tr.setAttribute("data-job", r.jobId);
        body.insertBefore(tr, body.firstChild);
      }
      tr.innerHTML = rowHtml(r);
      tr.classList.remove("flash"); void tr.offsetWidth; tr.classList.add("flash");
      if (empty) { empty.hidden = true; table.hidden = false; }
    });
    source.onerror = function () {
      status.textContent = "reconnecting…"; status.className = "live off";
    };
  }

  document.addEventListener("DOMContentLoaded", liveTable);
})();
