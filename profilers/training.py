"""Training slices: K steps of a training workload under a config's CPU share, and a probe of each gradient channel.

A slice is what the training recommendation extrapolates from: the step time at the config's CPU share, its
spread, the gradient's size and density, and, for Lambda training, each configured channel's request latency,
bandwidth and client CPU cost measured from inside that share. Local slices emulate the share on this machine's
CPUs (as the local backend does for inference); they are not measurements on AWS hardware, and a config with more
vCPUs than this machine has is not emulated.
"""

from __future__ import annotations

import statistics
import tempfile
from typing import Any

from advisor.core import platforms
from advisor.core.domain import Config, Measurement, Profile

WARMUP_STEPS = 2  # the first steps trace the model: they are the cost of a restart, not of a step
SLICE_WORKERS = 4  # the most workers a Lambda training slice runs at once, to time its channels in a run's pace
WORKER_CORES = 0.7  # of this machine's cores for them: the rest is left to the channel servers and the OS


def parse_channels(text: str) -> dict[str, dict[str, Any]]:
    """ADVISOR_TRAINING_CHANNELS, e.g. 'memcached=127.0.0.1:11211;s3=bucket;dynamodb=table', as channel specs."""
    out: dict[str, dict[str, Any]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, target = part.partition("=")
        name, target = name.strip(), target.strip()
        if name == "memcached" and ":" in target:
            host, _, port = target.rpartition(":")
            out[name] = {"kind": "memcached", "host": host, "port": int(port)}
        elif name == "s3" and target:
            out[name] = {"kind": "s3", "bucket": target, "prefix": "advisor-probe"}
        elif name == "dynamodb" and target:
            out[name] = {"kind": "dynamodb", "table": target}
        else:
            raise ValueError(f"bad training channel {part!r}: write memcached=HOST:PORT, s3=BUCKET or dynamodb=TABLE")
    return out


def not_emulable(config: Config) -> str | None:
    from advisor.backends.local import available_cores

    platform = platforms.of(config)
    if platform.local_profiler != "training":
        return f"{config.platform} is not a training platform"
    if not platform.memory_sized and config.instance_count > 1:
        return "not emulable here: a multi-instance slice needs that many machines and their network"
    if platforms.vcpus(config) > len(available_cores()):
        return f"not emulable here: needs {platforms.vcpus(config):g} vCPUs, this machine has {len(available_cores())}"
    return None


def slice_workers(config: Config) -> int:
    """How many workers a Lambda training slice with channels runs at once: as many as WORKER_CORES of this
    machine's cores hold at CONFIG's share, at most SLICE_WORKERS. With two or more, the slice times a naive
    exchange through each channel (local.training_slice); with one, the channel's probe alone gives its figures."""
    from advisor.backends.local import available_cores

    return max(1, min(SLICE_WORKERS, int(WORKER_CORES * len(available_cores()) / platforms.vcpus(config))))


def slice_profile(spec: Any, config: Config, steps: int = 8, channels: dict[str, dict[str, Any]] | None = None,
                  progress: Any = lambda f, m: None) -> Profile:
    """Run one slice of SPEC on CONFIG's CPU share (plus channel probes for Lambda training) and summarise it."""
    from profilers.serverless_slices import training_slice
    from recommender.serverless_fit import step_estimate
    from advisor.workloads.serverless_training.worker import gradient_bytes

    progress(0.0, f"training slice on {config.key}")
    probe_channels = channels if platforms.of(config).channels else None
    at_once = slice_workers(config) if probe_channels else 1
    with tempfile.TemporaryDirectory() as checkpoints:  # fresh: an old checkpoint would make the slice resume
        result = training_slice(spec, WARMUP_STEPS + steps, checkpoints, platforms.vcpus(config), probe_channels,
                                at_once, WARMUP_STEPS)
    timed = result["step_ms"][0][WARMUP_STEPS:]
    step_ms, step_sd_ms = step_estimate(timed)
    summary: dict[str, float] = {
        "step_ms": step_ms, "step_sd_ms": step_sd_ms,
        "step_p90_ms": sorted(timed)[max(0, int(0.9 * len(timed)) - 1)] if len(timed) > 1 else timed[0],
        "step_p10_ms": sorted(timed)[int(0.1 * len(timed))], "restart_ms": result["step_ms"][0][0],
        "nonzero": statistics.fmean(result["nonzero"]), "gradient_bytes": float(gradient_bytes(spec)),
        "batch_size": float(spec.batch_size), "steps": float(len(timed)), "vcpus": float(result["vcpus"]),
        "batch_ms": statistics.median(result["batch_ms"][0][WARMUP_STEPS:])}
    for workers, union in result.get("union_nonzero", {}).items():
        summary[f"nonzero_union_{workers}"] = float(union)
    for name, params in result["channel_params"].items():
        for key, value in params.items():
            summary[f"channel.{name}.{key}"] = float(value)
    for name, outside in result["exchange_outside_ms"].items():  # a step's compute where it exchanged through NAME
        summary[f"channel.{name}.step_ms"], summary[f"channel.{name}.step_sd_ms"] = step_estimate(
            ms for per_worker in outside for ms in per_worker)
    summary["slice_workers"] = float(at_once)
    progress(1.0, f"{config.key}: {summary['step_ms']:.0f} ms a step")
    return Profile(spec.id, config, result["method"], summary, tuple(Measurement(ms) for ms in timed))
