"""Deploying a recommendation: plan (changes nothing), then apply exactly that plan, recorded in the store."""

from __future__ import annotations

from typing import Any

from advisor.core import platforms
from advisor.core.errors import BadInput
from advisor.service.common import store


def plan(body: dict[str, Any]) -> dict[str, Any]:
    from advisor import deploy
    from advisor.core.aws import client, require_credentials

    rec_id = body.get("recommendation")
    if not rec_id:
        raise BadInput("recommendation is required", hint="an id from `advisor recommend --json`",
                       fields={"recommendation": "required"})
    recommendation = store().get_recommendation(str(rec_id))
    platform = recommendation["chosen"]["platform"]
    target = platforms.get(platform).deploy_target
    if recommendation["chosen"].get("hybrid"):
        return _plan_hybrid(body, recommendation)
    if target == "function":
        function = body.get("function")
        if not function:
            raise BadInput("function is required for a Lambda deployment", hint="name the function: --function NAME",
                           fields={"function": "required"})
        alias = str(body.get("alias") or "live")
        steps = tuple(float(w) for w in body.get("steps") or ())
        if any(not 0 < w < 1 for w in steps):
            raise BadInput("each traffic step is a weight between 0 and 1", hint="e.g. --steps 0.1,0.5",
                           fields={"steps": "out of range"})
        require_credentials("planning a Lambda deployment")
        current = deploy.read_lambda_state(client("lambda"), str(function), alias)
        result = deploy.plan_lambda(recommendation, current, str(function), alias, steps)
    elif target == "endpoint":
        endpoint = body.get("endpoint")
        if not endpoint:
            raise BadInput("endpoint is required for a SageMaker deployment", hint="name it: --endpoint NAME",
                           fields={"endpoint": "required"})
        canary = body.get("canary_percent")
        if canary is not None and not (isinstance(canary, int) and 1 <= canary <= 50):
            raise BadInput("canary_percent is a whole percentage from 1 to 50", hint="e.g. --canary 10",
                           fields={"canary_percent": "out of range"})
        require_credentials("planning a SageMaker deployment")
        current = deploy.read_endpoint_state(client("sagemaker"), str(endpoint))
        result = deploy.plan_sagemaker(recommendation, current, str(endpoint), tuple(body.get("alarms") or ()), canary)
    else:
        raise BadInput(f"{platform} configs are recommend-only", hint="deploy Lambda or SageMaker recommendations",
                       fields={"recommendation": "not deployable"})
    store().save_deployment(result, "planned")
    return result


def _plan_hybrid(body: dict[str, Any], recommendation: dict[str, Any]) -> dict[str, Any]:
    """Both parts of a hybrid: the endpoint and the function, each planned as its platform plans it, and the
    routing rule between them; each part is also stored as a plan of its own, to apply once the router exists."""
    from advisor import deploy
    from advisor.core.aws import client, require_credentials

    function, endpoint = body.get("function"), body.get("endpoint")
    if not function or not endpoint:
        raise BadInput("a hybrid deploys to a function and an endpoint", hint="name both: --function NAME "
                       "--endpoint NAME", fields={"function" if not function else "endpoint": "required"})
    require_credentials("planning a hybrid deployment")
    alias = str(body.get("alias") or "live")
    plan = deploy.plan_hybrid(recommendation, deploy.read_lambda_state(client("lambda"), str(function), alias),
                              str(function), alias,
                              deploy.read_endpoint_state(client("sagemaker"), str(endpoint)), str(endpoint),
                              tuple(float(w) for w in body.get("steps") or ()), tuple(body.get("alarms") or ()),
                              body.get("canary_percent"))
    for part in plan["parts"]:
        store().save_deployment(part, "planned")
    store().save_deployment(plan, "planned")
    return plan


def get_deployment(deployment_id: str) -> dict[str, Any]:
    return store().get_deployment(deployment_id)


def apply(plan_or_id: dict[str, Any] | str) -> dict[str, Any]:
    """Apply a stored plan (by id) or a plan document (as saved with --out), then record the outcome."""
    from advisor import deploy
    from advisor.core.aws import client, require_credentials

    plan_doc = store().get_deployment(plan_or_id)["plan"] if isinstance(plan_or_id, str) else plan_or_id
    kind = plan_doc.get("target", {}).get("kind") if isinstance(plan_doc, dict) else None
    if kind == "hybrid":  # each part as its own plan, the endpoint first; the router is the user's to build
        outcomes = [apply(part) for part in plan_doc["parts"]]
        store().save_deployment(plan_doc, "applied" if any(o["changed"] for o in outcomes) else "unchanged")
        return {"plan": plan_doc["id"], "changed": any(o["changed"] for o in outcomes), "parts": outcomes,
                "routing": plan_doc["routing"]}
    if kind not in ("lambda", "sagemaker"):
        raise BadInput("not a deployment plan", hint="use a file written by `advisor deploy --out`",
                       fields={"plan": "invalid"})
    require_credentials("applying a deployment")
    store().save_deployment(plan_doc, "applying")
    try:
        if kind == "lambda":
            outcome = deploy.apply_lambda(plan_doc, client("lambda"))
        else:
            outcome = deploy.apply_sagemaker(plan_doc, client("sagemaker"),
                                             autoscaling=client("application-autoscaling"))
    except deploy.RolledBack:
        store().save_deployment(plan_doc, "rolled-back")
        raise
    except Exception:
        store().save_deployment(plan_doc, "failed")
        raise
    store().save_deployment(plan_doc, "applied" if outcome["changed"] else "unchanged")
    return {"plan": plan_doc["id"], **outcome}
