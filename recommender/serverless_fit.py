"""Fitting the serverless-training model to a slice: a step's time and spread from its timed steps, where the
steps went, and the channel bandwidths a naive exchange through it gives. Pure arithmetic over a slice's timings:
the slice itself is run by profilers/serverless_slices.py."""

from __future__ import annotations

import statistics
from dataclasses import replace
from typing import Any, Iterable

from advisor.workloads.serverless_training.sync import PHASES, SyncOptions
from recommender import serverless_model

NAIVE_POLL_S = SyncOptions(segments=1, parallel=1).poll_s


def step_estimate(samples_ms: Iterable[float]) -> tuple[float, float]:
    """(a step's time, the spread of the steps), ms, from a slice's timed steps: their median, and 1.4826 x their
    median absolute deviation (a normal's standard deviation). A few of a slice's steps can take 2-4x the others:
    a mean and a standard deviation would let those few set the compute and the slowest worker's lag of every
    step, the median and the deviation do not."""
    samples = list(samples_ms)
    center = statistics.median(samples)
    return center, 1.4826 * statistics.median(abs(x - center) for x in samples)


def phase_means(results: list[dict[str, Any]], warmup: int) -> dict[str, float]:
    """Where the steps of a run's RESULTS went after WARMUP, ms, the mean over the timed steps: outside the exchange
    and its batch preparation over every worker; the exchange's phases over the workers that own a segment, those
    that timed an aggregation (their path is the model's critical path: a worker that owns none spends the owners'
    work in its read_wait)."""
    def mean(values) -> float:
        values = list(values)
        return statistics.fmean(values) if values else 0.0

    every = [(w, i) for w in results for i in range(warmup, len(w["step_ms"]))]
    owning = [(w, i) for w, i in every if "aggregate" in w["phase_ms"][i]]
    means = {"outside": mean(w["step_ms"][i] - w["exchange_ms"][i] for w, i in every),
             "batch": mean(w["batch_ms"][i] for w, i in every)}
    return dict(means, **{phase: mean(w["phase_ms"][i].get(phase, 0.0) for w, i in owning) for phase in PHASES})


def fit_exchange(steps: list[dict[str, list]], gradient_bytes: int, probed: dict[str, float],
                 shared_server: bool = True, poll_s: float = NAIVE_POLL_S) -> tuple[list[list[float]], dict[str, float]]:
    """From STEPS, an exchange slice's (one entry per worker): each worker's time outside the exchange per step,
    ms, and the bandwidths the exchange's phases give, fitted to the model with the PROBED parameters' requests
    and encoding speeds (the `run_` keys of serverless_model.fit_bandwidths; SHARED_SERVER: the channel is served
    by one process; POLL_S: the naive exchange's poll interval), so that the model's naive step is the slice's own: its waits are taken out of the terms, and
    the one server's time per request and byte (`run_server_` keys) scaled down where its queue, as probed, would
    take longer than the exchange did."""
    outside = [[s - e for s, e in zip(w["step_ms"], w["exchange_ms"])] for w in steps]
    every = [ms for per_worker in outside for ms in per_worker]
    skew_s = step_estimate(every)[1] / 1000 * serverless_model.expected_max_normal(len(steps))
    means = phase_means(steps, 0)
    measured = {term: sum(means[p] for p in phases) / 1000 for term, phases in serverless_model.TERM_PHASES.items()}
    params = serverless_model.ChannelParams.from_dict({k: v for k, v in probed.items() if not k.startswith("run_")})
    # The owner's wait for the others' copies is the model's wait, not its term: the slowest worker's lag, less the
    # part of it the owner spent reading the copies that came first, and the polling overshoot at both waits (the
    # owner's own for the last copy, and the others' for the last step's aggregate, which made them start this step
    # late). The one server's time per request and per byte, as probed, can make its queue longer than the whole
    # exchange the slice timed (a probe's requests are made apart and rested, a run's at once): it is scaled down
    # until it fits. Both depend on the bandwidths fitted: a few rounds settle them
    server_s, server_bytes_per_s = params.server_request_s, params.server_bandwidth
    waited, scale, fitted = 0.0, 1.0, {}
    for _ in range(4):
        at = replace(params, server_s=server_s * scale, server_bytes_per_s=server_bytes_per_s / scale)
        bandwidths = serverless_model.fit_bandwidths(
            at, len(steps), gradient_bytes, dict(measured, aggregate=measured["aggregate"] - waited), shared_server)
        if not bandwidths:
            break
        fitted = dict(bandwidths, run_server_ms=at.server_s * 1000, run_server_mb_per_s=at.server_bytes_per_s / 1e6)
        naive = serverless_model.exchange(serverless_model.ChannelParams.from_dict(dict(probed, **fitted)), len(steps),
                                          gradient_bytes, segments=1, shared_server=shared_server, skew_s=skew_s,
                                          poll_s=poll_s)
        waited = naive.waits_s(skew_s)
        if naive.serial_s > 0:
            scale = min(1.0, scale * sum(measured.values()) / naive.serial_s)
    return outside, fitted


def channels_in(summary: dict[str, float]) -> dict[str, dict[str, float]]:
    """The channel parameters a slice's summary holds, by channel."""
    out: dict[str, dict[str, float]] = {}
    for key, value in summary.items():
        if key.startswith("channel."):
            _, name, param = key.split(".", 2)
            out.setdefault(name, {})[param] = value
    return out


def sparsity_in(summary: dict[str, float]) -> Any:
    """The gradient's density in a slice's summary, one worker's and the union of several workers' (a
    recommender.serverless_model.Sparsity); slices profiled before unions were measured give the first only."""
    unions = tuple(sorted((int(key.rsplit("_", 1)[1]), value) for key, value in summary.items()
                          if key.startswith("nonzero_union_")))
    return serverless_model.Sparsity(summary.get("nonzero", 1.0), unions)
