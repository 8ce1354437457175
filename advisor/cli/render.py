"""Text rendering of answers for the terminal: units on every number, the considered table with a CHOSEN mark."""

from __future__ import annotations

import math
from typing import Any


UNITS = (("ms", 1.0, 1), ("s", 1000.0, 2), ("min", 60_000.0, 1), ("h", 3_600_000.0, 2))


def unit_for(ms: float) -> str:
    """The unit a duration of MS reads best in: ms below a second, s below two minutes, min below two hours, h."""
    return "ms" if ms < 1000 else "s" if ms < 120_000 else "min" if ms < 7_200_000 else "h"


def duration(ms: float | None, unit: str | None = None) -> str:
    """A duration with a unit that reads well (12.3 ms, 4.56 s, 3.2 min, 1.50 h), or in UNIT: one answer's figures
    in one unit, so they compare at a glance."""
    if ms is None or not math.isfinite(ms):
        return "-"
    name, scale, digits = next(u for u in UNITS if u[0] == (unit or unit_for(ms)))
    value = ms / scale
    return f"{value:.{digits}f} {name}" if abs(value) >= 1 or value == 0 else f"{value:.2g} {name}"


def _cost_cells(cost: dict[str, Any] | None, deadline: bool, month: float | None = None) -> str:
    if deadline:
        total = cost.get("usd_total") if cost else month
        return f"{total:>12.4f}" if total is not None else f"{'-':>12}"
    per_hour = f"{cost['usd_per_hour']:.4f}" if cost else "-"
    per_month = cost["usd_per_month"] if cost else month
    return f"{per_hour:>10} {(f'{per_month:.2f}' if per_month is not None else '-'):>11}"


def recommendation_text(a: dict[str, Any], show_all: bool = False) -> str:
    out: list[str] = []
    sla = a["sla"]
    deadline = sla["kind"] == "deadline"
    label = "duration" if deadline else f"p{sla['percentile']:g}"
    chosen, pred, cost = a["chosen"], a["predicted"], a["cost"]
    if deadline:
        out.append(f"Recommendation {a['id']} for {a['workload']}: {sla['text']}")
    elif a["basis"].get("traffic"):
        t = a["basis"]["traffic"]
        out.append(f"Recommendation {a['id']} for {a['workload']}: {sla['text']} over {t['source']} (mean "
                   f"{t['mean_rps']:g} rps, peak {t['peak_rps']:g} rps)")
    else:
        rps_text = f"{sla['rps']:g} rps" if sla["rps"] else "1 rps (assumed; give --rps)"
        out.append(f"Recommendation {a['id']} for {a['workload']}: {sla['text']} at {rps_text}")
    lo, hi = pred.get("interval", [None, None])
    value = next((v for k, v in pred.items() if k.endswith("_ms") and not k.endswith("interval")
                  and (k == "duration_ms" if deadline else k.startswith("p"))), None)
    out.append(f"  chosen:    {chosen['key']}")
    unit = unit_for(sla["limit_ms"]) if sla.get("limit_ms") else None  # one unit for the answer's figures: the SLA's
    if value is not None:
        level = a["basis"].get("confidence")
        out.append(f"  predicted: {label} {duration(value, unit)} ({f'{level:.0%} ' if level else ''}interval "
                   f"{duration(lo, unit)} to {duration(hi, unit)})")
        if deadline and (pred.get("how") or {}).get("duration_ms"):
            out.append(f"             from {pred['how']['duration_ms']}")
        for name, usd in ((a.get("cost") or {}).get("breakdown_usd_total") or {}).items():
            out.append(f"             {name.replace('_', ' ')}: ${usd:.4f}")
    if "capacity_rps" in pred:
        low = (pred.get("capacity_rps_interval") or [pred["capacity_rps"]])[0]
        out.append(f"             capacity {pred['capacity_rps']:.1f} rps per instance (count sized at "
                   f"{low:.1f} rps, the interval's lower end)")
    over = a.get("over_traffic") or {}
    if "cold_start_ms" in pred and not over:
        out.append(f"             cold start {duration(pred['cold_start_ms'])} (reported apart from the SLA)")
    if over.get("sizing"):
        scale = over["autoscaling"]
        out.append(f"             {over['sizing']}: {scale['min']} to {scale['max']} instances over the day "
                   f"(${over['usd_per_month_autoscaled']:,.2f}/month autoscaled, "
                   f"${over['usd_per_month_peak_sized']:,.2f}/month sized to the peak)")
    elif over.get("phases"):
        worst = max(over["phases"], key=lambda p: p["upper_ms"])
        out.append(f"             every phase holds: worst at {worst['rps']:g} rps, {worst['cold_share']:.1%} of "
                   f"requests cold, p{sla['percentile']:g} up to {duration(worst['upper_ms'], unit)} "
                   f"(cold starts counted in)")
    if deadline:
        out.append(f"  cost:      ${cost['usd_total']:.4f} per run")
    else:
        per_1k = cost.get("usd_per_1k_requests")
        out.append(f"  cost:      ${cost['usd_per_hour']:.4f}/hour, ${cost['usd_per_month']:.2f}/month"
                   + (f", ${per_1k:.6f} per 1,000 requests" if per_1k is not None else ""))
    basis = a["basis"]
    out.append(f"  basis:     {basis['profiles']} profiles ({', '.join(basis['measured_by'])}); "
               f"prices {basis['region']} as of {basis['prices_as_of']}")
    for note in basis.get("notes", []):
        out.append(f"             note: {note}")
    out.append("")
    out.append("Considered configurations:")
    money = f"{'$/RUN':>12}" if deadline else f"{'$/HOUR':>10} {'$/MONTH':>11}"
    width = max([38] + [len(o["key"]) for o in a["alternatives"] + a["rejected"]] + [len(chosen["key"])])
    out.append(f"  {'':7} {'CONFIG':<{width}} {label + ' (upper)':>16} {money}  REASON")

    def how(predicted: dict[str, Any]) -> str:
        """'measured' when the SLA metric was measured rather than predicted (replayed or live trials)."""
        return "measured" if any(str(v).startswith("measured") for v in predicted.get("how", {}).values()) else ""

    rows = [dict(key=chosen["key"], mark="CHOSEN", upper=hi, cost=cost, reason=how(pred))]
    rows += [dict(key=o["key"], mark="ok", upper=(o["predicted"].get("interval") or [None, None])[1],
                  cost=o["cost"], reason=how(o["predicted"])) for o in a["alternatives"]]
    rejected, collapsed = a["rejected"], []
    if not show_all:  # rejections that share a reason and have nothing predicted collapse into one line
        groups: dict[str, list[dict]] = {}
        for r in rejected:
            if r.get("upper_ms") is None and r.get("usd_per_month") is None:
                groups.setdefault(r["reason"], []).append(r)
        collapsed = [g for g in groups.values() if len(g) >= 3]
        folded = {id(r) for g in collapsed for r in g}
        rejected = [r for r in rejected if id(r) not in folded]
    rows += [dict(key=r["key"], mark="", upper=r.get("upper_ms"), cost=None, reason=r["reason"],
                  month=r.get("usd_per_month")) for r in rejected]
    for row in rows:
        out.append(f"  {row['mark']:7} {row['key']:<{width}} {duration(row['upper'], unit):>16} "
                   f"{_cost_cells(row['cost'], deadline, row.get('month'))}  {row['reason']}")
    for group in collapsed:
        out.append(f"  rejected {len(group)} configs ({group[0]['key']} .. {group[-1]['key']}): {group[0]['reason']}")
    if collapsed:
        out.append("  (--all lists each one)")
    return "\n".join(out)
