"""Deploying a recommendation: plan (changes nothing), then apply exactly that plan, recorded in the store."""

from __future__ import annotations

from typing import Any

from advisor.errors import BadInput
from advisor.service.common import store


def plan(body: dict[str, Any]) -> dict[str, Any]:
    from advisor import deploy
    from advisor.aws import client

    rec_id = body.get("recommendation")
    function = body.get("function")
    if not rec_id:
        raise BadInput("recommendation is required", hint="an id from `advisor recommend --json`",
                       fields={"recommendation": "required"})
    recommendation = store().get_recommendation(str(rec_id))
    if recommendation["chosen"]["platform"] != "lambda":
        deploy.plan_lambda(recommendation, deploy.LambdaState(0, "x86_64", None), "", "")  # raises the reason
    if not function:
        raise BadInput("function is required for a Lambda deployment", hint="name the function: --function NAME",
                       fields={"function": "required"})
    alias = str(body.get("alias") or "live")
    steps = tuple(float(w) for w in body.get("steps") or ())
    if any(not 0 < w < 1 for w in steps):
        raise BadInput("each traffic step is a weight between 0 and 1", hint="e.g. --steps 0.1,0.5",
                       fields={"steps": "out of range"})
    current = deploy.read_lambda_state(client("lambda"), str(function), alias)
    result = deploy.plan_lambda(recommendation, current, str(function), alias, steps)
    store().save_deployment(result, "planned")
    return result


def apply(plan_or_id: dict[str, Any] | str) -> dict[str, Any]:
    """Apply a stored plan (by id) or a plan document (as saved with --out), then record the outcome."""
    from advisor import deploy
    from advisor.aws import client

    plan_doc = store().get_deployment(plan_or_id)["plan"] if isinstance(plan_or_id, str) else plan_or_id
    if not isinstance(plan_doc, dict) or plan_doc.get("target", {}).get("kind") != "lambda":
        raise BadInput("not a deployment plan", hint="use a file written by `advisor deploy --out`",
                       fields={"plan": "invalid"})
    store().save_deployment(plan_doc, "applying")
    try:
        outcome = deploy.apply_lambda(plan_doc, client("lambda"))
    except deploy.RolledBack:
        store().save_deployment(plan_doc, "rolled-back")
        raise
    except Exception:
        store().save_deployment(plan_doc, "failed")
        raise
    store().save_deployment(plan_doc, "applied" if outcome["changed"] else "unchanged")
    return {"plan": plan_doc["id"], **outcome}
