"""Hybrids over traffic: an endpoint sized for the base load, and a per-request platform (Lambda or Serverless) for
the bursts above it. The endpoint takes up to its base count times its capacity (the interval's lower end); the
rest goes to the function. It is priced over the phases (the endpoint every hour, the function per request of the
excess) and held to the SLA in every phase: the function's cold starts at the excess's rate are counted into the
tail of all requests, weighted by the share of requests it serves.

Only a few pairs are tried: the per-request configs cheapest over the traffic on their own and the instance types
cheapest per request a second of capacity (even those that could not carry the peak alone), each with every base
count from one to one short of carrying the peak (the two ends are the pure options).
"""

from __future__ import annotations

import math
from typing import Any

from advisor.core import catalog, platforms
from advisor.core.domain import SLA, Config
from advisor.core.traffic import Traffic
from recommender.model import PerformanceModel
from recommender.search import Evaluated
from recommender.traffic import cold_share, cost_over, phase_weights, tail_bound

PAIRS_EACH = 3


def routing_rule(base_rps: float, endpoint: str, burst: str) -> str:
    return (f"send up to {base_rps:.0f} requests per second to {endpoint} and the rest to {burst} (a router that "
            "counts the endpoint's requests in flight, or a weighted split per traffic phase)")


def hybrids(considered: list[Evaluated], model: PerformanceModel, sla: SLA, traffic: Traffic, prices: Any,
            hours: float, bytes_per_request: float = 0.0) -> list[Evaluated]:
    """The best hybrid of each tried pair that meets the SLA in every phase (at most one per pair)."""
    per_request = sorted((e for e in considered if e.cost is not None and "mean_ms" in e.predicted
                          and platforms.of(e.config).serving == "per-request"
                          and (e.reason is None or "start cold" in e.reason)),
                         key=lambda e: e.cost.usd_per_hour)[:PAIRS_EACH]  # type: ignore[union-attr]
    instances = sorted((e for e in considered if "capacity_rps" in e.predicted and e.predicted["capacity_rps"].low > 0
                        and platforms.of(e.config).serving == "instances" and _hourly(e, prices) < math.inf
                        and sla.met_by(next(iter(e.predicted.values())).high)),  # meets the SLA at light load
                       key=lambda e: _hourly(e, prices) / e.predicted["capacity_rps"].low)[:PAIRS_EACH]
    out = []
    for base in instances:
        for burst in per_request:
            best = _best_split(base, burst, model, sla, traffic, prices, hours, bytes_per_request)
            if best is not None:
                out.append(best)
    return out


def _hourly(ev: Evaluated, prices: Any) -> float:
    return platforms.of(ev.config).hourly_usd(ev.config, prices) or float("inf")


def _best_split(base: Evaluated, burst: Evaluated, model: PerformanceModel, sla: SLA, traffic: Traffic, prices: Any,
                hours: float, bytes_per_request: float) -> Evaluated | None:
    capacity = base.predicted["capacity_rps"].low
    hourly = _hourly(base, prices)
    endpoint_bound = next(iter(base.predicted.values())).high  # the SLA metric at the endpoint, under its capacity
    function = platforms.of(burst.config)
    mean_ms = burst.predicted["mean_ms"].value
    weights = phase_weights(traffic)
    best: Evaluated | None = None
    most = min(catalog.SAGEMAKER_MAX_INSTANCE_COUNT, math.ceil(traffic.peak_rps / capacity) - 1)
    for count in range(1, most + 1):
        carried = count * capacity
        per_hour, phases, worst = count * hourly, [], 0.0
        for k, ((rps, h), w) in enumerate(zip(traffic.phases, weights)):
            excess = max(0.0, rps - carried)
            before = max(0.0, traffic.phases[k - 1][0] - carried)
            if excess > 0:
                per_hour += w * function.serving_cost(burst.config, mean_ms, excess, prices, hours,
                                                      bytes_per_request).usd_per_hour
            share = (excess / rps) * cold_share(excess, before, mean_ms, h) if rps > 0 else 0.0
            tail = tail_bound(model, burst.config, sla.percentile or 95.0, share) if excess > 0 else None
            bound = max(endpoint_bound, tail[0] if tail else 0.0)
            worst = max(worst, bound)
            phases.append({"rps": round(rps, 4), "hours": round(h, 4), "to_endpoint": round(min(rps, carried), 4),
                           "to_function": round(excess, 4), "cold_share": round(share, 5), "upper_ms": round(bound, 3)})
        if not sla.met_by(worst) or (best is not None and per_hour >= best.cost.usd_per_hour):  # type: ignore[union-attr]
            continue
        endpoint = Config(base.config.platform, None, base.config.instance_type, count, base.config.architecture)
        best = Evaluated(endpoint, predicted=dict(base.predicted), cost=cost_over(per_hour, traffic.mean_rps, hours),
                         reach=worst, label=f"hybrid: {endpoint.key} + {burst.config.key} above {carried:.0f} rps",
                         detail={"hybrid": {"endpoint": endpoint.to_dict(), "endpoint_key": endpoint.key,
                                            "function": burst.config.to_dict(), "function_key": burst.config.key,
                                            "base_rps": round(carried, 3),
                                            "routing": routing_rule(carried, endpoint.key, burst.config.key)},
                                 "phases": phases})
    return best
