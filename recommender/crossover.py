"""The crossover: across a range of traffic, the cheapest config of each platform family that meets the SLA, and the
traffic levels where the cheapest family changes, with the cost intervals carried through.

At each level the search runs as for one recommendation. A family's cost interval comes from its prediction
intervals: a per-request platform is billed for the mean duration, whose interval gives the cost's; an instance
platform needs between rps / (capacity's upper end) and rps / (capacity's lower end) instances. A crossover is
located by bisection between the two grid levels around it, and its interval is the traffic over which the two
families' cost intervals overlap (where the data cannot tell which is cheaper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from advisor.core import costs, platforms
from advisor.core.domain import SLA, Config
from recommender.search import Evaluated, SearchResult


@dataclass(frozen=True)
class FamilyCost:
    """A family's cheapest config meeting the SLA at one traffic level."""

    family: str
    key: str
    config: Config
    usd_per_month: float
    low: float  # the cost interval, USD per month
    high: float
    upper_ms: float | None  # the predicted bound metric's upper end

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "config": self.config.to_dict(), "usd_per_month": round(self.usd_per_month, 4),
                "usd_per_month_interval": [round(self.low, 4), round(self.high, 4)],
                "upper_ms": round(self.upper_ms, 3) if self.upper_ms is not None else None}


def cost_interval(ev: Evaluated, rps: float, prices: Any, hours: float, bytes_per_request: float) -> tuple[float, float]:
    """(low, high) monthly cost of a config that meets the SLA, from its prediction intervals."""
    assert ev.cost is not None
    platform = platforms.of(ev.config)
    if platform.serving == "per-request":
        mean = ev.predicted.get("mean_ms")
        if mean is None:
            return ev.cost.usd_per_month, ev.cost.usd_per_month
        ends = [platform.serving_cost(ev.config, ms, rps, prices, hours, bytes_per_request).usd_per_month
                for ms in (mean.low, mean.high)]
        return min(ends + [ev.cost.usd_per_month]), max(ends + [ev.cost.usd_per_month])
    capacity = ev.predicted.get("capacity_rps")
    if capacity is None:
        return ev.cost.usd_per_month, ev.cost.usd_per_month
    fewest = costs.instances_needed(rps, capacity.high)
    fewer = Config(ev.config.platform, None, ev.config.instance_type, int(fewest), ev.config.architecture)
    latency = next(iter(ev.predicted.values()))
    low = platform.serving_cost(fewer, latency.value, rps, prices, hours, bytes_per_request).usd_per_month
    return min(low, ev.cost.usd_per_month), ev.cost.usd_per_month


def cheapest_by_family(result: SearchResult, prices: Any, hours: float,
                       bytes_per_request: float = 0.0) -> dict[str, FamilyCost]:
    out: dict[str, FamilyCost] = {}
    for ev in result.feasible:  # cheapest first
        family = ev.config.platform
        if family in out:
            continue
        low, high = cost_interval(ev, result.rps, prices, hours, bytes_per_request)
        out[family] = FamilyCost(family, ev.config.key, ev.config, ev.cost.usd_per_month, low, high,  # type: ignore[union-attr]
                                 ev.reach)
    return out


def levels(low: float, high: float, per_decade: int) -> list[float]:
    """A logarithmic grid from LOW to HIGH requests per second, PER_DECADE points a decade, both ends included."""
    steps = max(1, math.ceil(math.log10(high / low) * per_decade))
    return [low * (high / low) ** (k / steps) for k in range(steps + 1)]


@dataclass
class Sweep:
    """The cheapest config of each family at every traffic level, and where the cheapest family changes."""

    sla: SLA
    points: list[tuple[float, dict[str, FamilyCost]]]
    crossovers: list[dict[str, Any]]


def cheapest(families: dict[str, FamilyCost]) -> FamilyCost | None:
    return min(families.values(), key=lambda f: (f.usd_per_month, f.key)) if families else None


def sweep(at: Callable[[float], dict[str, FamilyCost]], sla: SLA, grid: list[float], tolerance: float = 0.01) -> Sweep:
    """AT(rps) gives each family's cheapest config at that traffic; the crossovers are refined by bisection to
    within TOLERANCE (a ratio) of the traffic where the cheapest family changes."""
    points = [(rps, at(rps)) for rps in grid]
    crossovers: list[dict[str, Any]] = []
    for (r0, f0), (r1, f1) in zip(points, points[1:]):
        a, b = cheapest(f0), cheapest(f1)
        if a is None or b is None or a.family == b.family:
            continue
        lo, hi = r0, r1
        while hi / lo > 1 + tolerance:
            mid = math.sqrt(lo * hi)
            c = cheapest(at(mid))
            if c is not None and c.family == a.family:
                lo = mid
            else:
                hi = mid
        crossovers.append({"rps": round(math.sqrt(lo * hi), 4), "from": a.family, "to": b.family,
                           "from_key": a.key, "to_key": b.key,
                           "rps_interval": _overlap(points, a.family, b.family, math.sqrt(lo * hi))})
    return Sweep(sla, points, crossovers)


def _overlap(points: list[tuple[float, dict[str, FamilyCost]]], a: str, b: str, at: float) -> list[float]:
    """The traffic around AT (within a decade either side) over which A's and B's cost intervals overlap: where
    the measurements cannot tell which family is cheaper."""
    near = [r for r, fams in points if at / 10 <= r <= at * 10 and a in fams and b in fams
            and fams[a].low <= fams[b].high and fams[b].low <= fams[a].high]
    return [round(min(near + [at]), 4), round(max(near + [at]), 4)]
