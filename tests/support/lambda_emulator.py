"""Stands for AWS Lambda running the serverless-training handler, which moto's server cannot do without Docker.

An asynchronous Invoke (Lambda answers 202 and runs the function later) starts the handler in a process of its own,
with a context whose remaining time is REMAINING_MS; the handler's own re-invocations go the same way. Everything
else the handler does (S3 checkpoints, the channel, its reports) reaches moto's server as it would reach AWS.

    python -m tests.support.lambda_emulator   # reads {"event", "arn", "remaining_ms"} on stdin
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace
from typing import Any

PROCESSES: list[subprocess.Popen] = []  # the invocations this process started


def runs_handlers(lambda_client: Any, remaining_ms: int) -> Any:
    """LAMBDA_CLIENT, with its asynchronous Invoke calls run by the emulator instead of sent to the server."""

    def invoke(params: dict[str, Any], **_: Any) -> Any:
        function = params["url_path"].split("/functions/", 1)[1].split("/", 1)[0]
        job = {"event": json.loads(params["body"]), "remaining_ms": remaining_ms,
               "arn": f"arn:aws:lambda:us-east-1:123456789012:function:{function}"}
        proc = subprocess.Popen([sys.executable, "-m", "tests.support.lambda_emulator"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
        PROCESSES.append(proc)
        return SimpleNamespace(status_code=202, headers={}), {"StatusCode": 202, "ResponseMetadata": {}}

    lambda_client.meta.events.register("before-call.lambda.Invoke", invoke)
    return lambda_client


def main() -> None:
    from advisor.core.aws import client
    from advisor.workloads.serverless_training.handler import run_invocation

    job = json.loads(sys.stdin.read())
    deadline = time.monotonic() + job["remaining_ms"] / 1000.0
    context = SimpleNamespace(invoked_function_arn=job["arn"],
                              get_remaining_time_in_millis=lambda: int((deadline - time.monotonic()) * 1000))
    run_invocation(job["event"], context, lambda_client=runs_handlers(client("lambda"), job["remaining_ms"]))
    # Lambda keeps no parent: the next invocation carries on after this process has ended


if __name__ == "__main__":
    main()
