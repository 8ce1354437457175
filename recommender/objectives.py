"""What "best" means among the configs that meet the SLA.

- cost: the cheapest (the default).
- speed: the fastest (the lowest upper end of the predicted SLA metric) whose monthly cost is within a budget;
  the others are rejected as over it.
- balanced: the lowest weighted sum of cost and speed, each divided by its largest value among the configs that
  meet the SLA, with WEIGHT on cost and 1 - WEIGHT on speed (0.5 by default), the trade-off Lambda Power Tuning's
  balanced strategy makes.
"""

from __future__ import annotations

from typing import Callable

from recommender.search import Evaluated, SearchResult, _rank

OBJECTIVES = ("cost", "speed", "balanced")


def _month(e: Evaluated) -> float:
    return e.cost.usd_per_month if e.cost else float("inf")


def apply(result: SearchResult, objective: str, max_usd_month: float | None = None,
          weight: float = 0.5) -> SearchResult:
    """RESULT with its feasible configs ordered by OBJECTIVE (speed: over-budget configs rejected first)."""
    if objective == "cost":
        return result
    if objective == "speed":
        for e in result.considered:
            if e.meets and max_usd_month is not None and _month(e) > max_usd_month:
                e.reason = f"over the budget: ${_month(e):,.2f}/month > ${max_usd_month:,.2f}/month"
        result.order = lambda e: (e.reach if e.reach is not None else float("inf"), _month(e), e.key)
        return result
    meets = [e for e in result.considered if e.meets]
    top_cost = max((_month(e) for e in meets), default=1.0) or 1.0
    top_speed = max((e.reach or 0.0 for e in meets), default=1.0) or 1.0
    score: Callable[[Evaluated], tuple] = lambda e: (  # noqa: E731
        weight * _month(e) / top_cost + (1 - weight) * (e.reach or 0.0) / top_speed, *_rank(e))
    result.order = score
    return result
