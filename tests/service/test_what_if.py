"""The public contract on a workload unlike its file's history: `recommend --measurements` answers a CPU-bound
function whose file holds only flat, I/O-bound ones with a size that meets its SLA, as the same file without any
history does."""

import json

from click.testing import CliRunner

from advisor.cli import main
from tests.support.unlike import FLAT_IO, GRID, profile

TARGET = [profile("single-thread", c, io_ms=5, cpu_ms=400, parallelism=1) for c in GRID]


def _csv(profiles):
    lines = ["workload,platform,memory_mb,duration_ms,max_memory_used_mb"]
    for p in profiles:
        lines += [f"{p.workload},lambda,{p.config.memory_mb},{m.duration_ms:.3f},90" for m in p.measurements]
    return "\n".join(lines) + "\n"


def _ask(tmp_path, profiles, sla):
    path = tmp_path / "m.csv"
    path.write_text(_csv(profiles))
    result = CliRunner().invoke(main, ["recommend", "--measurements", str(path), "--workload", "single-thread",
                                       "--sla", sla, "--max-trials", "3", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_target_unlike_its_history_is_answered_with_a_size_that_meets(tmp_path, data_dir):
    best = min(p.summary["p95_ms"] for p in TARGET)
    sla = f"p95<={best * 1.5:.1f}ms"
    truth = {p.config.memory_mb: p.summary["p95_ms"] for p in TARGET}
    for history in (FLAT_IO, []):
        answer = _ask(tmp_path, TARGET + history, sla)
        assert truth[answer["chosen"]["memory_mb"]] <= best * 1.5
        assert len(answer["trials"]) <= 3
