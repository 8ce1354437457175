"""Which config to profile next, and when to stop.

The next trial is the config with the largest expected reduction in the cost of the chosen configuration under
the SLA: the probability that it meets the SLA times how much cheaper than the best verified config it would be
(CherryPick's expected improvement with a constraint). Profiling stops when no config is expected to improve the
choice by more than a small fraction, or when the budget is spent. The same loop serves replayed and live trials.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from advisor.core.domain import Config
from recommender.transfer import Belief

CostFn = Callable[[Config, float], float]  # (config, metric in ms) -> USD in the unit being minimised
STOP_FRACTION = 0.01  # stop when the best expected improvement is under 1% of the current cost


def expected_improvement(config: Config, belief: Belief, limit: float, cost: CostFn, reference: float) -> float:
    """E[(reference - cost) if the config runs and meets the limit, else 0], over the belief's quantiles."""
    values = belief.samples()
    if not values:
        return 0.0
    gains = [max(0.0, reference - cost(config, t)) for t in values if t <= limit]
    return (1.0 - belief.p_fail) * sum(gains) / len(values)


def best_verified(observed: dict[Config, float], limit: float, cost: CostFn) -> tuple[Config, float] | None:
    met = [(cost(c, v), c) for c, v in observed.items() if math.isfinite(v) and v <= limit]
    if not met:
        return None
    usd, config = min(met, key=lambda x: (x[0], x[1]))
    return config, usd


def next_config(beliefs: dict[Config, Belief], observed: dict[Config, float], limit: float,
                cost: CostFn) -> tuple[Config, float] | None:
    """(config, expected improvement) of the most promising untried config, or None when none promises."""
    best = best_verified(observed, limit, cost)
    untried = [c for c in beliefs if c not in observed]
    if not untried:
        return None
    if best:
        reference = best[1]
    else:  # nothing verified yet: any config that meets the limit improves on "no answer"
        reference = max((cost(c, limit) for c in untried), default=0.0) * 1.01 + 1e-12
    scored = [(expected_improvement(c, beliefs[c], limit, cost, reference), c) for c in untried]
    score, config = max(scored, key=lambda x: (x[0], x[1]))
    if score <= 0 or (best and score < STOP_FRACTION * best[1]):
        return None
    return config, score


@dataclass
class Exploration:
    observed: dict[Config, float] = field(default_factory=dict)  # metric in ms; inf for a failed trial
    order: list[Config] = field(default_factory=list)
    stopped_because: str = ""


def explore(first: Config, condition: Callable[[dict[Config, float]], dict[Config, Belief]],
            trial: Callable[[Config], float], limit: float, cost: CostFn, budget: int,
            propose: Callable[[dict[Config, float], dict[Config, Belief], int], Config | None] | None = None
            ) -> Exploration:
    """Profile FIRST, then keep profiling the most promising config until nothing promises or BUDGET is spent.
    PROPOSE, when given, may name the next trial instead (the SLA-directed search of a model that leads on
    physics); when it names none, the expected improvement decides."""
    run = Exploration()
    config: Config | None = first
    while config is not None and len(run.order) < budget:
        run.observed[config] = trial(config)
        run.order.append(config)
        if len(run.order) >= budget:
            run.stopped_because = f"budget of {budget} trials spent"
            break
        beliefs = condition(run.observed)
        proposed = propose(run.observed, beliefs, budget - len(run.order)) if propose else None
        step = (proposed, 0.0) if proposed is not None else next_config(beliefs, run.observed, limit, cost)
        config = step[0] if step else None
        if config is None:
            run.stopped_because = "no untried config is expected to lower the cost by 1% or more"
    return run


def choose(beliefs: dict[Config, Belief], limit: float, cost: CostFn, confidence: float) -> Config | None:
    """The cheapest config that meets the limit: measured, or predicted to with at least CONFIDENCE."""
    options = []
    for c, b in beliefs.items():
        if b.measured:
            if math.isfinite(b.mu) and math.exp(b.mu) <= limit * (1 + 1e-12):
                options.append((cost(c, math.exp(b.mu)), 0, c))
        elif b.p_within(limit) >= confidence:
            options.append((cost(c, min(b.quantile(confidence), limit)), 1, c))
    return min(options, key=lambda x: (x[0], x[1], x[2]))[2] if options else None
