"""Percentiles and summaries shared by the profilers and importers."""

from __future__ import annotations

import math
from typing import Iterable

PERCENTILES = (50, 90, 95, 99)


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default), without numpy."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def latency_summary(values: Iterable[float], prefix: str = "") -> dict[str, float]:
    data = list(values)
    out = {f"{prefix}p{p}_ms": percentile(data, p) for p in PERCENTILES}
    out[f"{prefix}mean_ms"] = sum(data) / len(data) if data else math.nan
    out[f"{prefix}samples"] = float(len(data))
    return out
