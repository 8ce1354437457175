"""Shared fixtures: a fresh store per test, and profiles made from a known performance curve."""

from __future__ import annotations

import math
import random

import pytest

from advisor import service
from advisor.core.domain import Config, Measurement, Profile


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    """A fresh ADVISOR_DATA_DIR (and so a fresh SQLite store) for one test."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path))
    for name in ("ADVISOR_DATABASE_URL", "ADVISOR_API_TOKEN", "ADVISOR_PRICE_OVERRIDES", "ADVISOR_DISCOUNTS",
                 "ADVISOR_REGION"):
        monkeypatch.delenv(name, raising=False)
    service.reset_caches()
    yield tmp_path
    service.reset_caches()


def lambda_profile(workload: str, memory_mb: int, serial_ms: float = 4.0, cpu_ms: float = 12.0, seed: int = 0,
                   arch: str = "x86_64", samples: int = 40, peak_mb: float = 600.0) -> Profile:
    """A Lambda profile whose durations follow serial + cpu/vCPU with 5% noise."""
    rng = random.Random(seed * 100_000 + memory_mb)
    share = min(memory_mb / 1769, 6.0)
    durations = [(serial_ms + cpu_ms / share) * math.exp(rng.gauss(0, 0.05)) for _ in range(samples)]
    from advisor.core.stats import latency_summary

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


@pytest.fixture()
def profiled(data_dir):
    """The store with the reference workload profiled on a Lambda grid and one instance type."""
    profiles = [lambda_profile("ncf-recommender", m) for m in (1024, 1769, 2560, 3538)]
    profiles.append(Profile("ncf-recommender", Config("lambda", memory_mb=512), "test:synthetic", {"errors": 1.0},
                            (Measurement(0.0, failed=True),), feasible=False, note="out of memory"))
    profiles.append(instance_profile("ncf-recommender", "ml.c5.large"))
    service.store().add_profiles(profiles)
    return "ncf-recommender"
