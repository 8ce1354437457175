"""API load: POST /recommend against GET /healthz on the same running server, at concurrency 1, 8 and 32.

Starts `advisor serve` (gunicorn) on a free loopback port over the store in ADVISOR_DATA_DIR (which must hold
profiles of the workload; `make run` or `advisor profile` makes them), or uses --url. Every request loop is
bounded in time and stays on loopback. Prints a table (or --json).

    python benchmarks/api_load.py [--url http://127.0.0.1:8080] [--seconds 5] [--workload ncf-recommender]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.core.stats import percentile  # noqa: E402


def load(url: str, method: str, path: str, bodies: list[dict] | None, concurrency: int, seconds: float) -> dict:
    """CONCURRENCY clients on keep-alive connections for SECONDS; latency percentiles and throughput."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = itertools.count()
    stop_at = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        while time.perf_counter() < stop_at:
            body = None
            if bodies:
                body = json.dumps(bodies[next(counter) % len(bodies)])
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            if ok:
                mine.append((time.perf_counter() - start) * 1000.0)
            else:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors[0], "rps": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}


def run(url: str, workload: str, seconds: float) -> list[dict]:
    same = [{"workload": workload, "sla": "p95<=250ms", "rps": 40}]
    distinct = [{"workload": workload, "sla": f"p95<={100 + k % 150}ms", "rps": 1 + k % 97} for k in range(5000)]
    rows = []
    for concurrency in (1, 8, 32):
        for name, method, path, bodies in (("GET /healthz", "GET", "/healthz", None),
                                           ("POST /recommend (same request)", "POST", "/recommend", same),
                                           ("POST /recommend (distinct requests)", "POST", "/recommend", distinct)):
            result = load(url, method, path, bodies, concurrency, seconds)
            rows.append({"endpoint": name, "concurrency": concurrency, **result})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; default: start one over ADVISOR_DATA_DIR")
    parser.add_argument("--workload", default="ncf-recommender")
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and concurrency level")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.url:
        rows = run(args.url, args.workload, args.seconds)
    else:
        from advisor.core import settings
        from tests.support.servers import running_server

        with running_server(settings.get("DATA_DIR"), workers=args.workers) as url:
            rows = run(url, args.workload, args.seconds)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"API load on {os.cpu_count()} cores, {args.seconds:g} s per row, gunicorn {args.workers} workers x 4 threads")
    print(f"{'endpoint':<38} {'conc.':>5} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in rows:
        print(f"{r['endpoint']:<38} {r['concurrency']:>5} {r['requests']:>9} {r['errors']:>6} {r['rps']:>8.0f} "
              f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
    by = {(r["endpoint"], r["concurrency"]): r for r in rows}
    for c in (1, 8, 32):
        health = by[("GET /healthz", c)]["rps"]
        for name in ("POST /recommend (same request)", "POST /recommend (distinct requests)"):
            print(f"concurrency {c:>2}: {name} throughput / healthz throughput = {by[(name, c)]['rps'] / health:.2f}")


if __name__ == "__main__":
    main()
