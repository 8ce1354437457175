"""Scatter-reduce through a channel: how data-parallel workers average their gradients without talking directly.

Each of W workers splits its flat gradient into S segments and writes them all; segment j is owned by worker
j mod W, which waits for every worker's copy of it, averages them and writes the aggregate; every worker then
reads all S aggregates. Keys carry the run and the step, so a slow or retried worker never mixes steps, and a
retried write of the same step writes the same bytes. A run's name must not be reused for a new run: the
channel may still hold the old run's values under the same keys, and they would be read as this run's. Segments
can be compressed to float16 on the wire (lossy) or sent sparse, as the indices and float32 values of their
non-zero entries (lossless).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from advisor.workloads.serverless_training.channels.base import Channel


MAX_POLL_FACTOR = 4  # polling backs off to at most this many times poll_s
PHASES = ("write", "owner_wait", "aggregate", "publish", "read_wait", "decode")  # scatter_reduce's, timed in order


@dataclass(frozen=True)
class SyncOptions:
    segments: int | None = None  # None: one per worker (the fewest that spread the aggregation)
    parallel: int = 1  # concurrent requests per worker
    compress: str = "none"  # none | float16 | sparse (only non-zero entries, as index and float32: lossless)
    overlap: bool = False  # prepare the next step's batch while the exchange runs (exact: weights unaffected)
    poll_s: float = 0.005
    timeout_s: float = 120.0


# What the training recommendation predicts and the benchmark measures as "optimized": 8 requests in flight, the
# next batch prepared during the exchange, and the segments and the wire encoding (one of COMPRESSIONS) that the
# model predicts fastest for the channel and the gradient (recommender/serverless_model.tune).
OPTIMIZED = SyncOptions(segments=None, parallel=8, compress="float16", overlap=True)
COMPRESSIONS = ("float16", "sparse")


def encode(values: np.ndarray, compress: str) -> bytes:
    """VALUES (float32) as bytes for the wire. Copies are avoided where numpy allows: on a Lambda's fraction of a
    vCPU this work is on the exchange's critical path (finding the non-zeros of a boolean mask is 4x faster than
    of the float array, and a float32 array is not converted again)."""
    if compress == "sparse":  # an embedding's gradient touches only the batch's rows: most entries are zero
        index = np.flatnonzero(values != 0).astype(np.uint32)
        return b"".join((np.uint32(index.size).tobytes(), index.tobytes(),
                         np.asarray(values[index], dtype=np.float32).tobytes()))
    return np.asarray(values, dtype=np.float16 if compress == "float16" else np.float32).tobytes()


def decode(data: bytes, compress: str, size: int) -> np.ndarray:
    if compress == "sparse":
        count = int(np.frombuffer(data[:4], dtype=np.uint32)[0])
        index = np.frombuffer(data[4:4 + 4 * count], dtype=np.uint32)
        dense = np.zeros(size, dtype=np.float32)
        dense[index] = np.frombuffer(data[4 + 4 * count:], dtype=np.float32)
        return dense
    return np.frombuffer(data, dtype=np.float16 if compress == "float16" else np.float32).astype(np.float32)


def segment_bounds(size: int, segments: int) -> list[tuple[int, int]]:
    step = math.ceil(size / segments)
    return [(k * step, min(size, (k + 1) * step)) for k in range(segments) if k * step < size]


def wait_all(channel: Channel, keys: list[str], options: SyncOptions) -> dict[str, bytes]:
    """Read KEYS until every one is there (other workers may still be writing), or time out. The pause between
    rounds doubles from poll_s up to MAX_POLL_FACTOR x poll_s: each round of misses costs requests (money on S3
    and DynamoDB) and the waiting worker's CPU, which a Lambda's small share feels."""
    found: dict[str, bytes] = {}
    deadline = time.monotonic() + options.timeout_s
    pause = options.poll_s
    while True:
        missing = [k for k in keys if k not in found]
        for key, value in channel.get_many(missing, parallel=options.parallel).items():
            if value is not None:
                found[key] = value
        if len(found) == len(keys):
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(keys) - len(found)} of {len(keys)} segments never arrived, e.g. "
                               f"{[k for k in keys if k not in found][0]}")
        time.sleep(pause)
        pause = min(pause * 2, MAX_POLL_FACTOR * options.poll_s)


def scatter_reduce(channel: Channel, run: str, step: int, worker: int, workers: int, gradient: np.ndarray,
                   options: SyncOptions = SyncOptions(), phases: dict[str, float] | None = None,
                   written: Callable[[], object] | None = None) -> np.ndarray:
    """The average of all WORKERS' gradients for STEP, as every worker sees it. PHASES, if given, gains the
    seconds spent in each phase (write, owner_wait, aggregate, publish, read_wait, decode): what the model's
    terms are checked against. WRITTEN, if given, is called once this worker's own segments are written, before
    it waits for the others': work started there (the next batch) fills the waits instead of taking a small CPU
    share from the writes."""
    clock = [time.perf_counter()]

    def lap(phase: str) -> None:
        clock.append(time.perf_counter())
        if phases is not None:
            phases[phase] = phases.get(phase, 0.0) + clock[-1] - clock[-2]

    flat = np.asarray(gradient, dtype=np.float32).reshape(-1)
    bounds = segment_bounds(flat.size, options.segments or workers)
    prefix = f"{run}/step{step}"
    channel.put_many({f"{prefix}/grad/{j}/w{worker}": encode(flat[a:b], options.compress)
                      for j, (a, b) in enumerate(bounds)}, parallel=options.parallel)
    lap("write")
    if written is not None:
        written()
    owned = [j for j in range(len(bounds)) if j % workers == worker]
    aggregates = {}
    for j in owned:
        copies = wait_all(channel, [f"{prefix}/grad/{j}/w{w}" for w in range(workers)], options)
        lap("owner_wait")
        size = bounds[j][1] - bounds[j][0]
        total = sum(decode(copies[f"{prefix}/grad/{j}/w{w}"], options.compress, size) for w in range(workers))
        aggregates[f"{prefix}/agg/{j}"] = encode(total / workers, options.compress)
        lap("aggregate")
    channel.put_many(aggregates, parallel=options.parallel)
    lap("publish")
    merged = wait_all(channel, [f"{prefix}/agg/{j}" for j in range(len(bounds))], options)
    lap("read_wait")
    averaged = np.concatenate([decode(merged[f"{prefix}/agg/{j}"], options.compress, b - a)
                               for j, (a, b) in enumerate(bounds)])
    lap("decode")
    return averaged
