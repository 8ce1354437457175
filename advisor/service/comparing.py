"""Comparing platform families over a range of traffic: where Lambda stops being the cheapest (the crossover)."""

from __future__ import annotations

import math
import re
from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import SLA
from advisor.core.errors import BadInput, NoFeasibleConfig
from advisor.service.common import _number, _workload_and_version, answerable, confidence_of, parse_platforms

DEFAULT_RANGE = (0.1, 5000.0)
_RANGE = re.compile(r"^\s*([0-9.eE+-]+)\s*\.\.\s*([0-9.eE+-]+)\s*$")


def parse_range(text: Any) -> tuple[float, float]:
    """'LOW..HIGH' requests per second, e.g. '0.1..5000'."""
    if text in (None, ""):
        return DEFAULT_RANGE
    match = _RANGE.match(str(text))
    try:
        low, high = (float(match[1]), float(match[2])) if match else (math.nan, math.nan)
    except ValueError:
        low, high = math.nan, math.nan
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high <= 1e7):
        raise BadInput(f"cannot read the traffic range {str(text)[:40]!r}", hint="LOW..HIGH requests per second, "
                       "0 < LOW < HIGH <= 10,000,000, e.g. 0.1..5000", fields={"rps_range": "invalid"})
    return low, high


def compare(body: dict[str, Any]) -> dict[str, Any]:
    """Each family's cheapest config meeting the SLA at every traffic level of the range, and the crossovers."""
    from advisor.core import prices as price_tables
    from advisor.service.recommending import fitted_model
    from advisor.service.workloads import footprint
    from recommender.crossover import cheapest, cheapest_by_family, levels, sweep
    from recommender.search import search

    workload_id, version = _workload_and_version(body)
    if not body.get("sla") or not isinstance(body.get("sla"), str):
        raise BadInput("sla is required", hint="e.g. 'p95<=250ms'", fields={"sla": "required"})
    sla = answerable(SLA.parse(body["sla"]))
    if sla.kind != "latency":
        raise BadInput("compare answers latency SLAs over traffic", hint="e.g. --sla 'p95<=250ms'",
                       fields={"sla": "not a latency SLA"})
    low, high = parse_range(body.get("rps_range"))
    per_decade = _number(body, "points_per_decade", 12, int, 2)
    if per_decade > 100:
        raise BadInput("points_per_decade is at most 100", hint="e.g. 12", fields={"points_per_decade": "too many"})
    confidence = confidence_of(body)
    families = parse_platforms(body.get("platform")) if body.get("platform") else platforms.searched_by_default()
    model, profiles = fitted_model(workload_id, confidence, version)
    if not profiles:
        raise NoFeasibleConfig(f"workload {workload_id!r} has no profiles yet",
                               hint=f"run `advisor profile --workload {workload_id}` first",
                               fields={"workload": "no profiles"})
    candidates = platforms.candidates(families)
    table = price_tables.from_settings()
    hours = float(settings.get("HOURS_PER_MONTH"))
    fp = footprint(workload_id)

    def at(rps: float) -> dict[str, Any]:
        result = search(candidates, model, sla.at(rps), rps, table, hours, fp.request_bytes, fp)
        return cheapest_by_family(result, table, hours, fp.request_bytes)

    traffic = None
    if body.get("traffic") not in (None, ""):
        from advisor.core.traffic import parse as parse_traffic

        traffic = parse_traffic(body["traffic"])
    found = sweep(at, sla, levels(low, high, per_decade))
    rows = []
    for rps, fams in found.points:
        best = cheapest(fams)
        rows.append({"rps": round(rps, 4), "cheapest": best.family if best else None,
                     "families": {f: fams[f].to_dict() if f in fams else None for f in families}})
    return {"workload": workload_id, "sla": sla.text, "rps_range": [low, high], "families": list(families),
            "confidence": confidence, "levels": rows, "crossovers": found.crossovers, "changes": zones(found.crossovers),
            "summary": _summary(rows, found.crossovers),
            **({"traffic": traffic.to_dict()} if traffic is not None else {}),
            "basis": {"profiles": len(profiles), "prices_as_of": table.as_of, "region": table.region,
                      "measured_by": sorted({p.method for p in profiles})}}


def zones(crossovers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Crossovers that fall inside the first one's overlap interval are one change of family: instance counts step
    (ceil(rps / capacity)), so near a crossover the cheapest family can alternate before it settles."""
    out: list[dict[str, Any]] = []
    for c in crossovers:
        last = out[-1] if out else None
        if last and c["rps"] <= last["rps_interval"][1]:
            last.update({"to": c["to"], "to_key": c["to_key"], "until_rps": c["rps"], "alternations": last["alternations"] + 1})
        else:
            out.append({**c, "until_rps": c["rps"], "alternations": 1})
    return [z for z in out if z["from"] != z["to"]] if out else []


def _summary(rows: list[dict[str, Any]], crossovers: list[dict[str, Any]]) -> str:
    """One sentence: which family is cheapest where."""
    if not any(r["cheapest"] for r in rows):
        return "no family meets the SLA anywhere in the range"
    changes = zones(crossovers)
    if not changes:
        family = next(r["cheapest"] for r in rows if r["cheapest"])
        return f"{family} is the cheapest across the range where anything meets the SLA"
    first = changes[0]
    parts = [f"{first['from']} ({first['from_key']}) is cheapest below {first['rps']:.4g} rps"]
    for k, z in enumerate(changes):
        start = z["until_rps"]
        between = (f" (between {z['rps']:.4g} and {start:.4g} rps the two alternate as instance counts step)"
                   if z["alternations"] > 1 else "")
        upto = f" up to {changes[k + 1]['rps']:.4g} rps" if k + 1 < len(changes) else ""
        parts.append(f"{z['to']} ({z['to_key']}) above {start:.4g} rps{upto}{between}")
    return ", ".join(parts)
