"""Production measurements for scheduled imports: a Lambda function's REPORT lines from CloudWatch Logs since the
last import, and a SageMaker endpoint's ModelLatency from CloudWatch metrics since the last import."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from advisor.core.domain import Config, Measurement, Profile

FIRST_LOOKBACK_S = 14 * 86400  # the first import looks back 14 days, as Compute Optimizer does


def lambda_reports(schedule: dict[str, Any]) -> tuple[list[Profile], float | None]:
    """Profiles (one per memory size seen) from the REPORT lines logged since the schedule's cursor."""
    from advisor.core.aws import client, translated
    from profilers.importers import profiles_from_rows
    from profilers.importers.cloudwatch import read_reports

    logs = client("logs")
    since_ms = int(((schedule.get("cursor") or time.time() - FIRST_LOOKBACK_S)) * 1000) + 1
    messages, newest = [], None
    kwargs = {"logGroupName": f"/aws/lambda/{schedule['function']}", "startTime": since_ms,
              "filterPattern": "REPORT"}
    while True:
        with translated("logs", "FilterLogEvents"):
            page = logs.filter_log_events(**kwargs)
        for event in page.get("events", []):
            messages.append(event["message"])
            newest = max(newest or 0, event["timestamp"] / 1000.0)
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    reports = [m for m in messages if "REPORT RequestId:" in m or "platform.report" in m]
    if not reports:
        return [], None
    rows = read_reports("\n".join(m.strip() for m in reports), f"log group /aws/lambda/{schedule['function']}",
                        schedule["workload"])
    return profiles_from_rows(rows, "import:cloudwatch-logs"), newest


def endpoint_metrics(schedule: dict[str, Any]) -> tuple[list[Profile], float | None]:
    """A profile of per-minute ModelLatency averages (microseconds -> ms) since the cursor. Averages hide the tail:
    their p95 understates the invocations' p95, which the outcome's note says."""
    from advisor.core.aws import client, translated
    from advisor.core.stats import latency_summary

    cloudwatch = client("cloudwatch")
    end = dt.datetime.now(dt.timezone.utc)
    start = dt.datetime.fromtimestamp(schedule.get("cursor") or time.time() - FIRST_LOOKBACK_S, dt.timezone.utc)
    with translated("cloudwatch", "GetMetricStatistics"):
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/SageMaker", MetricName="ModelLatency", StartTime=start, EndTime=end, Period=60,
            Statistics=["Average"], Dimensions=[{"Name": "EndpointName", "Value": schedule["endpoint"]},
                                                {"Name": "VariantName", "Value": "AllTraffic"}])["Datapoints"]
    if not points:
        return [], None
    durations = [p["Average"] / 1000.0 for p in sorted(points, key=lambda p: p["Timestamp"])]
    summary = latency_summary(durations)
    config = Config.from_dict(schedule["config"])
    profile = Profile(schedule["workload"], config, "import:cloudwatch-metrics (per-minute averages)", summary,
                      tuple(Measurement(d) for d in durations))
    return [profile], max(p["Timestamp"].timestamp() for p in points)
