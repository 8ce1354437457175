"""Deploying to Lambda: the plan moves an alias (default `live`) of the user's function to a new version with the
recommended memory and architecture, optionally in weighted steps. Apply checks the function is still as planned,
is a no-op when it already matches, and on any failure restores the previous configuration and alias, so the
previous version keeps serving.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from advisor.core import platforms
from advisor.core.aws import translated
from advisor.deploy.common import RolledBack, finish_plan
from advisor.core.errors import AdvisorError, BadInput, Conflict, TrialFailed


@dataclass(frozen=True)
class LambdaState:
    memory_mb: int
    architecture: str
    version: str | None  # what the alias points to; None when there is no alias yet

    def to_dict(self) -> dict[str, Any]:
        return {"platform": "lambda", "memory_mb": self.memory_mb, "architecture": self.architecture,
                "version": self.version}


def read_lambda_state(control: Any, function: str, alias: str) -> LambdaState:
    from botocore.exceptions import ClientError

    try:
        version = control.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            with translated("lambda", "GetAlias"):
                raise
        version = None
    try:
        cfg = control.get_function_configuration(FunctionName=function, Qualifier=version or "$LATEST")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise BadInput(f"no Lambda function {function!r}", hint="deploy updates an existing function: create it "
                           "first, or name it with --function", fields={"function": "not found"}) from exc
        with translated("lambda", "GetFunctionConfiguration"):
            raise
    return LambdaState(int(cfg["MemorySize"]), (cfg.get("Architectures") or ["x86_64"])[0], version)


def plan_lambda(recommendation: dict[str, Any], current: LambdaState, function: str, alias: str,
                steps: tuple[float, ...] = ()) -> dict[str, Any]:
    """The plan: what changes, in what order, and what it costs per month before and after. Pure."""
    chosen = recommendation["chosen"]
    if platforms.get(chosen["platform"]).deploy_target != "function":
        raise BadInput(f"recommendation {recommendation['id']} is for {chosen['platform']}, not Lambda",
                       hint="deploying SageMaker endpoints is not available yet; ec2 configs are recommend-only",
                       fields={"recommendation": "not a Lambda config"})
    desired = {"platform": "lambda", "memory_mb": chosen["memory_mb"], "architecture": chosen["architecture"]}
    same = current.memory_mb == desired["memory_mb"] and current.architecture == desired["architecture"]
    actions: list[dict[str, Any]] = []
    if not same or current.version is None:
        if current.architecture != desired["architecture"]:
            actions.append({"action": "update-function-code", "architecture": desired["architecture"]})
        if current.memory_mb != desired["memory_mb"]:
            actions.append({"action": "update-function-configuration", "memory_mb": desired["memory_mb"]})
        actions.append({"action": "publish-version"})
        for weight in steps:
            actions.append({"action": "shift-alias", "alias": alias, "weight": weight})
        actions.append({"action": "move-alias" if current.version else "create-alias", "alias": alias})
    key_now = f"lambda/{current.memory_mb}MB/{current.architecture}"
    return finish_plan(recommendation, {"kind": "lambda", "function": function, "alias": alias},
                       current.to_dict(), desired, actions, key_now)


def apply_lambda(plan: dict[str, Any], control: Any, wait: Callable[[str], None] | None = None,
                 step_pause_s: float = 0.0) -> dict[str, Any]:
    """Carry out PLAN. Idempotent: nothing happens when the function already matches the desired state.
    Refuses a plan the function has drifted from. On failure, restores the previous state and raises RolledBack."""
    function, alias = plan["target"]["function"], plan["target"]["alias"]
    now = read_lambda_state(control, function, alias)
    desired = plan["desired"]
    if now.version and now.memory_mb == desired["memory_mb"] and now.architecture == desired["architecture"]:
        return {"changed": False, "version": now.version, "steps": []}
    planned = plan["current"]
    if (now.memory_mb, now.architecture, now.version) != (planned["memory_mb"], planned["architecture"],
                                                          planned["version"]):
        raise Conflict(f"{function} changed since the plan was made ({now.to_dict()} now)",
                       hint="make a new plan: advisor deploy --recommendation ID", fields={"plan": "stale"})
    wait = wait or (lambda name: control.get_waiter("function_updated_v2").wait(
        FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 120}))
    done: list[str] = []
    new_version = None
    try:
        for step in plan["actions"]:
            kind = step["action"]
            if kind == "update-function-code":
                with translated("lambda", "GetFunction"):
                    code = control.get_function(FunctionName=function, Qualifier=now.version or "$LATEST")["Code"]
                if "ImageUri" not in code:
                    raise TrialFailed("changing the architecture of a zip function needs its package",
                                      hint="redeploy the package for the new architecture, then plan again")
                with translated("lambda", "UpdateFunctionCode"):
                    control.update_function_code(FunctionName=function, ImageUri=code["ImageUri"],
                                                 Architectures=[step["architecture"]])
                wait(function)
            elif kind == "update-function-configuration":
                with translated("lambda", "UpdateFunctionConfiguration"):
                    control.update_function_configuration(FunctionName=function, MemorySize=step["memory_mb"])
                wait(function)
            elif kind == "publish-version":
                with translated("lambda", "PublishVersion"):
                    new_version = control.publish_version(FunctionName=function)["Version"]
            elif kind == "shift-alias":
                with translated("lambda", "UpdateAlias"):
                    control.update_alias(FunctionName=function, Name=alias, FunctionVersion=now.version,
                                         RoutingConfig={"AdditionalVersionWeights": {new_version: step["weight"]}})
                time.sleep(step_pause_s)
            elif kind in ("move-alias", "create-alias"):
                if kind == "create-alias":
                    with translated("lambda", "CreateAlias"):
                        control.create_alias(FunctionName=function, Name=alias, FunctionVersion=new_version)
                else:
                    with translated("lambda", "UpdateAlias"):
                        control.update_alias(FunctionName=function, Name=alias, FunctionVersion=new_version,
                                             RoutingConfig={"AdditionalVersionWeights": {}})
            done.append(kind)
    except Exception as exc:
        _restore(control, function, alias, now, wait)
        message = exc.message if isinstance(exc, AdvisorError) else str(exc)
        raise RolledBack(f"apply failed at {len(done) + 1} of {len(plan['actions'])} steps ({message}); the previous "
                         f"configuration ({now.memory_mb} MB, version {now.version}) was restored and is serving",
                         hint="fix the cause and apply the plan again", extra={"done": done}) from exc
    return {"changed": True, "version": new_version, "steps": done}


def _restore(control: Any, function: str, alias: str, before: LambdaState, wait: Callable[[str], None]) -> None:
    """Put the function and alias back as they were: the alias first, so traffic returns at once."""
    if before.version:
        control.update_alias(FunctionName=function, Name=alias, FunctionVersion=before.version,
                             RoutingConfig={"AdditionalVersionWeights": {}})
    control.update_function_configuration(FunctionName=function, MemorySize=before.memory_mb)
    wait(function)
