"""Training runs on AWS: Lambda workers exchanging gradients through S3 or DynamoDB, or a SageMaker training job.

Lambda workers: one function for the run (the workload's package, the serverless-training handler, the config's
memory and architecture, 15 minutes), each worker invoked asynchronously; each invocation re-invokes itself before
the limit and reports to S3 beside the checkpoints (serverless_training/handler.py), which is where the run's
progress is read. The function is deleted when the run ends, is interrupted or fails: an invocation in flight then
finishes its budget and cannot re-invoke, and the checkpoints stay for `advisor train --resume`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from advisor.core.aws import client, delete_lambda, translated
from advisor.core.domain import Config
from advisor.core.errors import TrialFailed
from advisor.workloads.serverless_training.worker import LAMBDA_LIMIT_S

RUN_TAG = "advisor:run"
POLL_S = 5.0  # how often the reports are listed
HANDLER = "advisor.workloads.serverless_training.handler.handler"


class LambdaWorkerRun:
    def __init__(self, run_id: str, event: dict[str, Any], config: Config, role_arn: str, code: dict[str, Any],
                 control: Any = None, s3: Any = None, poll_s: float | None = None,
                 stall_s: float = LAMBDA_LIMIT_S + 180) -> None:
        self.run_id, self.event, self.config = run_id, event, config
        self.role_arn, self.code = role_arn, code
        self.function_name = f"advisor-run-{run_id}"[:64]
        self.control = control or client("lambda")
        self.s3 = s3 or client("s3")
        self.poll_s, self.stall_s = POLL_S if poll_s is None else poll_s, stall_s
        self.bucket = event["checkpoints"]["bucket"]
        self.results_prefix = f"{event['checkpoints']['prefix'].rstrip('/')}/{event['run']}/results/"
        self.created = False

    def __enter__(self) -> "LambdaWorkerRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        """Delete the run's function (no invocation can re-invoke it then); safe to call twice."""
        if not self.created:
            return
        delete_lambda(self.control, self.function_name)
        self.created = False

    def start(self) -> None:
        with translated("lambda", "CreateFunction"):
            self.control.create_function(
                FunctionName=self.function_name, Runtime="python3.11", Role=self.role_arn, Handler=HANDLER,
                Code=self.code, MemorySize=self.config.memory_mb, Timeout=LAMBDA_LIMIT_S,
                Architectures=[self.config.architecture], Tags={RUN_TAG: self.run_id})
        self.created = True
        with translated("lambda", "GetFunctionConfiguration"):
            self.control.get_waiter("function_active_v2").wait(FunctionName=self.function_name,
                                                              WaiterConfig={"Delay": 1, "MaxAttempts": 300})
        for worker in range(self.event["workers"]):
            with translated("lambda", "InvokeFunction"):
                self.control.invoke(FunctionName=self.function_name, InvocationType="Event",
                                    Payload=json.dumps(dict(self.event, worker=worker)).encode())

    def reports(self) -> dict[int, list[dict[str, Any]]]:
        """Every worker's invocation reports so far, in order; raises TrialFailed when a worker reported an error."""
        out: dict[int, list[dict[str, Any]]] = {w: [] for w in range(self.event["workers"])}
        keys = []
        with translated("s3", "ListBucket"):
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                          Prefix=self.results_prefix):
                keys += [o["Key"] for o in page.get("Contents", [])]
        for key in sorted(keys):
            name = key.rsplit("/", 1)[-1].removesuffix(".json")  # w<worker>-<next step> or w<worker>-error
            worker, _, what = name[1:].partition("-")
            with translated("s3", "GetObject"):
                body = json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
            if what == "error":
                raise TrialFailed(f"worker {worker} of run {self.run_id} failed: {body.get('error', '?')[:500]}",
                                  hint=f"its log is in CloudWatch under /aws/lambda/{self.function_name}; the "
                                       f"checkpoints stay: `advisor train --resume {self.run_id}`")
            out.setdefault(int(worker), []).append(body)
        return out

    def wait(self, steps: int, progress: Callable[[float, str], None], started: float,
             clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
             ) -> dict[int, list[dict[str, Any]]]:
        """Until every worker reported its last step; TrialFailed when no worker advanced for stall_s."""
        last_change, last_seen = clock(), -1
        while True:
            reports = self.reports()
            done = [max((r["next_step"] for r in rs), default=0) for rs in reports.values()]
            if all(step >= steps for step in done):
                return reports
            if sum(done) != last_seen:
                last_seen, last_change = sum(done), clock()
            elif clock() - last_change > self.stall_s:
                raise TrialFailed(f"no worker of run {self.run_id} reported for {self.stall_s:.0f} s",
                                  hint=f"see /aws/lambda/{self.function_name} in CloudWatch; `advisor train --resume "
                                       f"{self.run_id}` carries on from the checkpoints")
            latest = [r["losses"][-1] for r in reports.get(0, []) if r.get("losses")]
            loss = f", loss {latest[-1]:.4f}" if latest else ""
            progress(min(done) / steps, f"{self.config.key} on AWS: step {min(done)}/{steps}{loss}, "
                                        f"{clock() - started:.0f} s")
            sleep(self.poll_s)


def summarise(reports: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each worker's reports as one result, in the shape local runs give (step times, losses, invocations, usage),
    plus the Lambda time its invocations took."""
    results = []
    for worker in sorted(reports):
        rs = reports[worker]
        usage: dict[str, int] = {}
        for r in rs:
            for k, v in (r.get("usage") or {}).items():
                usage[k] = usage.get(k, 0) + v
        results.append({"worker": worker, "invocations": len(rs), "step_ms": [x for r in rs for x in r["step_ms"]],
                        "losses": [x for r in rs for x in r["losses"]], "held_out": [x for r in rs for x in
                                                                                    r.get("held_out", [])],
                        "usage": usage, "lambda_ms": sum((r["ended"] - r["began"]) * 1000.0 for r in rs)})
    return results
