"""The serverless-training benchmark's --replay, on a run kept in benchmarks/runs/: the README quotes it, so the
measured medians it prints must be those of the saved runs, and every row must get a prediction."""

import gzip
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "benchmarks" / "runs" / "serverless-training-9bbfb4a.json.gz"


def test_a_saved_run_replays_with_its_own_measurements():
    saved = json.loads(gzip.decompress(SAVED.read_bytes()))
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "serverless_training.py"), "--replay", str(SAVED)],
                         capture_output=True, text=True, timeout=300, check=True).stdout
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) > 10 and cells[0] in ("s3", "dynamodb", "memcached") and cells[1] in ("naive", "float16",
                                                                                            "sparse"):
            rows.setdefault((cells[0], cells[1]), cells)  # the first table; the phase table comes later
    assert len(rows) == 9
    for (channel, mode), cells in rows.items():
        measured = statistics.median(r["measured"] for r in saved["runs"]
                                     if r["channel"] == channel and r["mode"] == mode)
        column = 3 if mode == "naive" else 4  # naive has no "pick" cell
        assert float(cells[column]) == round(measured, 3)
        assert float(cells[column + 2]) > 0  # the prediction, made again from the run's own slice
    assert "where a step goes" in out and "model error" in out
