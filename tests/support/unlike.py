"""Lambda workloads of unlike families, from known curves: p95 of invocations taking io + cpu / min(share,
parallelism) ms with 4% noise, over the x86_64 Lambda grid."""

import math
import random
import zlib

from advisor.core import catalog, platforms
from advisor.core.domain import Measurement, Profile
from advisor.core.stats import latency_summary

GRID = [c for c in platforms.get("lambda").candidates() if c.architecture == "x86_64"]


def profile(workload, config, io_ms, cpu_ms, parallelism, seed=0):
    """p95 of 60 invocations taking io + cpu / min(share, parallelism) ms, 4% noise."""
    rng = random.Random(zlib.crc32(f"{workload}/{config.memory_mb}/{seed}".encode()))
    share = catalog.lambda_vcpus(config.memory_mb)
    durations = [(io_ms + cpu_ms / min(share, parallelism)) * math.exp(rng.gauss(0, 0.04)) for _ in range(60)]
    summary = dict(latency_summary(durations), max_memory_used_mb=90.0)
    return Profile(workload, config, "test:synthetic", summary, tuple(Measurement(d) for d in durations))


def family(name, io_ms, cpu_ms, parallelism, n=6):
    out = []
    for k in range(n):
        scale = 1 + 0.4 * k
        out += [profile(f"{name}-{k}", c, io_ms * scale, cpu_ms * scale, parallelism, seed=k) for c in GRID]
    return out


FLAT_IO = family("io", io_ms=80, cpu_ms=2, parallelism=1)  # waits on the network: memory barely matters
MULTI_CPU = family("threads", io_ms=2, cpu_ms=300, parallelism=6)  # uses every vCPU up to 6
