"""Small programs of unlike families, run by the local backend's trial worker in place of a model, so that the
advisor can be measured on workloads that are not variants of one another (benchmarks/make_unlike_lambda.py).

Each program is a function of its parameters, called once per request; `prepare` runs once, at the sandbox's start.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Callable


def cpu_single(params: dict[str, Any]) -> None:
    """Single-threaded CPU work in pure Python: no faster beyond one vCPU."""
    total = 0
    for i in range(int(params.get("iterations", 400_000))):
        total += i * i % 7
    params["_sink"] = total


def cpu_threads(params: dict[str, Any]) -> None:
    """Multi-threaded CPU work: a matrix product, which BLAS spreads over the threads it is given."""
    import numpy as np

    n = int(params.get("size", 700))
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n)), rng.random((n, n))
    params["_sink"] = float((a @ b).sum())


def io_wait(params: dict[str, Any]) -> None:
    """Waiting on a server on loopback (which answers after a delay), then parsing its answer: little CPU."""
    with urllib.request.urlopen(params["url"], timeout=30) as response:
        params["_sink"] = len(json.loads(response.read()))


def memory_hungry(params: dict[str, Any]) -> None:
    """A working set of MEGABYTES touched page by page, then summed: small sizes run out of memory."""
    block = bytearray(int(params.get("megabytes", 300)) * 1024 * 1024)
    for offset in range(0, len(block), 4096):
        block[offset] = 1
    params["_sink"] = sum(block[::4096])


PROGRAMS: dict[str, Callable[[dict[str, Any]], None]] = {
    "cpu-single": cpu_single,
    "cpu-threads": cpu_threads,
    "io-wait": io_wait,
    "memory-hungry": memory_hungry,
}

PREFIX = "program:"  # a trial worker's "model path" that names a program and its parameters instead


def as_model_path(params: dict[str, Any]) -> str:
    return PREFIX + json.dumps(params, sort_keys=True)


def from_model_path(path: str) -> Callable[[], None]:
    """The request handler of a program named by AS_MODEL_PATH's string."""
    params = json.loads(path[len(PREFIX):])
    program = PROGRAMS[params["program"]]
    return lambda: program(params)
