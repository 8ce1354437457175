"""Deadline recommendations from training slices: SageMaker training instances against Lambda workers over each
channel, priced and checked by hand-computable figures; every way a request can be wrong gets the error shape."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from advisor.core import costs, prices
from advisor import service
from advisor.cli import main
from advisor.core.domain import SLA, Config, Measurement, Profile
from api import create_app
from recommender import serverless_model
from recommender.training import (Calibration, MeasuredRun, TrainingJob, calibrations, on_instances, on_lambda,
                                   recommend_training)

WORKLOAD = "ncf-recommender-train"
CHANNEL = {"request_ms": 2.0, "mb_per_s": 100.0, "item_limit_kb": 380.0, "reduce_mb_per_s": 500.0,
           "client_cpu_ms": 0.5}


def slice_of(config: Config, step_ms: float, channels: tuple[str, ...] = ("s3", "dynamodb", "memcached")) -> Profile:
    summary = {"step_ms": step_ms, "step_sd_ms": step_ms * 0.05, "step_p10_ms": step_ms * 0.95,
               "step_p90_ms": step_ms * 1.1, "restart_ms": 900.0, "nonzero": 0.2, "gradient_bytes": 900_000.0,
               "batch_size": 512.0, "steps": 8.0, "vcpus": 1.0}
    if config.platform == "lambda-training":
        for name in channels:
            summary.update({f"channel.{name}.{k}": v for k, v in CHANNEL.items()})
    return Profile(WORKLOAD, config, "test:synthetic", summary, tuple(Measurement(step_ms) for _ in range(8)))


SLICES = [slice_of(Config("sagemaker-training", instance_type="ml.c5.large"), 120.0),
          slice_of(Config("sagemaker-training", instance_type="ml.m5.large"), 130.0),
          slice_of(Config("lambda-training", memory_mb=1769), 150.0)]
JOB = TrainingJob(samples=1_000_000, epochs=10, batch_size=512, gradient_bytes=900_000)
TABLE = prices.load("us-east-1")


def test_instance_duration_and_cost_by_hand():
    ev = on_instances(SLICES[0], JOB, SLA.parse("deadline<=2h"), TABLE)
    iterations = 10 * math.ceil(1_000_000 / 512)  # 19,540 steps of 120 ms: 39.08 minutes
    assert ev.predicted["duration_ms"].value == pytest.approx(iterations * 120.0)
    assert ev.predicted["duration_ms"].high == pytest.approx(iterations * 132.0)
    hourly = TABLE.usd("sagemaker.ml.c5.large")
    assert ev.cost.usd_total == pytest.approx(hourly * math.ceil(iterations * 0.120) / 3600)
    assert ev.meets


def test_lambda_workers_priced_by_the_model_and_the_channel():
    sla = SLA.parse("deadline<=2h")
    ev = on_lambda(SLICES[2], 8, "dynamodb", JOB, sla, TABLE)
    from advisor.workloads.serverless_training.sync import COMPRESSIONS, OPTIMIZED

    sync, step = serverless_model.tune(0.150, 0.0075, serverless_model.ChannelParams.from_dict(CHANNEL), 8, 900_000,
                                       OPTIMIZED, shared_server=False, density=0.2, compressions=COMPRESSIONS)
    assert f"{sync.segments} segment(s), {sync.compress}" in ev.predicted["duration_ms"].basis
    iterations = 10 * math.ceil(1_000_000 / (8 * 512))
    seconds, invocations = serverless_model.run_seconds(step.seconds, iterations, 0.9)
    assert ev.predicted["duration_ms"].value == pytest.approx(seconds * 1000)
    write_units = step.exchange.puts * math.ceil(step.exchange.item_bytes / 1024)
    assert step.exchange.misses > 0  # the skew is waited out by polling
    hits = step.exchange.gets - step.exchange.misses  # a get that finds nothing still costs one read unit
    read_units = hits * math.ceil(step.exchange.item_bytes / 4096) + step.exchange.misses
    channel_usd = (write_units * TABLE.usd("dynamodb.write_unit") + read_units * TABLE.usd("dynamodb.read_unit")) \
        * iterations
    expected = costs.training_on_lambda(8, 1769, seconds * 1000, invocations, TABLE.usd("lambda.x86_64.gb_second"),
                                        TABLE.usd("lambda.request"), channel_usd, 0.0)
    assert ev.cost.usd_total == pytest.approx(expected.usd_total)
    assert dict(ev.cost.breakdown)["channel_requests"] == pytest.approx(channel_usd)
    assert ev.config.key == "lambda-training/1769MB/x86_64 x8 via dynamodb"


def test_memcached_pays_node_hours_and_a_single_worker_needs_no_channel():
    sla = SLA.parse("deadline<=10h")
    cached = on_lambda(SLICES[2], 4, "memcached", JOB, sla, TABLE)
    breakdown = dict(cached.cost.breakdown)
    assert breakdown["channel_requests"] == 0.0
    started_hours = math.ceil(cached.predicted["duration_ms"].value / 3.6e6)  # node-hours started are billed whole
    assert breakdown["channel_nodes"] == pytest.approx(TABLE.usd("elasticache.cache.t3.micro") * started_hours)
    alone = on_lambda(SLICES[2], 1, None, JOB, sla, TABLE)
    assert alone.config.channel is None and dict(alone.cost.breakdown)["channel_nodes"] == 0.0


def test_the_deadline_decides_between_one_instance_and_many_workers():
    loose = recommend_training(SLICES, SLA.parse("deadline<=2h"), JOB, TABLE)
    assert loose.chosen.config.platform == "sagemaker-training"  # 39 minutes on ml.c5.large is the cheapest
    tight = recommend_training(SLICES, SLA.parse("deadline<=15m"), JOB, TABLE)
    assert tight.chosen.config.platform == "lambda-training" and tight.chosen.config.instance_count > 1
    assert tight.chosen.predicted["duration_ms"].high <= 15 * 60_000
    slow = {e.config.key: e.reason for e in tight.rejected}
    assert "deadline" in slow["sagemaker-training/ml.c5.large x1"]
    feasible = [e.cost.usd_total for e in tight.feasible]
    assert feasible == sorted(feasible)


def test_an_unprobed_channel_and_an_unprofiled_type_are_rejected_for_no_basis():
    result = recommend_training([slice_of(Config("lambda-training", memory_mb=1769), 150.0, ("s3",))],
                                SLA.parse("deadline<=2h"), JOB, TABLE)
    reasons = {e.config.key: e.reason for e in result.rejected}
    assert "not probed" in reasons["lambda-training/1769MB/x86_64 x4 via dynamodb"]
    assert reasons["sagemaker-training/ml.c5.xlarge x1"].startswith("no basis")


def test_measured_runs_correct_their_channel_and_leave_the_others():
    sla = SLA.parse("deadline<=15m")
    predicted = {channel: on_lambda(SLICES[2], 4, channel, JOB, sla, TABLE).predicted["iteration_ms"].value
                 for channel in ("s3", "dynamodb")}
    runs = [MeasuredRun("run-a", Config("lambda-training", 1769, None, 4, "x86_64", "s3"), predicted["s3"] * 2.0),
            MeasuredRun("run-b", Config("lambda-training", 1769, None, 4, "x86_64", "s3"), predicted["s3"] * 8.0),
            MeasuredRun("run-c", Config("lambda-training", 3008, None, 4, "x86_64", "s3"), 1.0)]  # no slice: left out
    corrected = calibrations(runs, SLICES, JOB, sla, TABLE)
    assert set(corrected) == {"s3"} and corrected["s3"].runs == ("run-a", "run-b")
    assert corrected["s3"].factor == pytest.approx(4.0)  # the geometric mean of 2 and 8
    plain = recommend_training(SLICES, sla, JOB, TABLE)
    fixed = recommend_training(SLICES, sla, JOB, TABLE, corrected=corrected)

    def by_key(result):
        return {e.config.key: e for e in result.considered}

    s3_key, ddb_key = ("lambda-training/1769MB/x86_64 x8 via s3", "lambda-training/1769MB/x86_64 x8 via dynamodb")
    assert by_key(fixed)[s3_key].predicted["iteration_ms"].value == pytest.approx(
        4.0 * by_key(plain)[s3_key].predicted["iteration_ms"].value)
    assert "x 4.00 from 2 measured run(s)" in by_key(fixed)[s3_key].predicted["duration_ms"].basis
    assert by_key(fixed)[s3_key].cost.usd_total > by_key(plain)[s3_key].cost.usd_total
    assert by_key(fixed)[ddb_key].predicted["duration_ms"].value == by_key(plain)[ddb_key].predicted[
        "duration_ms"].value  # another channel's runs say nothing of DynamoDB's exchange
    assert Calibration().note == ""


@pytest.fixture()
def sliced(data_dir):
    service.store().add_profiles(SLICES, "training")
    return data_dir


def test_recommend_a_deadline_over_the_cli_and_the_api(sliced):
    result = CliRunner().invoke(main, ["recommend", "--workload", WORKLOAD, "--sla", "deadline<=15m", "--epochs",
                                       "10", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["chosen"]["platform"] == "lambda-training" and answer["chosen"]["channel"] in ("s3", "dynamodb",
                                                                                                 "memcached")
    assert set(answer["cost"]["breakdown_usd_total"]) == {"lambda_compute", "lambda_requests", "channel_requests",
                                                          "channel_nodes"}
    assert answer["predicted"]["duration_ms_interval"][1] <= 15 * 60_000
    text = CliRunner().invoke(main, ["recommend", "--workload", WORKLOAD, "--sla", "deadline<=15m", "--epochs", "10"])
    assert text.exit_code == 0 and "via" in text.output
    client = create_app({"TESTING": True}).test_client()
    api = client.post("/recommend", json={"workload": WORKLOAD, "sla": "deadline<=15m", "epochs": 10})
    assert api.status_code == 200 and api.get_json()["chosen"] == answer["chosen"]


def test_a_stored_run_corrects_the_next_answer_and_is_named_in_its_basis(sliced):
    body = {"workload": WORKLOAD, "sla": "deadline<=15m", "epochs": 10}
    before = service.recommend(body)
    assert "corrected_by_runs" not in before["basis"]
    config = Config("lambda-training", 1769, None, 8, "x86_64", "s3")
    run_id = service.store().create_job("training-run", {"workload": WORKLOAD})  # as `advisor train` records a run
    service.store().update_job(run_id, status="succeeded", result={
        "workload": WORKLOAD, "config": config.to_dict(), "key": config.key, "step_ms_median": 900.0})
    after = service.recommend(body)
    assert after["id"] != before["id"]  # a new run is a new answer, not a cached one
    assert after["basis"]["corrected_by_runs"]["s3"]["runs"] == [run_id]
    assert after["basis"]["corrected_by_runs"]["s3"]["factor"] > 1


def test_bad_training_requests_get_the_error_shape(sliced, data_dir):
    client = create_app({"TESTING": True}).test_client()
    never = client.post("/recommend", json={"workload": WORKLOAD, "sla": "deadline<=1s", "epochs": 10})
    assert never.status_code == 422 and never.get_json()["error"]["fields"] == {"sla": "not met by any candidate"}
    assert never.get_json()["error"]["closest"]
    bad = client.post("/recommend", json={"workload": WORKLOAD, "sla": "deadline<=2h", "epochs": -1})
    assert bad.status_code == 400 and "epochs" in bad.get_json()["error"]["fields"]
    result = CliRunner().invoke(main, ["recommend", "--workload", WORKLOAD, "--sla", "deadline<=1s"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "hint" in result.output.lower()


def test_a_training_workload_without_slices_says_how_to_get_them(data_dir):
    client = create_app({"TESTING": True}).test_client()
    answer = client.post("/recommend", json={"workload": WORKLOAD, "sla": "deadline<=2h"})
    assert answer.status_code in (404, 422)
    assert "advisor profile --workload" in answer.get_json()["error"]["hint"]


def test_a_step_timed_between_exchanges_through_a_channel_is_the_compute_predicted_for_it():
    timed = slice_of(Config("lambda-training", memory_mb=1769), 150.0)
    timed.summary.update({"channel.s3.step_ms": 300.0, "channel.s3.step_sd_ms": 15.0})
    sla = SLA.parse("deadline<=2h")
    assert "compute 300," in on_lambda(timed, 8, "s3", JOB, sla, TABLE).predicted["duration_ms"].basis
    assert "compute 150," in on_lambda(timed, 8, "dynamodb", JOB, sla, TABLE).predicted["duration_ms"].basis
    assert "compute 150," in on_lambda(timed, 1, None, JOB, sla, TABLE).predicted["duration_ms"].basis


def test_a_lambda_slice_runs_as_many_workers_as_most_of_the_cores_hold(monkeypatch):
    from advisor.backends import local
    from profilers.training import slice_workers

    monkeypatch.setattr(local, "available_cores", lambda: [0, 1])
    # 70% of 2 cores: one 1-vCPU worker (no exchange timed), two of 0.58 vCPU, four (at most) of 0.35 or less
    assert [slice_workers(Config("lambda-training", memory_mb=m)) for m in (1769, 1024, 619, 128)] == [1, 2, 4, 4]
