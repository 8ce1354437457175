"""A user's model as a training workload: added with its data, profiled in slices, answered for a deadline, and
trained by the serverless runtime's worker processes through a real memcached."""

import numpy as np
import pytest

from advisor import service
from advisor.core.domain import Config
from advisor.core.errors import BadInput
from tests.support.user_models import PARAMETERS, needs_tf

pytestmark = [needs_tf, pytest.mark.tf]


def _add(name, model_dir, **options):
    return service.add_model(name, model_dir / "model.keras", kind="training",
                             **{"data_path": model_dir / "data.npz", "loss": "mse", "batch_size": 16, **options})


def test_a_training_workload_is_sliced_and_answered_for_a_deadline(data_dir, tiny_model):
    added = _add("regressor", tiny_model)
    model = added["model"]
    assert model["trainable_parameters"] == PARAMETERS and model["samples"] == 200 and model["loss"] == "mse"
    done = service.profile({"workload": "regressor", "steps": 4,
                            "configs": [Config("lambda-training", memory_mb=1769).to_dict()]})
    summary = done["profiles"][0]["summary"]
    assert summary["gradient_bytes"] == 4 * PARAMETERS and summary["batch_size"] == 16 and summary["step_ms"] > 0
    answer = service.recommend({"workload": "regressor", "sla": "deadline<=1h", "epochs": 8})
    assert answer["chosen"]["platform"] == "lambda-training"
    assert answer["basis"]["samples"] == 200  # the data's rows are the epoch


@pytest.mark.parametrize("case, field", [("no data", "data"), ("unknown loss", "loss"), ("no target", "data"),
                                         ("savedmodel", "model"), ("target of the wrong shape", "data")])
def test_bad_training_input_is_refused_and_nothing_is_stored(data_dir, tiny_model, tmp_path, case, field):
    before = service.list_workloads()
    options = {}
    if case == "no data":
        options["data_path"] = None
    elif case == "unknown loss":
        options["loss"] = "nonsense"
    elif case == "no target":
        np.savez(tmp_path / "x.npz", x=np.zeros((10, 4), "float32"))
        options["data_path"] = tmp_path / "x.npz"
    elif case == "target of the wrong shape":
        np.savez(tmp_path / "w.npz", x=np.zeros((10, 4), "float32"), y=np.zeros((10, 7), "float32"))
        options["data_path"] = tmp_path / "w.npz"
    with pytest.raises(BadInput) as caught:
        if case == "savedmodel":
            service.add_model("t", tiny_model / "saved_model", kind="training", data_path=tiny_model / "data.npz")
        else:
            _add("t", tiny_model, **options)
    assert field in caught.value.fields, caught.value.to_dict()
    assert service.list_workloads() == before


def test_the_serverless_runtime_trains_it_to_identical_weights(data_dir, tiny_model, memcached_server, tmp_path):  # noqa: F811
    from advisor.service.workloads import runnable
    from advisor.workloads.serverless_training.worker import FileCheckpoints
    from profilers.serverless_slices import run_local

    _add("regressor", tiny_model)
    results = run_local("user", runnable("regressor"), workers=2, steps=3,
                        channel={"kind": "memcached", "host": memcached_server[0], "port": memcached_server[1]},
                        checkpoint_dir=str(tmp_path), memory_mb=1769)
    assert all(len(r["step_ms"]) == 3 and len(r["exchange_ms"]) == 3 for r in results)
    saved = [FileCheckpoints(str(tmp_path)).load("user", w) for w in range(2)]
    assert saved[0][0] == saved[1][0] == 3
    assert all(np.array_equal(a, b) for a, b in zip(saved[0][1], saved[1][1]))
