"""Deploying a hybrid recommendation: the endpoint for the base load and the function for the bursts, planned
together (each part as its platform plans it) with the routing rule the recommendation assumes. Pure."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from advisor.deploy.lambda_fn import LambdaState, plan_lambda
from advisor.deploy.sagemaker import EndpointState, plan_sagemaker


def part_of(recommendation: dict[str, Any], part: str) -> dict[str, Any]:
    """The recommendation as if it had chosen only PART ("endpoint" or "function") of the hybrid. Its cost is the
    hybrid's whole: the parts are only worth having together."""
    hybrid = recommendation["chosen"]["hybrid"]
    return {**recommendation, "chosen": {**hybrid[part], "key": hybrid[f"{part}_key"]}}


def plan_hybrid(recommendation: dict[str, Any], function_state: LambdaState, function: str, alias: str,
                endpoint_state: EndpointState, endpoint: str, steps: tuple[float, ...] = (),
                alarms: tuple[str, ...] = (), canary_percent: int | None = None) -> dict[str, Any]:
    hybrid = recommendation["chosen"]["hybrid"]
    parts = [plan_sagemaker(part_of(recommendation, "endpoint"), endpoint_state, endpoint, alarms, canary_percent),
             plan_lambda(part_of(recommendation, "function"), function_state, function, alias, steps)]
    after = recommendation["cost"]["usd_per_month"]
    body = {"recommendation_id": recommendation["id"],
            "target": {"kind": "hybrid", "endpoint": endpoint, "function": function, "alias": alias},
            "parts": parts, "routing": hybrid["routing"], "base_rps": hybrid["base_rps"],
            "actions": [a for p in parts for a in p["actions"]],
            "cost": {"after_usd_per_month": after,
                     "lines": [f"+ {recommendation['chosen']['key']}: ${after:.2f}/month (endpoint and function "
                               "together, over the recommendation's traffic)"]},
            "sla": recommendation["sla"]["text"],
            "note": "apply carries out both parts, the endpoint first; the router between them is yours to build"}
    body["id"] = "plan-" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return body
