"""Deploying to a SageMaker endpoint: a new endpoint config for the recommended instances (or serverless memory),
then a blue/green UpdateEndpoint that SageMaker rolls back by itself when a named CloudWatch alarm fires, then
autoscaling around the recommended count. The old fleet serves until the new one is healthy; when the update does
not land, the new endpoint config is removed and the endpoint is left on its previous one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from advisor.core import platforms
from advisor.core.aws import translated
from advisor.deploy.common import RolledBack, finish_plan
from advisor.core.errors import AdvisorError, BadInput, Conflict


@dataclass(frozen=True)
class EndpointState:
    endpoint_config: str
    model: str
    variant: str
    instance_type: str | None
    instance_count: int | None
    serverless_memory_mb: int | None

    @property
    def key(self) -> str:
        if self.serverless_memory_mb:
            return f"sagemaker-serverless/{self.serverless_memory_mb}MB/x86_64"
        return f"sagemaker-realtime/{self.instance_type} x{self.instance_count}"

    def to_dict(self) -> dict[str, Any]:
        return {"endpoint_config": self.endpoint_config, "model": self.model, "variant": self.variant,
                "instance_type": self.instance_type, "instance_count": self.instance_count,
                "serverless_memory_mb": self.serverless_memory_mb}


def read_endpoint_state(control: Any, endpoint: str) -> EndpointState:
    from botocore.exceptions import ClientError

    try:
        config_name = control.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    except ClientError as exc:
        if "Could not find" in str(exc) or exc.response.get("Error", {}).get("Code") == "ValidationException":
            raise BadInput(f"no SageMaker endpoint {endpoint!r}", hint="deploy updates an existing endpoint: "
                           "create it first, or name it with --endpoint", fields={"endpoint": "not found"}) from exc
        with translated("sagemaker", "DescribeEndpoint"):
            raise
    with translated("sagemaker", "DescribeEndpointConfig"):
        variant = control.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"][0]
    serverless = variant.get("ServerlessConfig") or {}
    return EndpointState(config_name, variant["ModelName"], variant["VariantName"], variant.get("InstanceType"),
                         variant.get("InitialInstanceCount"), serverless.get("MemorySizeInMB"))


def plan_sagemaker(recommendation: dict[str, Any], current: EndpointState, endpoint: str,
                   alarms: tuple[str, ...] = (), canary_percent: int | None = None) -> dict[str, Any]:
    chosen = recommendation["chosen"]
    platform = platforms.get(chosen["platform"])
    if platform.deploy_target != "endpoint":
        raise BadInput(f"recommendation {recommendation['id']} is for {chosen['platform']}, not a SageMaker endpoint",
                       hint="deploy Lambda recommendations with --function; ec2 configs are recommend-only",
                       fields={"recommendation": "not a SageMaker config"})
    serverless = platform.memory_sized
    desired = ({"serverless_memory_mb": chosen["memory_mb"]} if serverless else
               {"instance_type": chosen["instance_type"], "instance_count": chosen["instance_count"]})
    same = (current.serverless_memory_mb == chosen.get("memory_mb") if serverless else
            (current.instance_type, current.instance_count) == (chosen["instance_type"], chosen["instance_count"]))
    actions: list[dict[str, Any]] = []
    if not same:
        actions.append({"action": "create-endpoint-config", **desired})
        update: dict[str, Any] = {"action": "update-endpoint"}
        if not serverless:  # blue/green deployment guardrails apply to instance-backed endpoints
            update["traffic"] = f"canary {canary_percent}%" if canary_percent else "all at once"
            update["rollback_alarms"] = list(alarms)
        actions.append(update)
        capacity = recommendation["predicted"].get("capacity_rps_interval")
        if not serverless and capacity:
            actions.append({"action": "register-autoscaling", "min": chosen["instance_count"],
                            "max": 2 * chosen["instance_count"],
                            "invocations_per_instance_per_minute": round(capacity[0] * 60)})
    return finish_plan(recommendation, {"kind": "sagemaker", "endpoint": endpoint}, current.to_dict(),
                       {"platform": chosen["platform"], **desired}, actions, current.key)


def _wait_settled(client: Any, endpoint: str, timeout_s: float, poll_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        with translated("sagemaker", "DescribeEndpoint"):
            described = client.describe_endpoint(EndpointName=endpoint)
        if described["EndpointStatus"] not in ("Updating", "SystemUpdating", "RollingBack", "Creating"):
            return described
        if time.monotonic() > deadline:
            raise RolledBack(f"{endpoint} was still {described['EndpointStatus']} after {timeout_s:.0f} s",
                             hint="SageMaker keeps the old fleet until the new one is healthy; check the endpoint")
        time.sleep(poll_s)


def apply_sagemaker(plan: dict[str, Any], control: Any, updater: Any = None, autoscaling: Any = None,
                    timeout_s: float = 3600, poll_s: float = 30) -> dict[str, Any]:
    """Carry out PLAN; UPDATER makes the UpdateEndpoint call and watches it (defaults to CONTROL)."""
    endpoint = plan["target"]["endpoint"]
    updater = updater or control
    now = read_endpoint_state(control, endpoint)
    desired = plan["desired"]
    if all(now.to_dict().get(k) == v for k, v in desired.items() if k != "platform"):
        return {"changed": False, "endpoint_config": now.endpoint_config, "steps": []}
    if now.endpoint_config != plan["current"]["endpoint_config"]:
        raise Conflict(f"{endpoint} changed since the plan was made (now on {now.endpoint_config})",
                       hint="make a new plan: advisor deploy --recommendation ID --endpoint NAME",
                       fields={"plan": "stale"})
    new_config = f"{endpoint}-{plan['id'].removeprefix('plan-')[:8]}"  # derived from the plan: re-runs agree
    done: list[str] = []
    variant: dict[str, Any] = {"VariantName": now.variant, "ModelName": now.model}
    if desired.get("serverless_memory_mb"):
        variant["ServerlessConfig"] = {"MemorySizeInMB": desired["serverless_memory_mb"], "MaxConcurrency": 50}
    else:
        variant.update(InstanceType=desired["instance_type"], InitialInstanceCount=desired["instance_count"])
    try:
        with translated("sagemaker", "CreateEndpointConfig"):
            control.create_endpoint_config(EndpointConfigName=new_config, ProductionVariants=[variant],
                                           Tags=[{"Key": "advisor:deployment", "Value": plan["id"]}])
        done.append("create-endpoint-config")
        update = next(a for a in plan["actions"] if a["action"] == "update-endpoint")
        kwargs: dict[str, Any] = {"EndpointName": endpoint, "EndpointConfigName": new_config}
        if "traffic" in update:
            routing: dict[str, Any] = {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
            if update["traffic"].startswith("canary"):
                routing = {"Type": "CANARY", "WaitIntervalInSeconds": 300,
                           "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": int(update["traffic"].split()[1][:-1])}}
            kwargs["DeploymentConfig"] = {"BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": routing,
                                                                    "TerminationWaitInSeconds": 300,
                                                                    "MaximumExecutionTimeoutInSeconds": int(timeout_s)}}
            if update["rollback_alarms"]:
                kwargs["DeploymentConfig"]["AutoRollbackConfiguration"] = {
                    "Alarms": [{"AlarmName": a} for a in update["rollback_alarms"]]}
        with translated("sagemaker", "UpdateEndpoint"):
            updater.update_endpoint(**kwargs)
        settled = _wait_settled(updater, endpoint, timeout_s, poll_s)
        if settled["EndpointConfigName"] != new_config:
            raise RolledBack(f"SageMaker rolled the update back ({settled.get('FailureReason') or 'an alarm fired'}); "
                             f"{endpoint} serves its previous config {settled['EndpointConfigName']}",
                             hint="look at the alarm or the new fleet's logs, then plan again")
        done.append("update-endpoint")
    except AdvisorError as exc:
        if "create-endpoint-config" in done and "update-endpoint" not in done:
            control.delete_endpoint_config(EndpointConfigName=new_config)  # never leave an unused config behind
        if isinstance(exc, RolledBack):
            exc.extra["done"] = done
            raise
        raise RolledBack(f"apply failed at step {len(done) + 1} ({exc.message}); {endpoint} still serves "
                         f"{now.endpoint_config}", hint="fix the cause and apply the plan again",
                         extra={"done": done}) from exc
    scaling = next((a for a in plan["actions"] if a["action"] == "register-autoscaling"), None)
    if scaling and autoscaling is not None:
        resource = f"endpoint/{endpoint}/variant/{now.variant}"
        with translated("application-autoscaling", "RegisterScalableTarget"):
            autoscaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=resource,
                                                 ScalableDimension="sagemaker:variant:DesiredInstanceCount",
                                                 MinCapacity=scaling["min"], MaxCapacity=scaling["max"])
        with translated("application-autoscaling", "PutScalingPolicy"):
            autoscaling.put_scaling_policy(
                PolicyName=f"advisor-{endpoint}", ServiceNamespace="sagemaker", ResourceId=resource,
                ScalableDimension="sagemaker:variant:DesiredInstanceCount", PolicyType="TargetTrackingScaling",
                TargetTrackingScalingPolicyConfiguration={
                    "TargetValue": float(scaling["invocations_per_instance_per_minute"]),
                    "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}})
        done.append("register-autoscaling")
    return {"changed": True, "endpoint_config": new_config, "steps": done}
