"""Closed-loop load: C clients, each sending its next request when the last returns. Used by the local
profiler and the SageMaker backend alike."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def closed_loop(call: Callable[[int], T], concurrency: int, total: int) -> tuple[list[T], float]:
    """Run CALL(k) TOTAL times from CONCURRENCY threads; the results (in completion order) and the wall time."""
    results: list[T] = []
    lock = threading.Lock()
    issued = [0]

    def client() -> None:
        while True:
            with lock:
                if issued[0] >= total:
                    return
                k = issued[0]
                issued[0] += 1
            outcome = call(k)
            with lock:
                results.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.perf_counter() - started
