"""Data-parallel training through a real memcached, checkpoints in S3 on moto's server: workers stay identical,
and a run interrupted at its time budget and resumed reaches exactly the weights of an uninterrupted run."""

import importlib.util
import threading

import numpy as np
import pytest

from advisor.core import aws as aws_api
from advisor.workloads import builtin

tf_missing = importlib.util.find_spec("tensorflow") is None


class StepClock:
    """A clock that advances one second per call: the budget then counts steps, not machine speed."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now


def _run(run, steps, budget, memcached_server, bucket="ckpt", overlap=False):
    from pymemcache.client.base import PooledClient

    from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
    from advisor.workloads.serverless_training.sync import SyncOptions
    from advisor.workloads.serverless_training.worker import Checkpoints, RunConfig, train

    channel = MemcachedChannel(PooledClient(memcached_server, timeout=5, max_pool_size=8))
    checkpoints = Checkpoints(aws_api.client("s3"), bucket, "runs")
    spec = builtin("ncf-recommender-tiny")
    results = [None, None]

    def worker(w):
        results[w] = train(RunConfig(run, w, 2, steps, spec, SyncOptions(overlap=overlap)), channel, checkpoints, budget, clock=StepClock())

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, [checkpoints.load(run, w) for w in range(2)]


@pytest.mark.tf
@pytest.mark.skipif(tf_missing, reason="TensorFlow is not installed (pip install -e '.[tf]')")
def test_resumed_and_overlapped_run_equals_uninterrupted_run(aws, memcached_server):  # noqa: F811
    aws_api.client("s3").create_bucket(Bucket="ckpt")
    whole, whole_ckpt = _run("whole", 6, budget=1e9, memcached_server=memcached_server)
    assert [r["status"] for r in whole] == ["done", "done"]
    # the split run also prepares each next batch during the exchange: neither may change the weights
    first, _ = _run("split", 6, budget=3.5, memcached_server=memcached_server, overlap=True)  # stops after 4 steps
    assert [r["status"] for r in first] == ["continue", "continue"] and first[0]["next_step"] == 4
    second, split_ckpt = _run("split", 6, budget=1e9, memcached_server=memcached_server, overlap=True)
    assert [r["status"] for r in second] == ["done", "done"]
    for (s1, w1, o1), (s2, w2, o2) in zip(whole_ckpt, split_ckpt):
        assert s1 == s2 == 6
        assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
        diffs = [k for k, (a, b) in enumerate(zip(o1, o2)) if not np.array_equal(a, b)]
        assert not diffs, [(k, o1[k].shape, float(np.abs(o1[k] - o2[k]).max())) for k in diffs]
    assert all(np.array_equal(a, b) for a, b in zip(whole_ckpt[0][1], whole_ckpt[1][1]))  # workers identical


def test_gradient_size_by_hand():
    from advisor.workloads.serverless_training.worker import gradient_bytes

    # tiny: embeddings 100x8 + 200x8, dense 24->16 (+16 biases), output 16->1 (+1): 2,817 float32 parameters
    assert gradient_bytes(builtin("ncf-recommender-tiny")) == 4 * (800 + 1600 + 24 * 16 + 16 + 16 + 1)


class FakeContext:
    """Lambda's context object: the function's ARN and the time left in this invocation."""

    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:trainer"

    def __init__(self, remaining_ms):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


@pytest.mark.tf
@pytest.mark.skipif(tf_missing, reason="TensorFlow is not installed (pip install -e '.[tf]')")
def test_the_lambda_handler_checkpoints_reinvokes_itself_and_resumes(aws, memcached_server):  # noqa: F811
    import json

    from botocore.stub import Stubber

    from advisor.workloads.serverless_training.handler import run_invocation
    from advisor.workloads.serverless_training.worker import MARGIN_S

    aws_api.client("s3").create_bucket(Bucket="ckpt")
    event = {"run": "lam", "worker": 0, "workers": 1, "steps": 3, "spec": builtin("ncf-recommender-tiny").to_dict(),
             "channel": {"kind": "memcached", "host": memcached_server[0], "port": memcached_server[1]},
             "checkpoints": {"bucket": "ckpt", "prefix": "runs"}}
    lam = aws_api.client("lambda")
    stub = Stubber(lam)  # stands for Lambda accepting the asynchronous re-invocation
    stub.add_response("invoke", {"StatusCode": 202}, {"FunctionName": FakeContext.invoked_function_arn,
                                                       "InvocationType": "Event", "Payload": json.dumps(event).encode()})
    with stub:
        first = run_invocation(event, FakeContext(MARGIN_S * 1000), lambda_client=lam)  # no time left: one step
    assert first["status"] == "continue" and first["next_step"] == 1 and first["reinvoked"]
    assert len(first["losses"]) == len(first["step_ms"]) == 1
    second = run_invocation(event, FakeContext(900_000), lambda_client=lam)
    assert second["status"] == "done" and len(second["losses"]) == 2


@pytest.mark.tf
@pytest.mark.skipif(tf_missing, reason="TensorFlow is not installed (pip install -e '.[tf]')")
def test_local_worker_processes_train_to_identical_weights(memcached_server, tmp_path):  # noqa: F811
    from profilers.serverless_slices import run_local
    from advisor.workloads.serverless_training.worker import FileCheckpoints

    results = run_local("local", builtin("ncf-recommender-tiny"), workers=2, steps=4,
                        channel={"kind": "memcached", "host": memcached_server[0], "port": memcached_server[1]},
                        checkpoint_dir=str(tmp_path), memory_mb=1769, budget_s=0.0, max_invocations=10)
    assert [r["invocations"] for r in results] == [4, 4]  # budget 0: one step per invocation
    assert all(len(r["step_ms"]) == 4 and len(r["exchange_ms"]) == 4 for r in results)
    assert all(0 < e <= s for r in results for e, s in zip(r["exchange_ms"], r["step_ms"]))
    # each step's CPU time, all threads: within the 1-vCPU share of a 1769 MB Lambda (a quota period's slack)
    assert all(len(r["cpu_ms"]) == 4 and 0 < sum(r["cpu_ms"]) <= 1.1 * sum(r["step_ms"]) + 10 for r in results)
    saved = [FileCheckpoints(str(tmp_path)).load("local", w) for w in range(2)]
    assert saved[0][0] == saved[1][0] == 4
    assert all(np.array_equal(a, b) for a, b in zip(saved[0][1], saved[1][1]))
    assert results[0]["method"].startswith("local:")
    from advisor.workloads.serverless_training.worker import ProgressFile
    from profilers.serverless_slices import progress_path

    shown = ProgressFile.read(progress_path(str(tmp_path), "local"))  # what a progress bar shows: the last step
    assert shown == {"step": 4, "loss": results[0]["losses"][-1]}


def test_the_progress_file_is_written_at_most_every_interval_and_at_the_end(tmp_path):
    from advisor.workloads.serverless_training.worker import ProgressFile

    path = str(tmp_path / "run" / "progress-w0.json")
    report = ProgressFile(path, steps=3, interval_s=3600)
    assert ProgressFile.read(path) is None
    report(1, 0.9)
    report(2, 0.8)  # within the interval: not written
    assert ProgressFile.read(path) == {"step": 1, "loss": 0.9}
    report(3, 0.7)  # the last step always is
    assert ProgressFile.read(path) == {"step": 3, "loss": 0.7}


def test_probe_processes_at_once_measure_each_clients_bandwidth(memcached_server):  # noqa: F811
    from profilers.serverless_slices import probe_channels

    spec = {"kind": "memcached", "host": memcached_server[0], "port": memcached_server[1]}
    alone = probe_channels({"memcached": spec}, share=1.0)["memcached"]
    assert "contended_clients" not in alone and alone["put_mb_per_s"] > 0 and alone["get_mb_per_s"] > 0
    together = probe_channels({"memcached": spec}, share=1.0, clients=2)["memcached"]
    assert together["contended_clients"] == 2
    assert together["contended_put_mb_per_s"] > 0 and together["contended_get_mb_per_s"] > 0


@pytest.mark.tf
@pytest.mark.skipif(tf_missing, reason="TensorFlow is not installed (pip install -e '.[tf]')")
def test_a_training_slice_is_profiled_stored_and_probes_the_channel(data_dir, memcached_server, monkeypatch):  # noqa: F811
    from advisor import service
    from profilers import training
    from recommender.serverless_fit import channels_in
    from recommender.serverless_model import ChannelParams

    monkeypatch.setenv("ADVISOR_TRAINING_CHANNELS", f"memcached={memcached_server[0]}:{memcached_server[1]}")
    monkeypatch.setattr(training, "slice_workers", lambda config: 2)  # two 1-vCPU workers: this machine's cores
    result = service.profile({"workload": "ncf-recommender-train", "steps": 2,
                              "configs": [{"platform": "lambda-training", "memory_mb": 1769},
                                          {"platform": "sagemaker-training", "instance_type": "ml.c5.4xlarge"}]})
    assert [s["reason"][:16] for s in result["skipped"]] == ["not emulable her"]
    (slice_,) = result["profiles"]
    summary = slice_["summary"]
    assert summary["step_ms"] > 0 and summary["steps"] == 2 and 0 < summary["nonzero"] < 1
    assert 0 < summary["batch_ms"] < summary["step_ms"]  # preparing the batch: the part overlap can hide
    # 4 steps: the union of 2 and of 4 steps' non-zero entries, as 2 and 4 workers' aggregate would hold
    assert summary["nonzero"] < summary["nonzero_union_2"] <= summary["nonzero_union_4"] < 1
    assert summary["channel.memcached.request_ms"] > 0 and summary["channel.memcached.item_limit_kb"] < 1024
    # two workers probed at once, then exchanged naively: a step's compute between exchanges, and (where the tiny
    # model's exchange was more than requests and CPU work) the bandwidths its phases gave, which the model uses
    assert summary["slice_workers"] == 2 and summary["channel.memcached.contended_clients"] == 2
    assert 0 < summary["channel.memcached.step_ms"] and summary["channel.memcached.step_sd_ms"] >= 0
    fitted = {k: v for k, v in channels_in(summary)["memcached"].items() if k.startswith("run_")}
    if fitted:
        assert fitted["run_contended_clients"] == 2 and min(fitted.values()) > 0
        params = ChannelParams.from_dict(channels_in(summary)["memcached"])
        assert params.put_bytes_per_s == pytest.approx(fitted["run_put_mb_per_s"] * 1e6)
    stored = service.store().profiles("ncf-recommender-train")
    assert [p.config.key for p in stored] == ["lambda-training/1769MB/x86_64"]
    answer = service.recommend({"workload": "ncf-recommender-train", "sla": "deadline<=24h"})
    assert answer["chosen"]["platform"] == "lambda-training"


def test_the_auc_counts_ties_as_half_and_needs_both_classes():
    from advisor.workloads.training_tasks import auc

    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75  # 3 of the 4 positive-negative pairs in order
    assert auc([1, 0], [0.5, 0.5]) == 0.5
    assert auc([0, 0], [1.0, 2.0]) is None
