"""The crossover for the reference model: where each platform family is the cheapest way to meet a latency SLA as
traffic grows, from the profiles in ADVISOR_DATA_DIR's store. When the store has none of the workload, the local
backend profiles it first on the first-start grid (about a minute here; emulated on this machine's CPUs).

    python benchmarks/crossover.py [--workload ncf-recommender] [--sla 'p95<=250ms'] [--rps-range 0.1..5000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import service  # noqa: E402
from advisor.cli.compare import render  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="ncf-recommender")
    parser.add_argument("--sla", default="p95<=250ms")
    parser.add_argument("--rps-range", default="0.1..5000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not service.store().profiles(args.workload):
        print(f"profiling {args.workload} on the local grid first (emulated on this machine)", file=sys.stderr)
        service.profile({"workload": args.workload})
    comparisons = []
    for families in (None, "lambda,sagemaker-realtime"):
        body = {"workload": args.workload, "sla": args.sla, "rps_range": args.rps_range}
        if families:
            body["platform"] = families
        started = time.perf_counter()
        result = service.compare(body)
        result["seconds"] = round(time.perf_counter() - started, 3)
        comparisons.append(result)
    if args.json:
        print(json.dumps(comparisons, indent=2))
        return
    for result in comparisons:
        print(render(result))
        print(f"({len(result['levels'])} traffic levels and the crossovers' bisections in {result['seconds']:.2f} s)")
        print()


if __name__ == "__main__":
    main()
