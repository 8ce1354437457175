// Monthly cost against traffic, one line per platform family, crossovers marked; the traffic profile beneath.
(function () {
  const chart = document.getElementById("compare-chart");
  if (!chart) return;
  const workload = chart.dataset.workload;
  const form = document.getElementById("compare-form");
  const note = document.getElementById("compare-note");
  const colors = { "lambda": "#e8710a", "sagemaker-realtime": "#1a73e8", "sagemaker-serverless": "#188038" };
  const NS = "http://www.w3.org/2000/svg";
  const el = (name, attrs, text) => {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  function draw(r) {
    chart.innerHTML = "";
    const W = 900, H = 380, L = 80, R = 170, T = 20, B = 40, TH = 110;
    const traffic = r.traffic;
    const svg = el("svg", { width: W, height: H + (traffic ? TH : 0), role: "img", "aria-label": "cost against traffic" });
    const rps = r.levels.map(l => l.rps);
    const costs = r.levels.flatMap(l => Object.values(l.families).filter(Boolean).map(f => f.usd_per_month)).filter(c => c > 0);
    const lx = [Math.log10(rps[0]), Math.log10(rps[rps.length - 1])];
    const ly = [Math.log10(Math.min(...costs) * 0.8), Math.log10(Math.max(...costs) * 1.25)];
    const X = v => L + (Math.log10(v) - lx[0]) / (lx[1] - lx[0]) * (W - L - R);
    const Y = v => H - B - (Math.log10(v) - ly[0]) / (ly[1] - ly[0]) * (H - T - B);
    svg.appendChild(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }));
    svg.appendChild(el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }));
    svg.appendChild(el("text", { x: (W - R + L) / 2, y: H - 8, "text-anchor": "middle" }, "traffic (requests per second, log)"));
    svg.appendChild(el("text", { x: 16, y: (H - B) / 2, transform: `rotate(-90 16 ${(H - B) / 2})`, "text-anchor": "middle" }, "cost (USD per month, log)"));
    let legendY = T + 6;
    for (const family of r.families) {
      const pts = r.levels.filter(l => l.families[family]).map(l => `${X(l.rps).toFixed(1)},${Y(l.families[family].usd_per_month).toFixed(1)}`);
      if (!pts.length) continue;
      const color = colors[family] || "#555";
      svg.appendChild(el("polyline", { points: pts.join(" "), fill: "none", stroke: color, "stroke-width": 2, class: "family-line" }));
      svg.appendChild(el("circle", { cx: W - R + 16, cy: legendY, r: 5, fill: color }));
      svg.appendChild(el("text", { x: W - R + 26, y: legendY + 4 }, family));
      legendY += 18;
    }
    for (const c of r.changes || []) {
      const x = X(c.rps);
      svg.appendChild(el("line", { x1: x, y1: T, x2: x, y2: H - B, stroke: "#000", "stroke-dasharray": "4 3", class: "crossover" }));
      svg.appendChild(el("text", { x: x + 4, y: T + 12 }, `${c.rps.toPrecision(3)} rps`));
    }
    if (traffic) {  // the traffic profile beneath: each phase's rate, on the same axis, over the period
      const top = H + 10, bottom = H + TH - 20, hours = traffic.period_hours;
      svg.appendChild(el("text", { x: L, y: top + 4 }, `your traffic: ${traffic.source} (mean ${traffic.mean_rps} rps)`));
      let t = 0;
      for (const [rate, h] of Array.isArray(traffic.phases) ? traffic.phases : []) {
        const y = top + 14 + (t / hours) * (bottom - top - 14);
        const x = X(Math.min(Math.max(rate, rps[0]), rps[rps.length - 1]));
        svg.appendChild(el("rect", { x: L, y: y, width: Math.max(1, x - L), height: Math.max(1, h / hours * (bottom - top - 14)), fill: "#bbb", class: "traffic-phase" }));
        t += h;
      }
    }
    chart.appendChild(svg);
  }

  async function run() {
    const data = new FormData(form);
    const params = new URLSearchParams({ sla: data.get("sla"), rps_range: data.get("rps_range") });
    if (data.get("traffic")) params.set("traffic", data.get("traffic"));
    note.className = "answer";
    note.textContent = "…";
    const res = await fetch(`/workloads/${encodeURIComponent(workload)}/compare?${params}`);
    const json = await res.json();
    if (!res.ok) {
      note.className = "answer error";
      note.textContent = `${json.error.message}. ${json.error.hint}`;
      chart.innerHTML = "";
      return;
    }
    note.textContent = json.summary;
    draw(json);
  }

  form.addEventListener("submit", ev => { ev.preventDefault(); run(); });
  run();
})();
