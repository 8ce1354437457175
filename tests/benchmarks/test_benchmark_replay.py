"""The serverless-training benchmark's --replay, on a run kept in benchmarks/runs/: the README quotes it, so the
measured medians it prints must be those of the saved runs, and every row must get a prediction."""

import gzip
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = ROOT / "benchmarks" / "runs"
SAVED = RUNS / "serverless-training-9bbfb4a.json.gz"


def replay(path: Path, *flags: str) -> str:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "serverless_training.py"), "--replay", str(path),
                           *flags], capture_output=True, text=True, timeout=300, check=True).stdout


def table(out: str) -> dict[tuple[str, str], list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if len(cells) > 10 and cells[0] in ("s3", "dynamodb", "memcached") and cells[1] in ("naive", "float16",
                                                                                            "sparse"):
            rows.setdefault((cells[0], cells[1]), cells)  # the first table; the phase table comes later
    return rows


def test_a_saved_run_replays_with_its_own_measurements():
    saved = json.loads(gzip.decompress(SAVED.read_bytes()))
    out = replay(SAVED)
    rows = table(out)
    assert len(rows) == 9
    for (channel, mode), cells in rows.items():
        measured = statistics.median(r["measured"] for r in saved["runs"]
                                     if r["channel"] == channel and r["mode"] == mode)
        column = 3 if mode == "naive" else 4  # naive has no "pick" cell
        assert float(cells[column]) == round(measured, 3)
        assert float(cells[column + 2]) > 0  # the prediction, made again from the run's own slice
    assert "where a step goes" in out and "model error" in out


def test_a_replay_without_some_probe_figures_predicts_as_if_they_were_not_measured():
    # the run at 623cf4c probed puts and gets apart and four clients at once; the one at 9bbfb4a did not
    saved = RUNS / "serverless-training-623cf4c.json.gz"
    full, without = table(replay(saved)), table(replay(saved, "--without", "contended_,put_,get_"))
    measured = {key: cells[3:5] for key, cells in full.items()}
    assert {key: cells[3:5] for key, cells in without.items()} == measured  # the measurements are the run's
    # the S3 naive run's prediction changes: its writes no longer see the puts' own, contended bandwidth
    assert full[("s3", "naive")][5] != without[("s3", "naive")][5]
    # a run probed before those figures existed has nothing to leave out: the same tables as without the flag
    assert replay(SAVED, "--without", "contended_").splitlines()[1:] == replay(SAVED).splitlines()[1:]


def test_a_replay_without_the_slices_exchange_uses_the_probes_bandwidths():
    # from c451866 on, each slice also exchanged naively; its fitted bandwidths (run_ keys) replace the probe's
    saved = RUNS / "serverless-training-c451866.json.gz"
    assert all("run_put_mb_per_s" in r["probe"]["channel_params"][r["channel"]]
               for r in json.loads(gzip.decompress(saved.read_bytes()))["runs"])
    full, without = table(replay(saved)), table(replay(saved, "--without", "run_"))
    assert {key: cells[3:5] for key, cells in without.items()} == {key: cells[3:5] for key, cells in full.items()}
    assert full[("memcached", "naive")][5] != without[("memcached", "naive")][5]


def test_a_slices_kept_exchange_steps_fit_again_to_the_bandwidths_it_found():
    # from 4b6a549 on, a slice keeps its naive exchange's timed steps, and --replay fits the bandwidths anew from them
    import pytest

    from recommender.serverless_fit import fit_exchange
    from advisor.workloads.serverless_training.worker import gradient_bytes
    from benchmarks.serverless_training import LARGE

    saved = json.loads(gzip.decompress((RUNS / "serverless-training-4b6a549.json.gz").read_bytes()))
    for row in saved["runs"]:
        params = row["probe"]["channel_params"][row["channel"]]
        # the fit as the run made it, before each phase's requests queued at the one server (shared_server)
        outside, fitted = fit_exchange(row["probe"]["exchange_steps"][row["channel"]], gradient_bytes(LARGE), params,
                                       shared_server=False)
        assert outside == row["probe"]["exchange_outside_ms"][row["channel"]]
        kept = {k: v for k, v in params.items() if k.startswith("run_")}
        # the owner's get alone is fitted to its phase less the model's waits in it: the run took the slowest
        # worker's whole lag off, from the steps' standard deviation; the code takes less of the lag (from their
        # median deviation, step_estimate, and less what the owner spent reading the copies that came first) but
        # also the polling overshoot at both waits, which the run left in: the get it fits is faster (1.0-1.8x)
        kept_get = kept.pop("run_get_mb_per_s")
        assert 0.98 * kept_get <= fitted["run_get_mb_per_s"] <= kept_get * 1.9
        assert {k: fitted[k] for k in kept} == pytest.approx(kept)
