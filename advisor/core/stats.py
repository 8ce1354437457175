"""Percentiles and summaries shared by the profilers and importers."""

from __future__ import annotations

import math
from typing import Any, Iterable

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


def invocation_summary(measurements: Iterable[Any]) -> dict[str, Any]:
    """The figures every profile of invocations carries: warm percentiles (all successful ones when none is
    warm), the mean duration, cold starts apart (init plus the first invocation), peak memory, billed duration,
    and the error count."""
    ms = list(measurements)
    warm = [m.duration_ms for m in ms if not m.cold and not m.failed]
    ok = [m.duration_ms for m in ms if not m.failed]
    summary: dict[str, Any] = latency_summary(warm or ok)
    summary["duration_ms"] = sum(ok) / len(ok) if ok else math.nan
    summary["errors"] = float(sum(1 for m in ms if m.failed))
    cold = [m for m in ms if m.cold and not m.failed]
    if cold:
        summary["cold_start_ms"] = sum((m.init_duration_ms or 0.0) + m.duration_ms for m in cold) / len(cold)
        summary["cold_samples"] = float(len(cold))
    peaks = [m.max_memory_used_mb for m in ms if m.max_memory_used_mb]
    if peaks:
        summary["max_memory_used_mb"] = max(peaks)
    billed = [m.billed_duration_ms for m in ms if m.billed_duration_ms and not m.cold and not m.failed]
    if billed:
        summary["billed_mean_ms"] = sum(billed) / len(billed)
    return summary
