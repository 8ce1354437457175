"""Trials on real SageMaker endpoints: model, endpoint config (instances or serverless), endpoint; wait for
InService with a timeout; load through `invoke_endpoint` at a few concurrencies; cross-check the latency with
CloudWatch's ModelLatency; delete all three in a `finally`, whatever happened.

An endpoint that fails to start (its FailureReason, e.g. a container that cannot load the model on that instance)
makes the config infeasible with that reason; it does not end the profile.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import Any

from advisor.core import platforms
from advisor.core.aws import client, translated
from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import Infeasible, TrialFailed
from advisor.backends.load import closed_loop
from advisor.core.stats import latency_summary, percentile

TRIAL_TAG, WORKLOAD_TAG = "advisor:trial", "advisor:workload"


class SageMakerTrials:
    method = "aws:sagemaker"

    def __init__(self, workload: str, role_arn: str, image_uri: str, model_data_url: str | None = None,
                 control: Any = None, runtime: Any = None, metrics: Any = None, start_timeout_s: float = 1800,
                 poll_s: float = 15) -> None:
        self.workload, self.role_arn, self.image_uri, self.model_data_url = workload, role_arn, image_uri, model_data_url
        self.run_id = "trial-" + uuid.uuid4().hex[:10]
        self.control = control or client("sagemaker")
        self.runtime = runtime or client("sagemaker-runtime")
        self.metrics = metrics or client("cloudwatch")
        self.start_timeout_s, self.poll_s = start_timeout_s, poll_s
        self._made: list[tuple[str, str]] = []  # (kind, name) to delete, in creation order

    def __enter__(self) -> "SageMakerTrials":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def _tags(self) -> list[dict[str, str]]:
        return [{"Key": TRIAL_TAG, "Value": self.run_id}, {"Key": WORKLOAD_TAG, "Value": self.workload}]

    def cleanup(self) -> None:
        """Delete the endpoints, configs and models this run made (endpoints first)."""
        from botocore.exceptions import ClientError

        calls = {"endpoint": ("delete_endpoint", "EndpointName", "DeleteEndpoint"),
                 "endpoint-config": ("delete_endpoint_config", "EndpointConfigName", "DeleteEndpointConfig"),
                 "model": ("delete_model", "ModelName", "DeleteModel")}
        for kind, name in reversed(self._made):
            method, arg, operation = calls[kind]
            try:
                getattr(self.control, method)(**{arg: name})
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in ("ValidationException", "ResourceNotFound"):  # already gone is clean
                    with translated("sagemaker", operation):
                        raise
        self._made.clear()

    def start(self, config: Config) -> str:
        """Create model, endpoint config and endpoint for CONFIG; return the endpoint's name once InService."""
        name = f"advisor-{self.run_id}-{len(self._made) // 3}"
        container: dict[str, Any] = {"Image": self.image_uri}
        if self.model_data_url:
            container["ModelDataUrl"] = self.model_data_url
        with translated("sagemaker", "CreateModel"):
            self.control.create_model(ModelName=name, ExecutionRoleArn=self.role_arn, PrimaryContainer=container,
                                      Tags=self._tags())
        self._made.append(("model", name))
        variant: dict[str, Any] = {"VariantName": "trial", "ModelName": name}
        if platforms.of(config).memory_sized:  # Serverless Inference
            variant["ServerlessConfig"] = {"MemorySizeInMB": config.memory_mb, "MaxConcurrency": 20}
        else:
            variant.update(InstanceType=config.instance_type, InitialInstanceCount=config.instance_count)
        with translated("sagemaker", "CreateEndpointConfig"):
            self.control.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant],
                                                Tags=self._tags())
        self._made.append(("endpoint-config", name))
        with translated("sagemaker", "CreateEndpoint"):
            self.control.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=self._tags())
        self._made.append(("endpoint", name))
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            with translated("sagemaker", "DescribeEndpoint"):
                described = self.control.describe_endpoint(EndpointName=name)
            status = described["EndpointStatus"]
            if status == "InService":
                return name
            if status == "Failed":
                raise Infeasible(f"the endpoint failed to start: {described.get('FailureReason', 'no reason given')}",
                                 hint="see the endpoint's CloudWatch logs")
            if time.monotonic() > deadline:
                raise TrialFailed(f"the endpoint was still {status} after {self.start_timeout_s:.0f} s",
                                  hint="endpoints take 5 to 10 minutes; raise the timeout or try again")
            time.sleep(self.poll_s)

    def _invoke(self, endpoint: str, body: bytes) -> tuple[float, bool]:
        start = time.perf_counter()
        try:
            with translated("sagemaker", "InvokeEndpoint"):
                self.runtime.invoke_endpoint(EndpointName=endpoint, ContentType="application/json", Body=body)["Body"].read()
            ok = True
        except TrialFailed:
            ok = False
        return (time.perf_counter() - start) * 1000.0, ok

    def model_latency_ms(self, endpoint: str, since: dt.datetime) -> float | None:
        """CloudWatch's average ModelLatency (reported in microseconds) over the trial, in ms; None if absent."""
        with translated("cloudwatch", "GetMetricStatistics"):
            stats = self.metrics.get_metric_statistics(
                Namespace="AWS/SageMaker", MetricName="ModelLatency",
                Dimensions=[{"Name": "EndpointName", "Value": endpoint}, {"Name": "VariantName", "Value": "trial"}],
                StartTime=since - dt.timedelta(minutes=1),  # whole minutes around the trial: the API wants Start < End
                EndTime=dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1), Period=60, Statistics=["Average"])
        points = stats.get("Datapoints", [])
        if not points:
            return None
        return sum(p["Average"] for p in points) / len(points) / 1000.0

    def trial(self, config: Config, payload: Any, requests_per_level: int = 50, concurrency: tuple[int, ...] = (1, 4),
              latency_target_ms: float = 250.0) -> Profile:
        since = dt.datetime.now(dt.timezone.utc)
        try:
            endpoint = self.start(config)
        except Infeasible as exc:
            return Profile(self.workload, config, self.method, {"errors": 1.0}, (Measurement(0.0, failed=True),),
                           feasible=False, note=exc.message)
        body = json.dumps(payload).encode()
        measurements: list[Measurement] = []
        curve, summary = [], {}
        for c in concurrency:
            results, elapsed = closed_loop(lambda _k: self._invoke(endpoint, body), c, requests_per_level)
            lat = [ms for ms, ok in results if ok]
            errors = sum(1 for _, ok in results if not ok)
            measurements += [Measurement(ms, failed=not ok, concurrency=c) for ms, ok in results]
            rps = len(results) / elapsed if elapsed > 0 else 0.0
            curve.append([rps, percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), float(errors)])
            if c == concurrency[0]:
                summary.update(latency_summary(lat))
        summary["load_curve"] = curve
        meeting = [row[0] for row in curve if row[2] <= latency_target_ms and not row[4]]
        summary["capacity_rps"] = max(meeting) / config.instance_count if meeting else 0.0
        summary["capacity_target_ms"] = latency_target_ms
        summary["errors"] = float(sum(1 for m in measurements if m.failed))
        cw = self.model_latency_ms(endpoint, since)
        if cw is not None:
            summary["cloudwatch_model_latency_ms"] = cw
        failed = summary["errors"] * 2 >= len(measurements)
        return Profile(self.workload, config, self.method, summary, tuple(measurements), feasible=not failed,
                       note="most invocations failed" if failed else "")
