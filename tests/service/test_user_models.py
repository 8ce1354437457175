"""A user's own model: added (checked, copied by content, versioned), profiled on two platforms, recommended; every
bad input refused with nothing stored."""

import json
from pathlib import Path

import pytest

from advisor import service
from advisor.core import catalog
from advisor.core.domain import Config
from advisor.core.errors import BadInput, Conflict, NoFeasibleConfig
from tests.support.profiles import lambda_profile
from tests.support.user_models import PARAMETERS, SAMPLE, needs_tf

pytestmark = [needs_tf, pytest.mark.tf]


def _stored_models(data_dir: Path) -> list[Path]:
    root = data_dir / "models" / "user"
    return sorted(p for p in root.iterdir()) if root.exists() else []


def _add(name, model_dir, model="model.keras", **options):
    return service.add_model(name, model_dir / model, (model_dir / "sample.json").read_bytes(), **options)


def test_a_model_is_checked_copied_by_content_and_versioned(data_dir, tiny_model, tiny_model_retrained):
    added = _add("my-model", tiny_model)
    assert added["status"] == "added" and added["version"] == 1
    model = added["model"]
    assert model["parameters"] == PARAMETERS and model["format"] == "keras"
    assert model["signature"] == {"features": {"dtype": "float32", "shape": [None, 4]}}
    assert model["output_shape"] == [2, 3]
    assert model["size_bytes"] == (tiny_model / "model.keras").stat().st_size
    copy = data_dir / model["file"]
    assert copy.read_bytes() == (tiny_model / "model.keras").read_bytes()

    again = _add("my-model", tiny_model)
    assert again["status"] == "unchanged" and len(_stored_models(data_dir)) == 1

    service.store().add_profiles([lambda_profile("my-model", 1024)])
    newer = _add("my-model", tiny_model_retrained)
    assert newer["status"] == "new version" and newer["version"] == 2
    assert newer["archived_profiles_as"] == "my-model@v1"
    assert service.store().profiles("my-model") == []  # the old version's profiles no longer count for it
    assert [p.config.memory_mb for p in service.store().profiles("my-model@v1")] == [1024]
    assert not copy.exists() and len(_stored_models(data_dir)) == 1  # the unused copy is gone


def test_a_savedmodel_directory_is_a_model_too(data_dir, tiny_model):
    added = _add("exported", tiny_model, "saved_model")
    assert added["model"]["format"] == "savedmodel" and added["model"]["parameters"] == PARAMETERS
    assert (data_dir / added["model"]["file"] / "saved_model.pb").is_file()


@pytest.mark.parametrize("case", ["not a model", "sample refused", "sample not JSON", "sample not a request",
                                  "built-in name", "measured name", "bad name", "missing model"])
def test_bad_input_is_refused_and_nothing_is_stored(data_dir, tiny_model, tmp_path, case):
    service.create_workload({"id": "imported"})
    before = service.list_workloads()
    model, sample, name, error = tiny_model / "model.keras", json.dumps(SAMPLE), "fresh", BadInput
    if case == "not a model":
        model = tmp_path / "notes.keras"
        model.write_text("not a model")
    elif case == "sample refused":
        sample = json.dumps({"instances": [[1.0, 2.0, 3.0]]})  # three features, the model takes four
    elif case == "sample not JSON":
        sample = "instances: 1"
    elif case == "sample not a request":
        sample = json.dumps({"rows": [[1, 2, 3, 4]]})
    elif case == "built-in name":
        name, error = "ncf-recommender", Conflict
    elif case == "measured name":
        name, error = "imported", Conflict
    elif case == "bad name":
        name = "no spaces please"
    elif case == "missing model":
        model = tmp_path / "nowhere.keras"
    with pytest.raises(error) as caught:
        service.add_model(name, model, sample)
    assert caught.value.hint and caught.value.fields
    assert service.list_workloads() == before
    assert _stored_models(data_dir) == []


def test_added_model_is_profiled_on_two_platforms_and_recommended(data_dir, tiny_model):
    _add("my-model", tiny_model)
    done = service.profile({"workload": "my-model", "invocations": 8,
                            "configs": [Config("lambda", memory_mb=1024).to_dict(),
                                        Config("sagemaker-serverless", memory_mb=2048).to_dict()]})
    assert [p["feasible"] for p in done["profiles"]] == [True, True], done
    assert all(p["summary"]["cold_start_ms"] > p["summary"]["p95_ms"] for p in done["profiles"])
    answer = service.recommend({"workload": "my-model", "sla": "p95<=2s", "rps": 2})
    assert answer["chosen"]["platform"] in ("lambda", "sagemaker-serverless")
    assert answer["basis"]["profiles"] == 2


def test_a_model_over_lambdas_zip_limit_is_refused_for_lambda_with_that_reason(data_dir, tiny_model, monkeypatch):
    monkeypatch.setattr(catalog, "LAMBDA_ZIP_UNZIPPED_BYTES", 1000)  # the kilobyte model stands for a 300 MB one
    _add("zipped", tiny_model)
    with pytest.raises(BadInput) as caught:
        service.profile({"workload": "zipped", "configs": [Config("lambda", memory_mb=1024).to_dict()]})
    assert "limit for a .zip package" in caught.value.message
    service.store().add_profiles([lambda_profile("zipped", 1024)])
    with pytest.raises(NoFeasibleConfig) as none_meets:
        service.recommend({"workload": "zipped", "sla": "p95<=10s", "platform": "lambda"})
    reasons = none_meets.value.extra["reasons"]
    assert len(reasons) == 1 and "limit for a .zip package" in reasons[0]["reason"]
    assert _add("zipped", tiny_model, lambda_package="image")["status"] == "updated"  # as an image it fits
    assert service.recommend({"workload": "zipped", "sla": "p95<=10s", "platform": "lambda"})["chosen"]
