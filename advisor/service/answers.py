"""Turn a search result into the recommendation JSON of DESIGN.md's contract. Pure formatting, no I/O."""

from __future__ import annotations

import math
from typing import Any

from advisor.core.domain import SLA, Prediction


def _r(value: float | None) -> float | None:
    """Round to 6 significant digits: answers carry measurements, not float noise. Not a number: None (JSON null)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}")


def predicted(ev: Any, bound_metric: str) -> dict[str, Any]:
    """{metric: value, metric_interval: [lo, hi], ..., "interval": the SLA metric's, "extrapolated", "how"}."""
    out: dict[str, Any] = {}
    how: dict[str, str] = {}
    for name, p in ev.predicted.items():
        out[name] = _r(p.value)
        out[name + "_interval"] = [_r(p.low), _r(p.high)]
        how[name] = p.basis
    bound: Prediction | None = ev.predicted.get(bound_metric)
    if bound is not None:
        out["interval"] = [_r(bound.low), _r(bound.high)]
        out["extrapolated"] = bound.extrapolated
    out["how"] = how
    return out


def cost(ev: Any) -> dict[str, Any] | None:
    if ev.cost is None:
        return None
    c = ev.cost
    return {"usd_per_hour": _r(c.usd_per_hour), "usd_per_1k_requests": _r(c.usd_per_1k_requests),
            "usd_per_month": _r(c.usd_per_month), "usd_total": _r(c.usd_total),
            ("breakdown_usd_total" if c.usd_total is not None else "breakdown_usd_per_hour"):
                {k: _r(v) for k, v in c.breakdown}}


def option(ev: Any, bound_metric: str) -> dict[str, Any]:
    out = {"config": ev.config.to_dict(), "key": ev.key, "predicted": predicted(ev, bound_metric), "cost": cost(ev)}
    if ev.detail.get("hybrid"):
        out["hybrid"] = ev.detail["hybrid"]
    return out


def rejection(ev: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"config": ev.config.to_dict(), "key": ev.key, "reason": ev.reason}
    if ev.reach is not None and math.isfinite(ev.reach):
        row["upper_ms"] = _r(ev.reach)
    if ev.cost is not None:
        row["usd_per_month"] = _r(ev.cost.usd_per_month)
        if ev.cost.usd_total is not None:
            row["usd_total"] = _r(ev.cost.usd_total)
    return row


def traffic_summary(traffic: Any, most_phases: int = 48) -> dict[str, Any]:
    """The traffic an answer was priced over; its phases when there are few enough to read."""
    data = traffic.to_dict()
    if len(traffic.phases) > most_phases:
        data["phases"] = f"{len(traffic.phases)} phases (not listed)"
    return data


def recommendation(rec_id: str, workload_id: str, sla: SLA, result: Any, bound_metric: str, trials: list[dict],
                   basis: dict[str, Any]) -> dict[str, Any]:
    chosen = result.chosen
    over = {"over_traffic": chosen.detail} if getattr(chosen, "detail", None) else {}
    return {
        "id": rec_id, "workload": workload_id, "sla": sla.to_dict(), **over,
        "chosen": dict(chosen.config.to_dict(), key=chosen.key,
                       **({"hybrid": chosen.detail["hybrid"]} if chosen.detail.get("hybrid") else {})),
        "predicted": predicted(chosen, bound_metric),
        "cost": cost(chosen),
        "trials": trials,
        "alternatives": [option(e, bound_metric) for e in result.feasible[1:]],
        "rejected": [rejection(e) for e in result.rejected],
        "pareto": [e.key for e in result.pareto()],
        "basis": basis,
    }


def closest(result: Any) -> list[dict[str, Any]]:
    return [{"config": e.config.to_dict(), "key": e.key, "reaches_ms": _r(e.reach), "reason": e.reason}
            for e in result.closest()]


def basis(request: Any, table: Any, profiles: list[Any], model: str, **more: Any) -> dict[str, Any]:
    """What an answer rests on: profiles, prices, model, confidence, what was assumed; MORE adds or overrides."""
    notes = []
    if any(p.method.startswith("local:") for p in profiles):
        notes.append("local profiles emulate Lambda's CPU share and instance vCPUs on this machine's CPUs; "
                     "they are not measurements on AWS hardware")
    import datetime as dt

    stale = table.staleness(dt.datetime.now(dt.timezone.utc).date().isoformat())
    if stale:
        notes.append(stale)
    out = {"profiles": len(profiles), "prices_as_of": table.as_of, "region": table.region, "model": model,
           "confidence": request.confidence, "measured_by": sorted({p.method for p in profiles}),
           "rps_assumed": request.rps is None, "seed": request.seed, "notes": notes}
    out.update(more)
    return out


def raise_if_none_meets(result: Any, request: Any, basis: dict[str, Any], hint: str) -> None:
    """The one "no feasible config" error: the closest candidates and the basis travel with it."""
    from advisor.core.errors import NoFeasibleConfig

    if result.chosen is None:
        sla = request.sla
        near = closest(result)
        traffic = getattr(request, "traffic", None)
        where = (f" over {traffic.source}" if traffic is not None else f" at {request.rps:g} rps" if request.rps
                 else "")
        raise NoFeasibleConfig(f"no candidate meets {sla.text}{where}",
                               hint=hint + ("; the closest configs are listed" if near else
                                            "; why the candidates were rejected is listed"),
                               fields={"sla": "not met by any candidate"},
                               extra={"closest": near, "reasons": rejection_reasons(result), "basis": basis})


def rejection_reasons(result: Any, most: int = 5) -> list[dict[str, Any]]:
    """The commonest reasons candidates were rejected, each with how many and one example config."""
    groups: dict[str, list[str]] = {}
    for e in result.rejected:
        groups.setdefault(e.reason or "no price", []).append(e.config.key)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))[:most]
    return [{"reason": reason, "configs": len(keys), "example": keys[0]} for reason, keys in ranked]


def profile_dict(p: Any) -> dict[str, Any]:
    return {"config": p.config.to_dict(), "key": p.config.key, "method": p.method, "feasible": p.feasible,
            "note": p.note, "summary": p.summary, "measurements": len(p.measurements)}
