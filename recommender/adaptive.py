"""Recommend from recorded measurements: explore the target with a few replayed trials, learn from history.

Pure: profiles in, decision out. `advisor recommend --measurements` and the decision-quality benchmark both
call `recommend_from_profiles`, so the benchmark measures exactly what users get.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from advisor.core import costs, platforms
from advisor.core.domain import SLA, Config, Profile
from advisor.core.prices import PriceTable
from recommender.explore import Exploration, choose, explore
from recommender.search import metric_for
from recommender.target import TargetModel
from recommender.transfer import Belief, metric_value


def cost_function(sla: SLA, rps: float, prices: PriceTable, hourly_overrides: dict[str, float]) -> Callable[[Config, float], float]:
    """USD per hour at RPS for latency SLAs, USD per run for deadlines; inf where a price is missing."""
    deadline = sla.kind == "deadline"

    def cost(config: Config, metric_ms: float) -> float:
        usd = platforms.of(config).objective_usd(config, metric_ms, deadline, rps, prices, hourly_overrides)
        return math.inf if usd is None else usd

    return cost


def vcpus_from(profiles: list[Profile]) -> Callable[[Config], float]:
    """The vCPUs of one unit of a config: the catalog's, or for an instance type it lacks, the figure the
    measurements give (the `vcpus` column): a property of the type, not of any run."""
    given = {p.config.instance_type: float(p.summary["vcpus"]) for p in profiles
             if p.config.instance_type and "vcpus" in p.summary}

    def vcpus(config: Config) -> float:
        if config.instance_type in given:
            return given[config.instance_type]
        return platforms.vcpus(config)

    return vcpus


def hourly_overrides(profiles: list[Profile]) -> dict[str, float]:
    """Instance prices the file itself gives (the `usd_per_hour` column): a property of the type, not the run."""
    out: dict[str, float] = {}
    for p in profiles:
        if p.config.instance_type and "usd_per_hour" in p.summary:
            out[p.config.instance_type] = float(p.summary["usd_per_hour"])
    return out


@dataclass
class AdaptiveResult:
    chosen: Config | None
    beliefs: dict[Config, Belief]
    exploration: Exploration
    metric: str
    cost: Callable[[Config, float], float]


def recommend_from_profiles(candidates: list[Config], history: list[Profile], trial: Callable[[Config], Profile],
                            sla: SLA, budget: int, confidence: float, cost: Callable[[Config, float], float],
                            vcpus_of: Callable[[Config], float] | None = None) -> AdaptiveResult:
    """Explore with at most BUDGET trials of the target, then choose. VCPUS_OF: the resources of each config (the
    catalog's by default)."""
    metric = metric_for(sla) or sla.metric
    model = TargetModel(candidates, history, metric, vcpus_of)
    first = model.first()

    def measured(config: Config) -> float:
        profile = trial(config)
        model.note(profile)
        return metric_value(profile, metric)

    def measured_or_failed(config: Config) -> float:
        value = measured(config)
        return math.inf if math.isnan(value) else value

    run = explore(first, model.condition, measured_or_failed, sla.limit_ms, cost, budget,
                  lambda observed, beliefs, left: model.propose(observed, beliefs, sla.limit_ms, left, confidence))
    beliefs = model.condition(run.observed)
    return AdaptiveResult(choose(beliefs, sla.limit_ms, cost, confidence), beliefs, run, metric, cost)


def evaluations(result: AdaptiveResult, sla: SLA, rps: float, hours_per_month: float, confidence: float,
                history_size: int) -> list:
    """Every candidate as a search.Evaluated (prediction, cost, reason), for the answer's shape."""
    from advisor.core.domain import Prediction
    from recommender.search import Evaluated

    out = []
    for config, belief in sorted(result.beliefs.items()):
        ev = Evaluated(config)
        if belief.measured:
            if not math.isfinite(belief.mu):
                ev.reason = "infeasible: it failed in its trial (failed, timed out or out of memory)"
                out.append(ev)
                continue
            value = math.exp(belief.mu)
            ev.predicted[result.metric] = Prediction(value, value, value, False, "measured (replayed trial)")
            usd = result.cost(config, value)
            if not sla.met_by(value):
                ev.reason = f"measured {result.metric.removesuffix('_ms')} {value:.1f} ms > {sla.limit_ms:g} ms"
        else:
            if belief.p_fail >= 1.0 or not math.isfinite(belief.mu):
                ev.reason = "predicted to fail: less memory than its trials needed, or every comparable workload failed on it"
                out.append(ev)
                continue
            tail = (1 - confidence) / 2
            value = math.exp(belief.mu)
            ev.predicted[result.metric] = Prediction(value, belief.quantile(tail), belief.quantile(1 - tail), False,
                                                     "predicted from the target's trials and the platform's physics"
                                                     + (f", with {history_size} history workloads" if history_size else ""))
            p = belief.p_within(sla.limit_ms)
            usd = result.cost(config, min(belief.quantile(confidence), sla.limit_ms))
            if p < confidence:
                ev.reason = (f"predicted to meet {sla.text} with probability {p:.0%} < {confidence:.0%}"
                             + (f" (fails on {belief.p_fail:.0%} of comparable workloads)" if belief.p_fail else ""))
        ev.reach = ev.predicted[result.metric].high
        if not math.isfinite(usd):
            ev.reason = ev.reason or "unpriced: no price for it in the file or the price table"
        else:
            ev.cost = _as_cost(config, usd, sla, rps, hours_per_month)
        out.append(ev)
    return out


def _as_cost(config: Config, usd: float, sla: SLA, rps: float, hours_per_month: float) -> costs.Cost:
    if sla.kind == "deadline":
        return costs.Cost(math.nan, None, usd, usd_total=usd, breakdown=(("run", usd),))
    return costs.Cost(usd, usd / (rps * 3.6), usd * hours_per_month)


def adaptive_trials(candidates: list[Config], first: Config, run_trial: Callable[[Config], Profile],
                    history: list[Profile], sla: SLA, budget: int, confidence: float,
                    cost: Callable[[Config, float], float]) -> tuple[list[Profile], Exploration]:
    """Live profiling with the same exploration as the replay: physics first, history where it predicts."""
    metric = metric_for(sla) or sla.metric
    profiles: list[Profile] = []
    model = TargetModel(candidates, history, metric)

    def trial(config: Config) -> float:
        profile = run_trial(config)
        profiles.append(profile)
        model.note(profile)
        value = metric_value(profile, metric)
        return math.inf if math.isnan(value) else value

    run = explore(first, model.condition, trial, sla.limit_ms, cost, budget,
                  lambda observed, beliefs, left: model.propose(observed, beliefs, sla.limit_ms, left, confidence))
    return profiles, run
