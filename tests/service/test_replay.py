"""recommend --measurements: replayed trials within the budget, history from the other workloads."""

import json
import math
import random

import pytest
from click.testing import CliRunner

from advisor import service
from advisor.backends.replay import BudgetExhausted, ReplayBackend
from advisor.cli import main
from advisor.core.errors import BadInput, NoFeasibleConfig, NotFound
from profilers.importers import profiles_from_rows, read_csv

SIZES = [1024, 1536, 2048, 2560, 3072, 4096]


def what_if(body, text, source):
    """A recommendation from measurements, as both front ends ask for it."""
    return service.recommend(dict(body, measurements_csv=text), source)


def family_csv(n_workloads=12, seed=1):
    """Workloads of one family: t(m) = scale * (a + b / min(m/1769, c)) with noise; one has failures."""
    rng = random.Random(seed)
    lines = ["workload,platform,memory_mb,duration_ms,failed,cold"]
    for w in range(n_workloads):
        scale = rng.uniform(50, 400)
        saturation = rng.choice([1.0, 1.5, 2.0])
        for m in SIZES:
            t = scale * (0.3 + 1.0 / min(m / 1769, saturation)) * math.exp(rng.gauss(0, 0.02))
            lines.append(f"w{w},lambda,{m},{t:.2f},false,false")
        lines.append(f"w{w},lambda,1024,{scale * 20:.2f},false,true")  # a cold start, reported apart
    return "\n".join(lines) + "\n"


def truth(text, workload):
    profiles = [p for p in profiles_from_rows(read_csv(text)) if p.workload == workload]
    return {p.config.memory_mb: p.summary["p95_ms"] for p in profiles}


def test_the_replay_backend_reveals_only_what_was_asked_within_budget():
    profiles = profiles_from_rows(read_csv(family_csv()))
    replay = ReplayBackend(profiles, "w3", max_trials=2)
    assert len(replay.candidates()) == len(SIZES)
    assert all(p.workload != "w3" for p in replay.history)
    first = replay.candidates()[0]
    replay.trial(first)
    replay.trial(first)  # asking again costs nothing
    replay.trial(replay.candidates()[1])
    with pytest.raises(BudgetExhausted):
        replay.trial(replay.candidates()[2])
    assert set(replay.revealed) == set(replay.candidates()[:2])
    with pytest.raises(NotFound):
        ReplayBackend(profiles, "nobody", 3)


@pytest.mark.parametrize("level", [1.1, 1.5, 3.0])
def test_recommend_from_measurements_meets_the_sla_within_the_budget(level):
    text = family_csv()
    t = truth(text, "w5")
    limit = min(t.values()) * level
    answer = what_if(
        {"workload": "w5", "sla": f"p95<={limit:.3f}ms", "max_trials": 3}, text, "family.csv")
    chosen = answer["chosen"]["memory_mb"]
    assert t[chosen] <= limit + 1e-6  # the pick truly meets the SLA
    assert len(answer["trials"]) <= 3 and answer["basis"]["profiles"] <= 3
    assert answer["basis"]["history_workloads"] == 11
    assert all(r["reason"] for r in answer["rejected"])


def test_the_same_inputs_give_the_same_answer():
    text = family_csv()
    body = {"workload": "w2", "sla": "p95<=400ms", "max_trials": 3}
    assert what_if(dict(body), text, "f.csv") == \
        what_if(dict(body), text, "f.csv")


def test_failed_rows_make_a_config_infeasible():
    text = family_csv().replace("w4,lambda,1024,", "w4,lambda,1024,").splitlines()
    text = [line.replace(",false,false", ",true,false") if line.startswith("w4,lambda,1024,") and
            line.endswith(",false,false") else line for line in text]
    profiles = [p for p in profiles_from_rows(read_csv("\n".join(text) + "\n"))
                if p.workload == "w4" and p.config.memory_mb == 1024]
    assert len(profiles) == 1 and not profiles[0].feasible


def test_unmeetable_and_bad_requests():
    text = family_csv()
    with pytest.raises(NoFeasibleConfig):
        what_if({"workload": "w1", "sla": "p95<=0.5ms"}, text, "f.csv")
    with pytest.raises(NotFound):
        what_if({"workload": "nope", "sla": "p95<=100ms"}, text, "f.csv")
    with pytest.raises(BadInput):
        what_if({"workload": "w1", "sla": "p95<=100ms", "max_trials": 0}, text, "f.csv")


def test_cli_recommend_with_measurements(tmp_path, data_dir):
    path = tmp_path / "family.csv"
    path.write_text(family_csv())
    result = CliRunner().invoke(main, ["recommend", "--measurements", str(path), "--workload", "w0",
                                       "--sla", "p95<=1s", "--max-trials", "3", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["chosen"]["platform"] == "lambda" and len(answer["trials"]) <= 3
    result = CliRunner().invoke(main, ["recommend", "--measurements", str(tmp_path / "missing.csv"), "--workload",
                                       "w0", "--sla", "p95<=1s"], catch_exceptions=False)
    assert result.exit_code == 2 and "no such file" in result.output


def test_adaptive_live_profiling_uses_the_same_exploration():
    """With no history, beliefs come from the parametric model; the loop stops within the budget."""
    from advisor.core import platforms, prices
    from advisor.core.domain import SLA, Config
    from recommender.adaptive import adaptive_trials, cost_function
    from tests.support.profiles import lambda_profile

    candidates = [c for c in platforms.get("lambda").candidates() if c.architecture == "x86_64"]
    asked = []

    def run_trial(config):
        asked.append(config)
        return lambda_profile("w", config.memory_mb, serial_ms=4.0, cpu_ms=12.0)

    sla = SLA.parse("p95<=20ms", 10)
    cost = cost_function(sla, 10, prices.load("us-east-1"), {})
    profiles, run = adaptive_trials(candidates, Config("lambda", memory_mb=1769), run_trial, [], sla, 4, 0.9, cost)
    assert 1 <= len(profiles) <= 4 and asked[0] == Config("lambda", memory_mb=1769)
    assert len(set(asked)) == len(asked)  # never the same trial twice
    met = [p for p in profiles if p.summary["p95_ms"] <= 20]
    assert met, "the exploration verified a config that meets the SLA"


def test_a_deadline_answer_is_valid_json():
    lines = ["workload,platform,instance_type,instance_count,duration_ms,failed,usd_per_hour,vcpus,memory_gib"]
    for w, scale in (("a", 1.0), ("b", 1.7), ("c", 0.6)):
        for count in (2, 4, 8):
            lines.append(f"{w},ec2,t2.medium,{count},{scale * 600000 / count + 20000:.0f},false,0.0464,2,4")
    answer = what_if({"workload": "b", "sla": "deadline<=10m", "max_trials": 2},
                                                 "\n".join(lines) + "\n", "runs.csv")
    text = json.dumps(answer, allow_nan=False)  # raises on NaN or infinity
    assert answer["cost"]["usd_total"] > 0 and answer["cost"]["usd_per_hour"] is None
    assert "NaN" not in text
