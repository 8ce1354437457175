"""What local and AWS training runs share: putting stopped workers back at one step, and what a run of Lambda
workers measured and cost."""

from __future__ import annotations

from typing import Any

from advisor.core import costs, platforms
from advisor.core.domain import Config


def align_checkpoints(checkpoints: Any, run_id: str, workers: int) -> int:
    """Put every worker at the step of the least advanced one, and return it. Workers checkpoint at their own
    moments, so a run stopped by a kill leaves them at different steps; as every worker holds the same weights and
    optimizer state at a given step (they apply the same averaged gradient), the least advanced one's checkpoint
    is every worker's, and the resumed run is the uninterrupted one. CHECKPOINTS: a folder's or S3's."""
    saved = {w: checkpoints.load(run_id, w) for w in range(workers)}
    if not any(saved.values()):
        return 0
    if not all(saved.values()):  # a worker never checkpointed: every one starts over
        for w in range(workers):
            checkpoints.delete(checkpoints.key(run_id, w))
        return 0
    behind = min(saved, key=lambda w: saved[w][0])  # type: ignore[index]
    data = checkpoints._read(checkpoints.key(run_id, behind))
    for w in range(workers):
        if w != behind:
            checkpoints._write(checkpoints.key(run_id, w), data)
    return saved[behind][0]  # type: ignore[index]


def predicted_s(rec: dict[str, Any] | None) -> float | None:
    """The run's duration the recommendation predicted, in seconds (None without one)."""
    duration = (rec or {}).get("predicted", {}).get("duration_ms")
    return duration / 1000.0 if duration else None


def measured_on_lambda(run_id: str, config: Config, steps: int, results: list[dict[str, Any]], seconds: float,
                       rec: dict[str, Any] | None, billed_ms: float | None = None,
                       channel_usd: float | None = None) -> dict[str, Any]:
    """What the run measured and what it cost, beside what the recommendation predicted. BILLED_MS: a worker's
    Lambda time where it was measured apart from the wall time (on AWS); CHANNEL_USD: the channel's requests."""
    import statistics

    from advisor.core import prices as price_tables

    table = price_tables.from_settings()
    gbs, req = platforms.of(config).unit_prices(config, table)
    invocations = max(r["invocations"] for r in results)
    cost = costs.training_on_lambda(config.instance_count, config.memory_mb or 0,
                                    seconds * 1000 if billed_ms is None else billed_ms, invocations, gbs, req,
                                    channel_request_usd=channel_usd or 0.0)
    step_ms = [ms for r in results for ms in r["step_ms"]]
    losses = results[0].get("losses") or []
    return {"config": config.to_dict(), "key": config.key, "steps": steps, "measured_s": round(seconds, 3),
            "step_ms_median": round(statistics.median(step_ms), 3) if step_ms else None,
            "invocations_per_worker": invocations, "loss_first": losses[0] if losses else None,
            "loss_last": losses[-1] if losses else None,
            "usd_measured": round(cost.usd_total or 0.0, 6), "usd_measured_note": (
                "Lambda compute and requests at the measured time (local: emulated on this machine); channel "
                "charges not included" if channel_usd is None else "Lambda compute of every invocation, requests, "
                "and the channel's requests"),
            "predicted_s": None if predicted_s(rec) is None else round(predicted_s(rec), 3),
            "step_ms_predicted": rec["predicted"].get("iteration_ms") if rec else None,
            "usd_predicted": rec["cost"]["usd_total"] if rec else None, "run": run_id}


def clear_channel(spec: dict[str, Any] | None, run_id: str) -> int:
    """Remove what the run left in its channel (S3 keeps every step's objects until they are deleted); the number
    of items removed. Never fails the run: a store that cannot be reached now keeps them, as it would have."""
    if not spec or spec.get("kind") != "s3":
        return 0
    from advisor.workloads.serverless_training.handler import make_channel

    try:
        return make_channel(spec).clear(run_id)
    except Exception:  # noqa: BLE001 - housekeeping: the run's outcome stands
        return 0

