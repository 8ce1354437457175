"""Trials on real AWS Lambda: one function per profiling run, one published version per config, REPORT lines
read from each invocation's log tail, and the function always deleted afterwards.

A configuration change (memory, architecture, or the trial marker in the environment) makes Lambda start new
sandboxes, so the first invocation of each published version is a cold start; its REPORT line carries the Init
Duration. An invocation that times out or runs out of memory makes that config infeasible with the reason; it
does not end the profile.
"""

from __future__ import annotations

import base64
import json
import math
import uuid
from typing import Any

from advisor.core.aws import client, delete_lambda, translated
from advisor.core.domain import Config, Measurement, Profile
from advisor.core.lambda_report import find_report
from advisor.core.stats import invocation_summary

TRIAL_TAG, WORKLOAD_TAG = "advisor:trial", "advisor:workload"


def classify_failure(function_error: str | None, log: str, report: dict | None) -> str | None:
    """Why an invocation failed, in the words a user needs, or None when it succeeded."""
    if report and report.get("failed") and "timeout" in log.lower():
        return "timed out"
    if "Task timed out" in log:
        return "timed out"
    if report and report.get("max_memory") and report["max_memory"] >= report["memory"]:
        if function_error or report.get("failed"):
            return f"out of memory: {report['max_memory']:.0f} MB used of {report['memory']} MB"
    if "signal: killed" in log or "MemoryError" in log or "Runtime.OutOfMemory" in log:
        return "out of memory"
    if function_error:
        return f"the function raised an error ({function_error})"
    return None


class LambdaTrials:
    """Profile one workload's Lambda function at several memory sizes and architectures."""

    method = "aws:lambda"

    def __init__(self, workload: str, role_arn: str, code: dict[str, Any], handler: str, runtime: str = "python3.11",
                 timeout_s: int = 60, control: Any = None, invoker: Any = None) -> None:
        self.workload = workload
        self.run_id = "trial-" + uuid.uuid4().hex[:10]
        self.function_name = f"advisor-{self.run_id}"
        self.role_arn, self.code, self.handler, self.runtime, self.timeout_s = role_arn, code, handler, runtime, timeout_s
        self.control = control or client("lambda")
        self.invoker = invoker or self.control
        self.created = False
        self.architecture: str | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------
    def __enter__(self) -> "LambdaTrials":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Delete the function and all its versions; safe to call twice."""
        if not self.created:
            return
        delete_lambda(self.control, self.function_name)
        self.created = False

    def prepare(self, config: Config) -> str:
        """Make the function run CONFIG; publish and return a version (whose first invocation is cold)."""
        marker = {"Variables": {"ADVISOR_TRIAL": uuid.uuid4().hex}}
        if not self.created:
            with translated("lambda", "CreateFunction"):
                self.control.create_function(
                    FunctionName=self.function_name, Runtime=self.runtime, Role=self.role_arn, Handler=self.handler,
                    Code=self.code, MemorySize=config.memory_mb, Timeout=self.timeout_s,
                    Architectures=[config.architecture], Environment=marker,
                    Tags={TRIAL_TAG: self.run_id, WORKLOAD_TAG: self.workload})
            self.created = True
            self.architecture = config.architecture
            self._wait("function_active_v2")
        else:
            if config.architecture != self.architecture:
                with translated("lambda", "UpdateFunctionCode"):
                    self.control.update_function_code(FunctionName=self.function_name,
                                                      Architectures=[config.architecture], **self._code_args())
                self.architecture = config.architecture
                self._wait("function_updated_v2")
            with translated("lambda", "UpdateFunctionConfiguration"):
                self.control.update_function_configuration(FunctionName=self.function_name,
                                                           MemorySize=config.memory_mb, Environment=marker)
            self._wait("function_updated_v2")
        with translated("lambda", "PublishVersion"):
            return self.control.publish_version(FunctionName=self.function_name)["Version"]

    def _code_args(self) -> dict[str, Any]:
        mapping = {"ZipFile": "ZipFile", "S3Bucket": "S3Bucket", "S3Key": "S3Key", "ImageUri": "ImageUri"}
        return {mapping[k]: v for k, v in self.code.items() if k in mapping}

    def _wait(self, waiter: str) -> None:
        with translated("lambda", "GetFunctionConfiguration"):
            self.control.get_waiter(waiter).wait(FunctionName=self.function_name,
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 120})

    # -- invocations ------------------------------------------------------------------------------------------
    def invoke(self, version: str, payload: Any) -> tuple[Measurement, str | None]:
        """One synchronous invocation; the REPORT line of its log tail is the measurement."""
        with translated("lambda", "InvokeFunction"):
            response = self.invoker.invoke(FunctionName=self.function_name, Qualifier=version, LogType="Tail",
                                           Payload=json.dumps(payload).encode())
        log = base64.b64decode(response.get("LogResult") or b"").decode("utf-8", "replace")
        report = find_report(log)
        failure = classify_failure(response.get("FunctionError"), log, report)
        if report is None:
            return Measurement(math.nan, failed=True), failure or "no REPORT line in the log tail"
        return Measurement(report["duration"], report["billed"], report["init"], report["max_memory"],
                           cold=report["init"] is not None, failed=failure is not None), failure

    def trial(self, config: Config, payload: Any, invocations: int = 20, warmup: int = 2,
              cold_starts: int = 1) -> Profile:
        """COLD_STARTS cold invocations (each after a configuration change, which makes Lambda start new
        sandboxes), WARMUP discarded invocations, then INVOCATIONS measured ones; a failure ends the trial and
        marks the config infeasible with the reason."""
        measurements: list[Measurement] = []
        reason = None
        for _ in range(max(0, cold_starts - 1)):
            m, failure = self.invoke(self.prepare(config), payload)
            measurements.append(m)
            if failure:
                return self._profile(config, measurements, failure)
        version = self.prepare(config)
        for k in range(1 + warmup + invocations):
            m, failure = self.invoke(version, payload)
            if k == 0 or k > warmup or failure:
                measurements.append(m)
            if failure:
                reason = failure
                break
        return self._profile(config, measurements, reason)

    def burst(self, config: Config, payload: Any, concurrency: int, invocations: int) -> Profile:
        """INVOCATIONS at CONCURRENCY at once on a fresh version: Lambda serves each concurrent request from its
        own sandbox, so a burst shows how many cold starts it costs and whether latency holds."""
        from advisor.backends.load import closed_loop

        version = self.prepare(config)
        outcomes, _ = closed_loop(lambda _k: self.invoke(version, payload), concurrency, invocations)
        measurements = [Measurement(m.duration_ms, m.billed_duration_ms, m.init_duration_ms, m.max_memory_used_mb,
                                    cold=m.cold, failed=m.failed, concurrency=concurrency) for m, _ in outcomes]
        reason = next((f for _, f in outcomes if f), None)
        profile = self._profile(config, measurements, reason)
        profile.summary["burst_concurrency"] = float(concurrency)
        profile.summary["burst_cold_starts"] = float(sum(1 for m in measurements if m.cold))
        return profile

    def _profile(self, config: Config, measurements: list[Measurement], reason: str | None) -> Profile:
        summary = invocation_summary(measurements)
        return Profile(self.workload, config, self.method, summary, tuple(measurements), feasible=reason is None,
                       note=reason or "")
