"""The inference profiler: warm-up, a cold start, then load.

A Lambda-like config (one request per sandbox) is measured by sequential warm invocations, as Lambda bills
them. An instance config is measured under closed-loop load (concurrency C) and open-loop load (Poisson
arrivals at R rps), stepping R up to find its capacity: the highest rps whose p95 meets the latency target.
"""

from __future__ import annotations

import math
import random
import time
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any, Callable

from advisor.backends.base import Invocation, Target
from advisor.backends.load import closed_loop
from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import Infeasible
from advisor.workloads import WorkloadSpec
from advisor.core.stats import latency_summary, percentile

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class InferencePlan:
    warmup: int = 5
    invocations: int = 40  # sequential warm invocations (Lambda-like)
    concurrency: tuple[int, ...] = (1, 4)  # closed loop (instances)
    requests_per_level: int = 60
    level_seconds: float = 2.0  # open loop: time per rate step
    max_levels: int = 8
    latency_target_ms: float = 250.0  # capacity is measured against this p95
    seed: int = 0


def _payloads(spec: WorkloadSpec, n: int, seed: int) -> list[dict[str, Any]]:
    """N requests: a user model's sample each time, or the recommender's requests for varied users."""
    if spec.params.get("sample"):
        return [spec.params["sample"]] * n
    from advisor.workloads.ncf import request_for  # numpy only, no TensorFlow

    return [request_for(spec, spec.candidates_per_request, seed=seed + k) for k in range(n)]


def _failure_reason(invocations: list[Invocation]) -> str | None:
    errors = [i.error for i in invocations if i.error]
    if errors and len(errors) * 2 >= len(invocations):
        return errors[0]
    oom = [e for e in errors if e.startswith("out of memory")]
    return oom[0] if oom else None


def _closed_loop(target: Target, payloads: list[dict], concurrency: int, total: int) -> tuple[list[Invocation], float]:
    """CONCURRENCY clients, each sending its next request when the last returns."""
    return closed_loop(lambda k: target.submit(payloads[k % len(payloads)]).result(timeout=120), concurrency, total)


def _open_loop(target: Target, payloads: list[dict], rps: float, seconds: float, rng: random.Random) -> list[Invocation]:
    """Poisson arrivals at RPS for SECONDS; requests are sent on time whether or not earlier ones returned."""
    futures: list[Future] = []
    start = time.perf_counter()
    next_at = 0.0
    k = 0
    while next_at < seconds:
        delay = start + next_at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        futures.append(target.submit(payloads[k % len(payloads)]))
        k += 1
        next_at += rng.expovariate(rps)
    wait(futures, timeout=seconds + 120)
    return [f.result() if f.done() else Invocation(0, 0, None, "timed out") for f in futures]


def profile_lambda_like(target: Target, spec: WorkloadSpec, config: Config, plan: InferencePlan,
                        progress: Progress) -> Profile:
    payloads = _payloads(spec, max(plan.invocations, 8), plan.seed)
    first = target.submit(payloads[0]).result(timeout=300)
    measurements = [Measurement(first.duration_ms, math.ceil(first.duration_ms), target.init_ms,
                                first.max_memory_used_mb, cold=True, failed=first.error is not None)]
    warm: list[Invocation] = []
    total = plan.warmup + plan.invocations
    for k in range(total):
        inv = target.submit(payloads[k % len(payloads)]).result(timeout=300)
        if k >= plan.warmup:
            warm.append(inv)
            measurements.append(Measurement(inv.duration_ms, math.ceil(inv.duration_ms), None,
                                            inv.max_memory_used_mb, failed=inv.error is not None))
        progress((k + 1) / total, f"{config.key}: invocation {k + 1}/{total}")
        if inv.error and inv.error.startswith("out of memory"):
            break  # as on Lambda: an OOM ends the sandbox; no point in more
    reason = _failure_reason([first] + warm)
    ok = [i.duration_ms for i in warm if not i.error]
    summary = latency_summary(ok)
    summary.update({"billed_mean_ms": sum(math.ceil(d) for d in ok) / len(ok) if ok else math.nan,
                    "cold_start_ms": target.init_ms + first.duration_ms, "init_ms": target.init_ms,
                    "max_memory_used_mb": max((i.max_memory_used_mb or 0) for i in [first] + warm),
                    "errors": float(sum(1 for i in warm if i.error))})
    return Profile(spec.id, config, target.method, summary, tuple(measurements), feasible=reason is None,
                   note=reason or "")


def profile_instance(target: Target, spec: WorkloadSpec, config: Config, plan: InferencePlan,
                     progress: Progress) -> Profile:
    payloads = _payloads(spec, 32, plan.seed)
    first = target.submit(payloads[0]).result(timeout=300)
    for k in range(plan.warmup):
        target.submit(payloads[k % len(payloads)]).result(timeout=120)
    measurements = [Measurement(first.latency_ms, None, target.init_ms, first.max_memory_used_mb, cold=True)]
    summary: dict[str, Any] = {"cold_start_ms": target.init_ms + first.latency_ms, "init_ms": target.init_ms}
    steps = len(plan.concurrency) + plan.max_levels
    done = 0
    base: list[Invocation] = []
    for c in plan.concurrency:
        results, elapsed = _closed_loop(target, payloads, c, plan.requests_per_level)
        lat = [r.latency_ms for r in results if not r.error]
        summary[f"closed_c{c}_rps"] = len(results) / elapsed
        summary[f"closed_c{c}_p95_ms"] = percentile(lat, 95)
        measurements += [Measurement(r.latency_ms, None, None, r.max_memory_used_mb, failed=bool(r.error),
                                     concurrency=c) for r in results]
        if c == plan.concurrency[0]:
            base = results
        done += 1
        progress(done / steps, f"{config.key}: closed loop, concurrency {c}")
    ok = [r.latency_ms for r in base if not r.error]
    summary.update(latency_summary(ok))
    service_ms = max(summary["mean_ms"], 0.1)
    # Open loop: start at half the single-client rate and step up by 1.5x until p95 breaks the target.
    rng = random.Random(plan.seed)
    rate = max(0.5, 500.0 / service_ms)
    curve: list[list[float]] = []
    capacity = 0.0
    for level in range(plan.max_levels):
        results = _open_loop(target, payloads, rate, plan.level_seconds, rng)
        lat = [r.latency_ms for r in results if not r.error]
        p95 = percentile(lat, 95) if lat else math.inf
        errors = sum(1 for r in results if r.error)
        curve.append([rate, percentile(lat, 50) if lat else math.inf, p95, float(errors)])
        measurements += [Measurement(r.latency_ms, None, None, r.max_memory_used_mb, failed=bool(r.error), rps=rate)
                         for r in results]
        done += 1
        progress(done / steps, f"{config.key}: open loop at {rate:.1f} rps, p95 {p95:.1f} ms")
        if p95 > plan.latency_target_ms or errors:
            break
        capacity = rate
        rate *= 1.5
    summary["capacity_rps"] = capacity
    summary["capacity_target_ms"] = plan.latency_target_ms
    summary["load_curve"] = curve  # [rps, p50_ms, p95_ms, errors] per open-loop level
    summary["errors"] = float(sum(1 for m in measurements if m.failed))
    reason = _failure_reason([first] + base)
    return Profile(spec.id, config, target.method, summary, tuple(measurements), feasible=reason is None,
                   note=reason or "")


def profile(backend: Any, spec: WorkloadSpec, config: Config, plan: InferencePlan = InferencePlan(),
            progress: Progress = lambda f, m: None, model_path: Any = None) -> Profile:
    """Start a target for CONFIG on BACKEND, measure it, and always tear it down."""
    try:
        target = backend.start(spec, config, model_path=model_path)
    except Infeasible as exc:
        return Profile(spec.id, config, getattr(backend, "method", backend.name), {"errors": 1.0}, (
            Measurement(0.0, cold=True, failed=True),), feasible=False, note=exc.message)
    try:
        if config.is_memory_sized:
            return profile_lambda_like(target, spec, config, plan, progress)
        return profile_instance(target, spec, config, plan, progress)
    finally:
        target.close()
