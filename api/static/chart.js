// Cost against latency for every candidate, from POST /recommend; the chosen one is ringed.
(function () {
  const chart = document.getElementById("chart");
  if (!chart) return;
  const workload = chart.dataset.workload;
  const training = chart.dataset.kind === "training";
  const costOf = c => (training ? c.usd_total : c.usd_per_month);
  const form = document.getElementById("sla-form");
  const answer = document.getElementById("answer");
  const colors = training ? { "lambda-training": "#e8710a", "sagemaker-training": "#1a73e8" }
                         : { "lambda": "#e8710a", "sagemaker-realtime": "#1a73e8", "sagemaker-serverless": "#188038" };
  const NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function draw(points, chosenKey, limit) {
    chart.innerHTML = "";
    const W = 900, H = 460, L = 80, R = 20, T = 20, B = 50;
    const svg = el("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
                            "aria-label": "cost against latency" });
    const xs = points.map(p => p.latency).concat([limit]), ys = points.map(p => p.cost);
    const lx = [Math.log10(Math.min(...xs) * 0.8), Math.log10(Math.max(...xs) * 1.25)];
    const ly = [Math.log10(Math.min(...ys) * 0.8), Math.log10(Math.max(...ys) * 1.25)];
    const X = v => L + (Math.log10(v) - lx[0]) / (lx[1] - lx[0]) * (W - L - R);
    const Y = v => H - B - (Math.log10(v) - ly[0]) / (ly[1] - ly[0]) * (H - T - B);
    svg.appendChild(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#888" }));
    svg.appendChild(el("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#888" }));
    svg.appendChild(el("text", { x: (W + L) / 2, y: H - 12, "text-anchor": "middle" }, training ? "predicted run time, upper end (ms, log)" : "predicted latency, upper end (ms, log)"));
    svg.appendChild(el("text", { x: 16, y: (H - B) / 2, transform: `rotate(-90 16 ${(H - B) / 2})`, "text-anchor": "middle" }, training ? "cost (USD per run, log)" : "cost (USD per month, log)"));
    const ticks = range => {
      const out = [];
      for (let e = Math.floor(range[0]); e <= Math.ceil(range[1]); e++)
        for (const m of [1, 2, 5]) out.push(+(m * Math.pow(10, e)).toPrecision(3));
      return out;
    };
    for (const v of ticks(lx)) {
      if (X(v) >= L && X(v) <= W - R) {
        svg.appendChild(el("line", { x1: X(v), y1: H - B, x2: X(v), y2: H - B + 4, stroke: "#888" }));
        svg.appendChild(el("text", { x: X(v), y: H - B + 16, "text-anchor": "middle", class: "tick" }, `${v} ms`));
      }
    }
    for (const v of ticks(ly)) {
      if (Y(v) >= T && Y(v) <= H - B) {
        svg.appendChild(el("line", { x1: L - 4, y1: Y(v), x2: L, y2: Y(v), stroke: "#888" }));
        svg.appendChild(el("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, `$${v}`));
      }
    }
    svg.appendChild(el("line", { x1: X(limit), y1: T, x2: X(limit), y2: H - B, stroke: "#b3261e", "stroke-dasharray": "4 3", class: "sla-line" }));
    for (const p of points) {
      const c = colors[p.platform] || "#555";
      const dot = el("circle", { cx: X(p.latency), cy: Y(p.cost), r: 5, stroke: c, "stroke-width": 1.5,
                                 fill: p.meets ? c : "none", class: "candidate", "data-key": p.key });
      dot.appendChild(el("title", {}, `${p.key}: ${p.latency.toFixed(1)} ms, $${p.cost.toFixed(4)}${training ? " per run" : "/month"}` + (p.reason ? ` (${p.reason})` : "")));
      svg.appendChild(dot);
      if (p.key === chosenKey) {
        svg.appendChild(el("circle", { cx: X(p.latency), cy: Y(p.cost), r: 11, fill: "none", stroke: "#111", "stroke-width": 2, class: "chosen" }));
        svg.appendChild(el("text", { x: X(p.latency) + 14, y: Y(p.cost) - 10, class: "chosen-label" }, `chosen: ${p.key}`));
      }
    }
    let ly0 = T + 4;
    for (const [name, c] of Object.entries(colors)) {
      svg.appendChild(el("circle", { cx: W - 170, cy: ly0 + 6, r: 5, fill: c }));
      svg.appendChild(el("text", { x: W - 160, y: ly0 + 10 }, name));
      ly0 += 18;
    }
    chart.appendChild(svg);
  }

  async function run() {
    const data = new FormData(form);
    const body = training ? { workload, sla: data.get("sla"), epochs: Number(data.get("epochs")) }
                          : { workload, sla: data.get("sla"), rps: Number(data.get("rps")) };
    answer.className = "answer";
    answer.textContent = "…";
    const res = await fetch("/recommend", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) {
      answer.className = "answer error";
      answer.textContent = `${json.error.message}. ${json.error.hint}`;
      const list = document.createElement("ul");
      for (const c of json.error.closest || []) {
        const item = document.createElement("li");
        item.textContent = `${c.key}: reaches ${c.reaches_ms.toFixed(1)} ms`;
        list.appendChild(item);
      }
      if (!(json.error.closest || []).length) {
        for (const r of json.error.reasons || []) {
          const item = document.createElement("li");
          item.textContent = `${r.configs} configs (e.g. ${r.example}): ${r.reason}`;
          list.appendChild(item);
        }
      }
      answer.appendChild(list);
      chart.innerHTML = "";
      return;
    }
    const upper = o => (o.predicted.interval || [0, 0])[1];
    const chosen = { key: json.chosen.key, config: json.chosen, predicted: json.predicted, cost: json.cost };
    const points = [chosen, ...json.alternatives].map(o => ({
      key: o.key, platform: o.config.platform, latency: upper(o), cost: costOf(o.cost), meets: true, reason: "" }))
      .concat(json.rejected.filter(r => costOf(r) > 0 && r.upper_ms > 0).map(r => ({
        key: r.key, platform: r.config.platform, latency: r.upper_ms, cost: costOf(r), meets: false,
        reason: r.reason })))
      .filter(p => p.latency > 0 && p.cost > 0);
    const m = json.predicted.interval ? json.predicted.interval[1].toFixed(1) : "?";
    answer.textContent = training
      ? `Chosen: ${json.chosen.key} at $${json.cost.usd_total.toFixed(4)} per run, done within ${(json.predicted.interval[1] / 60000).toFixed(1)} min (${json.id})`
      : `Chosen: ${json.chosen.key} at $${json.cost.usd_per_month.toFixed(2)}/month, up to ${m} ms (${json.id})`;
    draw(points, json.chosen.key, json.sla.limit_ms);
  }

  form.addEventListener("submit", ev => { ev.preventDefault(); run(); });
  run();
})();
