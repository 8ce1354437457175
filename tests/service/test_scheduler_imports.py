"""Scheduled imports of production figures through boto3 from moto's server on loopback: a Lambda function's
REPORT lines from CloudWatch Logs (only those since the last import) and an endpoint's ModelLatency metrics."""

from __future__ import annotations

import datetime as dt
import random
import time

from advisor.core import aws as aws_api
from advisor import service
from advisor.service import scheduling

WORKLOAD = "prod-model"


def _reports(n: int, memory: int, ms: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        d = ms * (1 + rng.uniform(-0.04, 0.04))
        out.append(f"REPORT RequestId: {seed:04d}-{k:04d} Duration: {d:.2f} ms Billed Duration: {int(d) + 1} ms "
                   f"Memory Size: {memory} MB Max Memory Used: 300 MB")
    return out


def _log(logs, lines: list[str], at_ms: int) -> None:
    logs.put_log_events(logGroupName="/aws/lambda/prod-fn", logStreamName="s",
                        logEvents=[{"timestamp": at_ms + k, "message": line} for k, line in enumerate(lines)])


def test_lambda_reports_are_imported_since_the_last_import(data_dir, aws):  # noqa: F811
    service.create_workload({"id": WORKLOAD})
    logs = aws_api.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/prod-fn")
    logs.create_log_stream(logGroupName="/aws/lambda/prod-fn", logStreamName="s")
    now_ms = int(time.time() * 1000)
    _log(logs, ["START RequestId: x"] + _reports(20, 1024, 300.0, 1), now_ms - 60_000)
    schedule = scheduling.add({"workload": WORKLOAD, "job": "import", "function": "prod-fn", "every": "1h",
                               "sla": "p95<=500ms"})
    first = scheduling.run_now(schedule["id"])
    assert first["status"] == "succeeded", first["error"]
    assert first["outcome"]["fresh_profiles"] == 1 and first["outcome"]["current"] == "lambda/1024MB/x86_64"
    assert first["outcome"]["checks"][0]["count"] == 20
    assert scheduling.get(schedule["id"])["cursor"] is not None
    _log(logs, _reports(12, 1024, 310.0, 2), now_ms)
    second = scheduling.run_now(schedule["id"])
    assert second["status"] == "succeeded", second["error"]
    assert second["outcome"]["checks"][0]["count"] == 12  # only what came after the first import
    third = scheduling.run_now(schedule["id"])
    assert third["outcome"]["fresh_profiles"] == 0 and third["outcome"]["finding"] in (
        "optimized", "over-provisioned", "under-provisioned", "insufficient data")


def test_endpoint_latency_is_imported_from_cloudwatch_metrics(data_dir, aws):  # noqa: F811
    service.create_workload({"id": WORKLOAD})
    cloudwatch = aws_api.client("cloudwatch")
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=30)
    for minute in range(15):
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
            "MetricName": "ModelLatency", "Value": 20_000.0 + 100 * minute, "Unit": "Microseconds",
            "Timestamp": start + dt.timedelta(minutes=minute),
            "Dimensions": [{"Name": "EndpointName", "Value": "prod-ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]}])
    schedule = scheduling.add({"workload": WORKLOAD, "job": "import", "endpoint": "prod-ep", "every": "1h",
                               "sla": "p95<=50ms", "config": {"platform": "sagemaker-realtime",
                                                              "instance_type": "ml.c5.large"}})
    run = scheduling.run_now(schedule["id"])
    assert run["status"] == "succeeded", run["error"]
    (check,) = run["outcome"]["checks"]
    assert check["count"] == 15 and 20.0 <= check["observed"] <= 21.5  # microseconds became milliseconds
    (profile,) = service.store().profiles(WORKLOAD)
    assert "per-minute averages" in profile.method


def _function(memory: int) -> None:
    lam, iam = aws_api.client("lambda"), aws_api.client("iam")
    role = iam.create_role(RoleName=f"role-{memory}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="prod", Runtime="python3.11", Role=role, Handler="h.h", Code={"ZipFile": b"PK"},
                        MemorySize=memory)
    lam.create_alias(FunctionName="prod", Name="live", FunctionVersion=lam.publish_version(FunctionName="prod")["Version"])


def _replayed(data_dir, config_mb: int, **extra):
    from tests.support.profiles import REPLAYED_WORKLOAD as REPLAYED
    from tests.support.profiles import replayed_measurements_csv as measurements_csv

    service.import_profiles(measurements_csv(seed=1), "history.csv", "csv")
    (data_dir / "latest.csv").write_text(measurements_csv(seed=2))
    return scheduling.add({"workload": REPLAYED, "job": "reprofile", "backend": "replay",
                           "source": str(data_dir / "latest.csv"), "every": "1h", "sla": "p95<=1000ms",
                           "config": {"platform": "lambda", "memory_mb": config_mb}, "action": "apply",
                           "function": "prod"} | extra)


def test_an_over_provisioned_function_is_moved_inside_the_guardrails(data_dir, aws):  # noqa: F811
    _function(3008)
    schedule = _replayed(data_dir, 3008)
    run = scheduling.run_now(schedule["id"])
    assert run["status"] == "succeeded", run["error"]
    outcome = run["outcome"]
    assert outcome["finding"] == "over-provisioned" and outcome["saving_usd_per_month"] > 0
    assert outcome["applied"] and outcome["changed"]
    live = aws_api.client("lambda").get_function_configuration(FunctionName="prod", Qualifier="live")
    assert f"lambda/{live['MemorySize']}MB/x86_64" == outcome["recommended"]
    assert scheduling.get(schedule["id"])["config"]["memory_mb"] == live["MemorySize"]


def test_guardrails_block_an_apply_that_raises_the_cost(data_dir, aws):  # noqa: F811
    _function(768)  # too small for the SLA: the fix costs more a month than the guardrail allows
    run = scheduling.run_now(_replayed(data_dir, 768, max_monthly_increase_usd=0.0)["id"])
    assert run["status"] == "succeeded", run["error"]
    outcome = run["outcome"]
    assert outcome["finding"] == "under-provisioned" and outcome["applied"] is False
    assert "over the limit" in outcome["blocked"]
    live = aws_api.client("lambda").get_function_configuration(FunctionName="prod", Qualifier="live")
    assert live["MemorySize"] == 768
