"""Serving over traffic phases: the cost of a config integrated over the phases, and the SLA held at every phase.

Per-request platforms (Lambda, Serverless) are billed per request, so their cost is the phases' costs weighted by
time. At low traffic their sandboxes idle out, and a request that finds none warm starts cold: with c sandboxes
(Little's law, at least one) each seeing rps / c requests a second, a request starts cold with probability
exp(-(rps / c) x T) for an idle lifetime T, plus the new sandboxes a rise in traffic needs. A share s of cold
requests moves the SLA's percentile p of all requests to p / (1 - s) of the warm ones, and past p99 onto the cold
start itself: so cold starts are counted into the tail, not reported apart.

Instance platforms are sized per phase from the capacity interval. Autoscaled (the target-tracking policy deploy
sets), each phase runs the instances it needs or the next phase needs, whichever is more, since a scale-out takes
minutes to take effect; sized to the peak, the peak's count runs all the time. The cheaper of the two is taken.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.core import costs, platforms
from advisor.core.domain import SLA, Config, Prediction
from advisor.core.platforms import Footprint
from advisor.core.traffic import Traffic
from recommender.model import PerformanceModel, Unpredictable
from recommender.search import FITTED_PERCENTILES, Evaluated, SearchResult, evaluate

# AWS does not publish how long an idle Lambda sandbox (or Serverless container) is kept; minutes, varying.
SANDBOX_IDLE_S = 600.0


def cold_share(rps: float, previous_rps: float, mean_ms: float, hours: float) -> float:
    """The share of a phase's requests that start cold (see the module's docstring)."""
    if rps <= 0:
        return 0.0
    sandboxes = max(1.0, rps * mean_ms / 1000.0)
    before = max(1.0, previous_rps * mean_ms / 1000.0)
    steady = math.exp(-(rps / sandboxes) * SANDBOX_IDLE_S)
    ramp = max(0.0, sandboxes - before) / (rps * hours * 3600.0)
    return min(1.0, steady + ramp)


def tail_bound(model: PerformanceModel, config: Config, percentile: float, share: float) -> tuple[float, str] | None:
    """The upper end of the percentile of all requests when SHARE start cold, and what it rests on: the warm
    percentile p / (1 - s), interpolated between the fitted ones, and past p99 towards the cold start itself."""
    level = percentile / (1.0 - share) if share < 1 else math.inf
    points: list[tuple[float, float]] = []
    for p in FITTED_PERCENTILES:
        bound = model.predict(config, f"p{p}_ms")
        if not isinstance(bound, Unpredictable):
            points.append((float(p), bound.high))
    if level > FITTED_PERCENTILES[-1]:
        cold = model.predict(config, "cold_start_ms")
        if isinstance(cold, Unpredictable):
            return None
        points.append((100.0, cold.high))
    for (p0, v0), (p1, v1) in zip(points, points[1:]):
        if p0 <= level <= p1:
            value = v0 + (v1 - v0) * (level - p0) / (p1 - p0)
            return value, ("the cold start" if level >= 100 else f"p{level:.4g} of warm requests")
    if points and level <= points[0][0]:
        return points[0][1], f"p{points[0][0]:g} of warm requests"
    return (points[-1][1], "the cold start") if points and level > 100 else None


def phase_weights(traffic: Traffic) -> list[float]:
    return [h / traffic.period_hours for _, h in traffic.phases]


def _per_request(config: Config, model: PerformanceModel, sla: SLA, traffic: Traffic, prices: Any, hours: float,
                 bytes_per_request: float, footprint: Footprint) -> Evaluated:
    peak = traffic.peak_rps
    ev = evaluate(config, model, sla.at(peak), peak, prices, hours, bytes_per_request, footprint)
    if ev.cost is None or (ev.reason and not ev.reason.startswith("predicted")):
        return ev  # refused, unpriced, no basis, or over a concurrency limit at the peak
    mean = ev.predicted.get("mean_ms") or next(iter(ev.predicted.values()))
    platform = platforms.of(config)
    per_hour, phases, worst = 0.0, [], None
    for k, ((rps, h), w) in enumerate(zip(traffic.phases, phase_weights(traffic))):
        per_hour += w * platform.serving_cost(config, mean.value, rps, prices, hours, bytes_per_request).usd_per_hour
        share = cold_share(rps, traffic.phases[k - 1][0], mean.value, h)
        bound = tail_bound(model, config, sla.percentile or 95.0, share)
        if bound is None:
            ev.reason = f"no basis: at {rps:g} rps {share:.1%} of requests start cold, and no cold start was measured"
            return ev
        phases.append({"rps": round(rps, 4), "hours": round(h, 4), "cold_share": round(share, 5),
                       "upper_ms": round(bound[0], 3), "from": bound[1]})
        if worst is None or bound[0] > worst[0]:
            worst = (bound[0], rps, share, bound[1])
    ev.cost = cost_over(per_hour, traffic.mean_rps, hours)
    ev.reach = worst[0] if worst else ev.reach
    ev.reason = None
    if worst and not sla.met_by(worst[0]):
        ev.reason = (f"at {worst[1]:g} rps {worst[2]:.1%} of requests start cold: p{sla.percentile:g} reaches "
                     f"{worst[0]:.1f} ms (from {worst[3]}) > {sla.limit_ms:g} ms")
    ev.predicted = {**ev.predicted, "traffic_bound_ms": Prediction(worst[0], worst[0], worst[0]) if worst else mean}
    ev.detail = {"phases": phases}
    return ev


def _instances(config: Config, model: PerformanceModel, sla: SLA, traffic: Traffic, prices: Any, hours: float,
               bytes_per_request: float, footprint: Footprint) -> Evaluated:
    per_phase = [evaluate(config, model, sla.at(rps), rps, prices, hours, bytes_per_request, footprint)
                 for rps, _ in traffic.phases]
    failed = next((e for e in per_phase if e.reason or e.cost is None), None)
    if failed is not None:
        return failed
    counts = [e.config.instance_count for e in per_phase]
    ahead = [max(c, counts[(k + 1) % len(counts)]) for k, c in enumerate(counts)]  # scale out before it is needed
    platform = platforms.of(config)
    hourly = platform.hourly_usd(config, prices) or 0.0
    data = [e.cost.usd_per_hour - e.config.instance_count * hourly for e in per_phase]  # type: ignore[union-attr]
    weights = phase_weights(traffic)
    autoscaled = sum(w * (n * hourly + d) for w, n, d in zip(weights, ahead, data))
    peak_sized = sum(w * (max(counts) * hourly + d) for w, d in zip(weights, data))
    ev = per_phase[counts.index(max(counts))]
    ev.config = Config(config.platform, None, config.instance_type, max(counts), config.architecture)
    ev.cost = cost_over(min(autoscaled, peak_sized), traffic.mean_rps, hours)
    ev.reach = max(e.reach or 0.0 for e in per_phase)
    ev.detail = {"sizing": "autoscaled" if autoscaled < peak_sized else "peak",
                 "autoscaling": {"min": min(ahead), "max": max(counts)},
                 "usd_per_month_peak_sized": round(peak_sized * hours, 4),
                 "usd_per_month_autoscaled": round(autoscaled * hours, 4),
                 "phases": [{"rps": round(r, 4), "hours": round(h, 4), "instances": n}
                            for (r, h), n in zip(traffic.phases, ahead)]}
    return ev


def cost_over(per_hour: float, mean_rps: float, hours: float) -> costs.Cost:
    return costs.Cost(per_hour, per_hour / (mean_rps * 3.6) if mean_rps > 0 else None, per_hour * hours)


def search_over(candidates: "list[Config] | tuple[Config, ...]", model: PerformanceModel, sla: SLA,
                traffic: Traffic, prices: Any, hours: float, bytes_per_request: float = 0.0,
                footprint: Footprint = Footprint()) -> SearchResult:
    """Every candidate priced over TRAFFIC and held to SLA at each of its phases."""
    considered = []
    for config in candidates:
        serving = platforms.of(config).serving
        if serving == "per-request":
            considered.append(_per_request(config, model, sla, traffic, prices, hours, bytes_per_request, footprint))
        elif serving == "instances":
            considered.append(_instances(config, model, sla, traffic, prices, hours, bytes_per_request, footprint))
        else:
            considered.append(evaluate(config, model, sla.at(traffic.peak_rps), traffic.peak_rps, prices, hours,
                                       bytes_per_request, footprint))
    return SearchResult(sla.at(traffic.mean_rps), traffic.mean_rps, considered)
