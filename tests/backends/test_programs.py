"""Small programs of unlike families run in the local backend's worker like a model does, and behave as their
family should under the emulated Lambda CPU share: CPU-bound work slows at a small share, waiting does not, a
working set larger than the memory size fails."""

import http.server
import threading

import pytest

from advisor.backends.local import LocalBackend
from advisor.core.domain import Config
from advisor.workloads import WorkloadSpec
from profilers.inference import InferencePlan, profile

PLAN = InferencePlan(invocations=6, warmup=1)


def _p95(spec, memory_mb, backend):
    config = Config("lambda", memory_mb=memory_mb)
    if backend.check(config):
        pytest.skip(backend.check(config))
    return profile(backend, spec, config, PLAN, model_path=backend.model_path(spec))


def test_cpu_bound_work_slows_with_the_share_and_waiting_does_not(tmp_path):
    backend = LocalBackend(str(tmp_path))
    cpu = WorkloadSpec("cpu", "inference", "", params={"program": "cpu-single", "iterations": 100_000})
    small, full = _p95(cpu, 256, backend), _p95(cpu, 1769, backend)
    assert small.summary["p95_ms"] > 2.5 * full.summary["p95_ms"], (small.note, small.summary)

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            threading.Event().wait(0.03)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait = WorkloadSpec("wait", "inference", "", params={"program": "io-wait",
                                                             "url": f"http://127.0.0.1:{server.server_address[1]}/"})
        small, full = _p95(wait, 256, backend), _p95(wait, 1769, backend)
    finally:
        server.shutdown()
    assert small.summary["p95_ms"] < 1.6 * full.summary["p95_ms"] and full.summary["p95_ms"] >= 30


def test_a_working_set_over_the_memory_size_runs_out_of_memory(tmp_path):
    backend = LocalBackend(str(tmp_path))
    hungry = WorkloadSpec("hungry", "inference", "", params={"program": "memory-hungry", "megabytes": 200})
    small = _p95(hungry, 128, backend)
    assert not small.feasible and "out of memory" in small.note
    assert _p95(hungry, 1024, backend).feasible
