"""Measure a Lambda file of unlike programs with the local backend, for decision_quality.py's `foreign` mode.

The shared sets hold one program at many settings, so their history predicts each target almost exactly. This file
holds programs of different families, each over every Lambda size this machine can emulate (the local backend gives
a trial min(M/1769, 6) vCPUs by CPU quota; sizes needing more vCPUs than this machine has are left out, never
invented): single-threaded pure Python, a multi-threaded matrix product, waiting on a server on loopback, a 300 MB
working set (small sizes run out of memory), and the NCF recommender at two sizes. Every figure is emulated on this
machine, not measured on AWS.

    python benchmarks/make_unlike_lambda.py [--out benchmarks/data/lambda-unlike-local.csv] [--invocations 60]
"""

from __future__ import annotations

import argparse
import csv
import http.server
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.backends.local import LocalBackend  # noqa: E402
from advisor.core import platforms  # noqa: E402
from advisor.workloads import BUILTIN, WorkloadSpec  # noqa: E402
from profilers.inference import InferencePlan, profile  # noqa: E402

SERVER_DELAY_S = 0.04
COLUMNS = ("workload", "platform", "memory_mb", "architecture", "duration_ms", "billed_duration_ms",
           "init_duration_ms", "max_memory_used_mb", "cold", "failed")


class SlowServer(http.server.BaseHTTPRequestHandler):
    """Answers every GET after SERVER_DELAY_S with a small JSON list: what an I/O-bound function waits on."""

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        time.sleep(SERVER_DELAY_S)
        body = json.dumps(list(range(200))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def workloads(url: str) -> list[WorkloadSpec]:
    def program(name: str, description: str, **params: object) -> WorkloadSpec:
        return WorkloadSpec(f"unlike-{name}", "inference", description, params={"program": name, **params})

    return [
        program("cpu-single", "pure-Python loop, single-threaded", iterations=400_000),
        program("cpu-threads", "700x700 matrix product, multi-threaded BLAS", size=700),
        program("io-wait", f"waits {SERVER_DELAY_S * 1000:.0f} ms on a loopback server", url=url),
        program("memory-hungry", "touches a 300 MB working set", megabytes=300),
        BUILTIN["ncf-recommender-tiny"],
        BUILTIN["ncf-recommender"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "data" / "lambda-unlike-local.csv"))
    parser.add_argument("--invocations", type=int, default=60, help="warm invocations per size (for a p95)")
    parser.add_argument("--sizes", default="", help="only these memory sizes, MB, comma-separated")
    parser.add_argument("--only", default="", help="only these workloads, comma-separated")
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    backend = LocalBackend()
    sizes = [c for c in platforms.get("lambda").candidates() if c.architecture == "x86_64"]
    emulable = [c for c in sizes if backend.check(c) is None
                and (not args.sizes or str(c.memory_mb) in args.sizes.split(","))]
    print(f"{len(emulable)} of {len(sizes)} x86_64 sizes emulable here (method {backend.method})", file=sys.stderr)
    plan = InferencePlan(invocations=args.invocations)
    rows = []
    for spec in [w for w in workloads(url) if not args.only or w.id in args.only.split(",")]:
        model_path = backend.model_path(spec)
        for config in emulable:
            started = time.monotonic()
            prof = profile(backend, spec, config, plan, model_path=model_path)
            for m in prof.measurements:
                rows.append({"workload": spec.id, "platform": "lambda", "memory_mb": config.memory_mb,
                             "architecture": config.architecture, "duration_ms": f"{m.duration_ms:.3f}",
                             "billed_duration_ms": "" if m.billed_duration_ms is None else f"{m.billed_duration_ms:.0f}",
                             "init_duration_ms": "" if m.init_duration_ms is None else f"{m.init_duration_ms:.1f}",
                             "max_memory_used_mb": "" if m.max_memory_used_mb is None else f"{m.max_memory_used_mb:.0f}",
                             "cold": str(m.cold).lower(), "failed": str(m.failed or not prof.feasible).lower()})
            p95 = prof.summary.get("p95_ms")
            print(f"{spec.id:<24} {config.memory_mb:>6} MB  p95 {p95 if p95 is None else round(p95, 1)} ms  "
                  f"{'' if prof.feasible else 'infeasible: ' + prof.note}  ({time.monotonic() - started:.0f} s)",
                  file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    server.shutdown()
    print(f"wrote {len(rows)} rows to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
