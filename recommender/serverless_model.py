"""An analytical model of the gradient exchange in serverless training (scatter-reduce through a channel).

W workers, gradient G bytes (halved by float16), S segments, A = min(W, S) aggregators, p requests in flight per
worker, a channel item limit L (each value costs ceil(size / L) requests), per-request latency l and per-client
bandwidth B. One worker's critical path (our reconstruction, after AWS-FACTS.md):
    write its S segments          ceil(S*k / p) * l + G / B
    aggregate S/A segments        ceil(W*S*k / (A*p)) * l + W*G / (A*B)   then write them: ceil(S*k/(A*p))*l + G/(A*B)
    read all S aggregates         ceil(S*k / p) * l + G / B
(k parts per segment). A channel served by one process (a node, or a test server) also serialises the requests of
all workers: total requests * c + total bytes / C. The exchange takes the longer of the two. l, B, c and C are
calibrated by a short probe of the channel, not assumed.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChannelParams:
    request_s: float  # latency of one small request, one client
    bytes_per_s: float  # bandwidth of one client for large values
    item_limit_bytes: int

    def to_dict(self) -> dict[str, float]:
        return {"request_ms": self.request_s * 1000, "mb_per_s": self.bytes_per_s / 1e6,
                "item_limit_kb": self.item_limit_bytes / 1024}


def calibrate(channel: Any, small: int = 20, large_bytes: int = 4_000_000, repeats: int = 2) -> ChannelParams:
    """Time small puts and gets (latency) and large ones (bandwidth) on CHANNEL, one client."""
    start = time.perf_counter()
    for k in range(small):
        channel.put(f"probe/small/{k}", b"x" * 256)
        channel.get(f"probe/small/{k}")
    request_s = (time.perf_counter() - start) / (2 * small)
    payload = os.urandom(large_bytes)
    parts = math.ceil(large_bytes / channel.item_limit_bytes)
    start = time.perf_counter()
    for k in range(repeats):
        channel.put(f"probe/large/{k}", payload)
        channel.get(f"probe/large/{k}")
    elapsed = time.perf_counter() - start - 2 * repeats * parts * request_s
    return ChannelParams(request_s, 2 * repeats * large_bytes / max(elapsed, 1e-6), channel.item_limit_bytes)


@dataclass(frozen=True)
class Exchange:
    seconds: float
    requests: int
    bytes_moved: int
    bound: str  # "critical path" or "shared channel"


def exchange(params: ChannelParams, workers: int, gradient_bytes: int, segments: int | None = None,
             parallel: int = 1, compress: str = "none", shared_server: bool = True) -> Exchange:
    """Predicted time, requests and bytes of one scatter-reduce."""
    g = gradient_bytes / (2 if compress == "float16" else 1)
    s = segments or workers
    a = min(workers, s)
    k = max(1, math.ceil((g / s) / params.item_limit_bytes))  # requests per segment value
    l, b = params.request_s, params.bytes_per_s
    write_own = math.ceil(s * k / parallel) * l + g / b
    aggregate = math.ceil(workers * s * k / (a * parallel)) * l + workers * g / (a * b)
    publish = math.ceil(s * k / (a * parallel)) * l + g / (a * b)
    read_all = math.ceil(s * k / parallel) * l + g / b
    critical = write_own + aggregate + publish + read_all
    requests = workers * (s * k) + workers * s * k + s * k + workers * s * k  # writes, reads to aggregate, aggregates
    moved = int(workers * g + workers * g + g + workers * g)
    serial = requests * l + moved / b if shared_server else 0.0
    if serial > critical:
        return Exchange(serial, requests, moved, "shared channel")
    return Exchange(critical, requests, moved, "critical path")
