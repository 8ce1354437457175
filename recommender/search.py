"""The search: enumerate -> estimate -> filter by SLA -> price -> choose, keeping every rejection and its reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from advisor.core import catalog, costs, platforms
from advisor.core.platforms import Footprint, Unpriced
from advisor.core.domain import Config, Prediction, SLA
from advisor.core.prices import PriceTable
from recommender.model import PerformanceModel, Unpredictable

FITTED_PERCENTILES = (50, 90, 95, 99)


def metric_for(sla: SLA) -> str | None:
    """The fitted metric that bounds the SLA's percentile from above (p97 is judged by p99), or None."""
    if sla.kind == "deadline":
        return "duration_ms"
    for p in FITTED_PERCENTILES:
        if (sla.percentile or 0) <= p + 1e-9:
            return f"p{p}_ms"
    return None


@dataclass
class Evaluated:
    """One candidate after the search looked at it."""

    config: Config
    predicted: dict[str, Prediction] = field(default_factory=dict)
    cost: costs.Cost | None = None
    reason: str | None = None  # why it was rejected; None if it meets the SLA
    reach: float | None = None  # the predicted bound metric (upper end), for "closest" answers
    detail: dict = field(default_factory=dict)  # over traffic: each phase, the instances' sizing, a hybrid's parts
    label: str | None = None  # how to name it when its config alone does not (a hybrid)

    @property
    def key(self) -> str:
        return self.label or self.config.key

    @property
    def meets(self) -> bool:
        return self.reason is None and self.cost is not None


@dataclass
class SearchResult:
    sla: SLA
    rps: float
    considered: list[Evaluated]
    order: Callable[[Evaluated], Any] | None = None  # the objective's order (recommender/objectives.py); cost if None

    @property
    def feasible(self) -> list[Evaluated]:
        return sorted((e for e in self.considered if e.meets), key=self.order or _rank)

    @property
    def chosen(self) -> Evaluated | None:
        feasible = self.feasible
        return feasible[0] if feasible else None

    @property
    def rejected(self) -> list[Evaluated]:
        return [e for e in self.considered if not e.meets]

    def closest(self, n: int = 3) -> list[Evaluated]:
        near = [e for e in self.considered if e.reach is not None and math.isfinite(e.reach)]
        return sorted(near, key=lambda e: (e.reach, e.cost.usd_per_hour if e.cost else math.inf))[:n]

    def pareto(self) -> list[Evaluated]:
        """Candidates no other beats on both cost and the predicted bound metric."""
        points = sorted((e for e in self.considered if e.cost is not None and e.reach is not None),
                        key=lambda e: (e.cost.usd_per_hour, e.reach))  # type: ignore[union-attr]
        front: list[Evaluated] = []
        best = math.inf
        for e in points:
            if e.reach < best:  # type: ignore[operator]
                front.append(e)
                best = e.reach  # type: ignore[assignment]
        return front


def _rank(e: Evaluated) -> tuple[float, float, str]:
    cost = e.cost.usd_total if e.cost and e.cost.usd_total is not None else e.cost.usd_per_hour  # type: ignore[union-attr]
    return (round(cost, 12), e.reach or 0.0, e.key)


def _unpriced(prices: PriceTable, key: str) -> str:
    return f"unpriced: the {prices.region} price table (as of {prices.as_of}) has no sourced price for it"


def evaluate(config: Config, model: PerformanceModel, sla: SLA, rps: float, prices: PriceTable,
             hours_per_month: float, bytes_per_request: float = 0.0, footprint: Footprint = Footprint()) -> Evaluated:
    """Predict, check the SLA and price one candidate. The SLA check is `sla.met_by` on the interval's upper end;
    a platform limit the workload's FOOTPRINT breaks (package, payload) rejects it before any prediction."""
    ev = Evaluated(config)
    ev.reason = platforms.of(config).refuses(config, footprint)
    if ev.reason:
        return ev
    metric = metric_for(sla)
    if metric is None:
        ev.reason = f"no basis: p{sla.percentile:g} needs more invocations than a profile holds; use p99 or below"
        return ev
    serving = platforms.of(config).serving
    if serving == "per-request":
        return _evaluate_per_request(ev, model, sla, metric, rps, prices, hours_per_month, bytes_per_request)
    if serving == "instances":
        return _evaluate_instance(ev, model, sla, metric, rps, prices, hours_per_month, bytes_per_request)
    ev.reason = f"{config.platform} is not an inference platform"
    return ev


def _evaluate_per_request(ev: Evaluated, model: PerformanceModel, sla: SLA, metric: str, rps: float,
                           prices: PriceTable, hours_per_month: float, bytes_per_request: float) -> Evaluated:
    config = ev.config
    bound = model.predict(config, metric)
    mean = model.predict(config, "mean_ms")
    if isinstance(bound, Unpredictable):
        ev.reason = bound.reason
        return ev
    ev.predicted[metric] = bound
    if not isinstance(mean, Unpredictable):
        ev.predicted["mean_ms"] = mean
    cold = model.predict(config, "cold_start_ms")
    if not isinstance(cold, Unpredictable):
        ev.predicted["cold_start_ms"] = cold
    ev.reach = bound.high
    billed_ms = (mean if not isinstance(mean, Unpredictable) else bound).value
    platform = platforms.of(config)
    try:
        ev.cost = platform.serving_cost(config, billed_ms, rps, prices, hours_per_month, bytes_per_request)
    except Unpriced as missing:
        ev.reason = _unpriced(prices, missing.key)
        return ev
    limit, limit_name = platform.concurrency_limit or (math.inf, "no limit")
    needed = costs.lambda_concurrency(billed_ms, rps)
    if needed > limit:
        ev.reason = f"needs {needed:.0f} concurrent executions at {rps:g} rps, over {limit_name} ({limit})"
    elif not sla.met_by(bound.high):
        ev.reason = (f"predicted {metric.removesuffix('_ms')} {bound.value:.1f} ms (up to {bound.high:.1f} ms at "
                     f"{model.confidence:.0%}) > {sla.limit_ms:g} ms")
    return ev


def _evaluate_instance(ev: Evaluated, model: PerformanceModel, sla: SLA, metric: str, rps: float,
                       prices: PriceTable, hours_per_month: float, bytes_per_request: float) -> Evaluated:
    config = ev.config
    platform = platforms.of(config)
    if platform.hourly_usd(config, prices) is None:  # checked first: no prediction makes an unpriced type fit
        ev.reason = _unpriced(prices, platform.price_key(config, prices))
        return ev
    latency = model.predict(config, metric)
    if isinstance(latency, Unpredictable):
        ev.reason = latency.reason
        return ev
    ev.predicted[metric] = latency
    ev.reach = latency.high
    capacity = model.capacity(config, sla)
    if isinstance(capacity, Unpredictable):
        ev.reason = capacity.reason
        return ev
    ev.predicted["capacity_rps"] = capacity
    count = costs.instances_needed(rps, capacity.low)
    if count > catalog.SAGEMAKER_MAX_INSTANCE_COUNT:
        ev.reason = (f"needs {count} instances for {rps:g} rps at {capacity.low:.1f} rps each "
                     f"(search bound {catalog.SAGEMAKER_MAX_INSTANCE_COUNT})")
        return ev
    ev.config = Config(config.platform, None, config.instance_type, int(count), config.architecture)
    ev.cost = platform.serving_cost(ev.config, latency.value, rps, prices, hours_per_month, bytes_per_request)
    if not sla.met_by(latency.high):
        ev.reason = (f"predicted {metric.removesuffix('_ms')} {latency.value:.1f} ms (up to {latency.high:.1f} ms) "
                     f"> {sla.limit_ms:g} ms even at light load")
    return ev


def search(candidates: "list[Config] | tuple[Config, ...]", model: PerformanceModel, sla: SLA, rps: float, prices: PriceTable,
           hours_per_month: float, bytes_per_request: float = 0.0, footprint: Footprint = Footprint()) -> SearchResult:
    considered = [evaluate(c, model, sla, rps, prices, hours_per_month, bytes_per_request, footprint)
                  for c in candidates]
    return SearchResult(sla, rps, considered)
