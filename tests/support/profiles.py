"""Profiles made from known performance curves, for tests that need a store or a model with a known answer."""

from __future__ import annotations

import math
import random

from advisor.core.domain import Config, Measurement, Profile
from advisor.core.stats import latency_summary


def lambda_profile(workload: str, memory_mb: int, serial_ms: float = 4.0, cpu_ms: float = 12.0, seed: int = 0,
                   arch: str = "x86_64", samples: int = 40, peak_mb: float = 600.0) -> Profile:
    """A Lambda profile whose durations follow serial + cpu/vCPU with 5% noise."""
    rng = random.Random(seed * 100_000 + memory_mb)
    share = min(memory_mb / 1769, 6.0)
    durations = [(serial_ms + cpu_ms / share) * math.exp(rng.gauss(0, 0.05)) for _ in range(samples)]
    summary = latency_summary(durations)
    summary.update({"cold_start_ms": 3000.0 / min(share, 2), "max_memory_used_mb": peak_mb, "errors": 0.0})
    ms = tuple(Measurement(d, math.ceil(d), max_memory_used_mb=peak_mb) for d in durations)
    return Profile(workload, Config("lambda", memory_mb=memory_mb, architecture=arch), "test:synthetic", summary, ms)


def instance_profile(workload: str, instance_type: str, service_ms: float = 8.0, capacity: float = 100.0) -> Profile:
    """An instance profile with a load curve that breaks past CAPACITY rps."""
    curve = []
    rate = capacity / 4
    while rate < capacity * 2:
        utilisation = min(rate / capacity, 0.99)
        p95 = service_ms * 3 / (1 - utilisation)
        curve.append([rate, p95 / 3, p95, p95 * 1.3, 0.0])
        rate *= 1.5
    summary = {"p50_ms": service_ms, "p90_ms": service_ms * 1.2, "p95_ms": service_ms * 1.3,
               "p99_ms": service_ms * 1.6, "mean_ms": service_ms, "cold_start_ms": 5000.0, "load_curve": curve,
               "capacity_rps": capacity, "errors": 0.0}
    return Profile(workload, Config("sagemaker-realtime", instance_type=instance_type), "test:synthetic", summary,
                   (Measurement(service_ms),))


REPLAYED_WORKLOAD = "replayed-model"
REPLAYED_GRID = (512, 768, 1024, 1536, 1769, 2048, 3008)


def replayed_measurements_csv(slowdown: float = 1.0, seed: int = 0, rows: int = 30) -> str:
    """Warm invocations of a model whose duration is 20 ms + 400 ms / vCPU, 5% noise, times SLOWDOWN."""
    rng = random.Random(seed)
    lines = ["workload,platform,memory_mb,duration_ms,max_memory_used_mb"]
    for memory in REPLAYED_GRID:
        for _ in range(rows):
            ms = (20 + 400 / min(memory / 1769, 6)) * math.exp(rng.gauss(0, 0.05)) * slowdown
            lines.append(f"{REPLAYED_WORKLOAD},lambda,{memory},{ms:.3f},300")
    return "\n".join(lines) + "\n"
