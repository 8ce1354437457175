"""Drift: do fresh measurements still fall inside what the model predicted? And what does that mean for the
deployed config: Compute Optimizer's labels (optimized, over-provisioned, under-provisioned, insufficient data)."""

from __future__ import annotations

from typing import Any

from advisor.core.domain import Profile

MIN_MEASUREMENTS = 10  # fewer fresh invocations than this cannot tell drift from noise


def check(model: Any, fresh: Profile, metric: str) -> dict[str, Any]:
    """Compare FRESH's METRIC with MODEL's interval for its config (the model fitted before FRESH arrived)."""
    observed = fresh.summary.get(metric)
    count = len(fresh.measurements) or int(fresh.summary.get("count", 0))
    row: dict[str, Any] = {"config": fresh.config.key, "metric": metric, "observed": observed, "count": count}
    if observed is None or count < MIN_MEASUREMENTS:
        return row | {"drift": False, "enough": False, "why": f"{count} fresh measurements (< {MIN_MEASUREMENTS})"}
    predicted = model.predict(fresh.config, metric) if model is not None else None
    if predicted is None or not hasattr(predicted, "low"):
        return row | {"drift": False, "enough": True, "why": "no prediction to compare with (a new config)"}
    outside = not predicted.low <= observed <= predicted.high
    direction = "slower" if observed > predicted.high else "faster" if observed < predicted.low else "within"
    return row | {"drift": outside, "enough": True, "interval": [predicted.low, predicted.high],
                  "why": f"{metric} {observed:.1f} ms is {direction} than the interval "
                         f"[{predicted.low:.1f}, {predicted.high:.1f}] ms"}


def finding(current_key: str | None, current_meets: bool | None, current_usd_month: float | None,
            chosen_key: str | None, chosen_usd_month: float | None, enough: bool) -> tuple[str, float | None]:
    """(label, estimated monthly saving of moving to the chosen config)."""
    if not enough or current_key is None or chosen_key is None:
        return "insufficient data", None
    saving = (current_usd_month - chosen_usd_month) if None not in (current_usd_month, chosen_usd_month) else None
    if current_meets is False:
        return "under-provisioned", saving
    if current_key == chosen_key:
        return "optimized", 0.0
    return "over-provisioned", saving
