"""POST /workloads with a model upload: token, size limit, archives, the same checks as the CLI; DELETE."""

import io
import tarfile
import zipfile

import pytest

from api import create_app
from tests.support.http import error_of as _error
from tests.support.user_models import needs_tf

TOKEN = {"Authorization": "Bearer s3cret"}


@pytest.fixture()
def client(data_dir):
    return create_app({"TESTING": True, "API_TOKEN": "s3cret"}).test_client()


def _form(model_dir, name="uploaded", model="model.keras", **fields):
    files = {"model": (io.BytesIO((model_dir / model).read_bytes()), model),
             "sample": (io.BytesIO((model_dir / "sample.json").read_bytes()), "sample.json")}
    return {"name": name, **files, **fields}


@needs_tf
@pytest.mark.tf
def test_upload_add_again_show_and_delete(client, tiny_model):
    resp = client.post("/workloads", data=_form(tiny_model), headers=TOKEN, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["model"]["parameters"] == 67
    again = client.post("/workloads", data=_form(tiny_model), headers=TOKEN, content_type="multipart/form-data")
    assert again.status_code == 200 and again.get_json()["status"] == "unchanged"
    shown = client.get("/workloads/uploaded").get_json()
    assert shown["source"] == "user model" and shown["params"]["model"]["format"] == "keras"
    assert client.delete("/workloads/uploaded", headers=TOKEN).get_json()["removed"] is True
    _error(client.get("/workloads/uploaded"), 404, "not_found")


@needs_tf
@pytest.mark.tf
def test_a_savedmodel_directory_uploads_as_an_archive(client, tiny_model):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as t:
        t.add(tiny_model / "saved_model", arcname="saved_model")
    form = {"name": "exported", "model": (io.BytesIO(archive.getvalue()), "exported.tar.gz"),
            "sample": (tiny_model / "sample.json").read_text()}
    resp = client.post("/workloads", data=form, headers=TOKEN, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["model"]["format"] == "savedmodel"


def test_upload_needs_a_server_token_and_the_callers(data_dir, tmp_path):
    form = {"name": "x", "model": (io.BytesIO(b"..."), "m.keras"), "sample": '{"instances": [[1]]}'}
    no_token_server = create_app({"TESTING": True, "API_TOKEN": None}).test_client()
    _error(no_token_server.post("/workloads", data=form, content_type="multipart/form-data"), 403, "permission_denied")
    client = create_app({"TESTING": True, "API_TOKEN": "s3cret"}).test_client()
    form = {"name": "x", "model": (io.BytesIO(b"..."), "m.keras"), "sample": '{"instances": [[1]]}'}
    _error(client.post("/workloads", data=form, content_type="multipart/form-data"), 401, "unauthorized")


@pytest.mark.parametrize("case, status, field", [
    ("oversized", 413, None), ("not a model file", 400, "model"), ("no sample", 400, "sample"),
    ("unsafe archive", 400, "model"), ("unknown field", 400, "colour"), ("built-in name", 409, "name"),
])
def test_bad_uploads_get_the_error_shape_and_store_nothing(data_dir, case, status, field):
    client = create_app({"TESTING": True, "API_TOKEN": "s3cret", "MAX_CONTENT_LENGTH": 4096}).test_client()
    before = client.get("/workloads").get_json()
    model, name, extra = (io.BytesIO(b"x" * 100), "m.keras"), "fresh", {"sample": '{"instances": [[1]]}'}
    if case == "oversized":
        model = (io.BytesIO(b"x" * 10_000), "m.keras")
    elif case == "not a model file":
        model = (io.BytesIO(b"x" * 100), "notes.txt")
    elif case == "no sample":
        extra = {}
    elif case == "unsafe archive":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("../../escaped/saved_model.pb", b"x")
        model = (io.BytesIO(buffer.getvalue()), "m.zip")
    elif case == "unknown field":
        extra["colour"] = "blue"
    elif case == "built-in name":
        name = "ncf-recommender"
    resp = client.post("/workloads", data={"name": name, "model": model, **extra}, headers=TOKEN,
                       content_type="multipart/form-data")
    err = _error(resp, status)
    if field:
        assert field in err["fields"]
    assert client.get("/workloads").get_json() == before
    assert not (data_dir / "escaped").exists() and not any((data_dir / "uploads").glob("*"))


def test_built_in_workloads_cannot_be_deleted(data_dir):
    client = create_app({"TESTING": True, "API_TOKEN": "s3cret"}).test_client()
    _error(client.delete("/workloads/ncf-recommender", headers=TOKEN), 409, "conflict")
    _error(client.delete("/workloads/nothing-here", headers=TOKEN), 404, "not_found")
