"""The local backend: what it refuses to fake, and (with TensorFlow) a real trial of the tiny workload."""

import json
import time

import pytest

from advisor.backends.local import LocalBackend, available_cores
from advisor.core.domain import Config
from advisor.workloads import builtin



def _has_tensorflow() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


needs_tf = pytest.mark.skipif(not _has_tensorflow(), reason="TensorFlow is not installed (pip install -e '.[tf]')")


def test_configs_this_machine_cannot_hold_are_not_emulable(tmp_path):
    backend = LocalBackend(str(tmp_path))
    cores = len(available_cores())
    assert "accelerator" in backend.check(Config("sagemaker-realtime", instance_type="ml.g5.xlarge"))
    assert "arm64" in backend.check(Config("lambda", memory_mb=1024, architecture="arm64"))
    too_big = int(1769 * (cores + 1))
    assert f"this machine has {cores}" in backend.check(Config("lambda", memory_mb=min(too_big, 10240)))
    assert backend.check(Config("lambda", memory_mb=1024)) is None
    assert backend.check(Config("sagemaker-realtime", instance_type="ml.p4d.24xlarge")).startswith("not emulable")


@needs_tf
@pytest.mark.tf
def test_a_real_lambda_trial_and_an_out_of_memory_one(data_dir):
    from profilers.inference import InferencePlan, profile

    backend = LocalBackend(str(data_dir))
    spec = builtin("ncf-recommender-tiny")
    model_path = backend.model_path(spec)
    plan = InferencePlan(warmup=2, invocations=8)
    ok = profile(backend, spec, Config("lambda", memory_mb=2048), plan, model_path=model_path)
    assert ok.feasible, ok.note
    assert ok.method.startswith("local:")
    warm = [m for m in ok.measurements if not m.cold]
    assert len(warm) == 8 and all(m.duration_ms > 0 for m in warm)
    assert ok.summary["p50_ms"] <= ok.summary["p95_ms"] <= ok.summary["p99_ms"]
    assert ok.summary["cold_start_ms"] > ok.summary["p50_ms"]
    assert all(m.billed_duration_ms == pytest.approx(int(m.billed_duration_ms)) for m in warm)
    oom = profile(backend, spec, Config("lambda", memory_mb=128), plan, model_path=model_path)
    assert not oom.feasible and "out of memory" in oom.note


@needs_tf
@pytest.mark.tf
def test_the_handler_as_lambda_and_as_sagemaker_app(data_dir, monkeypatch):
    from advisor.workloads import handler, ncf

    path = LocalBackend(str(data_dir)).model_path(builtin("ncf-recommender-tiny"))
    monkeypatch.setenv(handler.MODEL_PATH_ENV, str(path))
    monkeypatch.setattr(handler, "_MODEL", None)
    request = ncf.request_for(builtin("ncf-recommender-tiny"), 5)
    direct = handler.handler(request, None)
    assert len(direct["scores"]) == 5 and all(0 <= s <= 1 for s in direct["scores"])
    proxied = handler.handler({"body": json.dumps(request)}, None)
    assert proxied["statusCode"] == 200 and json.loads(proxied["body"])["scores"] == pytest.approx(direct["scores"])
    assert handler.handler({"body": "{nope"}, None)["statusCode"] == 400
    app = handler.serving_app(str(path)).test_client()
    assert app.get("/ping").status_code == 200
    resp = app.post("/invocations", json=request)
    assert resp.status_code == 200 and resp.get_json()["scores"] == pytest.approx(direct["scores"])
    assert app.post("/invocations", data="[]").status_code == 400


@needs_tf
@pytest.mark.tf
def test_profile_job_over_the_api_runs_real_trials(data_dir):
    from api import create_app

    client = create_app({"TESTING": True}).test_client()
    resp = client.post("/profiles", json={"workload": "ncf-recommender-tiny",
                                          "configs": [{"platform": "lambda", "memory_mb": 2048}]})
    assert resp.status_code == 202 and resp.headers["Location"].startswith("/jobs/")
    job_id = resp.get_json()["id"]
    deadline = time.monotonic() + 120
    while True:
        job = client.get(f"/jobs/{job_id}").get_json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert job["status"] == "succeeded", job
    assert job["result"]["profiles"][0]["feasible"]
    rec = client.post("/recommend", json={"workload": "ncf-recommender-tiny", "sla": "p95<=2s",
                                          "platform": ["lambda"]})
    assert rec.status_code == 200, rec.get_json()


@needs_tf
@pytest.mark.tf
def test_the_training_step_entry_point_reports_step_times():
    from advisor.workloads import ncf

    report = ncf.train_steps(builtin("ncf-recommender-tiny"), steps=3, threads=1)
    assert len(report["step_ms"]) == 3 and all(t > 0 for t in report["step_ms"])
    assert report["first_step_ms"] > 0 and report["batch_size"] == builtin("ncf-recommender-tiny").batch_size


def test_an_interrupt_while_a_worker_starts_leaves_no_worker_and_no_cgroup(tmp_path):
    """Ctrl-C can land after the worker process is made and put in its CPU group, before it is ready."""
    from advisor.backends.local import LocalTarget
    from advisor.workloads.programs import as_model_path

    class InterruptedLimiter:
        group = tmp_path / "trial-group"  # stands for the cgroup made for the worker

        def apply(self, pid, share):
            self.pid = pid
            self.group.mkdir()
            return self.group

        @property
        def method(self):
            raise KeyboardInterrupt

    limiter = InterruptedLimiter()
    with pytest.raises(KeyboardInterrupt):
        LocalTarget(as_model_path({"program": "cpu-single", "iterations": 10}), Config("lambda", memory_mb=1024),
                    limiter)
    assert not limiter.group.exists()
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(limiter.pid, 0)
