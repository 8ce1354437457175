"""The response of SageMaker's DescribeInferenceRecommendationsJob.

Each recommendation names an endpoint configuration (instance type and count, or a serverless memory size) and
metrics at its maximum load: `MaxInvocations` (requests per minute) and `ModelLatency` (ms). Each becomes a
profile whose capacity is MaxInvocations / 60 rps at that latency; the latency is the one figure the job gives,
so it stands for every percentile, and the profile says so in its note.
"""

from __future__ import annotations

import json
import math

from advisor.core.domain import Config, Measurement
from advisor.core.errors import BadInput
from profilers.importers.csv_v1 import Row


def read_recommendations(text: str, source: str, workload: str, architecture: str = "x86_64") -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{source}: not JSON: {exc}", hint="save the DescribeInferenceRecommendationsJob response",
                       fields={"file": "not JSON"}) from None
    recs = data.get("InferenceRecommendations") if isinstance(data, dict) else None
    if not isinstance(recs, list) or not recs:
        raise BadInput(f"{source}: no InferenceRecommendations", hint="is the job COMPLETED?",
                       fields={"file": "no recommendations"})
    rows: list[Row] = []
    for k, rec in enumerate(recs):
        where = f"InferenceRecommendations[{k}]"
        try:
            endpoint = rec["EndpointConfiguration"]
            metrics = rec["Metrics"]
            latency = float(metrics["ModelLatency"])
            per_minute = float(metrics["MaxInvocations"])
            serverless = endpoint.get("ServerlessConfig")
            if serverless:
                config = Config("sagemaker-serverless", memory_mb=int(serverless["MemorySizeInMB"]))
            else:
                config = Config("sagemaker-realtime", instance_type=str(endpoint["InstanceType"]),
                                instance_count=int(endpoint.get("InitialInstanceCount") or 1))
            if not (math.isfinite(latency) and latency >= 0 and per_minute >= 0):
                raise ValueError("ModelLatency and MaxInvocations must be non-negative numbers")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"{source}: {where}: {exc}", hint="each recommendation needs EndpointConfiguration and "
                           "Metrics with ModelLatency and MaxInvocations", fields={"file": "bad recommendation",
                                                                                   "line": where}) from None
        rows.append(Row(k + 1, workload, config, Measurement(latency, rps=per_minute / 60.0 / config.instance_count),
                        overrides={"capacity_rps": per_minute / 60.0 / config.instance_count}))
    return rows
