"""Serverless training on this machine: each worker is a process under the local backend's CPU-share
emulation (a Lambda of M MB gets min(M/1769, 6) vCPUs), invoked again and again until done, as Lambda would
re-invoke it at its time budget. The same `train` runs here and in the Lambda handler."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import uuid
from dataclasses import asdict
from typing import Any

from advisor.core import catalog
from advisor.workloads import WorkloadSpec
from advisor.workloads.serverless_training.sync import SyncOptions
from recommender.serverless_fit import fit_exchange


def _spawn(jobs: list[dict[str, Any]], share: float) -> list[dict[str, Any]]:
    """One worker process per job, each under SHARE CPUs; their JSON results."""
    from advisor.backends.local import CpuLimiter, remove_group

    limiter = CpuLimiter()
    procs, groups = [], []
    for job in jobs:
        proc = subprocess.Popen([sys.executable, "-m", "profilers.serverless_slices", json.dumps(job)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
            remove_group(group)
    for r in results:
        r["method"] = limiter.method
        r["vcpus"] = share
    return results


def run_local(run: str, spec: WorkloadSpec, workers: int, steps: int, channel: dict[str, Any], checkpoint_dir: str,
              memory_mb: int = 1769, sync: SyncOptions = SyncOptions(), budget_s: float = 840.0,
              max_invocations: int = 50, share: float | None = None,
              evaluate_every: int = 0) -> list[dict[str, Any]]:
    """Run WORKERS worker processes to the end, each under a Lambda of MEMORY_MB's CPU share (or SHARE); each
    result lists its invocations and per-step timings (and worker 0's, the held-out scores every EVALUATE_EVERY
    steps)."""
    job = {"mode": "train", "run": run, "spec": spec.to_dict(), "workers": workers, "steps": steps,
           "channel": channel, "checkpoint_dir": checkpoint_dir, "sync": asdict(sync), "budget_s": budget_s,
           "max_invocations": max_invocations, "evaluate_every": evaluate_every}
    return _spawn([dict(job, worker=w) for w in range(workers)], share or lambda_share(memory_mb))


def progress_path(checkpoint_dir: str, run: str) -> str:
    """Where a local run's worker 0 keeps its latest step and loss."""
    import os

    return os.path.join(checkpoint_dir, run, "progress-w0.json")


def lambda_share(memory_mb: int) -> float:
    return catalog.lambda_vcpus(memory_mb)


# The exchange a slice trains with to time a channel in a run's own pace: the naive one, whose four terms each move
# bytes one way only (serverless_model.fit_bandwidths); DynamoDB then writes one item per request.
NAIVE = SyncOptions(segments=1, parallel=1)
EXCHANGE_SLICE_STEPS = 4  # timed steps of it, after the warm-up's


def training_slice(spec: WorkloadSpec, steps: int, checkpoint_dir: str, share: float,
                   channels: dict[str, dict[str, Any]] | None = None, workers: int = 1,
                   warmup: int = 2) -> dict[str, Any]:
    """A short slice: WORKERS processes at once, each STEPS steps of compute under SHARE CPUs without exchanging
    (so compute sees the co-location the real run will have here); then WORKERS processes probe each of CHANNELS
    from inside the same share, since a Lambda's client-side request cost shrinks with its CPU: all at once for
    large puts and gets (what a store that does not scale with its clients gives each), then one alone. With two
    or more WORKERS, they then train WARMUP + EXCHANGE_SLICE_STEPS steps exchanging naively through each channel:
    the time of each of its phases gives the bandwidths the run's workers get (`run_` keys of the channel's
    parameters), and the time outside it the compute of a step that exchanges (`exchange_outside_ms`); its timed
    steps are kept (`exchange_steps`), so that a change to the fit can be replayed on them.
    Returns every process's step times and the part of them spent preparing the batch, the gradient's density
    (of one step, and of the union of 2, 4 and 8 steps' gradients, as many workers' aggregate) and each channel's
    parameters."""
    job = {"mode": "slice", "spec": spec.to_dict(), "workers": 1, "steps": steps,
           "checkpoint_dir": checkpoint_dir, "sync": {}, "budget_s": 1e9, "max_invocations": 1, "worker": 0}
    computed = _spawn([dict(job, run=f"slice-{share:g}-{k}") for k in range(workers)], share)
    nonzero = [x for r in computed for x in r["nonzero"]]
    probed = probe_channels(channels, share, workers, statistics.fmean(nonzero) if nonzero else 1.0) if channels else {}
    widths = set.intersection(*(set(r["union_nonzero"]) for r in computed))
    out = {"step_ms": [r["step_ms"] for r in computed], "batch_ms": [r["batch_ms"] for r in computed],
           "channel_params": probed, "nonzero": nonzero,
           "union_nonzero": {w: statistics.fmean(r["union_nonzero"][w] for r in computed) for w in sorted(widths)},
           "method": computed[0]["method"], "vcpus": computed[0]["vcpus"], "exchange_outside_ms": {},
           "exchange_steps": {}}
    if workers > 1:
        from advisor.workloads.serverless_training.worker import gradient_bytes

        for name, channel in (channels or {}).items():
            steps = exchange_slice(spec, workers, warmup, channel, checkpoint_dir, share)
            outside, fitted = fit_exchange(steps, gradient_bytes(spec), probed[name], served_by_one_process(channel),
                                           NAIVE.poll_s)
            out["exchange_steps"][name], out["exchange_outside_ms"][name] = steps, outside
            probed[name].update(fitted)
    return out


def served_by_one_process(channel: dict[str, Any]) -> bool:
    """Whether CHANNEL (a spec for handler.make_channel) is served by one process, which queues every worker's
    requests: a memcached node, or S3 or DynamoDB at ADVISOR_AWS_ENDPOINT_URL (an AWS-compatible server such as
    moto's, not AWS, whose stores scale with their clients)."""
    from advisor.core import settings

    return channel.get("kind") == "memcached" or bool(settings.get("AWS_ENDPOINT_URL"))


STEP_TIMES = ("step_ms", "exchange_ms", "batch_ms", "phase_ms")  # what a worker's result times, per step


def exchange_slice(spec: WorkloadSpec, workers: int, warmup: int, channel: dict[str, Any], checkpoint_dir: str,
                   share: float) -> list[dict[str, list]]:
    """WORKERS processes train WARMUP + EXCHANGE_SLICE_STEPS steps exchanging naively through CHANNEL under SHARE
    CPUs: each worker's STEP_TIMES of the timed steps."""
    results = run_local(f"exchange-slice-{uuid.uuid4().hex[:8]}", spec, workers, warmup + EXCHANGE_SLICE_STEPS,
                        dict(channel, batched=False), checkpoint_dir, sync=NAIVE, share=share)
    return [{key: r[key][warmup:] for key in STEP_TIMES} for r in results]


def probe_channels(channels: dict[str, dict[str, Any]], share: float, clients: int = 1,
                   density: float = 1.0) -> dict[str, dict[str, float]]:
    """Each of CHANNELS' parameters (serverless_model.ChannelParams.to_dict), probed by CLIENTS processes under
    SHARE CPUs, for a gradient of DENSITY."""
    # a name of its own: the probes meet through the channel, and an older probe's keys would let them pass
    job = {"mode": "probe", "run": f"probe-{share:g}-{uuid.uuid4().hex[:8]}", "channels": channels,
           "clients": clients, "density": density}
    return _spawn([dict(job, worker=k) for k in range(clients)], share)[0]["channel_params"]


def _probe_main(job: dict[str, Any]) -> dict[str, Any]:
    """One of the job's CLIENTS probes of each channel: all of them time large puts and gets at once (as a run's
    workers make them), then the first alone times everything else and returns the parameters."""
    from advisor.workloads.serverless_training.handler import make_channel
    from profilers.channel_probe import calibrate, contended_times

    params = {}
    for name, spec in job["channels"].items():
        channel, prefix = make_channel(spec), f"{job['run']}/{name}"
        loaded = (contended_times(channel, job["worker"], job["clients"], f"{prefix}/contended")
                  if job["clients"] > 1 else None)
        if job["worker"] == 0:
            params[name] = calibrate(channel, prefix=prefix, density=job["density"], contended=loaded).to_dict()
    return {"channel_params": params}


def _worker_main(job: dict[str, Any]) -> dict[str, Any]:
    if job["mode"] == "probe":
        return _probe_main(job)
    from advisor.workloads.serverless_training.handler import make_channel
    from advisor.workloads.serverless_training.worker import FileCheckpoints, ProgressFile, RunConfig, train

    cfg = RunConfig(job["run"], job["worker"], job["workers"], job["steps"], WorkloadSpec.from_dict(job["spec"]),
                    SyncOptions(**job["sync"]), evaluate_every=int(job.get("evaluate_every", 0)))
    channel = make_channel(job["channel"]) if job.get("channel") else None
    checkpoints = FileCheckpoints(job["checkpoint_dir"])
    on_step = ProgressFile(progress_path(job["checkpoint_dir"], cfg.run), cfg.steps) \
        if cfg.worker == 0 and job["mode"] == "train" else None
    invocations, steps, cpu, batches, exchanges, phases, losses, nonzero, held_out = 0, [], [], [], [], [], [], [], []
    while invocations < job["max_invocations"]:
        invocations += 1
        result = train(cfg, channel, checkpoints, job["budget_s"], on_step=on_step)
        steps += result["step_ms"]
        cpu += result["cpu_ms"]
        batches += result["batch_ms"]
        exchanges += result["exchange_ms"]
        phases += result["phase_ms"]
        losses += result["losses"]
        nonzero += result["nonzero"]
        held_out += result["held_out"]
        if result["status"] == "done" and job["mode"] == "slice":
            return {"step_ms": steps, "batch_ms": batches, "nonzero": nonzero,
                    "union_nonzero": result["union_nonzero"]}
        if result["status"] == "done":
            return {"worker": cfg.worker, "invocations": invocations, "step_ms": steps, "cpu_ms": cpu,
                    "batch_ms": batches, "exchange_ms": exchanges, "phase_ms": phases, "losses": losses,
                    "held_out": held_out, "usage": channel.usage.snapshot() if channel is not None else {}}
    raise RuntimeError(f"not done after {invocations} invocations")


if __name__ == "__main__":
    print(json.dumps(_worker_main(json.loads(sys.argv[1]))))
