"""What each wire encoding of the gradient exchange does to the model, beside its speed: the NCF recommender trained
on MovieLens 100K (a rating of 4 or 5 is a like; a tenth of the ratings held out) by data-parallel workers through a
real Memcached, once per encoding, the same steps from the same starting weights:

- naive: float32, the whole gradient as one value, one aggregator, one request at a time;
- float16: the optimized runtime with the segments sent as float16 (lossy);
- sparse: the optimized runtime with only the non-zero entries sent, as index and float32 value (lossless).

Worker 0 scores the held-out ratings (loss and AUC) at each epoch's end, outside the timed step. Workers run under
the local backend's CPU-share emulation of a Lambda of --memory-mb: times are this machine's, not AWS's.

    python benchmarks/exchange_quality.py [--workers 2] [--epochs 3] [--memory-mb 1769] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.workloads import builtin  # noqa: E402
from advisor.workloads.datasets import INSTALL_HINT, available  # noqa: E402
from advisor.workloads.serverless_training.sync import OPTIMIZED  # noqa: E402
from profilers.memcached_server import memcached_on_loopback  # noqa: E402
from profilers.serverless_slices import NAIVE, run_local  # noqa: E402
from recommender.serverless_model import iterations_per_epoch  # noqa: E402

MODES = {"naive": NAIVE, "float16": replace(OPTIMIZED, compress="float16"),
         "sparse": replace(OPTIMIZED, compress="sparse")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--memory-mb", type=int, default=1769)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = builtin("ncf-movielens-train")
    if not available(spec.params["dataset"]):
        sys.exit(f"MovieLens 100K is not installed: {INSTALL_HINT}")
    epoch_steps = iterations_per_epoch(spec.params["samples"], args.workers, spec.batch_size)
    steps = epoch_steps * args.epochs
    rows = []
    for mode, sync in MODES.items():  # a fresh server each: its memory is not left to another encoding's item sizes
        with memcached_on_loopback(megabytes=512) as (host, port), tempfile.TemporaryDirectory() as checkpoints:
            began = time.monotonic()
            results = run_local(f"quality-{mode}-{time.monotonic_ns()}", spec, args.workers, steps,
                                {"kind": "memcached", "host": host, "port": port}, checkpoints,
                                memory_mb=args.memory_mb, sync=sync, budget_s=1e9, evaluate_every=epoch_steps)
            wall = time.monotonic() - began
            step_ms = statistics.median(ms for r in results for ms in r["step_ms"][2:])  # after tracing
            written = sum(r["usage"].get("bytes_written", 0) for r in results) / steps
            rows.append({"mode": mode, "wall_s": round(wall, 1), "step_ms": round(step_ms, 1),
                         "bytes_written_per_step": round(written), "epochs": results[0]["held_out"]})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"NCF on MovieLens 100K, {args.workers} workers x {args.memory_mb} MB (emulated here), Memcached on "
          f"loopback, {args.epochs} epochs of {epoch_steps} steps (batch {spec.batch_size} per worker)")
    print(f"{'encoding':<9} {'epoch':>5} {'held-out loss':>13} {'AUC':>6} {'step ms':>8} {'run s':>6} "
          f"{'written/step':>13}")
    base = {e["step"]: e for e in rows[0]["epochs"]}
    for row in rows:
        for e in row["epochs"]:
            print(f"{row['mode']:<9} {e['epoch']:>5g} {e['loss']:>13.4f} {e['auc']:>6.3f} {row['step_ms']:>8.1f} "
                  f"{row['wall_s']:>6.1f} {row['bytes_written_per_step'] / 1e6:>10.2f} MB")
        last, ref = row["epochs"][-1], base.get(row["epochs"][-1]["step"])
        if ref and row is not rows[0]:
            print(f"{'':<9} vs naive at the end: loss {last['loss'] - ref['loss']:+.4f}, "
                  f"AUC {last['auc'] - ref['auc']:+.4f}; step time {row['step_ms'] / rows[0]['step_ms']:.2f}x naive's")


if __name__ == "__main__":
    main()
