"""The search: enumerate -> estimate -> filter by SLA -> price -> choose, keeping every rejection and its reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from advisor.core import catalog, costs
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

    @property
    def meets(self) -> bool:
        return self.reason is None and self.cost is not None


@dataclass
class SearchResult:
    sla: SLA
    rps: float
    considered: list[Evaluated]

    @property
    def feasible(self) -> list[Evaluated]:
        return sorted((e for e in self.considered if e.meets), key=_rank)

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
    return (round(cost, 12), e.reach or 0.0, e.config.key)


def _price(prices: PriceTable, key: str) -> float | None:
    return prices.usd(key)


def _unpriced(prices: PriceTable, key: str) -> str:
    return f"unpriced: the {prices.region} price table (as of {prices.as_of}) has no sourced price for it"


def evaluate(config: Config, model: PerformanceModel, sla: SLA, rps: float, prices: PriceTable,
             hours_per_month: float, bytes_per_request: float = 0.0) -> Evaluated:
    """Predict, check the SLA and price one candidate. The SLA check is `sla.met_by` on the interval's upper end."""
    ev = Evaluated(config)
    metric = metric_for(sla)
    if metric is None:
        ev.reason = f"no basis: p{sla.percentile:g} needs more invocations than a profile holds; use p99 or below"
        return ev
    if config.platform in ("lambda", "sagemaker-serverless"):
        return _evaluate_memory_sized(ev, model, sla, metric, rps, prices, hours_per_month, bytes_per_request)
    if config.platform == "sagemaker-realtime":
        return _evaluate_instance(ev, model, sla, metric, rps, prices, hours_per_month, bytes_per_request)
    ev.reason = f"{config.platform} is not an inference platform"
    return ev


def _evaluate_memory_sized(ev: Evaluated, model: PerformanceModel, sla: SLA, metric: str, rps: float,
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
    if config.platform == "lambda":
        gbs, req = _price(prices, f"lambda.{config.architecture}.gb_second"), _price(prices, "lambda.request")
        if gbs is None or req is None:
            ev.reason = _unpriced(prices, f"lambda.{config.architecture}.gb_second")
            return ev
        ev.cost = costs.lambda_inference(billed_ms, config.memory_mb or 0, rps, gbs, req, hours_per_month)
        limit, limit_name = catalog.LAMBDA_DEFAULT_CONCURRENCY, "Lambda's default regional concurrency"
    else:
        gbs, data = _price(prices, "sagemaker-serverless.gb_second"), _price(prices, "sagemaker-serverless.gb_processed")
        if gbs is None or data is None:
            ev.reason = _unpriced(prices, "sagemaker-serverless.gb_second")
            return ev
        ev.cost = costs.serverless_inference(billed_ms, config.memory_mb or 0, rps, gbs, hours_per_month,
                                             bytes_per_request, data)
        limit, limit_name = catalog.SERVERLESS_MAX_CONCURRENCY, "Serverless Inference's maximum concurrency"
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
    hourly = _price(prices, f"sagemaker.{config.instance_type}")
    if hourly is None:  # checked first: no prediction can make an unpriced type recommendable
        ev.reason = _unpriced(prices, f"sagemaker.{config.instance_type}")
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
    ev.cost = costs.sagemaker_realtime(int(count), hourly, rps, hours_per_month, bytes_per_request,
                                       _price(prices, "sagemaker.gb_processed") or 0.0)
    if not sla.met_by(latency.high):
        ev.reason = (f"predicted {metric.removesuffix('_ms')} {latency.value:.1f} ms (up to {latency.high:.1f} ms) "
                     f"> {sla.limit_ms:g} ms even at light load")
    return ev


def search(candidates: "list[Config] | tuple[Config, ...]", model: PerformanceModel, sla: SLA, rps: float, prices: PriceTable,
           hours_per_month: float, bytes_per_request: float = 0.0) -> SearchResult:
    considered = [evaluate(c, model, sla, rps, prices, hours_per_month, bytes_per_request) for c in candidates]
    return SearchResult(sla, rps, considered)
