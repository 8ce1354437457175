"""The web page's server side: the index puts profiled workloads first and can be filtered; a workload's form
opens on an SLA its own profiles can meet; a training workload's page speaks of runs, steps and epochs."""

import re

from advisor import service
from advisor.core.domain import Config, Profile
from api import create_app


def test_the_index_lists_profiled_workloads_first_with_a_filter(profiled):
    service.create_workload({"id": "aaa-imported-but-empty"})
    html = create_app({"TESTING": True}).test_client().get("/").get_data(as_text=True)
    rows = re.findall(r'<a href="/ui/workloads/([^"]+)">', html)
    assert rows[0] == "ncf-recommender" and rows.index("aaa-imported-but-empty") > 0
    assert 'id="filter"' in html


def test_the_form_opens_on_an_sla_the_profiles_meet(profiled):
    best = min(p.summary["p95_ms"] for p in service.store().profiles("ncf-recommender") if p.feasible)
    html = create_app({"TESTING": True}).test_client().get("/ui/workloads/ncf-recommender").get_data(as_text=True)
    limit = float(re.search(r'name="sla" value="p95&lt;=([0-9.]+)ms"', html).group(1))
    assert 3 * best <= limit < 10 * best
    answer = service.recommend({"workload": "ncf-recommender", "sla": f"p95<={limit:g}ms", "rps": 10})
    assert answer["chosen"]  # the page does not open on an error


def test_a_training_workloads_page_speaks_of_runs(data_dir):
    summary = {"step_ms": 40.0, "step_sd_ms": 2.0, "gradient_bytes": 4e6, "batch_size": 512.0}
    service.store().add_profiles([Profile("ncf-recommender-train", Config("lambda-training", memory_mb=1769),
                                          "test:synthetic", summary, ())], "training")
    html = create_app({"TESTING": True}).test_client().get("/ui/workloads/ncf-recommender-train").get_data(
        as_text=True)
    assert 'name="epochs"' in html and 'name="rps"' not in html and "deadline&lt;=" in html
    assert "40.0 ms" in html and "4.00 MB" in html and "p95" not in html
    assert 'data-kind="training"' in html
    assert "No runs yet" in html
    config = Config("lambda-training", 1769, None, 2, "x86_64", "memcached")
    run_id = service.store().create_job("training-run", {"workload": "ncf-recommender-train"})
    service.store().update_job(run_id, status="succeeded", result={  # as `advisor train` records a run
        "workload": "ncf-recommender-train", "config": config.to_dict(), "key": config.key, "steps": 528,
        "measured_s": 13.1, "predicted_s": None, "usd_measured": 0.000756, "backend": "local",
        "held_out": {"loss": 0.5693, "auc": 0.773, "rows": 10000}})
    html = create_app({"TESTING": True}).test_client().get("/ui/workloads/ncf-recommender-train").get_data(
        as_text=True)
    assert run_id in html and "13.1 s" in html and "0.5693" in html and "0.773" in html and "here (emulated)" in html
