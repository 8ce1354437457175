"""Serverless training on this machine: each worker is a process under the local backend's CPU-share
emulation (a Lambda of M MB gets min(M/1769, 6) vCPUs), invoked again and again until done, as Lambda would
re-invoke it at its time budget. The same `train` runs here and in the Lambda handler."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from advisor import catalog
from advisor.domain import Config
from advisor.workloads import WorkloadSpec
from advisor.workloads.serverless_training.sync import SyncOptions


def run_local(run: str, spec: WorkloadSpec, workers: int, steps: int, channel: dict[str, Any], checkpoint_dir: str,
              memory_mb: int = 1769, sync: SyncOptions = SyncOptions(), budget_s: float = 840.0,
              max_invocations: int = 50) -> list[dict[str, Any]]:
    """Run WORKERS worker processes to the end; each result lists its invocations and per-step timings."""
    from advisor.backends.local import CpuLimiter, _remove_group

    share = catalog.vcpus(Config("lambda", memory_mb=memory_mb))
    limiter = CpuLimiter()
    job = {"run": run, "spec": spec.to_dict(), "workers": workers, "steps": steps, "channel": channel,
           "checkpoint_dir": checkpoint_dir, "sync": asdict(sync), "budget_s": budget_s,
           "max_invocations": max_invocations}
    procs, groups = [], []
    for w in range(workers):
        proc = subprocess.Popen([sys.executable, "-m", "advisor.workloads.serverless_training.local",
                                 json.dumps(dict(job, worker=w))], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        groups.append(limiter.apply(proc.pid, share))
        procs.append(proc)
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=3600)
            if proc.returncode != 0:
                raise RuntimeError(f"a training worker failed: {err.strip()[-1500:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        for group in groups:
            _remove_group(group)
    for r in results:
        r["method"] = limiter.method
        r["vcpus"] = share
    return results


def _worker_main(job: dict[str, Any]) -> dict[str, Any]:
    from advisor.workloads.serverless_training.handler import make_channel
    from advisor.workloads.serverless_training.worker import FileCheckpoints, RunConfig, train

    cfg = RunConfig(job["run"], job["worker"], job["workers"], job["steps"], WorkloadSpec.from_dict(job["spec"]),
                    SyncOptions(**job["sync"]))
    channel = make_channel(job["channel"])
    checkpoints = FileCheckpoints(job["checkpoint_dir"])
    invocations, steps, exchanges, losses = 0, [], [], []
    while invocations < job["max_invocations"]:
        invocations += 1
        result = train(cfg, channel, checkpoints, job["budget_s"])
        steps += result["step_ms"]
        exchanges += result["exchange_ms"]
        losses += result["losses"]
        if result["status"] == "done":
            return {"worker": cfg.worker, "invocations": invocations, "step_ms": steps, "exchange_ms": exchanges,
                    "losses": losses, "usage": channel.usage.snapshot()}
    raise RuntimeError(f"not done after {invocations} invocations")


if __name__ == "__main__":
    print(json.dumps(_worker_main(json.loads(sys.argv[1]))))
