"""What every platform's deployment shares: the rollback error and the plan's cost diff, margin and id."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from advisor.core.errors import AdvisorError


class RolledBack(AdvisorError):
    """Apply failed part-way; the previous configuration was restored and is serving."""

    status = 500
    code = "rolled_back"
    exit_code = 1


def monthly(recommendation: dict[str, Any], key: str) -> float | None:
    """The monthly cost the recommendation computed for config KEY, if it priced it."""
    if recommendation["chosen"]["key"] == key:
        return recommendation["cost"]["usd_per_month"]
    for option in recommendation.get("alternatives", []):
        if option["key"] == key and option.get("cost"):
            return option["cost"]["usd_per_month"]
    for row in recommendation.get("rejected", []):
        if row["key"] == key and row.get("usd_per_month") is not None:
            return row["usd_per_month"]
    return None


def finish_plan(recommendation: dict[str, Any], target: dict[str, Any], current: dict[str, Any],
                desired: dict[str, Any], actions: list[dict[str, Any]], current_key: str) -> dict[str, Any]:
    """Add the -/+/~ monthly cost lines and the SLA margin, and give the plan a content-derived id."""
    chosen = recommendation["chosen"]
    before, after = monthly(recommendation, current_key), recommendation["cost"]["usd_per_month"]
    lines = []
    if actions:
        lines.append(f"- {current_key}: " + (f"${before:.2f}/month" if before is not None else "cost unknown "
                                               "(not among the recommendation's candidates)"))
        lines.append(f"+ {chosen['key']}: ${after:.2f}/month")
        if before is not None:
            lines.append(f"~ change: {after - before:+.2f} USD/month")
    upper = (recommendation["predicted"].get("interval") or [None, None])[1]
    limit = recommendation["sla"]["limit_ms"]
    body = {"recommendation_id": recommendation["id"], "target": target, "current": current, "desired": desired,
            "actions": actions, "cost": {"before_usd_per_month": before, "after_usd_per_month": after,
                                         "lines": lines},
            "sla": recommendation["sla"]["text"], "sla_margin": (limit - upper) / limit if upper is not None else None}
    body["id"] = "plan-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body
