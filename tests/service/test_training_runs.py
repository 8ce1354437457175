"""Training runs on this machine: two workers through a real memcached to the end, recorded with what they
measured; a run killed mid-way (SIGKILL of the command and its workers) resumes from its checkpoints."""

import os
import signal
import subprocess
import sys
import time

import pytest

from advisor import service
from advisor.core.errors import BadInput, NotFound
from advisor.service import training_runs
from tests.support.user_models import needs_tf

pytestmark = [needs_tf, pytest.mark.tf]
TINY = {"workload": "ncf-recommender-tiny", "config": "lambda-training:1769", "workers": 2}


def test_two_workers_train_through_memcached_and_the_run_is_recorded(data_dir, memcached_server):  # noqa: F811
    host, port = memcached_server
    record = training_runs.run({**TINY, "channel": f"memcached={host}:{port}", "steps": 4})
    assert record["status"] == "succeeded" and record["kind"] == "training-run"
    result = record["result"]
    assert result["steps"] == 4 and result["invocations_per_worker"] >= 1 and result["measured_s"] > 0
    assert result["step_ms_median"] > 0 and result["usd_measured"] > 0
    held = result["held_out"]  # judged on interactions no worker trained on
    assert held["rows"] == 4096 and held["loss"] > 0 and 0.0 <= held["auc"] <= 1.0
    # worker 0 scored the rows at the run's end (no epoch is known for the tiny workload); scoring its checkpoint
    # in a process of its own (what a resumed run that had already ended gets) finds the same model
    assert [e["step"] for e in result["held_out_epochs"]] == [4]
    from advisor.workloads import builtin

    apart = training_runs.held_out(builtin("ncf-recommender-tiny"), data_dir / "runs" / record["id"], record["id"])
    assert apart["loss"] == pytest.approx(held["loss"], rel=1e-5) and apart["rows"] == held["rows"]
    assert [r["id"] for r in training_runs.list_runs()] == [record["id"]]


def test_a_killed_run_resumes_from_its_checkpoints(data_dir):
    command = [sys.executable, "-m", "advisor.cli", "train", "--workload", TINY["workload"], "--config",
               TINY["config"], "--workers", "2", "--channel", "memcached", "--steps", "600", "--checkpoint-every", "1"]
    proc = subprocess.Popen(command, env=dict(os.environ, ADVISOR_DATA_DIR=str(data_dir)), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs_dir = data_dir / "runs"
    deadline = time.monotonic() + 120
    while not (runs_dir.exists() and any(runs_dir.rglob("checkpoint-w0.npz"))):  # worker 0's first checkpoint
        assert proc.poll() is None and time.monotonic() < deadline, "the run did not checkpoint"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the command, its workers and the memcached it started
    proc.wait()
    service.reset_caches()
    stopped = training_runs.list_runs()[0]
    assert stopped["status"] in ("running", "failed")  # a killed process could not say how it ended
    from advisor.workloads.serverless_training.worker import FileCheckpoints

    done_before = FileCheckpoints(str(runs_dir / stopped["id"])).load(stopped["id"], 0)[0]
    assert 0 < done_before < 600
    resumed = training_runs.run({"resume": stopped["id"]})
    assert resumed["status"] == "succeeded" and resumed["id"] == stopped["id"]
    assert FileCheckpoints(str(runs_dir / stopped["id"])).load(stopped["id"], 0)[0] == 600
    assert resumed["result"]["loss_last"] is not None and resumed["result"]["steps"] == 600


@pytest.mark.parametrize("body, error, field", [
    ({"workload": "ncf-recommender-tiny"}, BadInput, "recommendation"),
    ({**TINY, "workers": 2}, BadInput, "channel"),
    ({**TINY, "config": "lambda:1769", "channel": "memcached"}, BadInput, "config"),
    ({**TINY, "config": "lambda-training:1769x4", "channel": "memcached"}, BadInput, "workers"),
    ({"workload": "ncf-recommender-tiny", "config": "lambda-training:1769x2"}, BadInput, "channel"),
    ({"resume": "job-nothing"}, NotFound, "id"),
    ({"recommendation": "rec-nothing"}, NotFound, "id"),
])
def test_bad_runs_are_refused_before_anything_starts(data_dir, body, error, field):
    with pytest.raises(error) as caught:
        training_runs.prepare(body)
    assert field in caught.value.fields
    assert training_runs.list_runs() == []


def test_the_api_starts_a_run_and_answers_its_record(data_dir, memcached_server):  # noqa: F811
    from api import create_app
    from tests.support.http import error_of

    client = create_app({"TESTING": True}).test_client()
    host, port = memcached_server
    started = client.post("/training-runs", json={**TINY, "channel": f"memcached={host}:{port}", "steps": 2})
    assert started.status_code == 202 and started.headers["Location"] == f"/training-runs/{started.get_json()['id']}"
    deadline = time.monotonic() + 120
    while (record := client.get(started.headers["Location"]).get_json())["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert record["status"] == "succeeded" and record["result"]["steps"] == 2
    assert [r["id"] for r in client.get("/training-runs").get_json()["runs"]] == [record["id"]]
    error_of(client.post("/training-runs", json={"workload": "ncf-recommender-tiny"}), 400)
    error_of(client.post("/training-runs", json={**TINY, "channel": "s3=b", "backend": "azure"}), 400)
    error_of(client.get("/training-runs/job-nothing"), 404)


def test_a_deadline_recommendation_becomes_the_run_it_describes(data_dir):
    from advisor.core.domain import Config, Measurement, Profile

    probe = {"request_ms": 2.0, "mb_per_s": 100.0, "item_limit_kb": 380.0, "reduce_mb_per_s": 500.0,
             "client_cpu_ms": 0.5}
    summary = {"step_ms": 150.0, "step_sd_ms": 7.5, "step_p10_ms": 142.0, "step_p90_ms": 165.0, "restart_ms": 900.0,
               "nonzero": 0.2, "gradient_bytes": 900_000.0, "batch_size": 64.0, "steps": 8.0, "vcpus": 1.0,
               **{f"channel.memcached.{k}": v for k, v in probe.items()}}
    service.store().add_profiles([Profile("ncf-recommender-tiny", Config("lambda-training", memory_mb=1769),
                                          "test:synthetic", summary, (Measurement(150.0),))], "training")
    rec = service.recommend({"workload": "ncf-recommender-tiny", "sla": "deadline<=8m", "samples": 200_000,
                             "epochs": 1})
    assert rec["chosen"]["platform"] == "lambda-training" and rec["chosen"]["instance_count"] > 1
    prepared = training_runs.prepare({"recommendation": rec["id"]})
    assert prepared["config"].key == rec["chosen"]["key"]
    workers = rec["chosen"]["instance_count"]
    import math

    # an epoch of the spec's batches split among the workers, counted as the model counts iterations (the last
    # iteration of an epoch may be short of rows)
    assert prepared["steps"] == math.ceil(200_000 / (256 * workers))
    assert prepared["channel"] == {"kind": "memcached", "host": None, "port": None}  # started by the run
    with pytest.raises(BadInput) as other:
        training_runs.prepare({"recommendation": rec["id"], "channel": "s3=bucket"})
    assert other.value.fields == {"channel": "not the config's"}
