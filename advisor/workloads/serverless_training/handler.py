"""The serverless-training worker as a Lambda function. Each invocation trains until done or until its remaining
time (less a margin) runs out; then it checkpoints and invokes itself again, asynchronously, with the same event,
and the next invocation resumes from the checkpoint. Asynchronous invocations return to no one, so each one writes
what it measured (or the error that stopped it) next to the checkpoints, where the advisor reads the run's
progress: `<prefix>/<run>/results/w<worker>-<next step>.json` and `<prefix>/<run>/results/w<worker>-error.json`.

Event: {"run", "worker", "workers", "steps", "spec": {WorkloadSpec}, "sync": {SyncOptions}, "evaluate_every",
        "channel": {"kind": "s3", "bucket", "prefix"} | {"kind": "dynamodb", "table", "batched"} | {"kind": "memcached", "host", "port"},
        "checkpoints": {"bucket", "prefix"}}
"""

from __future__ import annotations

import json
from typing import Any

from advisor.workloads import WorkloadSpec
from advisor.workloads.serverless_training.sync import SyncOptions
from advisor.workloads.serverless_training.worker import LAMBDA_LIMIT_S, MARGIN_S, Checkpoints, RunConfig, train


def make_channel(spec: dict[str, Any]) -> Any:
    kind = spec.get("kind")
    if kind == "s3":
        from advisor.core.aws import client
        from advisor.workloads.serverless_training.channels.s3 import S3Channel

        return S3Channel(spec["bucket"], spec.get("prefix", "grads"), client("s3"))
    if kind == "dynamodb":
        from advisor.core.aws import client
        from advisor.workloads.serverless_training.channels.dynamodb import DynamoDBChannel

        return DynamoDBChannel(spec["table"], client("dynamodb"), batched=spec.get("batched", True))
    if kind == "memcached":
        from pymemcache.client.base import PooledClient

        from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel

        return MemcachedChannel(PooledClient((spec["host"], int(spec["port"])), timeout=10, max_pool_size=16))
    raise ValueError(f"unknown channel kind {kind!r} (s3, dynamodb or memcached)")


def result_key(prefix: str, run: str, worker: int, what: str) -> str:
    """Where an invocation of WORKER reports: WHAT is its next step (zero-padded) or "error"."""
    return f"{prefix.rstrip('/')}/{run}/results/w{worker}-{what}.json"


def run_invocation(event: dict[str, Any], context: Any, lambda_client: Any = None) -> dict[str, Any]:
    import time

    from advisor.core.aws import client

    began = time.time()
    remaining_s = context.get_remaining_time_in_millis() / 1000.0 if context is not None else LAMBDA_LIMIT_S
    cfg = RunConfig(run=event["run"], worker=int(event["worker"]), workers=int(event["workers"]),
                    steps=int(event["steps"]), spec=WorkloadSpec.from_dict(event["spec"]),
                    sync=SyncOptions(**event.get("sync", {})), evaluate_every=int(event.get("evaluate_every", 0)))
    s3, bucket, prefix = client("s3"), event["checkpoints"]["bucket"], event["checkpoints"].get("prefix", "runs")
    checkpoints = Checkpoints(s3, bucket, prefix)
    channel = None
    try:
        channel = make_channel(event["channel"]) if cfg.workers > 1 else None
        result = train(cfg, channel, checkpoints, budget_s=max(0.0, remaining_s - MARGIN_S))
    except Exception as exc:
        s3.put_object(Bucket=bucket, Key=result_key(prefix, cfg.run, cfg.worker, "error"), Body=json.dumps(
            {"error": f"{type(exc).__name__}: {exc}"[:2000], "worker": cfg.worker}).encode())
        raise
    result.update(began=began, ended=time.time(), usage=channel.usage.snapshot() if channel is not None else {})
    s3.put_object(Bucket=bucket, Key=result_key(prefix, cfg.run, cfg.worker, f"{result['next_step']:09d}"),
                  Body=json.dumps(result).encode())
    if result["status"] == "continue" and context is not None:
        (lambda_client or client("lambda")).invoke(FunctionName=context.invoked_function_arn, InvocationType="Event",
                                                   Payload=json.dumps(event).encode())
        result["reinvoked"] = True
    return result


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point."""
    return run_invocation(event, context)
